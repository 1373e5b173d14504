"""An editor changes a maximum dose with a reason; a reviewer publishes it; the public page shows it.

The review workflow is described in docs/EDITING.md.
"""

import re

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from treatments import models as m

from .conftest import PASSWORD, log_in

pytestmark = pytest.mark.e2e

REASON = "NeuPSIG dose range re-checked: higher maximum for this test"


@pytest.fixture
def nortriptyline_dose():
    """Nortriptyline's one published dose (150 mg/day maximum, no renal bands); put back as it was afterwards."""
    dose = m.DoseGuidance.objects.get(drug__slug="nortriptyline", is_default=True)
    saved = {f: getattr(dose, f) for f in ("max_daily_dose", "status", "last_reviewed")}
    yield dose
    m.DoseGuidance.objects.filter(pk=dose.pk).update(**saved)


@pytest.fixture
def editor_and_reviewer(django_user_model):
    users = []
    for name, group in (("e2e-editor", "Editors"), ("e2e-reviewer", "Reviewers")):
        user = django_user_model.objects.create_user(name, password=PASSWORD, is_staff=True)
        user.groups.add(Group.objects.get(name=group))
        users.append(user)
    yield users
    for user in users:
        user.delete()


def log_out(page):
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Logged out")).to_be_visible()


def test_editor_change_is_reviewed_published_and_shown_publicly(
    live_server, page, nortriptyline_dose, editor_and_reviewer
):
    base = live_server.url
    editor, reviewer = editor_and_reviewer
    page.goto(base + "/drugs/nortriptyline/")
    maximum = page.locator("section[aria-labelledby=dosing-h] tbody tr").first.locator("td").nth(3)
    expect(maximum).to_have_text("150")

    # The editor changes the maximum; a reason is required.
    log_in(page, base, editor.username)
    page.goto(base + f"/admin/treatments/doseguidance/{nortriptyline_dose.pk}/change/")
    page.get_by_label("Max daily dose").fill("175")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#id_change_reason_error")).to_contain_text("This field is required")
    page.get_by_label("Max daily dose").fill("175")
    page.get_by_label(re.compile("Reason for change")).fill(REASON)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("moved it back to In review")

    # The history shows who, why and the field-by-field difference.
    page.goto(base + f"/admin/treatments/doseguidance/{nortriptyline_dose.pk}/history/")
    latest = page.locator("#change-history tbody tr").first
    expect(latest).to_contain_text(REASON)
    expect(latest).to_contain_text("e2e-editor")
    expect(latest).to_contain_text(re.compile(r"150(\.000)?\s*→\s*175(\.000)?"))
    log_out(page)

    # Unreviewed, the new value is not public.
    page.goto(base + "/drugs/nortriptyline/")
    expect(page.locator("section[aria-labelledby=dosing-h]")).not_to_contain_text("175")

    # The reviewer publishes it from the list.
    log_in(page, base, reviewer.username)
    page.goto(base + "/admin/treatments/doseguidance/?q=nortriptyline")
    page.locator(f"input[name=_selected_action][value='{nortriptyline_dose.pk}']").check()
    page.get_by_label("Action:").select_option("publish_selected")
    page.get_by_role("button", name="Run").click()
    expect(page.locator(".messagelist")).to_contain_text("Published 1 record")
    log_out(page)

    page.goto(base + "/drugs/nortriptyline/")
    expect(maximum).to_have_text("175")
