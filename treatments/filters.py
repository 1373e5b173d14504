"""FilterSets: parse and validate the query string.

The explorer's whole state lives in the URL. ``ExplorerFilterSet`` validates it (a bad value is a
form error next to its field, never silently ignored) and ``criteria_from`` turns the cleaned data
into an ``explorer.Criteria``. The explorer narrows options in Python after matching, so facet
counts come from the same single pass; the FilterSet never runs a query of its own except to list
the patient factors and to look up the medicines entered.

Medicines are entered by generic name, brand name or slug (``DrugNamesField``), not picked from a list of every
drug: one lookup resolves all the names in a form, so a page costs the same however many drugs the
knowledge base holds.
"""

import django_filters
from django import forms
from django.db.models import Q
from django.db.models.functions import Lower

from . import explorer, plan
from . import models as m

MAX_CURRENT_MEDICATIONS = 20
MAX_NAME_LENGTH = 80
AGE_MIN, AGE_MAX = 18, 120  # adult guidance only
CRCL_MIN, CRCL_MAX = 0, 200


class MultiValueField(forms.MultipleChoiceField):
    """Accepts repeated parameters (?f=a&f=b, as an HTML form sends) and comma lists (?f=a,b)."""

    def to_python(self, value):
        values = super().to_python(value)
        return [part.strip() for item in values for part in item.split(",") if part.strip()]


class MultiValueFilter(django_filters.MultipleChoiceFilter):
    field_class = MultiValueField


class DrugNamesField(forms.Field):
    """Medicines by generic name, brand name or slug, repeated (?current=a&current=b) or comma-separated. Empty
    entries (an empty "add a medicine" box) are dropped. The names are checked against the knowledge
    base by the form (``DrugNamesFormMixin``), all fields at once."""

    widget = forms.MultipleHiddenInput

    def __init__(self, *, max_items=MAX_CURRENT_MEDICATIONS, **kwargs):
        self.max_items = max_items
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        names = list(dict.fromkeys(part.strip() for item in value for part in str(item).split(",") if part.strip()))
        for name in names:
            if any(ord(char) < 32 or ord(char) == 127 for char in name):  # e.g. NUL, which PostgreSQL refuses
                raise forms.ValidationError("A name cannot contain control characters.")
            if len(name) > MAX_NAME_LENGTH:
                raise forms.ValidationError(f"A name has at most {MAX_NAME_LENGTH} characters.")
        if len(names) > self.max_items:
            raise forms.ValidationError(f"Enter at most {self.max_items} names.")
        return names


class DrugNamesFilter(django_filters.Filter):
    field_class = DrugNamesField


class DrugNamesFormMixin:
    """Resolves the form's medicine fields (``drug_fields``) in one lookup (``drug_lookup``: names ->
    ``explorer.NameLookup``). After cleaning: the fields hold slugs; ``self.found`` is the lookup;
    ``self.chosen[field]`` lists (slug, name) for the page and ``self.unknown[field]`` the names no
    published drug has (also a field error)."""

    drug_lookup = None
    chosen = unknown = {}  # until cleaned

    def clean(self):
        cleaned = super().clean()
        self.chosen, self.unknown = {}, {}
        names = {name: cleaned.get(name) or [] for name in self.drug_fields()}
        self.found = self.drug_lookup([value for values in names.values() for value in values])
        for name, values in names.items():
            if name not in cleaned:
                continue  # already invalid
            slugs, unknown = self.found.resolve(values)
            cleaned[name] = slugs
            self.chosen[name] = [(slug, self.found.items[slug].name) for slug in slugs]
            self.unknown[name] = ", ".join(unknown)
            if unknown:
                self.add_error(
                    name,
                    "No published medicine is called " + _quoted(unknown) + ". "
                    "Enter a generic or brand name, for example pregabalin or Lyrica.",
                )
        return cleaned

    def drug_fields(self):
        return {name: f for name, f in self.fields.items() if isinstance(f, DrugNamesField)}


def _quoted(names):
    return ", ".join(f"“{name}”" for name in names)


class ExplorerForm(DrugNamesFormMixin, forms.Form):
    pass


class IntegerFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class CheckboxFilter(django_filters.Filter):
    field_class = forms.BooleanField


