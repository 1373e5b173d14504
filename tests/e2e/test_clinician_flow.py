"""A clinician finds a condition, enters the patient, reads the cautions and builds a plan — in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from .pages import PDN

pytestmark = pytest.mark.e2e


def find_condition(page, base_url):
    page.goto(base_url + "/")
    page.get_by_role("searchbox", name="Search conditions, drugs, brands, codes").fill("diabetic")
    page.get_by_role("searchbox", name="Search conditions, drugs, brands, codes").press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q=diabetic$"))
    page.get_by_role("link", name="Painful diabetic neuropathy", exact=True).click()
    expect(page).to_have_url(base_url + PDN)
    expect(page.get_by_role("heading", level=1)).to_have_text("Painful diabetic neuropathy")


def enter_patient(page):
    """A 72-year-old woman, 50 kg, serum creatinine 1.6 mg/dL: Cockcroft–Gault CrCl 25 mL/min."""
    page.get_by_label("Age (years)").fill("72")
    page.get_by_label("Weight (kg)").fill("50")
    page.get_by_label("Serum creatinine (mg/dL)").fill("1.6")
    page.get_by_label("Sex").select_option("female")
    page.get_by_role("checkbox", name="Depression", exact=True).check()


PATIENT_IN_URL = re.compile(r"age=72&weight=50&.*scr=1\.6&.*sex=female&.*factors=depression")


def option(page, slug):
    return page.locator(f"article.option:has(#opt-drug-{slug})")


def assert_patient_cautions(page):
    expect(page.locator(".describe")).to_contain_text("72-year-old female with CrCl 25 mL/min")
    echo = page.get_by_role("region", name="Kidney function and warnings")
    expect(echo).to_contain_text("Creatinine clearance used for doses: 25 mL/min")
    expect(echo).to_contain_text("Cockcroft–Gault from age 72, female, actual body weight 50")
    expect(echo).to_contain_text("CKD-EPI 2021")
    pregabalin = option(page, "pregabalin")
    # The label's renal table, diabetic-neuropathy column (300 mg/day with normal kidney function).
    expect(pregabalin.locator(".dose-limits")).to_contain_text("Renal dose limit: at most 75 mg/day at CrCl 15–29")
    amitriptyline = option(page, "amitriptyline")
    expect(amitriptyline.locator(".flags")).to_contain_text("Avoid — Age ≥ 65")


def build_plan(page, base_url):
    option(page, "pregabalin").get_by_role("link", name=re.compile(r"^Add to plan\s*: Pregabalin$")).click()
    option(page, "duloxetine").get_by_role("link", name=re.compile(r"^Add to plan\s*: Duloxetine$")).click()
    tray = page.get_by_role("region", name="Your plan")
    expect(tray).to_contain_text("Your plan: Pregabalin, Duloxetine.")
    # Adding keeps the patient in the address.
    expect(page).to_have_url(
        re.compile(r"age=72&factors=depression&plan=pregabalin&plan=duloxetine&scr=1\.6&sex=female&weight=50")
    )

    tray.get_by_role("link", name="Check this plan for interactions").click()
    expect(page).to_have_url(re.compile(r"/plan/\?"))
    interactions = page.locator("section[aria-labelledby=pairs-h]")
    expect(interactions).to_contain_text("Pregabalin + Duloxetine")
    expect(interactions).to_contain_text("Beneficial combination")
    expect(interactions.locator("tr.sev-major")).to_have_count(0)
    expect(page.locator("section[aria-labelledby=checks-h] .sev-major")).to_have_count(0)

    # The plan's drugs are ticked boxes; another is added by typing its generic name.
    expect(page.get_by_role("checkbox", name="Pregabalin", exact=True)).to_be_checked()
    page.get_by_label("Add another (drugs in the plan)").fill("Tramadol")
    page.get_by_role("button", name="Check plan").click()
    expect(page).to_have_url(re.compile(r"drugs=Tramadol"))  # as typed; the page shows it ticked
    expect(page.get_by_role("checkbox", name="Tramadol", exact=True)).to_be_checked()
    major = interactions.locator("tr.sev-major", has_text="Duloxetine + Tramadol")
    expect(major.filter(has_text="Serotonin syndrome (potentially life-threatening)")).to_have_count(1)
    expect(page.locator("section[aria-labelledby=checks-h]")).to_contain_text("Watch for serotonin syndrome")


def test_clinician_flow_updates_results_in_place_with_javascript(live_server, page):
    find_condition(page, live_server.url)
    page.evaluate("window.notReloaded = true")

    with page.expect_response(lambda r: "depression" in r.url and r.request.headers.get("hx-request") == "true"):
        enter_patient(page)
    expect(page).to_have_url(PATIENT_IN_URL)
    assert_patient_cautions(page)
    # htmx swapped #explorer in place: same document, so the marker survives.
    assert page.evaluate("window.notReloaded") is True

    build_plan(page, live_server.url)


def test_clinician_flow_works_as_a_plain_form_without_javascript(live_server, no_js_page):
    page = no_js_page
    find_condition(page, live_server.url)
    enter_patient(page)
    page.get_by_role("button", name="Show options").click()
    expect(page).to_have_url(PATIENT_IN_URL)
    assert_patient_cautions(page)

    build_plan(page, live_server.url)


@pytest.mark.parametrize("javascript", [True, False])
def test_a_creatinine_typed_into_the_crcl_box_is_questioned(live_server, request, javascript):
    page = request.getfixturevalue("page" if javascript else "no_js_page")
    page.goto(live_server.url + PDN)
    page.get_by_label("Creatinine clearance (mL/min)").fill("1.4")
    page.get_by_role("button", name="Show options").click()
    warnings = page.get_by_role("list", name="Check these inputs")
    expect(warnings).to_contain_text("did you enter serum creatinine?")
    expect(page.locator("article.option").first).to_be_visible()  # the result is still shown


def test_an_out_of_range_age_is_an_error_next_to_the_field(live_server, no_js_page):
    no_js_page.goto(live_server.url + PDN)
    no_js_page.get_by_label("Age (years)").fill("7")
    no_js_page.get_by_role("button", name="Show options").click()
    expect(no_js_page.locator("#id_age-error")).to_have_text("Age must be between 18 and 120 years.")
    expect(no_js_page.get_by_label("Age (years)")).to_have_attribute("aria-invalid", "true")
