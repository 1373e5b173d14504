"""Read-only API views: published records, and the explorer run exactly as the HTML page runs it.

Every response carries an ETag and Last-Modified taken from the knowledge base's version
(``treatments.cache.version()``: one primary-key lookup), so a conditional GET answers
304. Errors are JSON: 400 names the parameter and the problem, 404 for an unknown slug, 429 when an
anonymous client is throttled.
"""

import hashlib
import re
from datetime import UTC, datetime
from functools import wraps

from django import forms as django_forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.decorators import method_decorator
from django.views.decorators.http import condition
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import api_view
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from .. import cache as kb_cache
from .. import forms, handout, plan, spreadsheet
from .. import models as m
from . import serializers as s
from .filters import ConditionFilterSet, DrugFilterSet, MedicineFilterSet

SLUG = r"[-a-zA-Z0-9_]+"


# --- shared behaviour ------------------------------------------------------------------------------


def knowledge_base_version(request, *args, **kwargs):
    """``cache.version()`` ('<number>-<time of the last change>'), once per request."""
    return kb_cache.request_version(request)


def knowledge_base_changed(request, *args, **kwargs):
    """When the knowledge base last changed: the time part of the version, or None if never."""
    _count, _, latest = knowledge_base_version(request).partition("-")
    if not latest:
        return None
    changed = datetime.fromisoformat(latest)
    return changed if changed.tzinfo else changed.replace(tzinfo=UTC)  # SQLite stores UTC without an offset