YES_NO = [("yes", "Controlled drugs only"), ("no", "Not controlled")]
STRENGTH_CHOICES = [
    (m.Strength.LEVEL_C, "At least Level C or equivalent"),
    (m.Strength.WEAK_FOR, "At least weak / Level B"),
    (m.Strength.STRONG_FOR, "Strong / Level A only"),
]
QUALITY_CHOICES = [
    (m.Quality.LOW, "At least low"),
    (m.Quality.MODERATE, "At least moderate"),
    (m.Quality.HIGH, "High only"),
]
SITE_CHOICES = [(m.SiteOfAction.PERIPHERAL, "Peripheral"), (m.SiteOfAction.CENTRAL, "Central")]
ROUTE_CHOICES = [
    (m.Route.ORAL, "Oral"),
    (m.Route.TOPICAL, "Topical"),
    (m.Route.INJECTION, "Injection or infusion"),
    (m.Route.INTRATHECAL, "Intrathecal"),
    (m.Route.DEVICE, "Device"),
    (m.Route.OROMUCOSAL, "Oromucosal spray"),
    (m.Route.SURGERY, "Surgery"),
    (m.Route.NON_DRUG, "Non-drug therapy"),
]


class ExplorerFilterSet(django_filters.FilterSet):
    # Patient inputs
    age = IntegerFilter(label="Age (years)", min_value=AGE_MIN, max_value=AGE_MAX, method="by_criteria")
    crcl = IntegerFilter(
        label="Creatinine clearance (mL/min)",
        min_value=CRCL_MIN,
        max_value=CRCL_MAX,
        method="by_criteria",
        help_text="Cockcroft–Gault estimate.",
    )
    factors = MultiValueFilter(label="Patient factors", method="by_criteria", widget=forms.CheckboxSelectMultiple)
    current = DrugNamesFilter(label="Current medicines", method="by_criteria")
    plan = DrugNamesFilter(label="Drugs in your plan", method="by_criteria")
    # Option filters
    kind = MultiValueFilter(
        label="Kind",
        choices=list(explorer.KIND_LABELS.items()),
        method="by_criteria",
        widget=forms.CheckboxSelectMultiple,
    )
    line = MultiValueFilter(
        label="Line of therapy", choices=m.Line.choices, method="by_criteria", widget=forms.CheckboxSelectMultiple
    )
    min_strength = django_filters.ChoiceFilter(
        label="Strength of recommendation", choices=STRENGTH_CHOICES, method="by_criteria", empty_label="Any"
    )
    min_quality = django_filters.ChoiceFilter(
        label="Quality of evidence", choices=QUALITY_CHOICES, method="by_criteria", empty_label="Any"
    )
    guideline = django_filters.ChoiceFilter(label="Guideline", method="by_criteria", empty_label="All side by side")
    route = MultiValueFilter(
        label="Route", choices=ROUTE_CHOICES, method="by_criteria", widget=forms.CheckboxSelectMultiple
    )
    site = MultiValueFilter(
        label="Site of action", choices=SITE_CHOICES, method="by_criteria", widget=forms.CheckboxSelectMultiple
    )
    drug_class = MultiValueFilter(label="Drug class", method="by_criteria")
    approved_in = django_filters.ChoiceFilter(
        label="Approved for this condition in",
        choices=m.Region.choices[:2],
        method="by_criteria",
        empty_label="Any region",
    )
    controlled = django_filters.ChoiceFilter(
        label="Controlled substance", choices=YES_NO, method="by_criteria", empty_label="Either"
    )
    hide_contraindicated = CheckboxFilter(label="Hide contraindicated options", method="by_criteria", required=False)

    class Meta:
        model = m.Recommendation
        fields = []
        form = ExplorerForm

    def __init__(self, data=None, *args, drug_lookup, classes=(), guidelines=(), **kwargs):
        super().__init__(data, *args, **kwargs)
        self.filters["factors"].extra["choices"] = [
            (f.slug, f.name) for f in m.PatientFactor.objects.published().only("slug", "name")
        ] or [(slug, slug) for slug in m.PatientFactor.SLUGS]
        self.filters["drug_class"].extra["choices"] = list(classes)
        self.filters["guideline"].extra["choices"] = list(guidelines)
        self.form.drug_lookup = drug_lookup

    def by_criteria(self, queryset, name, value):
        """Option narrowing happens in the explorer after matching; see the module docstring."""
        return queryset


