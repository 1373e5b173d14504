import re

import pytest
from django.urls import reverse

from .conftest import grow, without_nonce


@pytest.fixture
def condition_url(world):
    return reverse("treatments:condition", args=["painful-diabetic-neuropathy"])


def test_home_lists_conditions_by_category(client, world, django_assert_num_queries):
    with django_assert_num_queries(2):  # the knowledge-base version (page cache key), conditions
        response = client.get(reverse("treatments:home"))
    assert response.status_code == 200
    with django_assert_num_queries(1):  # the version: the page comes from the cache
        again = client.get(reverse("treatments:home"))
    assert without_nonce(again.text) == without_nonce(response.text)
    assert "Painful diabetic neuropathy" in response.text
    assert "Metabolic and nutritional polyneuropathy" in response.text


def test_condition_page_lists_options_workup_and_sources(client, condition_url):
    response = client.get(condition_url)
    assert response.status_code == 200
    text = response.text
    assert "First line" in text and "Gabapentinoids" in text and "HbA1c" in text
    assert "NeuPSIG 2015" in text and "Spinal cord stimulation" in text
    assert "Guidelines disagree" in text  # tramadol


def test_condition_page_sentence_and_renal_limit(client, condition_url):
    response = client.get(condition_url, {"age": 72, "crcl": 25, "factors": "depression"})
    assert response.status_code == 200
    assert (
        "Options for painful diabetic neuropathy in a 72-year-old with CrCl 25 mL/min and depression" in response.text
    )
    assert "at most 150 mg/day at CrCl 15–29 mL/min" in response.text


