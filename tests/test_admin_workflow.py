"""The editors' admin: review workflow, change reasons and history, validation, deletion safety, login."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from tests.conftest import (
    admin_form_data,
    make_band,
    make_class,
    make_dose,
    make_drug,
    make_source,
    make_staff,
    make_superuser,
)
from treatments import models as m

LONG_WORDS = (
    "Pharmacological intervention necessitates comprehensive individualised consideration of "
    "contraindications, concomitant medications and physiological characteristics."
)


def change_url(obj):
    return reverse(f"admin:treatments_{obj._meta.model_name}_change", args=[obj.pk])


def changelist_url(model):
    return reverse(f"admin:treatments_{model._meta.model_name}_changelist")


@pytest.fixture
def editor(client, world):
    client.force_login(make_staff("edna", "Editors"))
    return client


@pytest.fixture
def reviewer(client, world):
    client.force_login(make_staff("rory", "Reviewers"))
    return client


def resubmit(client, obj, reason="Checked against the label.", **changes):
    """POST the object's change form back with ``changes`` applied and a change reason."""
    data = admin_form_data(client.get(change_url(obj)))
    data.update(changes)
    if reason is not None:
        data["change_reason"] = reason
    return client.post(change_url(obj), data)


def form_errors(response):
    """All error text of an admin change-form response (form, non-field and inline errors)."""
    errors = [str(response.context["adminform"].form.errors)]
    for inline in response.context.get("inline_admin_formsets", []):
        errors += [str(inline.formset.non_form_errors()), *(str(e) for e in inline.formset.errors)]
    return " ".join(errors)


# --- roles ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_migration_creates_editors_without_and_reviewers_with_publish_permission():
    editors, reviewers = Group.objects.get(name="Editors"), Group.objects.get(name="Reviewers")
    editor_codes = set(editors.permissions.values_list("codename", flat=True))
    reviewer_codes = set(reviewers.permissions.values_list("codename", flat=True))
    assert {"add_drug", "change_drug", "view_drug", "change_problemreport"} <= editor_codes
    assert not any(code.startswith(("publish_", "delete_")) for code in editor_codes)
    assert {"publish_drug", "publish_caution", "publish_renaldoseband", "delete_drug"} <= reviewer_codes


# --- review workflow ----------------------------------------------------------------------------


def test_editor_cannot_publish_a_draft(editor, world):
    drug = make_drug("new-drug", status=m.ReviewStatus.DRAFT)
    response = resubmit(editor, drug, status="published")
    assert response.status_code == 200
    assert "Only reviewers can publish" in form_errors(response)
    drug.refresh_from_db()
    assert drug.status == m.ReviewStatus.DRAFT


def test_editor_can_send_a_draft_for_review(editor, world):
    drug = make_drug("new-drug", status=m.ReviewStatus.DRAFT)
    assert resubmit(editor, drug, status="in_review").status_code == 302
    drug.refresh_from_db()
    assert drug.status == m.ReviewStatus.IN_REVIEW


def test_editor_change_to_a_published_record_moves_it_back_to_review_and_off_the_public_site(editor, client, world):
    drug = world["drugs"]["pregabalin"]
    response = resubmit(editor, drug, formulations="Capsules 25–300 mg.")
    assert response.status_code == 302
    drug.refresh_from_db()
    assert drug.status == m.ReviewStatus.IN_REVIEW
    assert drug.formulations == "Capsules 25–300 mg."
    assert "moved it back to In review" in str(list(editor.get(response["Location"]).context["messages"]))
    assert client.get(drug.get_absolute_url()).status_code == 404


def test_editor_change_to_a_published_inline_row_moves_only_that_row_back_to_review(editor, world):
    drug = world["drugs"]["pregabalin"]
    band = drug.renal_bands.get(crcl_min=15)
    data = admin_form_data(editor.get(change_url(drug)))
    prefix = next(k.removesuffix("-id") for k, v in data.items() if k.startswith("renal_bands-") and v == str(band.pk))
    data[f"{prefix}-dosing_interval"] = "Twice daily"
    data["change_reason"] = "Label gives the interval."
    assert editor.post(change_url(drug), data).status_code == 302
    band.refresh_from_db()
    drug.refresh_from_db()
    assert (band.status, band.dosing_interval) == (m.ReviewStatus.IN_REVIEW, "Twice daily")
    assert drug.status == m.ReviewStatus.PUBLISHED
    assert band.history.first().history_change_reason == "Label gives the interval."


def test_reviewer_can_publish_in_the_form(reviewer, client, world):
    drug = make_drug("new-drug", status=m.ReviewStatus.IN_REVIEW)
    assert resubmit(reviewer, drug, status="published").status_code == 302
    drug.refresh_from_db()
    assert drug.status == m.ReviewStatus.PUBLISHED
    assert client.get(drug.get_absolute_url()).status_code == 200


