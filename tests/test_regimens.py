"""Regimens and the "For this patient" answer on the real knowledge base (issue 16).

Every number a regimen shows is this patient's: the label's schedule, the renal band's own start and steps
where the label's renal table gives them, an age adjustment where the label has one, capped at this
patient's maximum. The cases sit at the edges of each band and threshold."""

from decimal import Decimal

import pytest

from treatments import answer, explorer, medicines
from treatments import models as m
from treatments.explorer import make_patient
from treatments.validation import titration_problems

pytestmark = pytest.mark.django_db

PDN, PHN, TN = "painful-diabetic-neuropathy", "postherpetic-neuralgia", "trigeminal-neuralgia"


@pytest.fixture(scope="module")
def real_data(real_kb_database, django_db_blocker):
    """The real knowledge base's vocabulary and every published condition's data, read once for the module."""
    with real_kb_database.active(), django_db_blocker.unblock():
        vocabulary = medicines.load_vocabulary()
        data = {c.slug: explorer.load_condition(c) for c in m.Condition.objects.published()}
    return vocabulary, data


@pytest.fixture
def real_kb(real_kb, real_data):
    """The test runs on the real knowledge base (tests/conftest.py); here its value is (vocabulary, data)."""
    return real_data


def drug_info(real_kb, condition, slug):
    _, data = real_kb
    return next(d for t in data[condition].targets for d in t.members if d.slug == slug)


def regimen(real_kb, condition, slug, **patient):
    return explorer.regimen(drug_info(real_kb, condition, slug), make_patient(**patient), condition)


def evaluate(real_kb, condition, current=(), **patient):
    vocabulary, data = real_kb
    slugs = vocabulary.current(current)
    return explorer.evaluate(
        explorer.with_current(data[condition], vocabulary, slugs), make_patient(current=slugs, **patient)
    )


def numbers(r):
    return (
        r.start.value if r.start else None,
        [(s.after_days, s.dose.value) for s in r.steps],
        r.max.value if r.max else None,
    )


# --- the label's schedule, then the renal table's -------------------------------------------------------------


@pytest.mark.parametrize(
    ("crcl", "start", "steps", "maximum"),
    [
        (None, 150, [(7, 300)], 600),  # label: 150 mg/day, 300 within 1 week, up to 600
        (60, 150, [(7, 300)], 600),  # CrCl ≥ 60 is normal kidney function
        (59, 75, [(7, 150)], 300),  # Lyrica renal table, CrCl 30–60 column
        (30, 75, [(7, 150)], 300),  # the band includes its lower bound
        (29, 25, [(7, 75)], 150),  # CrCl 15–30
        (15, 25, [(7, 75)], 150),
        (14, 25, [], 75),  # CrCl < 15: a start, no timed step in the table
    ],
)
def test_pregabalin_phn_regimen_by_crcl(real_kb, crcl, start, steps, maximum):
    r = regimen(real_kb, PHN, "pregabalin", crcl=Decimal(crcl) if crcl is not None else None)
    assert numbers(r) == (start, steps, maximum)
    assert {s.key for s in r.sources} >= {"label-lyrica"}


def test_pregabalin_normal_schedule_keeps_the_labels_words(real_kb):
    r = regimen(real_kb, PHN, "pregabalin")
    assert r.start.text == "75 mg twice a day or 50 mg three times a day"
    assert r.start.per_dose == 75 and r.start.times == 2
    assert (r.target.value, r.target.high) == (300, 600)
    assert not r.notes


def test_a_renal_band_gives_its_dosing_interval_not_the_normal_texts(real_kb):
    # Gabapentin has no renal schedule of its own: the normal doses, at the band's interval, never above its maximum.
    r = regimen(real_kb, PHN, "gabapentin", crcl=Decimal(20))
    assert numbers(r) == (300, [(1, 600), (2, 700)], 700)
    assert all("twice" not in s.dose.text and "three times" not in s.dose.text for s in r.steps)
    assert r.steps[-1].dose.text.startswith("700 mg a day")
    assert any("at most 700" in n for n in r.notes)