def test_htmx_request_gets_only_the_explorer_fragment(client, condition_url):
    response = client.get(condition_url, {"age": 72}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="explorer"')
    assert "<html" not in response.text


# Cold cache: the knowledge-base version (treatments/cache.py), condition (+ sources prefetch),
# recommendations (+ sources), the recommended drugs and class members with 9 prefetches (cautions +
# sources, class cautions + sources, bands + sources, default doses + sources, schedules, approvals),
# the drugs' medicines and their properties (+ sources), procedure indications (+ sources), work-up
# (+ sources), interactions touching them (+ sources, + the rules they override), patient factors for the
# form, the source cited for duplication, and the medicine vocabulary (8 queries, once per process and
# knowledge-base version: see treatments/medicines.py).
CONDITION_QUERIES = 38
# Warm, new query string: the version only (the condition, its data, factors and medicines are in this process).
CONDITION_QUERIES_WARM = 1


@pytest.mark.parametrize("extra", [0, 6])
def test_condition_page_query_count_is_constant(client, world, condition_url, django_assert_num_queries, extra):
    grow(world, extra)
    params = {"age": 80, "crcl": 20, "current": "tramadol", "factors": "depression"}
    with django_assert_num_queries(CONDITION_QUERIES):
        response = client.get(condition_url, params)
    assert response.status_code == 200
    with django_assert_num_queries(CONDITION_QUERIES_WARM):
        warm = client.get(condition_url, {**params, "age": 81})
    assert warm.status_code == 200
    with django_assert_num_queries(1):  # the same query string again: the version, then the cached page
        again = client.get(condition_url, {**params, "age": 81})
    assert without_nonce(again.text) == without_nonce(warm.text)


@pytest.mark.parametrize(
    ("params", "field_error"),
    [
        ({"crcl": "abc"}, "Enter creatinine clearance as a number."),
        ({"age": "-5"}, "Age must be between 18 and 120 years."),
        ({"factors": "not-a-factor"}, "Select a valid choice."),
        ({"line": "zeroth"}, "Select a valid choice."),
        ({"age": "9" * 40}, "Age must be between 18 and 120 years."),
        ({"current": "tramadol\x00"}, "A name cannot contain control characters."),
    ],
)
def test_bad_input_shows_a_form_error_and_no_results(client, condition_url, params, field_error):
    response = client.get(condition_url, params)
    assert response.status_code == 200
    assert field_error in response.text
    assert "no options are shown" in response.text
    assert 'class="option' not in response.text


def test_unknown_condition_is_404(client, world):
    assert client.get(reverse("treatments:condition", args=["no-such-thing"])).status_code == 404


def test_draft_condition_is_invisible(client, world):
    world["condition"].status = "draft"
    world["condition"].save()
    assert client.get(reverse("treatments:condition", args=["painful-diabetic-neuropathy"])).status_code == 404
    assert "Painful diabetic neuropathy" not in client.get(reverse("treatments:home")).text


def test_comma_separated_factors_are_accepted(client, condition_url):
    response = client.get(condition_url, {"factors": "depression,epilepsy"})
    assert "depression and epilepsy" in response.text


def test_csv_export_uses_the_same_state(client, world):
    url = reverse("treatments:condition_csv", args=["painful-diabetic-neuropathy"])
    response = client.get(url, {"crcl": 20, "kind": "drug"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = response.content.decode().splitlines()
    assert rows[0].startswith("kind,slug,name,line")
    pregabalin = next(r for r in rows if r.startswith("drug,pregabalin"))
    assert "at most 150 mg/day" in pregabalin
    assert not any(r.startswith("drug_class") for r in rows[1:])


def test_csv_with_bad_input_is_400(client, world):
    url = reverse("treatments:condition_csv", args=["painful-diabetic-neuropathy"])
    response = client.get(url, {"crcl": "abc"})
    assert response.status_code == 400
    assert b"crcl" in response.content


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("PDN", "Painful diabetic neuropathy"),
        ("pdn", "Painful diabetic neuropathy"),
        ("Lyrica", "Pregabalin"),
        ("neurontin", "Gabapentin"),
        ("SNRI", "Duloxetine"),
        ("E11.42", "Painful diabetic neuropathy"),
        ("e1142", "Painful diabetic neuropathy"),
        ("spinal cord", "Spinal cord stimulation"),
    ],
)
def test_search_finds_by_name_brand_abbreviation_and_code(client, world, q, expected):
    response = client.get(reverse("treatments:search"), {"q": q})
    assert response.status_code == 200
    assert expected in response.text


def test_search_too_long_is_a_clear_error(client, world):
    response = client.get(reverse("treatments:search"), {"q": "x" * 500})
    assert response.status_code == 400
    assert "at most 100 characters" in response.text


def test_search_escapes_input(client, world):
    response = client.get(reverse("treatments:search"), {"q": "<script>alert(1)</script>"})
    assert "<script>alert(1)</script>" not in response.text


@pytest.mark.parametrize("extra", [0, 5])
def test_drug_page_query_count_is_constant(client, world, django_assert_num_queries, extra):
    grow(world, extra)
    # The version, 20 queries for the drug and its prefetches (its medicine's properties + sources, its
    # titration steps, age adjustments and monitoring among them), the interactions touching the drug or its
    # class (+ sources, + the rules they override).
    with django_assert_num_queries(24):
        response = client.get(reverse("treatments:drug", args=["pregabalin"]))
    assert response.status_code == 200
    with django_assert_num_queries(24):
        assert client.get(reverse("treatments:drug", args=["duloxetine"])).status_code == 200
    with django_assert_num_queries(1):  # the version: the page comes from the cache
        again = client.get(reverse("treatments:drug", args=["pregabalin"]))
    assert without_nonce(again.text) == without_nonce(response.text)
    assert "CrCl 15–29 mL/min" in response.text
    assert "Last reviewed" in response.text


@pytest.mark.parametrize(
    ("name", "arg"),
    [
        ("drug_class", "snris"),
        ("procedure", "spinal-cord-stimulation"),
        ("diagnostic", "hba1c"),
        ("source", "label"),
    ],
)
def test_detail_pages_respond_and_show_review_date(client, world, name, arg):
    response = client.get(reverse(f"treatments:{name}", args=[arg]))
    assert response.status_code == 200
    assert "Last reviewed" in response.text


# The version, the record, then one query per prefetch of its page's QuerySet method (for_class_page: sources,
# members, recommendations, cautions and their sources; for_procedure_page and for_diagnostic_page: sources,
# indications or work-up rows and their sources).
@pytest.mark.parametrize(
    ("name", "arg", "queries"),
    [("drug_class", "snris", 7), ("procedure", "spinal-cord-stimulation", 5), ("diagnostic", "hba1c", 5)],
)
@pytest.mark.parametrize("extra", [0, 5])
def test_detail_page_query_count_is_constant(client, world, django_assert_num_queries, name, arg, queries, extra):
    grow(world, extra)
    with django_assert_num_queries(queries):
        assert client.get(reverse(f"treatments:{name}", args=[arg])).status_code == 200


def test_source_page_lists_what_cites_it(client, world):
    response = client.get(reverse("treatments:source", args=["label"]))
    assert "Interactions" in response.text and "Tramadol" in response.text


def test_source_page_query_count_is_constant(client, world, django_assert_num_queries):
    grow(world, 4)
    with django_assert_num_queries(17):  # version, source, guideline positions, one query per citing model
        client.get(reverse("treatments:source", args=["label"]))


def test_compare_two_drugs(client, world):
    response = client.get(reverse("treatments:compare"), {"drugs": "pregabalin,duloxetine"})
    assert response.status_code == 200
    assert "Pregabalin" in response.text and "Duloxetine" in response.text
    assert "CrCl 15–29 mL/min" in response.text


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"drugs": "pregabalin"}, "at least two"),
        ({"drugs": "pregabalin,nope"}, "No published medicine is called “nope”"),
        ({"drugs": "pregabalin,gabapentin,duloxetine,amitriptyline,tramadol"}, "at most 4"),
        ({"drugs": "pregabalin,duloxetine", "age": "7"}, "Age must be between 18 and 120 years."),
    ],
)
def test_compare_bad_input(client, world, params, message):
    response = client.get(reverse("treatments:compare"), params)
    assert response.status_code == 400
    assert message in response.text