def knowledge_base_etag(request, *args, **kwargs):
    """One ETag per knowledge-base version, URL (with its query), Accept header and API version."""
    parts = [
        knowledge_base_version(request),
        request.get_full_path(),
        request.headers.get("Accept", ""),
        settings.SPECTACULAR_SETTINGS["VERSION"],
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def conditional(view):
    """ETag / Last-Modified from the knowledge base; 304 for a matching conditional GET.
    Clients may keep responses but must revalidate; errors carry no validators."""
    view = condition(etag_func=knowledge_base_etag, last_modified_func=knowledge_base_changed)(view)

    @wraps(view)
    def inner(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code >= 400:
            del response["ETag"]
            del response["Last-Modified"]
        else:
            patch_cache_control(response, no_cache=True)
        patch_vary_headers(response, ["Accept"])
        return response

    return inner


def _published_sources(lookup="sources"):
    return Prefetch(lookup, queryset=m.Source.objects.published())


def _published(model, *related):
    return model.objects.published().select_related(*related).prefetch_related(_published_sources())


# --- records ------------------------------------------------------------------------------------------


@method_decorator(conditional, name="dispatch")
class ConditionViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = m.Condition.objects.published().prefetch_related(_published_sources())
    serializer_class = s.ConditionSerializer
    filterset_class = ConditionFilterSet
    lookup_field = "slug"
    lookup_value_regex = SLUG


@method_decorator(conditional, name="dispatch")
class DrugClassViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = m.DrugClass.objects.published().prefetch_related(
        _published_sources(), Prefetch("drugs", queryset=m.Drug.objects.published().only("slug", "drug_class"))
    )
    serializer_class = s.DrugClassSerializer
    lookup_field = "slug"
    lookup_value_regex = SLUG


# A drug's mechanisms (cns_active, serotonergic, ACB score) are published properties of its medicine.
DRUG_PROPERTIES = Prefetch("medicine__properties", queryset=m.MedicineProperty.objects.published())


@method_decorator(conditional, name="dispatch")
class DrugViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = m.Drug.objects.published().select_related("drug_class").prefetch_related(DRUG_PROPERTIES)
    serializer_class = s.DrugSerializer
    filterset_class = DrugFilterSet


@extend_schema(
    parameters=[OpenApiParameter("slug", {"type": "string", "pattern": f"^{SLUG}$"}, OpenApiParameter.PATH)],
    responses=s.DrugDetailSerializer,
)
@conditional
@api_view(["GET"])
def drug_detail(request, slug):
    """A drug with its dose guidance, renal dose bands, cautions (its own and its class's), approvals,
    controlled-drug schedules, interactions (with it or its class) and sources."""
    cautions = _published(m.Caution, "factor", "drug_class").order_by("factor__display_order")
    drug = get_object_or_404(
        m.Drug.objects.published()
        .select_related("drug_class")
        .prefetch_related(
            _published_sources(),
            Prefetch("doses", queryset=_published(m.DoseGuidance)),
            Prefetch("renal_bands", queryset=_published(m.RenalDoseBand).order_by("region", "-crcl_min")),
            Prefetch("cautions", queryset=cautions),
            Prefetch("drug_class__cautions", queryset=cautions),
            Prefetch("approvals", queryset=_published(m.RegulatoryApproval, "condition")),
            Prefetch("schedules", queryset=_published(m.ControlledSchedule)),
            DRUG_PROPERTIES,
        ),
        slug=slug,
    )
    interactions = _published(m.Interaction, "drug_a", "class_a", "drug_b", "class_b").filter(
        Q(drug_a=drug) | Q(drug_b=drug) | Q(class_a=drug.drug_class_id) | Q(class_b=drug.drug_class_id)
    )
    return Response(s.DrugDetailSerializer(drug, context={"interactions": interactions}).data)


@method_decorator(conditional, name="dispatch")
class ProcedureViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = m.Procedure.objects.published().prefetch_related(_published_sources())
    serializer_class = s.ProcedureSerializer
    lookup_field = "slug"
    lookup_value_regex = SLUG


@method_decorator(conditional, name="dispatch")
class DiagnosticViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = m.Diagnostic.objects.published().prefetch_related(_published_sources())
    serializer_class = s.DiagnosticSerializer
    lookup_field = "slug"
    lookup_value_regex = SLUG


@method_decorator(conditional, name="dispatch")
class SourceViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = m.Source.objects.published()
    serializer_class = s.SourceSerializer
    lookup_field = "key"
    lookup_value_regex = SLUG


@method_decorator(conditional, name="dispatch")
class MedicineViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The medicine vocabulary: every medicine a current-medicines box recognises, with its cited profile."""

    queryset = (
        m.Medicine.objects.published()
        .select_related("drug", "drug_class")
        .prefetch_related(
            Prefetch("ingredients", queryset=m.Medicine.objects.published().only("slug")),
            Prefetch(
                "properties",
                queryset=m.MedicineProperty.objects.published().prefetch_related(_published_sources()),
            ),
        )
        .order_by("name")
    )
    serializer_class = s.VocabularyMedicineSerializer
    filterset_class = MedicineFilterSet


@method_decorator(conditional, name="dispatch")
class PatientFactorViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = m.PatientFactor.objects.published()
    serializer_class = s.PatientFactorSerializer


# --- explore ----------------------------------------------------------------------------------------------


def reject_unknown(request, parameters):
    """A 400 for any query parameter the endpoint does not document (never silently ignored)."""
    allowed = {parameter.name for parameter in parameters} | {"format"}
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise ValidationError({name: ["Unknown parameter."] for name in unknown})


def _choices(name):
    return [value for value, _label in forms.ExplorerForm.base_fields[name].choices if value]


def _list_parameter(name, description, enum=None, *, names=False, required=False):
    """A comma-separated list; ``names``: medicine or procedure names (``forms.DrugNamesField``'s limits)."""
    items = {"type": "string", **({"enum": enum} if enum else {})}
    schema = {"type": "array", "items": items}
    if names:
        items["maxLength"] = forms.MAX_NAME_LENGTH
        schema["maxItems"] = forms.MAX_CURRENT_MEDICATIONS
    return OpenApiParameter(
        name, schema, explode=False, required=required, description=description + " Comma-separated."
    )


def _number_parameter(name, field, description):
    """The form field's type and range (a DecimalField is an IntegerField subclass: test it first)."""
    if isinstance(field, django_forms.DecimalField):
        schema = {"type": "number", "minimum": float(field.min_value), "maximum": float(field.max_value)}
        description += f" At most {field.decimal_places} decimal place{'s' if field.decimal_places > 1 else ''}."
    else:
        schema = {"type": "integer", "minimum": int(field.min_value), "maximum": int(field.max_value)}
    return OpenApiParameter(name, schema, description=description)


def _patient_parameters():
    """The patient's parameters (``forms.PatientForm``), documented from the form's own fields and ranges."""
    fields = forms.PatientForm.base_fields
    return [
        _number_parameter("age", fields["age"], "Age in years."),
        OpenApiParameter("sex", str, enum=_patient_choices("sex"), description="For the kidney equations."),
        _number_parameter("weight", fields["weight"], "Weight in kg (Cockcroft–Gault)."),
        _number_parameter("height", fields["height"], "Height in cm (the obesity weight rule)."),
        _number_parameter("scr", fields["scr"], "Serum creatinine in mg/dL (or scr_umol)."),
        _number_parameter("scr_umol", fields["scr_umol"], "Serum creatinine in µmol/L (or scr)."),
        _number_parameter("crcl", fields["crcl"], "Creatinine clearance in mL/min; overrides the estimate."),
        OpenApiParameter("dialysis", str, enum=_patient_choices("dialysis"), description="hd or pd."),
        OpenApiParameter("child_pugh", str, enum=_patient_choices("child_pugh"), description="a, b or c."),
        *(
            OpenApiParameter(
                name, str, enum=_patient_choices(name), description=f"{gene.label} result; absent: not tested."
            )
            for name, gene in forms.GENE_FIELDS.items()
        ),
        _list_parameter("factors", "Patient factor slugs.", list(m.PatientFactor.SLUGS)),
        _list_parameter("current", "Current medicines: generic or brand names or slugs.", names=True),
    ]


def _patient_choices(name):
    return [value for value, _label in forms.PatientForm.base_fields[name].choices if value]


EXPLORE_PARAMETERS = [
    OpenApiParameter(
        "condition", {"type": "string", "pattern": f"^{SLUG}$"}, required=True, description="Condition slug."
    ),
    *_patient_parameters(),
    _list_parameter("kind", "Only these kinds.", _choices("kind")),
    _list_parameter("line", "Only these lines.", _choices("line")),
    OpenApiParameter(
        "min_strength", str, enum=_choices("min_strength"), description="Minimum recommendation strength."
    ),
    OpenApiParameter("min_quality", str, enum=_choices("min_quality"), description="Minimum quality of evidence."),
    OpenApiParameter("guideline", str, description="Show one guideline's positions only (source key)."),
    _list_parameter("route", "Only these routes.", _choices("route")),
    _list_parameter("site", "Only these sites of action.", _choices("site")),
    _list_parameter("drug_class", "Only these drug classes (slugs)."),
    OpenApiParameter("approved_in", str, enum=_choices("approved_in"), description="Approved for the condition in."),
    OpenApiParameter("controlled", str, enum=_choices("controlled"), description="Controlled drugs only, or none."),
    OpenApiParameter("hide_contraindicated", OpenApiTypes.BOOL, description="Leave contraindicated options out."),
]


@extend_schema(parameters=EXPLORE_PARAMETERS, responses=s.ExploreSerializer)
@conditional
@api_view(["GET"])
def explore(request):
    """The explorer for one condition and patient: the same FilterSet and the same matching as the
    condition page, so the page, its CSV and this endpoint always agree."""
    reject_unknown(request, EXPLORE_PARAMETERS)
    slug = request.query_params.get("condition", "")
    if not slug:
        raise ValidationError({"condition": ["This parameter is required."]})
    if not re.fullmatch(SLUG, slug):
        raise ValidationError({"condition": ["Enter a condition slug."]})
    condition = kb_cache.condition(slug, kb_cache.request_version(request))
    if condition is None:
        raise ValidationError({"condition": ["No published condition has this slug."]})
    data, form, result = forms.bind_explorer(request, condition)
    if result is None:
        raise ValidationError({field: list(errors) for field, errors in form.errors.items()})
    if request.accepted_renderer.format == "csv":
        return spreadsheet.explore_csv_response(result, f"{condition.slug}-options.csv")
    current_names = {data.current_drugs[slug].name: slug for slug in result.patient.current}
    payload = {
        "condition": condition,
        "patient": result.patient,
        "total": result.total,
        "options": result.options,
        "workup": result.workup,
    }
    return Response(s.represent(s.ExploreSerializer, payload, {"current_slugs": current_names}))


# --- plan check and patient summary -------------------------------------------------------------------------

PLAN_PATIENT_PARAMETERS = [
    _list_parameter("drugs", "Drugs in the plan: slugs or generic names.", names=True),
    OpenApiParameter(
        "condition", {"type": "string", "pattern": f"^{SLUG}$"}, description="Condition slug: that indication's doses."
    ),
    *_patient_parameters(),
]
INTERACTIONS_PARAMETERS = [
    _list_parameter("drugs", "Drugs in the plan: slugs or generic names.", names=True, required=True),
    *PLAN_PATIENT_PARAMETERS[1:],
]
SUMMARY_PARAMETERS = [
    *PLAN_PATIENT_PARAMETERS,
    _list_parameter("procedures", "Procedure slugs in the plan.", names=True),
    OpenApiParameter(
        "lang",
        {"type": "string", "enum": list(handout.LANGUAGES)},
        description="The summary's language: en (default) or es. Spanish texts not yet reviewed against their "
        "English are given in English (each item's 'untranslated').",
    ),
]


def _checked_plan(request, parameters):
    """Bind the plan form exactly as the plan page does (``forms.bind_plan``); errors become a 400."""
    reject_unknown(request, parameters)
    form, data, result, condition = forms.bind_plan(request)
    if result is None:
        # The plan form's only whole-form error is its size limit, which the drugs parameter sets.
        errors = {"drugs" if field == NON_FIELD_ERRORS else field: list(e) for field, e in form.errors.items()}
        raise ValidationError(errors)
    return data, result, condition


@extend_schema(parameters=INTERACTIONS_PARAMETERS, responses=s.PlanCheckSerializer)
@conditional
@api_view(["GET"])
def interactions_check(request):
    """Interactions and plan checks for a set of drugs: the same result as the plan page."""
    # Any of the repeated or comma-separated values, as the plan form reads them (not only the last one).
    if not any(part.strip() for value in request.query_params.getlist("drugs") for part in value.split(",")):
        raise ValidationError({"drugs": ["This parameter is required."]})
    _data, result, _condition = _checked_plan(request, INTERACTIONS_PARAMETERS)
    return Response(s.represent(s.PlanCheckSerializer, result))


@extend_schema(parameters=SUMMARY_PARAMETERS, responses=s.SummarySerializer)
@conditional
@api_view(["GET"])
def summary(request):
    """The patient summary's content (plain language), as the printed summary shows it."""
    data, result, condition = _checked_plan(request, SUMMARY_PARAMETERS)
    lang = request.query_params.get("lang", "en")
    if lang not in handout.LANGUAGES:
        raise ValidationError({"lang": [f"Choose one of: {', '.join(handout.LANGUAGES)}."]})
    content = plan.summary_for(data, result, condition, lang)
    response = Response(s.represent(s.SummarySerializer, content))
    response["Content-Language"] = lang
    return response
