"""Django admin for clinical editors (see docs/EDITING.md).

- Review workflow: draft → in review → published, and retired. Publishing needs the per-model
  ``treatments.publish_<model>`` permission (the "Reviewers" group). Without it, a form that sets
  "Published" is refused, and an edit to a published record moves it back to "In review", so
  unreviewed content never reaches the public pages.
- Every save asks for a reason, stored in the record's history (django-simple-history); the history
  page shows the field-by-field changes and any version can be restored from there.
- The content rules of ``treatments/validation.py`` run in the forms and inline formsets, so a bad
  edit is a form error, never a 500.
"""

import copy

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet, construct_instance
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from modeltranslation.admin import TranslationAdmin
from simple_history.admin import SimpleHistoryAdmin

from . import models as m
from .feedback import REPORTABLE
from .validation import (
    CITED_MODELS,
    PATIENT_TEXT_FIELDS,
    READING_GRADE_LIMIT,
    SPANISH_READING_EASE_MIN,
    default_dose,
    default_dose_problems,
    drug_renal_problems,
    patient_text_problems,
    reading_grade,
    spanish_reading_ease,
    titration_problems,
)

REVIEW_FIELDS = ("status", "last_reviewed", "next_review_due")
PUBLISHED = m.ReviewStatus.PUBLISHED


def can_publish(request, model):
    return request.user.has_perm(f"{model._meta.app_label}.publish_{model._meta.model_name}")


def grade_note(text):
    """Help text shown under a patient-text field: its reading grade, with a warning above the limit."""
    grade = reading_grade(text)
    if grade > READING_GRADE_LIMIT:
        return format_html(
            '<strong class="grade-warning">Reading grade {}: above {} — simplify it before publishing.</strong>',
            f"{grade:.1f}",
            f"{READING_GRADE_LIMIT:g}",
        )
    return f"Reading grade {grade:.1f} (grade {READING_GRADE_LIMIT:g} or below is needed to publish)."


def spanish_note(text):
    """Help text under a Spanish patient-text field: its Szigriszt-Pazos score, with a warning below the minimum."""
    ease = spanish_reading_ease(text)
    if ease is None:
        return "Not translated: the English is shown to Spanish readers."
    if ease < SPANISH_READING_EASE_MIN:
        return format_html(
            '<strong class="grade-warning">Szigriszt-Pazos {}: below {} — simplify it before publishing.</strong>',
            f"{ease:.0f}",
            f"{SPANISH_READING_EASE_MIN:g}",
        )
    return f"Szigriszt-Pazos {ease:.0f} ({SPANISH_READING_EASE_MIN:g} or more is needed to publish)."


class OverdueForReviewFilter(admin.SimpleListFilter):
    title = "review date"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("overdue", "Overdue for review")]

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.overdue_for_review(timezone.localdate())
        return queryset


# --- forms ------------------------------------------------------------------------------------


class ClinicalForm(forms.ModelForm):
    """Review workflow and single-row content rules for a clinical record (change form or inline row).

    ``can_publish`` is set per request on the form class the admin builds (see ``get_form`` and
    ``get_formset`` below). ``demoted`` is True after clean() when an editor's change moved a
    published record back to "In review".
    """

    can_publish = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.demoted = False
        for field in PATIENT_TEXT_FIELDS.get(self._meta.model, []):
            for name, note in ((field, grade_note), (f"{field}_en", grade_note), (f"{field}_es", spanish_note)):
                if name in self.fields:
                    bound = self[name]  # cached by the form, with a copy of the help text
                    bound.help_text = self.fields[name].help_text = note(bound.value())

    def edited_fields(self):
        return [name for name in self.changed_data if name != "change_reason"]

    def candidate(self):
        """An unsaved copy of the record with the submitted values (for rules that look at the whole row)."""
        return construct_instance(self, copy.copy(self.instance))

    def clean(self):
        cleaned = super().clean()
        cited = self._meta.model in CITED_MODELS and "sources" in self.fields and "sources" not in self.errors
        if cited and not cleaned.get("sources"):
            self.add_error("sources", "Cite at least one source.")
        if cleaned.get("status") == PUBLISHED:
            was_published = not self.instance._state.adding and self.initial.get("status") == PUBLISHED
            if not self.can_publish and not was_published:
                self.add_error("status", "Only reviewers can publish. Choose “In review” when it is ready.")
            elif not self.can_publish and self.edited_fields():
                cleaned["status"] = m.ReviewStatus.IN_REVIEW
                self.demoted = True
            else:
                for field, message in patient_text_problems(self.candidate()).items():
                    self.add_error(field if field in self.fields else None, f"Cannot publish: {message}")
        return cleaned


