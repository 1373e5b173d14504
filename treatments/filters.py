"""FilterSets: parse and validate the query string.

The explorer's whole state lives in the URL. ``ExplorerFilterSet`` validates it (a bad value is a
form error next to its field, never silently ignored) and ``criteria_from`` turns the cleaned data
into an ``explorer.Criteria``. The explorer narrows options in Python after matching, so facet
counts come from the same single pass; the FilterSet never runs a query of its own except to list
the valid choices.
"""

import django_filters
from django import forms

from . import explorer, plan
from . import models as m

MAX_CURRENT_MEDICATIONS = 20
AGE_MIN, AGE_MAX = 18, 120  # adult guidance only
CRCL_MIN, CRCL_MAX = 0, 200


class MultiValueField(forms.MultipleChoiceField):
    """Accepts repeated parameters (?f=a&f=b, as an HTML form sends) and comma lists (?f=a,b)."""

    def to_python(self, value):
        values = super().to_python(value)
        return [part.strip() for item in values for part in item.split(",") if part.strip()]


class MultiValueFilter(django_filters.MultipleChoiceFilter):
    field_class = MultiValueField


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
    current = MultiValueFilter(label="Current medicines", method="by_criteria")
    plan = MultiValueFilter(label="Drugs in your plan", method="by_criteria")
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

    def __init__(self, data=None, *args, drugs=None, classes=None, guidelines=None, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.filters["factors"].extra["choices"] = [
            (f.slug, f.name) for f in m.PatientFactor.objects.published().only("slug", "name")
        ] or [(slug, slug) for slug in m.PatientFactor.SLUGS]
        # Callables: Django copies a form's choice lists for every request, and these grow with the
        # knowledge base; a callable is only read when a value is validated or the field is rendered.
        self.filters["current"].extra["choices"] = lambda: drugs or []
        self.filters["plan"].extra["choices"] = lambda: drugs or []
        self.filters["drug_class"].extra["choices"] = lambda: classes or []
        self.filters["guideline"].extra["choices"] = guidelines or []

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


class PlanForm(forms.Form):
    """The plan's URL state: chosen drugs and procedures plus the same patient inputs as the explorer."""

    drugs = MultiValueField(label="Drugs in the plan", required=False)
    procedures = MultiValueField(label="Procedures in the plan", required=False)
    condition = forms.ChoiceField(label="Condition", required=False)
    age = forms.IntegerField(label="Age (years)", min_value=AGE_MIN, max_value=AGE_MAX, required=False)
    crcl = forms.IntegerField(
        label="Creatinine clearance (mL/min)", min_value=CRCL_MIN, max_value=CRCL_MAX, required=False
    )
    factors = MultiValueField(label="Patient factors", required=False, widget=forms.CheckboxSelectMultiple)
    current = MultiValueField(label="Current medicines", required=False)

    def __init__(self, data=None, *, drugs=(), procedures=(), conditions=(), factors=()):
        super().__init__(data)
        self.fields["drugs"].choices = list(drugs)
        self.fields["current"].choices = list(drugs)
        self.fields["procedures"].choices = list(procedures)
        self.fields["condition"].choices = [("", "—"), *conditions]
        self.fields["factors"].choices = list(factors)

    def clean(self):
        cleaned = super().clean()
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