def criteria_from(cleaned):
    current = tuple(dict.fromkeys(cleaned.get("current") or []))[:MAX_CURRENT_MEDICATIONS]
    controlled = cleaned.get("controlled")
    return explorer.Criteria(
        age=cleaned.get("age"),
        crcl=cleaned.get("crcl"),
        factors=frozenset(cleaned.get("factors") or ()),
        current=current,
        kinds=frozenset(cleaned.get("kind") or ()),
        lines=frozenset(cleaned.get("line") or ()),
        min_strength=cleaned.get("min_strength") or "",
        min_quality=cleaned.get("min_quality") or "",
        guideline=cleaned.get("guideline") or "",
        routes=frozenset(cleaned.get("route") or ()),
        sites=frozenset(cleaned.get("site") or ()),
        drug_classes=frozenset(cleaned.get("drug_class") or ()),
        approved_in=cleaned.get("approved_in") or "",
        controlled=None if not controlled else controlled == "yes",
        hide_contraindicated=bool(cleaned.get("hide_contraindicated")),
    )


class PlanForm(DrugNamesFormMixin, forms.Form):
    """The plan's URL state: chosen drugs and procedures plus the same patient inputs as the explorer."""

    drugs = DrugNamesField(label="Drugs in the plan")
    procedures = DrugNamesField(label="Procedures in the plan")
    condition = forms.CharField(label="Condition (optional)", required=False, max_length=MAX_NAME_LENGTH)
    age = forms.IntegerField(label="Age (years)", min_value=AGE_MIN, max_value=AGE_MAX, required=False)
    crcl = forms.IntegerField(
        label="Creatinine clearance (mL/min)", min_value=CRCL_MIN, max_value=CRCL_MAX, required=False
    )
    factors = MultiValueField(label="Patient factors", required=False, widget=forms.CheckboxSelectMultiple)
    current = DrugNamesField(label="Current medicines")

    def __init__(self, data=None, *, drug_lookup, procedure_lookup, factors=()):
        super().__init__(data)
        self.drug_lookup = drug_lookup
        self.procedure_lookup = procedure_lookup
        self.fields["factors"].choices = list(factors)
        self.condition = None

    def drug_fields(self):
        return {name: f for name, f in self.fields.items() if isinstance(f, DrugNamesField) and name != "procedures"}

    def clean_condition(self):
        """A condition by slug or name (any case); the form keeps the record for the summary."""
        text = self.cleaned_data["condition"].strip()
        if not text:
            return ""
        self.condition = (
            m.Condition.objects.published()
            .annotate(lower_name=Lower("name"))
            .filter(Q(slug=text.lower()) | Q(lower_name=text.lower()))
            .only("slug", "name", "patient_description")
            .first()
        )
        if self.condition is None:
            raise forms.ValidationError(f"No published condition is called “{text}”.")
        return self.condition.slug

    def clean(self):
        cleaned = super().clean()
        if "procedures" in cleaned:
            names = cleaned["procedures"]
            found = self.procedure_lookup(names)
            slugs, unknown = found.resolve(names)
            cleaned["procedures"] = slugs
            self.chosen["procedures"] = [(slug, found.items[slug].name) for slug in slugs]
            self.unknown["procedures"] = ", ".join(unknown)
            if unknown:
                self.add_error("procedures", "No published procedure is called " + _quoted(unknown) + ".")
        chosen = list(dict.fromkeys(cleaned.get("drugs") or [])) + list(dict.fromkeys(cleaned.get("procedures") or []))
        if len(chosen) > plan.MAX_ITEMS:
            raise forms.ValidationError(f"A plan can hold at most {plan.MAX_ITEMS} items.")
        return cleaned

    def plan_criteria(self):
        c = self.cleaned_data
        return plan.PlanCriteria(
            drugs=tuple(dict.fromkeys(c.get("drugs") or [])),
            procedures=tuple(dict.fromkeys(c.get("procedures") or [])),
            age=c.get("age"),
            crcl=c.get("crcl"),
            factors=frozenset(c.get("factors") or ()),
            current=tuple(dict.fromkeys(c.get("current") or []))[:MAX_CURRENT_MEDICATIONS],
        )