def test_reviewer_publishes_with_the_action_and_an_editor_cannot(client, world):
    drug = make_drug("new-drug", status=m.ReviewStatus.IN_REVIEW)
    action = {"action": "publish_selected", "_selected_action": [drug.pk]}

    client.force_login(make_staff("edna", "Editors"))
    client.post(changelist_url(m.Drug), action)
    drug.refresh_from_db()
    assert drug.status == m.ReviewStatus.IN_REVIEW
    assert "publish_selected" not in client.get(changelist_url(m.Drug)).content.decode()

    client.force_login(make_staff("rory", "Reviewers"))
    assert client.post(changelist_url(m.Drug), action).status_code == 302
    drug.refresh_from_db()
    assert drug.status == m.ReviewStatus.PUBLISHED
    assert drug.last_reviewed == datetime.date.today()
    assert drug.history.first().history_user.username == "rory"


def test_publish_action_refuses_a_record_whose_patient_text_is_too_hard_to_read(reviewer, world):
    drug = make_drug("new-drug", status=m.ReviewStatus.IN_REVIEW, patient_what_for=LONG_WORDS)
    reviewer.post(changelist_url(m.Drug), {"action": "publish_selected", "_selected_action": [drug.pk]})
    drug.refresh_from_db()
    assert drug.status == m.ReviewStatus.IN_REVIEW


def test_retire_action_takes_a_record_off_the_public_site_and_keeps_it(editor, client, world):
    drug = world["drugs"]["valproate"]
    editor.post(changelist_url(m.Drug), {"action": "retire_selected", "_selected_action": [drug.pk]})
    drug.refresh_from_db()
    assert drug.status == m.ReviewStatus.RETIRED
    assert client.get(drug.get_absolute_url()).status_code == 404


def test_draft_is_invisible_on_public_pages(client, world):
    drug = make_drug("draft-drug", status=m.ReviewStatus.DRAFT)
    cls = make_class("draft-class", status=m.ReviewStatus.DRAFT)
    assert client.get(drug.get_absolute_url()).status_code == 404
    assert client.get(cls.get_absolute_url()).status_code == 404
    assert b"Draft-drug" not in client.get(reverse("treatments:search"), {"q": "draft"}).content


def test_draft_is_invisible_in_the_api(client, world):
    make_drug("draft-drug", status=m.ReviewStatus.DRAFT)
    assert client.get(reverse("api:drug-detail", args=["draft-drug"])).status_code == 404
    listing = client.get(reverse("api:drug-list")).content.decode()
    assert "pregabalin" in listing and "draft-drug" not in listing


# --- change reasons and history -----------------------------------------------------------------


def test_a_save_without_a_reason_is_refused(reviewer, world):
    drug = world["drugs"]["pregabalin"]
    response = resubmit(reviewer, drug, reason=None, formulations="Changed.")
    assert response.status_code == 200
    assert "change_reason" in response.context["adminform"].form.errors
    drug.refresh_from_db()
    assert drug.formulations == ""


def test_history_records_user_and_reason_and_shows_a_field_diff(reviewer, world):
    drug = world["drugs"]["pregabalin"]
    resubmit(reviewer, drug, reason="Label 2024 adds capsules.", formulations="Capsules.")
    record = drug.history.first()
    assert (record.history_user.username, record.history_change_reason) == ("rory", "Label 2024 adds capsules.")
    page = reviewer.get(reverse("admin:treatments_drug_history", args=[drug.pk])).content.decode()
    assert "Label 2024 adds capsules." in page
    assert "<strong>Formulations:</strong>" in page and "Capsules." in page


def test_a_previous_version_can_be_restored(reviewer, world):
    drug = world["drugs"]["pregabalin"]
    resubmit(reviewer, drug, formulations="Version one.")
    old = drug.history.first()
    resubmit(reviewer, drug, formulations="Version two, wrong.")
    url = reverse("admin:treatments_drug_simple_history", args=[drug.pk, old.history_id])
    data = admin_form_data(reviewer.get(url))
    data["change_reason"] = "Restore version one."
    assert reviewer.post(url, data).status_code == 302
    drug.refresh_from_db()
    assert drug.formulations == "Version one."
    assert drug.history.first().history_change_reason == "Restore version one."


# --- validation as form errors ---------------------------------------------------------------