def test_a_band_whose_start_the_label_does_not_give_gets_no_start(real_kb):
    # Horizant below CrCl 15: 300 mg every other day; the normal 600 mg start is above the band's maximum.
    r = regimen(real_kb, PHN, "gabapentin-enacarbil", crcl=Decimal(10))
    assert r.start is None and r.steps == ()
    assert r.max.value == 300
    assert any("every other day" in n for n in r.notes)


def test_haemodialysis_gives_the_lowest_band_and_its_supplement(real_kb):
    r = regimen(real_kb, PHN, "pregabalin", dialysis="hd")
    assert r.max.value == 75 and r.dialysis_supplement


def test_kidney_function_known_only_roughly_is_flagged_uncertain(real_kb):
    r = regimen(real_kb, PHN, "pregabalin", factors=("renal-impairment",))
    assert not r.certain
    assert r.max.value < 600


def test_a_renal_avoid_gives_no_regimen(real_kb):
    r = regimen(real_kb, PDN, "duloxetine", crcl=Decimal(29))
    assert r.avoid and r.start is None and r.max is None
    assert not regimen(real_kb, PDN, "duloxetine", crcl=Decimal(30)).avoid


# --- age adjustments ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("age", "maximum"), [(74, 400), (75, 300), (90, 300)])
def test_tramadol_maximum_over_75(real_kb, age, maximum):
    r = regimen(real_kb, PDN, "tramadol", age=age)
    assert r.max.value == maximum
    assert all(s.dose.value <= maximum for s in r.steps)
    limit = explorer.dose_limit(drug_info(real_kb, PDN, "tramadol"), make_patient(age=age), PDN)
    assert limit.value == maximum


def test_an_older_adult_of_unknown_age_may_be_over_75(real_kb):
    limit = explorer.dose_limit(drug_info(real_kb, PDN, "tramadol"), make_patient(factors=("older-adult",)), PDN)
    assert (limit.value, limit.certain) == (300, False)


# --- invariants over every drug, condition and patient ---------------------------------------------------------

PATIENTS = [
    {},
    {"crcl": Decimal(10)},
    {"crcl": Decimal(20)},
    {"crcl": Decimal(35)},
    {"crcl": Decimal(59)},
    {"dialysis": "hd"},
    {"age": 80},
    {"age": 80, "crcl": Decimal(25), "child_pugh": "b"},
]


def test_every_regimen_goes_up_from_its_start_and_never_above_its_maximum(real_kb):
    _, data = real_kb
    checked = 0
    for condition, cdata in data.items():
        for drug in {d.slug: d for t in cdata.targets for d in t.members}.values():
            for inputs in PATIENTS:
                r = explorer.regimen(drug, make_patient(**inputs), condition)
                if r is None or r.avoid:
                    continue
                checked += 1
                where = f"{drug.slug} in {condition} for {inputs}"
                doses = [r.start.value] if r.start else []
                doses += [s.dose.value for s in r.steps]
                assert doses == sorted(set(doses)), where
                if r.max is not None:
                    assert all(d <= r.max.value for d in doses), where
                    assert r.target is None or (r.target.high or r.target.value) <= r.max.value, where
                assert [s.after_days for s in r.steps] == sorted({s.after_days for s in r.steps}), where
                assert r.start is not None or not r.steps, where
    assert checked > 300


# --- the content rules ---------------------------------------------------------------------------------------


