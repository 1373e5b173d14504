"""The patient prints the summary: Chromium's print output on A4 and Letter, checked by reading the PDF's text."""

import io
import re

import pytest
from pypdf import PdfReader

from treatments import models as m

from .pages import PLAN_QUERY

pytestmark = pytest.mark.e2e

# Page sizes in PDF points (1/72 inch).
SIZES = {"A4": (595.3, 841.9), "Letter": (612.0, 792.0)}
SITE_CHROME = [
    "Skip to main content",
    "Compare drugs",
    "Search",
    "Back to the plan",
    "Download PDF",
    "Nothing you enter is stored",
]


def words(text):
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize("paper", SIZES)
def test_printed_patient_summary_has_the_chosen_drugs_in_plain_words_and_no_site_navigation(paper, live_server, page):
    page.goto(live_server.url + "/plan/summary/?" + PLAN_QUERY)
    page.emulate_media(media="print")
    pdf = PdfReader(io.BytesIO(page.pdf(format=paper, print_background=True)))

    width, height = SIZES[paper]
    for sheet in pdf.pages:
        assert (float(sheet.mediabox.width), float(sheet.mediabox.height)) == pytest.approx((width, height), abs=1)
    assert len(pdf.pages) <= 4
    text = words(" ".join(sheet.extract_text() for sheet in pdf.pages))

    assert "Your treatment plan" in text
    for chrome in SITE_CHROME:
        assert chrome not in text
    for slug in ("pregabalin", "duloxetine"):
        drug = m.Drug.objects.get(slug=slug)
        assert drug.generic_name in text
        # The plain-language "what it is for" sentence, not the clinician's wording.
        assert words(drug.patient_what_for)[:60] in text
    assert "What it is for" in text
    assert "When to call your doctor" in text
    # Patient factors travel in the address but never onto the patient's sheet.
    assert "CrCl" not in text
    assert "Creatinine clearance" not in text
