"""“Report a problem”: the public form (treatments/feedback.py) and the editors' queue."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from tests.conftest import make_drug, make_staff
from treatments import models as m
from treatments.feedback import RATE_LIMIT, patient_data_in

GOOD_TEXT = "The maximum dose for CrCl 30-60 should be 300 mg/day per the US label (PMID 12345678)."


@pytest.fixture(autouse=True)
def clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


def report_url(kind, key):
    return reverse("treatments:report_problem", args=[kind, key])


@pytest.fixture
def pages(world):
    """(kind, key, public url) for one published record of every reportable kind."""
    records = [
        ("condition", world["condition"]),
        ("drug", world["drugs"]["pregabalin"]),
        ("drug_class", world["classes"]["snris"]),
        ("procedure", world["procedure"]),
        ("diagnostic", world["diagnostic"]),
        ("source", world["sources"]["label"]),
    ]
    return [(kind, getattr(r, "slug", None) or r.key, r.get_absolute_url()) for kind, r in records]


def test_every_public_record_page_links_to_its_report_form(client, pages):
    for kind, key, url in pages:
        assert f'href="{report_url(kind, key)}"' in client.get(url).content.decode(), kind


def test_report_form_says_no_patient_data_and_needs_one_query(client, world, django_assert_num_queries):
    # 1. the published drug
    with django_assert_num_queries(1):
        response = client.get(report_url("drug", "pregabalin"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Do not include any patient information" in page
    assert "csrfmiddlewaretoken" in page


def test_a_report_lands_in_the_queue_linked_to_its_record(client, world):
    response = client.post(report_url("drug", "pregabalin"), {"text": GOOD_TEXT, "email": "gp@example.org"})
    assert response.status_code == 302
    assert response["Location"] == report_url("drug", "pregabalin") + "?sent=1"
    report = m.ProblemReport.objects.get()
    assert (report.record_type, report.record_key, report.link) == ("drug", "pregabalin", "/drugs/pregabalin/")
    assert (report.text, report.email, report.status) == (GOOD_TEXT, "gp@example.org", "new")
    assert "Thank you" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    "text",
    [
        "Patient DOB 12/03/1956 had a reaction.",
        "Date of birth: 1956-03-12.",
        "NHS number 943 476 5919 was given too much.",
        "Her hospital number is A1234.",
        "MRN 00123456 — dose wrong.",
        "Seen on 3.4.2024 with dizziness.",
    ],
)
def test_text_that_looks_like_patient_data_is_refused(client, world, text):
    response = client.post(report_url("drug", "pregabalin"), {"text": text})
    assert response.status_code == 200
    assert "patient details" in response.content.decode()
    assert not m.ProblemReport.objects.exists()


@pytest.mark.parametrize(
    "text",
    [
        GOOD_TEXT,
        "See doi 10.1016/j.pain.2015.01.001 and https://www.nice.org.uk/guidance/cg173 for 0.5-10 mg.",
        "Typo in the class name; ICD-10 E11.42 is right, titrate 75-150-300 mg.",
    ],
)
def test_ordinary_clinical_text_is_not_mistaken_for_patient_data(text):
    assert patient_data_in(text) == ""


def test_overlong_text_is_refused(client, world):
    response = client.post(report_url("drug", "pregabalin"), {"text": "x" * 2001})
    assert response.status_code == 200
    assert not m.ProblemReport.objects.exists()


def test_reports_are_rate_limited_per_address(client, world):
    url = report_url("drug", "pregabalin")
    for _ in range(RATE_LIMIT):
        assert client.post(url, {"text": GOOD_TEXT}).status_code == 302
    response = client.post(url, {"text": GOOD_TEXT})
    assert response.status_code == 429
    assert "Too many reports" in response.content.decode()
    assert m.ProblemReport.objects.count() == RATE_LIMIT
    other = Client(REMOTE_ADDR="192.0.2.99")
    assert other.post(url, {"text": GOOD_TEXT}).status_code == 302


def test_the_form_is_csrf_protected(world):
    client = Client(enforce_csrf_checks=True)
    assert client.post(report_url("drug", "pregabalin"), {"text": GOOD_TEXT}).status_code == 403
    assert not m.ProblemReport.objects.exists()


def test_drafts_and_unknown_kinds_cannot_be_reported(client, world):
    make_drug("draft-drug", status=m.ReviewStatus.DRAFT)
    assert client.get(report_url("drug", "draft-drug")).status_code == 404
    assert client.get(report_url("recommendation", "pregabalin")).status_code == 404


def test_editors_see_the_queue_and_set_a_status(client, world):
    report = m.ProblemReport.objects.create(
        record_type="drug", record_key="pregabalin", link="/drugs/pregabalin/", text=GOOD_TEXT
    )
    client.force_login(make_staff("edna", "Editors"))
    changelist = client.get(reverse("admin:treatments_problemreport_changelist")).content.decode()
    assert "pregabalin" in changelist and 'href="/drugs/pregabalin/"' in changelist
    url = reverse("admin:treatments_problemreport_change", args=[report.pk])
    response = client.post(url, {"status": "triaged", "editor_note": "Checking the label."})
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.editor_note, report.text) == ("triaged", "Checking the label.", GOOD_TEXT)