def test_titration_problems_refuse_a_step_above_the_maximum_or_going_down():
    dose = m.DoseGuidance(starting_dose=Decimal(150), max_daily_dose=Decimal(600), unit="mg/day")
    ok = [m.TitrationStep(after_days=7, daily_dose=Decimal(300)), m.TitrationStep(after_days=14, daily_dose=600)]
    assert titration_problems(dose, ok) == []
    above = [m.TitrationStep(after_days=7, daily_dose=Decimal(700))]
    assert "above the maximum" in titration_problems(dose, above)[0]
    down = [m.TitrationStep(after_days=7, daily_dose=Decimal(300)), m.TitrationStep(after_days=9, daily_dose=200)]
    assert "below the dose before it" in titration_problems(dose, down)[0]
    # A renal band's own schedule starts afresh (its start is the band's).
    band = [m.TitrationStep(after_days=7, daily_dose=Decimal(75), crcl_min=15)]
    assert titration_problems(dose, band) == []


def test_an_adjustment_must_say_whom_it_applies_to():
    adj = m.DoseAdjustment(key="x", max_daily_dose=Decimal(1), child_pugh=["d"])
    assert adj.rule_problems() == ["Unknown Child–Pugh class d."]
    assert "Give the age" in m.DoseAdjustment(key="y", max_daily_dose=1).rule_problems()[0]


# --- the answer ------------------------------------------------------------------------------------------------


def test_older_adult_on_tramadol_with_reduced_kidney_function(real_kb):
    result = evaluate(real_kb, PDN, current=["tramadol"], age=78, crcl=Decimal(31))
    a = answer.answer(result)
    picked = [p.name for p in a.picks]
    # The class members with a label for this condition stand for their class.
    assert picked[:2] == ["Duloxetine", "Pregabalin"]
    pregabalin = next(p for p in a.picks if p.name == "Pregabalin")
    assert numbers(pregabalin.regimen) == (75, [(7, 150)], 150)
    assert pregabalin.monitoring
    assert "Amitriptyline" in {x.option.name for x in a.avoid}
    assert "Tramadol" not in picked
    # The current tramadol with the suggested duloxetine: the serotonin interaction and what to do.
    review = [r for r in a.review if r.medicine == "Tramadol" and "Duloxetine" in r.text]
    assert review and review[0].severity == m.Severity.MAJOR
    assert review[0].sources


def test_three_cns_active_medicines_in_an_older_adult_are_reviewed(real_kb):
    result = evaluate(real_kb, PDN, current=["tramadol", "sertraline", "diazepam"], age=78)
    a = answer.answer(result)
    assert any("3 CNS-active medicines" in r.text for r in a.review)
    assert any("Tramadol with Sertraline" in r.text for r in a.review)
    assert all(p.status in answer.SUGGESTIBLE for p in a.picks)


def test_tests_before_starting_come_with_the_suggestion(real_kb):
    a = answer.answer(evaluate(real_kb, TN, age=40))
    assert a.picks[0].name == "Carbamazepine"
    assert any("HLA-B" in t.applies_when for t in a.tests)


def test_no_patient_no_answer(real_kb):
    assert answer.answer(evaluate(real_kb, PDN)) is None


def test_picks_never_include_an_option_to_avoid(real_kb):
    _, data = real_kb
    for condition in data:
        for inputs in PATIENTS[1:]:
            a = answer.answer(evaluate(real_kb, condition, **inputs))
            assert len(a.picks) <= answer.MAX_PICKS
            assert all(p.status in answer.SUGGESTIBLE for p in a.picks), (condition, inputs)
            names = [p.name for p in a.picks]
            assert len(names) == len(set(names)), (condition, inputs)


# --- the page and the API ---------------------------------------------------------------------------------------


def test_the_answer_is_first_on_the_page_and_the_filters_last(real_kb, client):
    page = client.get(f"/conditions/{PDN}/", {"age": 78, "crcl": 31, "current": "tramadol"}).text
    assert page.index('id="patient-line"') < page.index('id="answer"') < page.index('id="results-heading"')
    assert page.index('id="results-heading"') < page.index('id="filters"')
    assert "78 y · CrCl 31 · 1 medicine" in page
    assert "Never above 150 mg a day" in page  # pregabalin at CrCl 31
    assert '<details class="option-detail">' in page