def test_compare_judges_each_drug_for_the_patient(client, world):
    response = client.get(reverse("treatments:compare"), {"drugs": "pregabalin,duloxetine", "crcl": "20"})
    assert response.status_code == 200
    assert "For this patient" in response.text
    assert "at most 150 mg/day at CrCl 15–29 mL/min" in response.text
    assert 'badge status avoid">Avoid' in response.text  # duloxetine below CrCl 30


def test_pages_send_a_strict_csp_and_load_only_their_own_script_files(client, condition_url):
    response = client.get(condition_url)
    csp = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert "'unsafe-inline'" not in csp
    assert directives["script-src"] == "'self'"  # no nonce used, so none is offered
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", response.text, re.S)
    assert scripts and all('src="/static/' in attrs and not body.strip() for attrs, body in scripts)
    assert "nonce=" not in response.text  # the same bytes for every visitor: cacheable and compressible


def test_unmatched_api_path_is_a_json_404(client, db):
    response = client.get("/api/v1/drugs/a.b/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_unknown_page_is_the_sites_404(client, db):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "Page not found" in response.text


@pytest.mark.parametrize(
    ("value", "expected"), [("=1+1", "'=1+1"), ("-5", "'-5"), ("@x", "'@x"), ("ok", "ok"), (None, "")]
)
def test_csv_cells_never_start_a_formula(value, expected):
    from treatments.spreadsheet import safe_cell

    assert safe_cell(value) == expected


def test_condition_page_has_a_procedures_panel_with_sources(client, condition_url):
    response = client.get(condition_url)
    panel = response.text.split('id="procedures-heading"')[1].split("</section>")[0]
    assert "Spinal cord stimulation" in panel and "For refractory pain." in panel and "US label" in panel


def test_current_medicines_are_entered_by_brand_or_generic_name(client, condition_url):
    response = client.get(condition_url, {"current": ["Cymbalta", "tramadol"]})
    assert response.status_code == 200
    assert "taking Duloxetine, Tramadol" in response.text
    # The chosen medicines come back as ticked boxes, by slug, with an empty box to add another.
    assert 'name="current" value="duloxetine" id="id_current_0" checked' in response.text
    assert 'name="current" id="id_current" value=""' in response.text


def test_stand_in_factors_show_only_when_an_old_address_ticks_them(client, condition_url):
    assert 'value="renal-impairment"' not in client.get(condition_url).text
    old = client.get(condition_url, {"factors": "renal-impairment,depression"}).text
    assert re.search(r'<input type="checkbox" name="factors" value="renal-impairment"[^>]*checked', old)
    assert "may apply" in old  # the stand-in's CrCl range only partly covers duloxetine's CrCl < 30 rule


def test_flag_names_is_the_one_line_list_of_a_drugs_flags():
    # The flag line of an option card and of the answer box: names joined by "; ", uncertain ones marked, and
    # escaped like the {% for %} loop it replaces.
    from types import SimpleNamespace

    from django.template import Context, Template

    flags = [
        SimpleNamespace(applies_when="Age ≥ 65", certain=True),
        SimpleNamespace(applies_when="CrCl < 30 mL/min", certain=False),
    ]
    template = Template("{% load clinical %}{{ flags|flag_names }}")
    assert template.render(Context({"flags": flags})) == "Age ≥ 65; CrCl &lt; 30 mL/min (may apply)"
    assert template.render(Context({"flags": []})) == ""
