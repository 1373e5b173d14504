"""FilterSets for the API's lists, and a filter backend that rejects parameters it does not know.

The explorer's patient and option filters are a plain form (``treatments.forms.ExplorerForm``: it filters
no queryset); the explore endpoint binds it exactly as the HTML page does (``forms.bind_explorer``).
"""

import django_filters
from django.core.validators import RegexValidator
from django.db.models import Q
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

from .. import models as m
from ..validation import normalise_icd10

# Parameters every endpoint understands besides its filters.
COMMON_PARAMETERS = {"format", "page"}

ICD10 = RegexValidator(r"^[A-Za-z][0-9][0-9A-Za-z](\.?[0-9A-Za-z]{0,4})$", "Enter an ICD-10-CM code, e.g. E11.42.")
ATC = RegexValidator(r"^[A-Za-z][0-9A-Za-z]{0,6}$", "Enter an ATC code or its start, e.g. N03AX.")


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter's backend, plus a 400 for any query parameter the endpoint does not know."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        known = set(filterset_class.base_filters) if filterset_class else set()
        unknown = sorted(set(request.query_params) - known - COMMON_PARAMETERS)
        if unknown:
            raise ValidationError({name: ["Unknown parameter."] for name in unknown})
        return super().filter_queryset(request, queryset, view)


class ConditionFilterSet(django_filters.FilterSet):
    search = django_filters.CharFilter(
        method="by_search", max_length=100, help_text="Part of the name or a synonym, case-insensitive."
    )
    icd10 = django_filters.CharFilter(
        method="by_icd10",
        max_length=8,
        validators=[ICD10],
        help_text="An ICD-10-CM code or its start, with or without the dot (E11.42, E1142, E11).",
    )
    category = django_filters.ChoiceFilter(choices=m.ConditionCategory.choices)

    class Meta:
        model = m.Condition
        fields = ["search", "icd10", "category"]

    def by_search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(synonyms__icontains=value))

    def by_icd10(self, queryset, name, value):
        # Codes are stored as a JSON list of strings: match a code that starts with the given one.
        return queryset.filter(icd10_codes__icontains=f'"{normalise_icd10(value)}')


class DrugFilterSet(django_filters.FilterSet):
    search = django_filters.CharFilter(
        method="by_search", max_length=100, help_text="Part of the generic or a brand name, case-insensitive."
    )
    atc = django_filters.CharFilter(
        field_name="atc_code",
        lookup_expr="istartswith",
        max_length=7,
        validators=[ATC],
        help_text="An ATC code or its start, e.g. N03AX.",
    )
    drug_class = django_filters.ModelChoiceFilter(
        queryset=m.DrugClass.objects.published(), to_field_name="slug", help_text="A drug class slug."
    )

    class Meta:
        model = m.Drug
        fields = ["search", "atc", "drug_class"]

    def by_search(self, queryset, name, value):
        return queryset.filter(Q(generic_name__icontains=value) | Q(brand_names__icontains=value))


class MedicineFilterSet(django_filters.FilterSet):
    search = django_filters.CharFilter(
        method="by_search", max_length=100, help_text="Part of a generic, other or brand name, case-insensitive."
    )
    property = django_filters.ChoiceFilter(
        choices=m.Property.choices, method="by_property", help_text="Medicines with this mechanism property."
    )

    class Meta:
        model = m.Medicine
        fields = ["search", "property"]

    def by_search(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value)
            | Q(other_names__icontains=value)
            | Q(brand_names_us__icontains=value)
            | Q(brand_names_uk__icontains=value)
        )

    def by_property(self, queryset, name, value):
        return queryset.filter(properties__property=value, properties__status=m.ReviewStatus.PUBLISHED).distinct()