def test_overlapping_renal_bands_on_the_drug_page_are_a_form_error(reviewer, world):
    drug = world["drugs"]["pregabalin"]
    data = admin_form_data(reviewer.get(change_url(drug)))
    prefix = next(k.removesuffix("-crcl_min") for k, v in data.items() if k.endswith("-crcl_min") and v == "30")
    data[f"{prefix}-crcl_max"] = "70"  # 30–70 now overlaps 60–∞
    data["change_reason"] = "Typo test."
    response = reviewer.post(change_url(drug), data)
    assert response.status_code == 200
    assert "overlap" in form_errors(response)


def test_a_band_above_the_new_default_maximum_is_caught_when_both_change_together(reviewer, world):
    drug = world["drugs"]["pregabalin"]
    data = admin_form_data(reviewer.get(change_url(drug)))
    data["doses-0-max_daily_dose"] = "450"  # the 60–∞ band still allows 600
    data["change_reason"] = "Lower maximum."
    response = reviewer.post(change_url(drug), data)
    assert response.status_code == 200
    assert "above the normal maximum of 450" in form_errors(response)


def test_a_second_default_dose_is_a_form_error_on_the_drug_page(reviewer, world):
    drug = world["drugs"]["pregabalin"]
    data = admin_form_data(reviewer.get(change_url(drug)))
    data.update(
        {
            "doses-TOTAL_FORMS": "2",
            "doses-1-region": "UK",
            "doses-1-context": "Neuropathic pain",
            "doses-1-route": "oral",
            "doses-1-unit": "mg/day",
            "doses-1-max_daily_dose": "600",
            "doses-1-is_default": "on",
            "doses-1-sources": [str(world["sources"]["label"].pk)],
            "doses-1-status": "draft",
            "change_reason": "Add UK dosing.",
        }
    )
    response = reviewer.post(change_url(drug), data)
    assert response.status_code == 200
    assert "exactly one default dose guidance; has 2" in form_errors(response)


def test_a_second_default_dose_is_a_form_error_on_its_own_page(reviewer, world):
    drug = world["drugs"]["pregabalin"]
    response = reviewer.post(
        reverse("admin:treatments_doseguidance_add"),
        {
            "drug": drug.pk,
            "region": "UK",
            "context": "Neuropathic pain",
            "route": "oral",
            "unit": "mg/day",
            "is_default": "on",
            "sources": [world["sources"]["label"].pk],
            "status": "draft",
            "change_reason": "Add UK dosing.",
        },
    )
    assert response.status_code == 200
    assert "exactly one default dose guidance; has 2" in form_errors(response)


def test_a_renal_band_overlapping_another_is_a_form_error_on_its_own_page(reviewer, world):
    drug, label = world["drugs"]["duloxetine"], world["sources"]["label"]
    response = reviewer.post(
        reverse("admin:treatments_renaldoseband_add"),
        {
            "drug": drug.pk,
            "region": "US",
            "crcl_min": "20",
            "crcl_max": "40",
            "max_daily_dose": "60",
            "unit": "mg/day",
            "sources": [label.pk],
            "status": "draft",
            "change_reason": "New band.",
        },
    )
    assert response.status_code == 200
    assert "overlap" in form_errors(response)


def test_a_caution_without_a_source_is_a_form_error(reviewer, world):
    caution = m.Caution.objects.filter(drug__slug="valproate").first()
    response = resubmit(reviewer, caution, sources=[])
    assert response.status_code == 200
    assert "Cite at least one source" in form_errors(response)


def test_a_caution_naming_both_a_drug_and_a_class_is_a_form_error_not_a_500(reviewer, world):
    caution = m.Caution.objects.filter(drug__slug="valproate").first()
    response = resubmit(reviewer, caution, drug_class=str(world["classes"]["snris"].pk))
    assert response.status_code == 200
    assert "either a drug class or a drug" in form_errors(response)


def test_reviewer_cannot_publish_patient_text_above_grade_6(reviewer, world):
    drug = make_drug("new-drug", status=m.ReviewStatus.IN_REVIEW)
    response = resubmit(reviewer, drug, status="published", patient_what_for_en=LONG_WORDS)
    assert response.status_code == 200
    assert "Cannot publish: patient_what_for reads at grade" in form_errors(response)


HARD_SPANISH = (
    "La administración concomitante de medicamentos anticolinérgicos incrementa considerablemente la probabilidad "
    "de manifestaciones neuropsiquiátricas desfavorables en pacientes institucionalizados."
)


def test_reviewer_cannot_publish_spanish_below_szigriszt_55(reviewer, world):
    drug = make_drug("new-drug", status=m.ReviewStatus.IN_REVIEW, patient_what_for="Eases nerve pain.")
    response = resubmit(reviewer, drug, status="published", patient_what_for_es=HARD_SPANISH)
    assert response.status_code == 200
    assert "Cannot publish: The Spanish patient_what_for scores" in form_errors(response)
    ok = resubmit(reviewer, drug, status="published", patient_what_for_es="Calma el dolor de los nervios.")
    assert ok.status_code == 302


