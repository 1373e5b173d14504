import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from pypdf import PdfReader

from treatments import explorer, plan
from treatments import models as m
from treatments.validation import READING_GRADE_LIMIT, reading_grade

from .conftest import make_class, make_drug, make_interaction, make_source


@pytest.fixture
def plan_world(world):
    for key in {k for keys in plan.CHECK_SOURCES.values() for k in keys}:
        make_source(key)
    opioids = make_class("strong-opioids", name="Strong opioids")
    make_drug("oxycodone", opioids, generic_name="Oxycodone", cns_active=True)
    tramadol_snri = m.Interaction.objects.get(key="tramadol--snris")
    tramadol_snri.effect = "Serotonin syndrome; seizure risk rises."
    tramadol_snri.save()
    make_interaction(
        "gabapentinoids--strong-opioids",
        world["sources"]["label"],
        m.Severity.MAJOR,
        class_a=world["classes"]["gabapentinoids"],
        class_b=opioids,
        effect="Respiratory depression.",
    )
    pregabalin = world["drugs"]["pregabalin"]
    pregabalin.patient_what_for = "This medicine calms nerves that send pain signals."
    pregabalin.patient_how_to_take = "Take it by mouth two or three times a day."
    pregabalin.patient_side_effects = "You may feel sleepy or dizzy."
    pregabalin.save()
    return world


PLAN_FIELDS = {"drugs", "procedures", "condition", "condition_name"}


def checked(**inputs):
    """Check a plan: PlanCriteria's own fields, and the patient's inputs (explorer.make_patient)."""
    patient = explorer.make_patient(**{k: v for k, v in inputs.items() if k not in PLAN_FIELDS})
    criteria = plan.PlanCriteria(patient=patient, **{k: v for k, v in inputs.items() if k in PLAN_FIELDS})
    return plan.check(plan.load(criteria), criteria)


@pytest.mark.django_db
def test_duloxetine_with_tramadol_is_a_major_serotonin_interaction(plan_world):
    result = checked(drugs=("duloxetine", "tramadol"))
    assert [(p.a, p.b, p.severity) for p in result.pairs] == [("duloxetine", "tramadol", "major")]
    assert "Serotonin syndrome" in result.pairs[0].interaction.effect
    assert result.has_major


@pytest.mark.django_db
def test_pregabalin_with_oxycodone_is_major_respiratory_depression(plan_world):
    result = checked(drugs=("pregabalin", "oxycodone"))
    codes = {c.code: c for c in result.checks}
    assert codes["respiratory-depression"].severity == "major"
    assert codes["respiratory-depression"].sources[0].key == "fda-dsc-gabapentinoids-2019"
    assert result.pairs[0].severity == "major"


@pytest.mark.django_db
def test_gabapentin_with_pregabalin_is_duplication(plan_world):
    result = checked(drugs=("gabapentin", "pregabalin"))
    duplication = [c for c in result.checks if c.code == "duplication"]
    assert duplication and set(duplication[0].drugs) == {"gabapentin", "pregabalin"}


@pytest.mark.django_db
def test_three_cns_active_drugs_in_an_older_adult(plan_world):
    result = checked(drugs=("amitriptyline", "pregabalin", "oxycodone"), age=78)
    beers = [c for c in result.checks if c.code == "beers-cns"]
    assert beers and beers[0].severity == "major" and len(beers[0].drugs) == 3


@pytest.mark.django_db
def test_three_cns_active_drugs_in_a_younger_adult_is_not_a_beers_warning(plan_world):
    assert "beers-cns" not in {
        c.code for c in checked(drugs=("amitriptyline", "pregabalin", "oxycodone"), age=50).checks
    }


@pytest.mark.django_db
def test_pregabalin_with_duloxetine_is_a_supported_complementary_combination(plan_world):
    result = checked(drugs=("pregabalin", "duloxetine"))
    (pair,) = result.complementarity
    assert pair.supported and pair.different_mechanism
    assert not result.has_major
    assert [p.severity for p in result.pairs] == ["beneficial"]


@pytest.mark.django_db
def test_serotonergic_load_and_anticholinergic_burden(plan_world):
    result = checked(drugs=("amitriptyline", "duloxetine", "tramadol"), age=70)
    codes = {c.code: c.severity for c in result.checks}
    assert codes["serotonergic-load"] == "major"
    assert codes["anticholinergic-burden"] == "major"


@pytest.mark.django_db
def test_current_medicines_are_checked_against_the_plan(plan_world):
    result = checked(drugs=("duloxetine",), current=("tramadol",))
    assert result.pairs[0].severity == "major"
    assert [d.slug for d in result.current] == ["tramadol"]


@pytest.mark.django_db
def test_patient_factors_are_reapplied_to_each_item(plan_world):
    result = checked(drugs=("pregabalin", "duloxetine"), crcl=20)
    pregabalin, duloxetine = result.items
    assert pregabalin.dose_limit.value == 150
    assert duloxetine.status == "avoid"


def test_plan_page_shows_the_warning_with_its_source(client, plan_world):
    response = client.get(reverse("treatments:plan"), {"drugs": ["duloxetine", "tramadol"]})
    assert response.status_code == 200
    assert "Serotonin syndrome" in response.text
    assert "Duloxetine + Tramadol" in response.text


def test_plan_page_bad_input_is_a_form_error(client, plan_world):
    response = client.get(reverse("treatments:plan"), {"drugs": "pregabalin,nonsense", "crcl": "x"})
    assert response.status_code == 400
    assert (
        "No published medicine is called “nonsense”" in response.text
        and "Enter creatinine clearance as a number" in response.text
    )
    assert 'value="nonsense"' in response.text  # given back in the box, to correct