class ClinicalAdminForm(ClinicalForm):
    """The change form of a clinical record: adds the required reason for the change."""

    change_reason = forms.CharField(
        label="Reason for change",
        max_length=200,
        help_text="Why you made this change, e.g. 'NICE 2025 update lowers the maximum dose'. Kept in the history.",
    )


class DoseGuidanceForm(ClinicalAdminForm):
    """Dose guidance edited on its own page: the drug's other doses and bands come from the database."""

    def clean(self):
        cleaned = super().clean()
        drug = cleaned.get("drug")
        if drug and not self.errors:
            dose = self.candidate()
            doses = [d for d in drug.doses.all() if d.pk != dose.pk] + [dose]
            problems = default_dose_problems(doses) + drug_renal_problems(drug.renal_bands.all(), default_dose(doses))
            if problems:
                raise ValidationError(
                    [*problems, "To change which dose is the default, edit the doses together on the drug's page."]
                )
        return cleaned


class RenalDoseBandForm(ClinicalAdminForm):
    """A renal band edited on its own page: checked against the drug's other bands and default dose."""

    def clean(self):
        cleaned = super().clean()
        drug = cleaned.get("drug")
        if drug and not self.errors:
            band = self.candidate()
            bands = [b for b in drug.renal_bands.all() if b.pk != band.pk] + [band]
            problems = drug_renal_problems(bands, default_dose(list(drug.doses.all())))
            if problems:
                raise ValidationError(problems)
        return cleaned


# --- inlines ----------------------------------------------------------------------------------