def test_without_a_patient_the_page_asks_for_one(real_kb, client):
    page = client.get(f"/conditions/{PDN}/").text
    assert 'id="answer"' not in page
    assert "to get the options for this patient, with doses" in page


def test_api_gives_each_drug_option_this_patients_regimen(real_kb, client):
    api = client.get("/api/v1/explore/", {"condition": PHN, "crcl": 45}).json()
    pregabalin = next(o for o in api["options"] if o["slug"] == "pregabalin" and o["kind"] == "drug")
    r = pregabalin["regimen"]
    assert (r["start"]["value"], r["start"]["unit"]) == (75, "mg/day") and r["start"]["text"]
    assert [(s["after_days"], s["value"], s["unit"]) for s in r["steps"]] == [(7, 150, "mg/day")]
    assert r["max"]["value"] == 300 and r["target"]["value"] == 300
    assert "label-lyrica" in {s["key"] for s in r["sources"]}
    classes = [o for o in api["options"] if o["kind"] == "drug_class"]
    assert all(o["regimen"] is None for o in classes)
    assert all("regimen" in mb for o in classes for mb in o["members"])


# --- the handout -----------------------------------------------------------------------------------------------

HANDOUT = {
    "drugs": ["pregabalin", "duloxetine", "tramadol"],
    "condition": PDN,
    "age": 78,
    "crcl": 35,
    "current": ["tramadol", "sertraline"],
}


def handout_text(page):
    """The printed text of a handout: headings, paragraphs, list items and calendar cells, without the link."""
    import html
    import re

    main = page.split('<main id="main">')[1].split('<footer class="sheet-foot">')[0]
    text = re.sub(r"<(h[1-3]|p|li|td|th)[^>]*>", "\n", main)
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    return [" ".join(line.split()) for line in text.split("\n") if line.strip() and not line.strip().isdigit()]


def test_the_handout_gives_this_patients_dose_and_a_calendar(real_kb, client):
    page = client.get("/plan/summary/", {**HANDOUT, "drugs": ["pregabalin"]}).text
    # Pregabalin at CrCl 35: the Lyrica renal table's start (75 mg a day), its step and its maximum.
    assert "Take 75 mg in total each day, split as your doctor says." in page
    assert "Never take more than 150 mg in one day." in page
    assert page.count('class="box"') == 21  # the start week, the step week and the week after it
    assert 'Pregabalin <span class="brands">(Lyrica' in page
    assert "You also take Tramadol." in page


def test_the_english_handout_reads_at_grade_6_or_below(real_kb, client):
    import textstat

    lines = handout_text(client.get("/plan/summary/", HANDOUT).text)
    assert len(lines) > 30
    text = " ".join(line if line.endswith((".", ":", "?", "!")) else line + "." for line in lines)
    assert textstat.flesch_kincaid_grade(text) <= 6.0


def test_the_spanish_handout_reads_normal_or_easier(real_kb, client):
    from treatments.validation import spanish_reading_ease

    response = client.get("/plan/summary/", {**HANDOUT, "lang": "es"})
    assert response["Content-Language"] == "es" and '<html lang="es">' in response.text
    lines = handout_text(response.text)
    text = " ".join(line if line.endswith((".", ":", "?", "!")) else line + "." for line in lines)
    assert spanish_reading_ease(text) >= 55
    assert "Su dosis" in response.text and "Nunca tome más de 150 mg en un día." in response.text
    # The oldest review of the Spanish texts shown, in Spanish.
    reviewed = min(m.Drug.objects.filter(slug__in=HANDOUT["drugs"]).values_list("spanish_reviewed", flat=True))
    months = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre"]
    months += ["noviembre", "diciembre"]
    when = f"{reviewed.day} de {months[reviewed.month - 1]} de {reviewed.year}"
    assert f"Traducido de la versión en inglés. Revisado el {when}" in response.text


