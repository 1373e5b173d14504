"""A patient with eight everyday medicines, one of them not recognised, still gets options and interaction flags,
in a real browser, with and without JavaScript (issue 15)."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PHN = "/conditions/postherpetic-neuralgia/"
EIGHT = "metformin, Lisinopril 10 mg, atorvastatin, Eliquis, citalopram, omeprazole, Cipro, Zzqxol"


@pytest.mark.parametrize("javascript", [True, False])
def test_eight_everyday_medicines_keep_the_options_and_flag_interactions(live_server, request, javascript):
    page = request.getfixturevalue("page" if javascript else "no_js_page")
    page.goto(live_server.url + PHN)
    page.get_by_label("Age (years)").fill("60")
    box = page.get_by_label("Add a medicine (current medicines)")
    box.fill(EIGHT)
    if javascript:
        with page.expect_response(lambda r: "current=" in r.url and r.request.headers.get("hx-request") == "true"):
            box.press("Enter")
    else:
        page.get_by_role("button", name="Show options").click()
    expect(page).to_have_url(re.compile(r"current="))

    # Seven are recognised and become ticked boxes, by their generic names; the eighth is listed back.
    for name in ["Metformin", "Lisinopril", "Atorvastatin", "Apixaban", "Citalopram", "Omeprazole", "Ciprofloxacin"]:
        expect(page.get_by_role("checkbox", name=name, exact=True)).to_be_checked()
    not_checked = page.get_by_role("region", name="Medicines not checked")
    expect(not_checked).to_contain_text("Not recognised — not checked")
    expect(not_checked).to_contain_text("“Zzqxol”")

    # Options are still there, with interaction flags from curated pairs and mechanism rules.
    options = page.locator("article.option")
    expect(options.first).to_be_visible()
    assert options.count() > 10
    tca = page.locator("article.option:has(#opt-drug_class-tricyclic-antidepressants)")
    expect(tca.locator(".interactions")).to_contain_text("interaction with Citalopram")
    expect(tca.locator(".interactions")).to_contain_text("interaction of Amitriptyline with Apixaban")
    snri = page.locator("article.option:has(#opt-drug_class-snris)")
    expect(snri.locator(".interactions")).to_contain_text(
        "mechanism rule: Moderate CYP1A2 inhibitor with a sensitive CYP1A2 substrate"
    )