class DrugDetailFormSet(BaseInlineFormSet):
    """A formset on a drug's page whose rows are checked against a sibling formset (doses ↔ renal bands).

    ``siblings`` is one dict per request shared by the drug's formsets (see DrugAdmin.get_formset_kwargs).
    """

    def __init__(self, *args, siblings=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.siblings = {} if siblings is None else siblings
        self.siblings[self.model] = self

    def rows(self, model):
        """The drug's rows of ``model`` as submitted on this page (or as stored, if not on the page)."""
        formset = self.siblings.get(model)
        if formset is None:
            return list(model.objects.filter(drug=self.instance)) if self.instance.pk else []
        return [
            form.instance
            for form in formset.forms
            if form.is_valid() and not form.cleaned_data.get("DELETE") and (form.instance.pk or form.has_changed())
        ]


class DoseGuidanceFormSet(DrugDetailFormSet):
    def clean(self):
        super().clean()
        if not any(self.errors):
            problems = default_dose_problems(self.rows(m.DoseGuidance))
            if problems:
                raise ValidationError(problems)


class RenalDoseBandFormSet(DrugDetailFormSet):
    def clean(self):
        super().clean()
        if not any(self.errors):
            problems = drug_renal_problems(self.rows(m.RenalDoseBand), default_dose(self.rows(m.DoseGuidance)))
            if problems:
                raise ValidationError(problems)


class ClinicalInlineMixin:
    form = ClinicalForm
    extra = 0
    show_change_link = True

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.can_publish = can_publish(request, self.model)
        return formset


class ClinicalInline(ClinicalInlineMixin, admin.TabularInline):
    pass


class RecommendationInline(ClinicalInline):
    model = m.Recommendation
    fields = ("guideline", "drug_class", "drug", "line", "strength", "quality", "nnt", "nnh", "status")
    autocomplete_fields = ("guideline", "drug_class", "drug")


class ProcedureIndicationInline(ClinicalInline):
    model = m.ProcedureIndication
    fields = ("procedure", "role", "strength", "evidence", "sources", "status")
    autocomplete_fields = ("procedure", "sources")


class WorkupItemInline(ClinicalInline):
    model = m.WorkupItem
    fields = ("diagnostic", "priority", "rationale", "sources", "status")
    autocomplete_fields = ("diagnostic", "sources")


class DoseGuidanceInline(ClinicalInlineMixin, admin.StackedInline):
    model = m.DoseGuidance
    formset = DoseGuidanceFormSet
    show_change_link = False
    autocomplete_fields = ("sources",)
    fields = (
        ("region", "context", "condition", "route", "is_default"),
        ("starting_dose", "usual_target_low", "usual_target_high", "max_daily_dose", "unit"),
        "frequency",
        ("starting_text", "starting_times_a_day"),
        "titration",
        "sources",
        REVIEW_FIELDS,
    )


class RenalDoseBandInline(ClinicalInline):
    model = m.RenalDoseBand
    formset = RenalDoseBandFormSet
    fields = (
        "region",
        "condition",
        "crcl_min",
        "crcl_max",
        "starting_dose",
        "max_daily_dose",
        "unit",
        "dosing_interval",
        "avoid",
        "sources",
        "status",
    )
    autocomplete_fields = ("sources",)


class DoseAdjustmentInline(ClinicalInline):
    model = m.DoseAdjustment
    fields = (
        "key",
        "region",
        "condition",
        "age_min",
        "child_pugh",
        "starting_dose",
        "max_daily_dose",
        "unit",
        "text",
        "sources",
        "status",
    )
    autocomplete_fields = ("condition", "sources")


class TitrationStepForm(forms.ModelForm):
    """A step is checked against its row's start, maximum and the steps before it (``titration_problems``)."""

    class Meta:
        model = m.TitrationStep
        fields = ("crcl_min", "after_days", "daily_dose", "times_a_day", "text")


class TitrationStepFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        steps = [
            f.instance
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.instance.daily_dose
        ]
        problems = titration_problems(self.instance, steps)
        if problems:
            raise ValidationError(problems)


class TitrationStepInline(admin.TabularInline):
    """The titration schedule, edited with its dose row (published with it; every change is in the history)."""

    model = m.TitrationStep
    form = TitrationStepForm
    formset = TitrationStepFormSet
    extra = 0


class MonitoringItemInline(ClinicalInline):
    model = m.MonitoringItem
    fields = ("key", "text", "sources", "status")
    autocomplete_fields = ("sources",)


class ControlledScheduleInline(ClinicalInline):
    model = m.ControlledSchedule
    fields = ("region", "schedule", "note", "sources", "status")
    autocomplete_fields = ("sources",)


class RegulatoryApprovalInline(ClinicalInline):
    model = m.RegulatoryApproval
    fields = ("region", "indication", "condition", "product", "year", "sources", "status")
    autocomplete_fields = ("condition", "sources")


CAUTION_RULE_FIELDS = (
    "key",
    "factor",
    ("crcl_min", "crcl_max", "dialysis"),
    ("child_pugh", "age_min"),
    ("gene", "phenotypes", "test_first"),
    "level",
    "text",
    "region",
    "sources",
)


class DrugCautionInline(ClinicalInlineMixin, admin.StackedInline):
    model = m.Caution
    fk_name = "drug"
    fields = (*CAUTION_RULE_FIELDS, "status")
    autocomplete_fields = ("factor", "sources")


class ClassCautionInline(DrugCautionInline):
    fk_name = "drug_class"


# --- model admins -----------------------------------------------------------------------------


class ClinicalAdmin(SimpleHistoryAdmin):
    """Shared admin behaviour: review workflow, change reasons, overdue filter, a link to the public page."""

    form = ClinicalAdminForm
    list_filter = ("status",)
    readonly_fields = ("public_link",)
    actions = ["publish_selected", "retire_selected"]

    class Media:
        css = {"all": ["css/admin.css"]}

    @admin.display(description="Public page")
    def public_link(self, obj):
        if not (obj.pk and hasattr(obj, "get_absolute_url")):
            return "—"
        url = obj.get_absolute_url()
        if obj.status != PUBLISHED:
            return format_html("{} (not public until it is published)", url)
        return format_html('<a href="{}">{}</a>', url, url)

    def get_list_filter(self, request):
        return (*super().get_list_filter(request), OverdueForReviewFilter)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.can_publish = can_publish(request, self.model)
        return form

    def has_publish_permission(self, request):
        return can_publish(request, self.model)

    def changelist_view(self, request, extra_context=None):
        overdue = self.model.objects.overdue_for_review(timezone.localdate()).count()
        return super().changelist_view(request, {"overdue_count": overdue, **(extra_context or {})})

    def save_model(self, request, obj, form, change):
        obj._change_reason = form.cleaned_data["change_reason"]
        super().save_model(request, obj, form, change)
        if form.demoted:
            self.warn_demoted(request, obj)

    def save_formset(self, request, form, formset, change):
        reason = form.cleaned_data["change_reason"]
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            obj._change_reason = reason
            obj.delete()
        for obj in instances:
            obj._change_reason = reason
            obj.save()
        formset.save_m2m()
        for row in formset.forms:
            if getattr(row, "demoted", False):
                self.warn_demoted(request, row.instance)

    def warn_demoted(self, request, obj):
        self.message_user(
            request,
            f"“{obj}” was published, so your change moved it back to In review. It is hidden from the public "
            "pages until a reviewer publishes it again.",
            messages.WARNING,
        )

    @admin.action(description="Publish selected records", permissions=["publish"])
    def publish_selected(self, request, queryset):
        published, refused = [], []
        today = timezone.localdate()
        for obj in queryset:
            problems = list(patient_text_problems(obj).values())
            if self.model in CITED_MODELS and not obj.sources.exists():
                problems.append("cites no source.")
            if problems:
                refused.append(f"{obj}: {' '.join(problems)}")
            elif obj.status != PUBLISHED:
                obj.status, obj.last_reviewed = PUBLISHED, today
                obj._change_reason = "Published by a reviewer."
                obj.save()
                published.append(obj)
        if published:
            self.message_user(request, f"Published {len(published)} record(s).", messages.SUCCESS)
        for message in refused:
            self.message_user(request, f"Not published: {message}", messages.ERROR)

    @admin.action(description="Retire selected records", permissions=["change"])
    def retire_selected(self, request, queryset):
        count = 0
        for obj in queryset.exclude(status=m.ReviewStatus.RETIRED):
            obj.status = m.ReviewStatus.RETIRED
            obj._change_reason = "Retired."
            obj.save()
            count += 1
        self.message_user(request, f"Retired {count} record(s); they stay in the history.", messages.SUCCESS)


@admin.register(m.Source)
class SourceAdmin(ClinicalAdmin):
    list_display = ("key", "short_name", "kind", "year", "region", "superseded", "status")
    list_filter = ("kind", "region", "superseded", "status")
    search_fields = ("key", "short_name", "title", "authors", "doi", "pmid")

    def get_deleted_objects(self, objs, request):
        """Refuse to delete a source that anything cites: the citation links would vanish silently."""
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        for model in apps.get_app_config("treatments").get_models():
            if any(f.name == "sources" and f.many_to_many for f in model._meta.get_fields()):
                for record in model.objects.filter(sources__in=objs).distinct():
                    protected.append(f"{model._meta.verbose_name.capitalize()}: {record} (cites this source)")
        return to_delete, model_count, perms_needed, protected


@admin.register(m.PatientFactor)
class PatientFactorAdmin(ClinicalAdmin):
    list_display = ("name", "slug", "display_order", "status")
    search_fields = ("name", "slug")


class SpanishStateFilter(admin.SimpleListFilter):
    title = "Spanish"
    parameter_name = "spanish"

    def lookups(self, request, model_admin):
        return [("stale", "Out of date (English changed)"), ("missing", "Not translated"), ("current", "Up to date")]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.filter(pk__in=[o.pk for o in queryset if o.spanish_state == self.value()])


SPANISH_STATES = {
    "current": "Up to date",
    "stale": "Out of date: the English changed after the review, so the English is shown",
    "partial": "Partly translated",
    "missing": "Not translated",
}


class SpanishAdmin(TranslationAdmin):
    """Spanish patient text (django-modeltranslation tabs) with its review: the state in the list and on the
    page, a filter for texts whose English changed, and an action for reviewers to mark the Spanish reviewed."""

    @admin.display(description="Spanish")
    def spanish(self, obj):
        return SPANISH_STATES[obj.spanish_state]

    def get_list_display(self, request):
        return (*super().get_list_display(request), "spanish")

    def get_list_filter(self, request):
        return (*super().get_list_filter(request), SpanishStateFilter)

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), "spanish", "spanish_reviewed")

    def get_exclude(self, request, obj=None):
        return (*(super().get_exclude(request, obj) or ()), "spanish_source")

    actions = ["publish_selected", "retire_selected", "mark_spanish_reviewed"]

    @admin.action(description="Mark the Spanish as reviewed against the current English", permissions=["publish"])
    def mark_spanish_reviewed(self, request, queryset):
        today = timezone.localdate()
        done, refused = 0, []
        for obj in queryset:
            problems = list(patient_text_problems(obj).values())
            if problems:
                refused.append(f"{obj}: {' '.join(problems)}")
                continue
            obj.mark_spanish_reviewed(today)
            obj._change_reason = "Spanish reviewed against the English."
            obj.save()
            done += 1
        if done:
            self.message_user(request, f"Spanish marked reviewed on {done} record(s).", messages.SUCCESS)
        for message in refused:
            self.message_user(request, f"Not marked: {message}", messages.ERROR)