def test_a_spanish_browser_gets_the_spanish_handout_and_an_english_address_stays_english(real_kb, client):
    response = client.get("/plan/summary/", {"drugs": "pregabalin"}, HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9")
    assert response.status_code == 302 and "lang=es" in response["Location"]
    english = client.get("/plan/summary/", {"drugs": "pregabalin", "lang": "en"}, HTTP_ACCEPT_LANGUAGE="es")
    assert english.status_code == 200 and english["Content-Language"] == "en"
    assert "Accept-Language" in english["Vary"]


def test_a_spanish_text_older_than_its_english_is_not_shown(real_kb, client):
    drug = m.Drug.objects.get(slug="pregabalin")
    spanish = drug.patient_what_for_es
    drug.patient_what_for_en = drug.patient_what_for_en + " Ask your doctor."
    drug.save()
    assert drug.spanish_state == "stale"
    page = client.get("/plan/summary/", {"drugs": "pregabalin", "lang": "es"}).text
    assert spanish not in page
    assert drug.patient_what_for_en in page
    assert "Parte de este texto está en inglés" in page


def test_the_summary_api_speaks_spanish(real_kb, client):
    body = client.get("/api/v1/summary/", {**HANDOUT, "lang": "es"}).json()
    pregabalin = body["items"][0]
    assert body["lang"] == "es" and pregabalin["never_more"] == "Nunca tome más de 150 mg en un día."
    assert pregabalin["calendar"][0]["segments"][0]["words"].startswith("Tome 75 mg")
    assert pregabalin["regimen"]["max"]["value"] == 150
    assert client.get("/api/v1/summary/", {**HANDOUT, "lang": "fr"}).status_code == 400


def test_every_published_spanish_text_reads_normal_or_easier_and_every_english_at_grade_6():
    from treatments.validation import PATIENT_TEXT_FIELDS, patient_text_problems

    offenders = [
        (obj.slug, problem)
        for model in PATIENT_TEXT_FIELDS
        for obj in model.objects.published()
        for problem in patient_text_problems(obj).values()
    ]
    assert offenders == []


def test_copy_to_note_gives_the_plan_with_this_patients_numbers_and_sources(real_kb, client):
    params = {**HANDOUT, "drugs": ["pregabalin", "duloxetine"]}
    note = client.get("/plan/note.txt", params)
    assert note["Content-Type"].startswith("text/plain")
    text = note.text
    assert "Patient (as entered, no identifiers): 78 y · CrCl 35 · 2 medicines" in text
    assert "- Pregabalin (" in text and "max 150 mg a day" in text
    assert "Tramadol" in text and "Sources:" in text and "Lyrica US label" in text
    page = client.get("/plan/", params).text
    assert '<textarea id="plan-note" readonly' in page and "max 150 mg a day" in page
    assert client.get("/plan/note.txt", {"drugs": "not-a-drug"}).status_code == 400


def test_the_spanish_pdf(real_kb, client, tmp_path):
    from pypdf import PdfReader

    response = client.get("/plan/summary.pdf", {**HANDOUT, "drugs": ["pregabalin"], "lang": "es"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "plan-de-tratamiento.pdf" in response["Content-Disposition"]
    path = tmp_path / "plan.pdf"
    path.write_bytes(response.content)
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(path).pages)
    assert "Su dosis" in text and "Nunca tome más de 150 mg en un día." in text
    assert "Traducido de la versión en inglés" in text


def test_the_compare_page_carries_the_patient_and_shows_regimens_lines_and_interactions(real_kb, client):
    params = {"drugs": ["pregabalin", "duloxetine"], "condition": PDN, "age": 78, "crcl": 35, "current": "tramadol"}
    page = client.get("/compare/", params).text
    assert '<input type="checkbox" name="drugs" value="pregabalin" id="compare-pregabalin" checked>' in page
    assert "Ctrl" not in page
    assert "Regimen for this patient" in page and "Never above 150 mg a day." in page
    assert "Line for painful diabetic neuropathy" in page
    assert "With the current medicines" in page and "Tramadol" in page
    assert '<input type="hidden" name="crcl" value="35">' in page
