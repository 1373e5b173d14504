"""Every shortcut taken for speed (issue 18) gives what the plain path gives.

- The parts of pages kept per knowledge-base version ({% kb_fragment %}): pages for many patients, filters and
  conditions, rendered with them (after other patients filled them) and without, are the same bytes.
- A plan's data assembled from parts kept per drug, class and procedure is what ``plan.load`` reads.
- The API's serializer trees kept per thread (``serializers.represent``) answer as new serializers do, for
  patients one after another (no request sees another's context)."""

import random

import pytest
from django.core.cache import cache as django_cache
from django.test import Client

from treatments import cache

from .conftest import without_nonce

pytestmark = pytest.mark.django_db

# Each condition with guidelines that have positions on it (a filter on one narrows each option's table).
CONDITIONS = {
    "painful-diabetic-neuropathy": ["aan-2022-pdn", "nice-cg173", "finnerup-2015"],
    "postherpetic-neuralgia": ["efns-2010-np", "nice-cg173"],
    "trigeminal-neuralgia": ["ean-2019-tn", "aan-efns-2008-tn"],
    "carpal-tunnel-syndrome": ["aaos-cts-2016"],
}


def patients(seed, count, guidelines=()):
    rng = random.Random(seed)
    for _ in range(count):
        query = {"age": rng.randint(18, 100), "crcl": rng.choice(["", 10, 29, 30, 59, 60, 90])}
        query["current"] = rng.sample(["tramadol", "sertraline", "warfarin", "ciprofloxacin", "lorazepam"], 2)
        factors = ["depression", "epilepsy", "falls-risk", "insomnia", "cardiac-conduction-disease"]
        query["factors"] = rng.sample(factors, 2)
        if guidelines and rng.random() < 0.5:
            query["guideline"] = rng.choice(guidelines)
        if rng.random() < 0.3:
            query["line"] = rng.choice(["first", "second"])
        yield {key: value for key, value in query.items() if value != ""}


def clear_pages():
    django_cache.clear()
    with cache._recent_lock:
        cache._recent.clear()


def page(client, condition, query, htmx=False):
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.get(f"/conditions/{condition}/", query, headers=headers)
    assert response.status_code == 200, (condition, query)
    assert response.context is None or response.context["result"], (condition, query, "a form error page")
    return without_nonce(response.content.decode())


def test_pages_are_the_same_with_and_without_the_fragments(real_kb, settings):
    client = Client()
    settings.KB_FRAGMENTS = True
    for condition in CONDITIONS:  # other patients, with no guideline filter, fill the fragments first
        for query in patients(f"fill-{condition}", 3):
            page(client, condition, query)
    assert cache.fragments._items, "the fragments were never kept: this test would prove nothing"
    compared, filtered = 0, 0
    for condition, guidelines in CONDITIONS.items():
        for i, query in enumerate(patients(condition, 6, guidelines)):
            settings.KB_FRAGMENTS = True
            kept = page(client, condition, query, htmx=i % 3 == 0)
            settings.KB_FRAGMENTS = False
            clear_pages()  # the whole page is cached too: render it afresh (the fragments stay)
            fresh = page(client, condition, query, htmx=i % 3 == 0)
            assert kept == fresh, (condition, query)
            compared += 1
            filtered += "guideline" in query
    assert compared == 24 and filtered >= 6


def test_a_fragment_is_rendered_again_after_an_edit(real_kb, settings, client):
    from treatments import models as m

    settings.KB_FRAGMENTS = True
    url = "/conditions/painful-diabetic-neuropathy/"
    assert "Work-up" in client.get(url, {"age": 70}).text
    condition = m.Condition.objects.get(slug="painful-diabetic-neuropathy")
    condition.description = "An edited description, published."
    condition.save()  # a history record raises the knowledge-base version
    assert "An edited description, published." in client.get(url, {"age": 71}).text


def test_plan_data_from_parts_is_what_plan_load_reads(real_kb):
    """cache.plan_data assembles a plan's data from parts kept per drug, class and procedure: the same as
    plan.load reads from the database, for plans of drugs, current medicines in and outside the knowledge base
    (by class), and procedures."""
    from treatments import explorer, plan
    from treatments import models as m

    drugs = sorted(m.Drug.objects.published().values_list("slug", flat=True))
    medicines = sorted(m.Medicine.objects.published().values_list("slug", flat=True))
    procedures = sorted(m.Procedure.objects.published().values_list("slug", flat=True))
    kb_version = cache.version()
    rng = random.Random(19)
    for _ in range(25):
        patient = explorer.make_patient(age=rng.randint(20, 95), current=rng.sample(medicines, rng.randint(0, 6)))
        criteria = plan.PlanCriteria(
            drugs=tuple(rng.sample(drugs, rng.randint(1, 3))),
            procedures=tuple(rng.sample(procedures, rng.randint(0, 2))),
            patient=patient,
        )
        expected = plan.load(criteria)
        assembled = cache.plan_data(criteria, kb_version)
        assert assembled == expected
        assert list(assembled.drugs) == list(expected.drugs)
        assert list(assembled.procedures) == list(expected.procedures)


def test_kept_serializer_trees_answer_as_new_serializers_do(real_kb, client):
    from rest_framework.test import APIRequestFactory

    from treatments import forms
    from treatments.api import serializers as s

    rng = random.Random(23)
    factory = APIRequestFactory()
    answers = []
    for condition, _guidelines in CONDITIONS.items():
        for query in patients(f"api-{condition}", 3):
            request = factory.get("/api/v1/explore/", query)
            data, form, result = forms.bind_explorer(request, cache.condition(condition))
            assert result is not None, form.errors
            current = {data.current_drugs[slug].name: slug for slug in result.patient.current}
            payload = {
                "condition": cache.condition(condition),
                "patient": result.patient,
                "total": result.total,
                "options": result.options,
                "workup": result.workup,
            }
            kept = s.represent(s.ExploreSerializer, payload, {"current_slugs": current})
            assert kept == s.ExploreSerializer(payload, context={"current_slugs": current}).data
            answers.append(kept)
    interactions = [i for a in answers for o in a["options"] for i in o["interactions"]]
    assert interactions and all(i["current"] for i in interactions), "each names its own patient's medicine"
    assert rng  # the draws above are seeded per condition