@admin.register(m.Condition)
class ConditionAdmin(SpanishAdmin, ClinicalAdmin):
    list_display = ("name", "category", "pain_mechanism", "codes", "status", "last_reviewed", "next_review_due")
    list_filter = ("category", "pain_mechanism", "status")
    search_fields = ("name", "slug", "synonyms", "icd10_codes")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("sources",)
    inlines = [RecommendationInline, ProcedureIndicationInline, WorkupItemInline]

    @admin.display(description="ICD-10-CM")
    def codes(self, obj):
        return ", ".join(obj.icd10_codes)


@admin.register(m.DrugClass)
class DrugClassAdmin(ClinicalAdmin):
    list_display = ("name", "abbreviation", "site_of_action", "status", "next_review_due")
    list_filter = ("site_of_action", "status")
    search_fields = ("name", "slug", "abbreviation")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("sources",)
    inlines = [ClassCautionInline]


@admin.register(m.Drug)
class DrugAdmin(SpanishAdmin, ClinicalAdmin):
    list_display = ("generic_name", "drug_class", "atc_code", "brands", "status", "last_reviewed", "next_review_due")
    list_filter = ("drug_class", "status")
    list_select_related = ("drug_class",)
    search_fields = ("generic_name", "slug", "brand_names", "atc_code")
    prepopulated_fields = {"slug": ("generic_name",)}
    autocomplete_fields = ("drug_class", "sources")
    inlines = [
        DoseGuidanceInline,
        RenalDoseBandInline,
        DoseAdjustmentInline,
        MonitoringItemInline,
        DrugCautionInline,
        ControlledScheduleInline,
        RegulatoryApprovalInline,
    ]

    @admin.display(description="Brands")
    def brands(self, obj):
        return ", ".join(obj.brand_names)

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if issubclass(inline.formset, DrugDetailFormSet):
            # One dict per request, so the dose and renal-band formsets can check each other.
            kwargs["siblings"] = request.__dict__.setdefault("_drug_detail_formsets", {})
        return kwargs


