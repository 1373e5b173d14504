"""Schema-driven fuzzing: schemathesis generates requests from the API's own OpenAPI schema and sends
them to the WSGI app over the real knowledge base. No response may be a 500, use an undocumented
status or content type, or break the schema. Bounded: a few examples per operation, about 15 s on an
idle machine (the knowledge base is loaded once per session, ``real_kb``)."""

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
