from django.contrib import admin
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from . import models as m

REVIEW_FIELDS = ("status", "last_reviewed", "next_review_due")


class ClinicalAdmin(SimpleHistoryAdmin):
    """Shared admin behaviour: review fields, status filter, a link to the public page."""

    list_filter = ("status",)
    readonly_fields = ("public_link",)

    @admin.display(description="Public page")
    def public_link(self, obj):
        if obj.pk and hasattr(obj, "get_absolute_url"):
            return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), obj.get_absolute_url())
        return "—"


class ClinicalInline(admin.TabularInline):
    extra = 0
    show_change_link = True


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


class DoseGuidanceInline(admin.StackedInline):
    model = m.DoseGuidance
    extra = 0
    autocomplete_fields = ("sources",)
    fields = (
        ("region", "context", "route", "is_default"),
        ("starting_dose", "usual_target_low", "usual_target_high", "max_daily_dose", "unit"),
        "frequency",
        "titration",
        "sources",
        REVIEW_FIELDS,
    )


class RenalDoseBandInline(ClinicalInline):
    model = m.RenalDoseBand
    fields = (
        "region",
        "crcl_min",
        "crcl_max",
        "max_daily_dose",
        "unit",
        "dosing_interval",
        "avoid",
        "sources",
        "status",
    )
    autocomplete_fields = ("sources",)


class ControlledScheduleInline(ClinicalInline):
    model = m.ControlledSchedule
    fields = ("region", "schedule", "note", "sources", "status")
    autocomplete_fields = ("sources",)


class RegulatoryApprovalInline(ClinicalInline):
    model = m.RegulatoryApproval
    fields = ("region", "indication", "condition", "product", "year", "sources", "status")
    autocomplete_fields = ("condition", "sources")


class DrugCautionInline(ClinicalInline):
    model = m.Caution
    fk_name = "drug"
    fields = ("factor", "level", "text", "region", "sources", "status")
    autocomplete_fields = ("factor", "sources")


class ClassCautionInline(DrugCautionInline):
    fk_name = "drug_class"


@admin.register(m.Source)
class SourceAdmin(ClinicalAdmin):
    list_display = ("key", "short_name", "kind", "year", "region", "status")
    list_filter = ("kind", "region", "status")
    search_fields = ("key", "short_name", "title", "authors", "doi", "pmid")


@admin.register(m.PatientFactor)
class PatientFactorAdmin(ClinicalAdmin):
    list_display = ("name", "slug", "display_order", "status")
    search_fields = ("name", "slug")


@admin.register(m.Condition)
class ConditionAdmin(ClinicalAdmin):
    list_display = ("name", "category", "pain_mechanism", "codes", "status", "last_reviewed")
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
    list_display = ("name", "abbreviation", "site_of_action", "status")
    list_filter = ("site_of_action", "status")
    search_fields = ("name", "slug", "abbreviation")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("sources",)
    inlines = [ClassCautionInline]


@admin.register(m.Drug)
class DrugAdmin(ClinicalAdmin):
    list_display = ("generic_name", "drug_class", "atc_code", "brands", "status", "last_reviewed")
    list_filter = ("drug_class", "status", "cns_active", "serotonergic")
    list_select_related = ("drug_class",)
    search_fields = ("generic_name", "slug", "brand_names", "atc_code")
    prepopulated_fields = {"slug": ("generic_name",)}
    autocomplete_fields = ("drug_class", "sources")
    inlines = [
        DoseGuidanceInline,
        RenalDoseBandInline,
        DrugCautionInline,
        ControlledScheduleInline,
        RegulatoryApprovalInline,
    ]

    @admin.display(description="Brands")
    def brands(self, obj):
        return ", ".join(obj.brand_names)


@admin.register(m.Procedure)
class ProcedureAdmin(ClinicalAdmin):
    list_display = ("name", "category", "invasiveness", "route", "status")
    list_filter = ("category", "invasiveness", "status")
    search_fields = ("name", "slug", "synonyms")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("sources",)


@admin.register(m.Diagnostic)
class DiagnosticAdmin(ClinicalAdmin):
    list_display = ("name", "category", "loinc_code", "status")
    list_filter = ("category", "status")
    search_fields = ("name", "slug", "synonyms", "loinc_code")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("sources",)


@admin.register(m.Recommendation)
class RecommendationAdmin(ClinicalAdmin):
    list_display = ("condition", "target", "guideline", "line", "strength", "quality", "nnt", "status")
    list_filter = ("line", "strength", "quality", "guideline", "status")
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
    list_display = ("target", "factor", "level", "region", "status")
    list_filter = ("level", "factor", "status")
    list_select_related = ("factor", "drug", "drug_class")
    search_fields = ("drug__generic_name", "drug_class__name", "factor__name", "text")
    autocomplete_fields = ("factor", "drug", "drug_class", "sources")


@admin.register(m.Interaction)
class InteractionAdmin(ClinicalAdmin):
    list_display = ("key", "side_a", "side_b", "severity", "older_adult_only", "status")
    list_filter = ("severity", "older_adult_only", "status")
    list_select_related = ("drug_a", "class_a", "drug_b", "class_b")
    search_fields = ("key", "drug_a__generic_name", "drug_b__generic_name", "class_a__name", "class_b__name")
    autocomplete_fields = ("drug_a", "class_a", "drug_b", "class_b", "sources")


@admin.register(m.DoseGuidance)
class DoseGuidanceAdmin(ClinicalAdmin):
    list_display = ("drug", "context", "region", "max_daily_dose", "unit", "is_default", "status")
    list_filter = ("region", "is_default", "status")
    list_select_related = ("drug",)
    search_fields = ("drug__generic_name", "context")
    autocomplete_fields = ("drug", "sources")


@admin.register(m.RenalDoseBand)
class RenalDoseBandAdmin(ClinicalAdmin):
    list_display = ("drug", "region", "crcl_min", "crcl_max", "max_daily_dose", "avoid", "status")
    list_filter = ("region", "avoid", "status")
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