@admin.register(m.Procedure)
class ProcedureAdmin(SpanishAdmin, ClinicalAdmin):
    list_display = ("name", "category", "invasiveness", "route", "status", "next_review_due")
    list_filter = ("category", "invasiveness", "status")
    search_fields = ("name", "slug", "synonyms")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("sources",)


@admin.register(m.Diagnostic)
class DiagnosticAdmin(SpanishAdmin, ClinicalAdmin):
    list_display = ("name", "category", "loinc_code", "status", "next_review_due")
    list_filter = ("category", "status")
    search_fields = ("name", "slug", "synonyms", "loinc_code")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("sources",)


@admin.register(m.Recommendation)
class RecommendationAdmin(ClinicalAdmin):
    list_display = ("condition", "target", "guideline", "line", "strength", "quality", "nnt", "status")
    list_filter = ("line", "strength", "quality", "drug_class", "guideline", "status")
    list_select_related = ("condition", "guideline", "drug", "drug_class")
    search_fields = ("condition__name", "drug__generic_name", "drug_class__name", "guideline__short_name")
    autocomplete_fields = ("condition", "drug_class", "drug", "guideline", "sources")


@admin.register(m.ProcedureIndication)
class ProcedureIndicationAdmin(ClinicalAdmin):
    list_display = ("procedure", "condition", "role", "status")
    list_filter = ("role", "status")
    list_select_related = ("procedure", "condition")
    search_fields = ("procedure__name", "condition__name")
    autocomplete_fields = ("condition", "procedure", "sources")


