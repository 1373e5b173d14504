"""Schema-driven fuzzing: schemathesis generates requests from the API's own OpenAPI schema and sends
them to the WSGI app over the real knowledge base. No response may be a 500, use an undocumented
status or content type, or break the schema. Bounded: a few examples per operation, about 15 s on an
idle machine (the knowledge base is loaded once per session, ``real_kb``)."""

from decimal import Decimal

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from treatments import models as m

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 20  # per operation with free inputs
PINNED_EXAMPLES = 5  # per real record pinned in (its other inputs still generated)


@pytest.fixture
def app(real_kb):
    # Django's test client does the same: closing the connection around each request would end the
    # test's transaction (SQLite's in-memory test database ignores the close; PostgreSQL does not).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def fixed_inputs(path):
    """Real slugs to pin, so fuzzing reaches records and explore results, not only 400s and 404s."""
    published = {
        "conditions": m.Condition.objects.published().values_list("slug", flat=True),
        "drugs": m.Drug.objects.published().values_list("slug", flat=True),
        "drug-classes": m.DrugClass.objects.published().values_list("slug", flat=True),
        "procedures": m.Procedure.objects.published().values_list("slug", flat=True),
        "diagnostics": m.Diagnostic.objects.published().values_list("slug", flat=True),
        "sources": m.Source.objects.published().values_list("key", flat=True),
    }
    resource = path.split("/")[3]
    if path.endswith("{slug}/") or path.endswith("{key}/"):
        name = "key" if path.endswith("{key}/") else "slug"
        return [{"path_parameters": {name: value}} for value in list(published[resource])[:3]]
    conditions, drugs = list(published["conditions"])[:3], list(published["drugs"])
    if resource == "explore":
        return [{"query": {"condition": slug}} for slug in conditions]
    if resource in ("interactions", "summary"):
        plans = [",".join(drugs[i : i + 3]) for i in range(0, 9, 3)]
        return [
            {"query": {"drugs": p, **({"condition": c} if resource == "summary" else {})}}
            for p, c in zip(plans, conditions, strict=False)
        ]
    return []


def test_fuzzing_finds_no_server_error_and_no_schema_violation(app):
    schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 16
    for operation in operations:
        for fixed in [{}, *fixed_inputs(operation.path)]:

            @settings(
                max_examples=PINNED_EXAMPLES if fixed else EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(**fixed))
            def check(case):
                response = case.call(app=app)
                case.validate_response(response, checks=CHECKS)

            check()


# --- the schema documents every real parameter (so the fuzzing above draws them all) ------------------------


def _operations():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        path.removeprefix("/api/v1"): {p["name"]: p for p in operation["get"].get("parameters", [])}
        for path, operation in schema["paths"].items()
    }


def _real_parameters():
    """What each endpoint really reads: the forms' fields and the views' own parameters."""
    from treatments import forms

    explorer = set(forms.ExplorerForm.base_fields) - {"plan"}  # the plan tray is the page's only
    plan = set(forms.PlanForm.base_fields)
    return {
        "/explore/": explorer | {"condition", "format"},
        "/interactions/check/": plan - {"procedures"} | {"format"},
        "/summary/": plan | {"lang", "format"},
        "/conditions/": {"search", "icd10", "category", "page", "format"},
        "/drugs/": {"search", "atc", "drug_class", "page", "format"},
        "/medicines/": {"search", "property", "page", "format"},
    }


@pytest.mark.parametrize("path", list(_real_parameters()))
def test_the_schema_lists_every_real_parameter(path):
    assert set(_operations()[path]) == _real_parameters()[path]


@pytest.mark.parametrize("path", ["/explore/", "/interactions/check/", "/summary/"])
def test_the_schema_gives_each_patient_parameter_its_type_range_and_choices(path):
    """Numbers with the form's own type and range, choices with the form's own values, medicine lists with the
    form's limits: schemathesis then draws values at and beyond them."""
    from django import forms as django_forms

    from treatments import forms

    documented = _operations()[path]
    form = forms.ExplorerForm if path == "/explore/" else forms.PlanForm
    for name, field in form.base_fields.items():
        if name not in documented:
            continue
        schema = documented[name]["schema"]
        if isinstance(field, django_forms.DecimalField):
            assert schema["type"] == "number", name
            assert [Decimal(str(schema[k])) for k in ("minimum", "maximum")] == [field.min_value, field.max_value]
        elif isinstance(field, django_forms.IntegerField):
            assert schema["type"] == "integer", name
            assert (schema["minimum"], schema["maximum"]) == (field.min_value, field.max_value), name
        elif isinstance(field, forms.DrugNamesField):
            assert schema["type"] == "array" and schema["maxItems"] == field.max_items, name
            assert schema["items"]["maxLength"] == forms.MAX_NAME_LENGTH, name
        elif isinstance(field, django_forms.MultipleChoiceField):
            # factors: the published factors (set per request); drug_class: the condition's classes, no enum
            choices = {v for v, _ in field.choices} or (set(m.PatientFactor.SLUGS) if name == "factors" else set())
            assert schema["type"] == "array" and set(schema["items"].get("enum", ())) == choices, name
        elif isinstance(field, django_forms.ChoiceField) and name != "guideline":  # guidelines: the condition's
            assert set(schema["enum"]) == {v for v, _ in field.choices if v}, name
    if path == "/summary/":
        assert set(documented["lang"]["schema"]["enum"]) == {"en", "es"}
    required = {name for name, parameter in documented.items() if parameter.get("required")}
    assert required == {"/explore/": {"condition"}, "/interactions/check/": {"drugs"}, "/summary/": set()}[path]