def test_plan_page_limits_the_number_of_items(client, plan_world):
    many = list(m.Drug.objects.values_list("slug", flat=True))[: plan.MAX_ITEMS + 1]
    assert len(many) == plan.MAX_ITEMS + 1
    response = client.get(reverse("treatments:plan"), {"drugs": many})
    assert response.status_code == 400
    assert f"at most {plan.MAX_ITEMS} items" in response.text


@pytest.mark.parametrize("extra", [0, 4])
def test_plan_page_query_count_is_constant(client, plan_world, django_assert_num_queries, extra):
    from .conftest import grow, without_nonce

    grow(plan_world, extra)
    params = {"drugs": ["pregabalin", "duloxetine"], "crcl": 25, "age": 70}
    # Cold cache: the knowledge-base version (treatments/cache.py), patient factors for the form, the
    # drug names entered (one lookup), then the plan's parts (cache.plan_data): its drugs with 13 prefetches
    # (see Drug.objects.for_explorer), the interactions touching them or their classes (+ sources, + the rules
    # they override) and the sources the checks cite; and the medicine vocabulary with the mechanism rules (8,
    # once per process).
    with django_assert_num_queries(31):
        assert client.get(reverse("treatments:plan"), params).status_code == 200
    # Warm cache, new query string: only the version; the choices, names and plan data are cached.
    with django_assert_num_queries(1):
        warm = client.get(reverse("treatments:plan"), {**params, "age": 71})
    assert warm.status_code == 200
    # Another plan of drugs already read, for a patient with another current medicine: still only the version
    # (the plan's data is assembled from parts kept per drug and class).
    with django_assert_num_queries(1):
        other = client.get(reverse("treatments:plan"), {"drugs": ["duloxetine"], "current": "pregabalin", "age": 60})
    assert other.status_code == 200
    with django_assert_num_queries(1):  # the same query string again: the cached page
        again = client.get(reverse("treatments:plan"), {**params, "age": 71})
    assert without_nonce(again.text) == without_nonce(warm.text)


def test_explorer_add_to_plan_links_keep_the_plan(client, plan_world):
    url = reverse("treatments:condition", args=["painful-diabetic-neuropathy"])
    response = client.get(url, {"plan": "pregabalin", "age": 72})
    assert "Your plan:" in response.text
    assert "plan=pregabalin&amp;plan=duloxetine" in response.text
    assert "/plan/?condition=painful-diabetic-neuropathy&amp;drugs=pregabalin&amp;age=72" in response.text


SUMMARY_PARAMS = {"drugs": ["pregabalin"], "condition": "painful-diabetic-neuropathy", "age": 72, "crcl": 25}


def test_patient_summary_is_plain_language(client, plan_world):
    response = client.get(reverse("treatments:summary"), SUMMARY_PARAMS)
    assert response.status_code == 200
    summary = response.context["summary"]
    texts = [summary.condition_text, summary.avoid_intro, *summary.next_steps]
    for item in summary.items:
        texts += [item.what_for, item.how_to_take, item.time_to_effect, item.side_effects, item.when_to_call]
    for text in texts:
        assert reading_grade(text) <= READING_GRADE_LIMIT, text
    assert "Pregabalin" in response.text and "Print" in response.text
    assert "Content as of" in response.text and 'src="data:image/png;base64,' in response.text


def test_summary_contains_nothing_identifying(client, plan_world):
    response = client.get(reverse("treatments:summary"), SUMMARY_PARAMS)
    text = response.text.split('<main id="main">')[1]  # what prints (the screen-only toolbar is outside)
    assert "<input" not in text and "<form" not in text  # name and notes are blank lines for handwriting
    # The printed link opens the same doses: it carries the plan and the inputs the doses depend on, never a name.
    link = text.split('class="url">')[1].split("</span>")[0].replace("&amp;", "&")
    assert set(parse_qs(urlsplit(link).query)) == {"drugs", "condition", "age", "crcl"}
    assert ">72<" not in text


def test_summary_pdf_is_produced_and_contains_the_drug(client, plan_world, tmp_path):
    response = client.get(reverse("treatments:summary_pdf"), SUMMARY_PARAMS)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    path = tmp_path / "summary.pdf"
    path.write_bytes(response.content)
    text = "".join(page.extract_text() for page in PdfReader(path).pages)
    assert "Pregabalin" in text and "calms nerves" in text
    assert "Compare drugs" not in text and "Back to the plan" not in text


def test_clinician_summary_has_doses_and_sources(client, plan_world):
    response = client.get(reverse("treatments:clinician_summary"), SUMMARY_PARAMS)
    assert response.status_code == 200
    assert "at most 150 mg/day" in response.text and "US label" in response.text


def test_plan_takes_procedures_and_the_condition_by_name(client, plan_world):
    params = {"drugs": "Lyrica", "procedures": "spinal cord stimulation", "condition": "Painful diabetic neuropathy"}
    response = client.get(reverse("treatments:plan"), params)
    assert response.status_code == 200
    text = response.text
    assert 'name="procedures" value="spinal-cord-stimulation" id="id_procedures_0" checked' in text
    assert 'name="drugs" value="pregabalin" id="id_drugs_0" checked' in text
    assert 'id="id_condition" value="Painful diabetic neuropathy"' in text
    # The summary link carries slugs, whatever was typed.
    assert "condition=painful-diabetic-neuropathy" in text and "procedures=spinal-cord-stimulation" in text


def test_plan_page_lists_no_catalogue_of_procedures_or_conditions(client, plan_world):
    """The page costs the same however many procedures and conditions there are: they are typed."""
    text = client.get(reverse("treatments:plan")).text
    # The only lists are the patient's own short choices (sex, dialysis, Child–Pugh, gene results).
    assert all(len(re.findall("<option", select)) <= 6 for select in re.findall(r"<select.*?</select>", text, re.S))