@admin.register(m.WorkupItem)
class WorkupItemAdmin(ClinicalAdmin):
    list_display = ("diagnostic", "condition", "priority", "status")
    list_filter = ("priority", "status")
    list_select_related = ("diagnostic", "condition")
    search_fields = ("diagnostic__name", "condition__name")
    autocomplete_fields = ("condition", "diagnostic", "sources")


@admin.register(m.Caution)
class CautionAdmin(ClinicalAdmin):
    list_display = ("key", "target", "applies_when", "level", "region", "status")
    list_filter = ("level", "gene", "dialysis", "factor", "drug_class", "status")
    list_select_related = ("factor", "drug", "drug_class")
    search_fields = ("key", "drug__generic_name", "drug_class__name", "factor__name", "text")
    autocomplete_fields = ("factor", "drug", "drug_class", "sources")


@admin.register(m.Interaction)
class InteractionAdmin(ClinicalAdmin):
    list_display = ("key", "side_a", "side_b", "severity", "older_adult_only", "status")
    list_filter = ("severity", "older_adult_only", "status")
    list_select_related = ("drug_a", "class_a", "drug_b", "class_b")
    search_fields = ("key", "drug_a__generic_name", "drug_b__generic_name", "class_a__name", "class_b__name")
    autocomplete_fields = ("drug_a", "class_a", "drug_b", "class_b", "overrides", "sources")


class MedicinePropertyInline(ClinicalInline):
    model = m.MedicineProperty
    fields = ("property", "level", "score", "applies_when", "note", "sources", "status")
    autocomplete_fields = ("sources",)


@admin.register(m.Medicine)
class MedicineAdmin(ClinicalAdmin):
    list_display = ("name", "slug", "rxcui", "atc_code", "drug", "drug_class", "us_rank", "profiled", "status")
    list_filter = ("profiled", "drug_class", "status")
    list_select_related = ("drug", "drug_class")
    search_fields = ("name", "slug", "other_names", "brand_names_us", "brand_names_uk", "rxcui", "atc_code")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("drug", "drug_class", "ingredients", "sources")
    inlines = [MedicinePropertyInline]


@admin.register(m.MedicineProperty)
class MedicinePropertyAdmin(ClinicalAdmin):
    list_display = ("medicine", "property", "level", "score", "applies_when", "status")
    list_filter = ("property", "level", "status")
    list_select_related = ("medicine",)
    search_fields = ("medicine__name", "property", "note")
    autocomplete_fields = ("medicine", "sources")


@admin.register(m.MechanismRule)
class MechanismRuleAdmin(ClinicalAdmin):
    list_display = ("key", "name", "severity", "older_adult_only", "status")
    list_filter = ("severity", "older_adult_only", "status")
    search_fields = ("key", "name", "effect")
    autocomplete_fields = ("sources",)