def test_spanish_is_out_of_date_when_its_english_changes_and_a_reviewer_marks_it_reviewed(reviewer, world):
    drug = world["drugs"]["pregabalin"]
    drug.patient_what_for_en = "Eases nerve pain."
    drug.patient_what_for_es = "Calma el dolor de los nervios."
    drug.mark_spanish_reviewed(datetime.date(2026, 12, 1))
    drug.save()
    assert drug.spanish_state == "current"
    drug.patient_what_for_en = "It eases the pain in your nerves."
    drug.save()
    assert drug.spanish_state == "stale"
    listing = reviewer.get(changelist_url(m.Drug), {"spanish": "stale"}).content.decode()
    assert "Out of date" in listing and "Pregabalin" in listing
    response = reviewer.post(
        changelist_url(m.Drug), {"action": "mark_spanish_reviewed", "_selected_action": [drug.pk]}, follow=True
    )
    assert "Spanish marked reviewed on 1 record" in response.text
    drug.refresh_from_db()
    assert drug.spanish_state == "current" and drug.spanish_reviewed == timezone.localdate()


# --- editor aids ------------------------------------------------------------------------------


def test_change_form_shows_reading_grades_with_a_warning_and_the_public_link(reviewer, world):
    drug = make_drug("new-drug", patient_what_for=LONG_WORDS, patient_how_to_take="Take one pill at night.")
    page = reviewer.get(change_url(drug)).content.decode()
    assert page.count('class="grade-warning"') == 1
    assert "Reading grade" in page
    assert f'href="{drug.get_absolute_url()}"' in page
    assert 'name="change_reason"' in page


def test_overdue_filter_and_count(reviewer, world):
    world["drugs"]["pregabalin"].__class__.objects.filter(slug__in=["pregabalin", "gabapentin"]).update(
        next_review_due=datetime.date(2000, 1, 1)
    )
    m.Drug.objects.filter(slug="valproate").update(next_review_due=datetime.date(2999, 1, 1))
    m.Drug.objects.filter(slug="gabapentin").update(status=m.ReviewStatus.RETIRED)
    response = reviewer.get(changelist_url(m.Drug), {"review": "overdue"})
    assert [d.slug for d in response.context["cl"].result_list] == ["pregabalin"]
    assert "1 overdue for review" in response.content.decode()


# --- deletion safety --------------------------------------------------------------------------


def test_deleting_a_drug_class_with_drugs_is_refused_with_an_explanation(superuser_client, world):
    cls = world["classes"]["gabapentinoids"]
    url = reverse("admin:treatments_drugclass_delete", args=[cls.pk])
    response = superuser_client.get(url)
    assert response.status_code == 200
    assert "protected related objects" in response.content.decode()
    assert superuser_client.post(url, {"post": "yes"}).status_code == 200
    assert m.DrugClass.objects.filter(pk=cls.pk).exists()


def test_deleting_a_drug_keeps_its_dose_guidance_protected(superuser_client, db):
    drug, label = make_drug(), make_source()
    make_dose(drug, label, "100")
    make_band(drug, label, 0, 30, "50")
    url = reverse("admin:treatments_drug_delete", args=[drug.pk])
    response = superuser_client.post(url, {"post": "yes"})
    assert response.status_code == 200
    assert "protected related objects" in response.content.decode()
    assert m.DoseGuidance.objects.filter(drug=drug, max_daily_dose=Decimal("100")).exists()


def test_deleting_a_cited_source_is_refused(superuser_client, world):
    label = world["sources"]["label"]
    url = reverse("admin:treatments_source_delete", args=[label.pk])
    response = superuser_client.post(url, {"post": "yes"})
    assert response.status_code == 200
    assert "(cites this source)" in response.content.decode()
    assert m.Source.objects.filter(pk=label.pk).exists()


# --- security ---------------------------------------------------------------------------------


@pytest.fixture
def superuser_client(client, db):
    client.force_login(make_superuser("root", "a-long-password"))
    return client


@pytest.mark.django_db
def test_anonymous_users_cannot_reach_the_admin(client):
    for url in (reverse("admin:index"), changelist_url(m.Drug), reverse("admin:treatments_drug_add")):
        response = client.get(url)
        assert response.status_code == 302 and reverse("admin:login") in response["Location"]


@pytest.mark.django_db
def test_repeated_wrong_passwords_lock_the_admin_login(client, django_user_model):
    django_user_model.objects.create_superuser("root", "root@example.org", "the-right-password")
    login = reverse("admin:login")
    for _ in range(5):
        client.post(login, {"username": "root", "password": "wrong"})
    response = client.post(login, {"username": "root", "password": "the-right-password"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