@admin.register(m.DoseGuidance)
class DoseGuidanceAdmin(ClinicalAdmin):
    form = DoseGuidanceForm
    list_display = ("drug", "context", "region", "max_daily_dose", "unit", "is_default", "status")
    list_filter = ("region", "is_default", "drug__drug_class", "status")
    list_select_related = ("drug",)
    search_fields = ("drug__generic_name", "context")
    autocomplete_fields = ("drug", "sources")
    inlines = [TitrationStepInline]


@admin.register(m.MonitoringItem)
class MonitoringItemAdmin(ClinicalAdmin):
    list_display = ("key", "drug", "text", "status")
    list_filter = ("status",)
    list_select_related = ("drug",)
    search_fields = ("key", "drug__generic_name", "text")
    autocomplete_fields = ("drug", "sources")


@admin.register(m.TitrationStep)
class TitrationStepAdmin(SimpleHistoryAdmin):
    """Steps are edited with their dose row (its page has them inline); this list finds them across drugs."""

    list_display = ("dose", "crcl_min", "after_days", "daily_dose", "times_a_day", "text")
    list_filter = ("dose__drug",)
    list_select_related = ("dose__drug",)
    search_fields = ("dose__drug__generic_name", "text")
    form = TitrationStepForm
    autocomplete_fields = ("dose",)

    def get_fields(self, request, obj=None):
        return ("dose", *TitrationStepForm.Meta.fields)


@admin.register(m.DoseAdjustment)
class DoseAdjustmentAdmin(ClinicalAdmin):
    list_display = ("key", "drug", "region", "age_min", "starting_dose", "max_daily_dose", "unit", "status")
    list_filter = ("region", "status")
    list_select_related = ("drug",)
    search_fields = ("key", "drug__generic_name", "text")
    autocomplete_fields = ("drug", "condition", "sources")


@admin.register(m.RenalDoseBand)
class RenalDoseBandAdmin(ClinicalAdmin):
    form = RenalDoseBandForm
    list_display = ("drug", "region", "crcl_min", "crcl_max", "max_daily_dose", "avoid", "status")
    list_filter = ("region", "avoid", "drug__drug_class", "status")
    list_select_related = ("drug",)
    search_fields = ("drug__generic_name",)
    autocomplete_fields = ("drug", "sources")


@admin.register(m.ControlledSchedule)
class ControlledScheduleAdmin(ClinicalAdmin):
    list_display = ("drug", "region", "schedule", "status")
    list_filter = ("region", "status")
    list_select_related = ("drug",)
    search_fields = ("drug__generic_name", "schedule")
    autocomplete_fields = ("drug", "sources")


@admin.register(m.RegulatoryApproval)
class RegulatoryApprovalAdmin(ClinicalAdmin):
    list_display = ("drug", "region", "indication", "year", "status")
    list_filter = ("region", "status")
    list_select_related = ("drug", "condition")
    search_fields = ("drug__generic_name", "indication", "product")
    autocomplete_fields = ("drug", "condition", "sources")


# --- the problem-report queue -------------------------------------------------------------------


@admin.register(m.ProblemReport)
class ProblemReportAdmin(admin.ModelAdmin):
    """Reports sent from the public pages. Editors triage them; the reporter's text is kept as sent."""

    list_display = ("created", "record_type", "record_key", "record_links", "summary", "status")
    list_display_links = ("created",)
    list_editable = ("status",)
    list_filter = ("status", "record_type")
    search_fields = ("record_key", "text")
    fields = ("status", "editor_note", "record_type", "record_key", "record_links", "link", "text", "email", "created")
    readonly_fields = ("record_links", "created")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        return (*self.readonly_fields, "record_type", "record_key", "link", "text", "email")

    @admin.display(description="What is wrong")
    def summary(self, obj):
        return obj.text if len(obj.text) <= 80 else obj.text[:79] + "…"

    @admin.display(description="Record")
    def record_links(self, obj):
        if not obj.record_type:
            return "—"
        model, key_field = REPORTABLE[obj.record_type]
        edit = reverse(f"admin:treatments_{model._meta.model_name}_changelist") + f"?{key_field}={obj.record_key}"
        return format_html('<a href="{}">public page</a> · <a href="{}">edit record</a>', obj.link, edit)
