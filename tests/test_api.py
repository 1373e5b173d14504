import csv
import io
import re

import pytest
from django.core.cache import cache
from django.core.management import call_command
from rest_framework.throttling import AnonRateThrottle

from treatments import explorer, plan
from treatments import models as m

from .conftest import cite, grow, make_caution, make_condition, make_drug

PDN = "painful-diabetic-neuropathy"


def get(client, url, params=None, **meta):
    return client.get(f"/api/v1/{url}", params or {}, **meta)


def slugs(response, key="slug"):
    return [row[key] for row in response.json()["results"]]


def option(response, slug, kind="drug"):
    matches = [o for o in response.json()["options"] if o["slug"] == slug and o["kind"] == kind]
    assert matches, f"{slug} not in options"
    return matches[0]


# --- lists and details -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "key", "expected"),
    [
        ("conditions/", "slug", {PDN}),
        ("drug-classes/", "slug", {"gabapentinoids", "snris", "tricyclic-antidepressants"}),
        ("drugs/", "slug", {"pregabalin", "duloxetine", "tramadol"}),
        ("procedures/", "slug", {"spinal-cord-stimulation"}),
        ("diagnostics/", "slug", {"hba1c"}),
        ("sources/", "key", {"neupsig", "nice", "label", "beers"}),
        ("patient-factors/", "slug", {"older-adult", "hla-b-1502-positive"}),
    ],
)
def test_lists_are_paginated_and_hold_published_records_only(client, world, url, key, expected):
    make_condition("draft-condition", status=m.ReviewStatus.DRAFT)
    make_drug("draft-drug", status=m.ReviewStatus.IN_REVIEW)
    m.Source.objects.filter(key="beers").update(status=m.ReviewStatus.PUBLISHED)
    response = get(client, url)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    found = set(slugs(response, key))
    assert expected <= found
    assert not {"draft-condition", "draft-drug"} & found


def test_unpublished_nested_sources_are_left_out(client, world):
    world["condition"].sources.add(world["sources"]["nice"], world["sources"]["neupsig"])
    m.Source.objects.filter(key="nice").update(status=m.ReviewStatus.RETIRED)
    body = get(client, f"conditions/{PDN}/").json()
    assert [s["key"] for s in body["sources"]] == ["neupsig"]


def test_pages_hold_50_and_link_to_the_next(client, world):
    grow(world, 50)
    body = get(client, "drugs/").json()
    assert body["count"] == 58 and len(body["results"]) == 50
    assert body["next"].endswith("/api/v1/drugs/?page=2")
    assert len(get(client, "drugs/", {"page": 2}).json()["results"]) == 8


@pytest.mark.parametrize(
    ("url", "field", "value"),
    [
        (f"conditions/{PDN}/", "name", "Painful diabetic neuropathy"),
        ("drug-classes/snris/", "drugs", ["duloxetine"]),
        ("procedures/spinal-cord-stimulation/", "invasiveness", "invasive"),
        ("diagnostics/hba1c/", "category", "blood"),
        ("sources/neupsig/", "short_name", "NeuPSIG 2015"),
        ("drugs/pregabalin/", "brand_names", ["Lyrica"]),
    ],
)
def test_detail_by_slug(client, world, url, field, value):
    response = get(client, url)
    assert response.status_code == 200
    assert response.json()[field] == value


@pytest.mark.parametrize(
    "url",
    [
        "conditions/no-such-thing/",
        "drug-classes/no-such-thing/",
        "drugs/no-such-thing/",
        "procedures/no-such-thing/",
        "diagnostics/no-such-thing/",
        "sources/no-such-thing/",
        "drugs/draft-drug/",
    ],
)
def test_unknown_or_unpublished_slug_is_a_json_404(client, world, url):
    make_drug("draft-drug", status=m.ReviewStatus.DRAFT)
    response = get(client, url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


def test_drug_detail_has_doses_bands_cautions_approvals_schedules_interactions_and_sources(client, world):
    duloxetine = world["drugs"]["duloxetine"]
    label = world["sources"]["label"]
    duloxetine.sources.add(label)
    m.ControlledSchedule.objects.create(drug=duloxetine, region="US", schedule="Not controlled", status="published")
    approval = m.RegulatoryApproval.objects.create(
        drug=duloxetine, region="US", condition=world["condition"], indication="DPNP", year=2004, status="published"
    )
    approval.sources.add(label)
    body = get(client, "drugs/duloxetine/").json()
    assert body["drug_class"] == "snris"
    assert body["doses"][0]["max_daily_dose"] == 120
    assert body["renal_bands"][0] == {
        "region": "US",
        "crcl_min": 0,
        "crcl_max": 30,
        "label": "CrCl < 30 mL/min",
        "max_daily_dose": None,
        "unit": "mg/day",
        "dosing_interval": "",
        "avoid": True,
        "note": "Avoid in severe renal impairment.",
        "sources": [
            {
                "key": "label",
                "short_name": "US label",
                "title": "Title of label",
                "year": 2020,
                "link": "https://example.org/label",
            }
        ],
    }
    # The class's caution (may benefit in depression) comes with the class named.
    assert [(c["factor"], c["level"], c["drug_class"]) for c in body["cautions"]] == [
        ("depression", "may_benefit", "snris")
    ]
    assert body["approvals"][0]["condition"] == PDN and body["approvals"][0]["indication"] == "DPNP"
    assert body["schedules"][0]["schedule"] == "Not controlled"
    # Interactions with the drug or its class, either side.
    assert {(i["key"], i["a"], i["b"]) for i in body["interactions"]} == {
        ("tramadol--snris", "tramadol", "snris"),
        ("gabapentinoids--snris", "gabapentinoids", "snris"),
    }
    assert [s["key"] for s in body["sources"]] == ["label"]


# --- filters -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"search": "pdn"}, [PDN]),  # synonym, any case
        ({"search": "DIABETIC"}, [PDN]),
        ({"search": "sciatica"}, []),
        ({"icd10": "E11.42"}, [PDN]),
        ({"icd10": "E1142"}, [PDN]),  # without the dot
        ({"icd10": "e11"}, [PDN]),  # a category matches its codes
        ({"icd10": "G50.0"}, ["trigeminal-neuralgia"]),
        ({"icd10": "E11.4"}, [PDN]),
        ({"icd10": "1.42"}, None),  # not a code: 400
        ({"category": "cranial"}, ["trigeminal-neuralgia"]),
        ({"category": "metabolic", "search": "neuralgia"}, []),
    ],
)
def test_condition_filters(client, world, params, expected):
    make_condition("trigeminal-neuralgia", icd10_codes=["G50.0"], category=m.ConditionCategory.CRANIAL)
    response = get(client, "conditions/", params)
    if expected is None:
        assert response.status_code == 400
        assert list(response.json()) == ["icd10"]
    else:
        assert response.status_code == 200
        assert slugs(response) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"search": "lyrica"}, ["pregabalin"]),  # brand name, any case
        ({"search": "NEURONTIN"}, ["gabapentin"]),
        ({"search": "gabapentin"}, ["gabapentin"]),
        ({"search": "gaba"}, ["gabapentin", "pregabalin"]),
        ({"atc": "N03AX"}, ["gabapentin", "pregabalin"]),
        ({"atc": "n03ax16"}, ["pregabalin"]),
        ({"drug_class": "sodium-channel-blockers"}, ["carbamazepine", "oxcarbazepine"]),
        ({"drug_class": "snris", "search": "cymbalta"}, ["duloxetine"]),
    ],
)
def test_drug_filters(client, world, params, expected):
    m.Drug.objects.filter(slug="pregabalin").update(atc_code="N03AX16")
    m.Drug.objects.filter(slug="gabapentin").update(atc_code="N03AX12")
    response = get(client, "drugs/", params)
    assert response.status_code == 200
    assert slugs(response) == expected


@pytest.mark.parametrize(
    ("url", "params", "parameter", "problem"),
    [
        ("conditions/", {"category": "astral"}, "category", "Select a valid choice."),
        ("conditions/", {"icd10": "not-a-code"}, "icd10", "Enter an ICD-10-CM code, e.g. E11.42."),
        ("conditions/", {"search": "x" * 101}, "search", "Ensure this value has at most 100 characters"),
        ("conditions/", {"colour": "blue"}, "colour", "Unknown parameter."),
        ("drugs/", {"drug_class": "no-such-class"}, "drug_class", "Select a valid choice."),
        ("drugs/", {"atc": "N03AX16999"}, "atc", "Ensure this value has at most 7 characters"),
        ("drugs/", {"page": "0"}, "page", "Invalid page."),
        ("drugs/", {"page": "abc"}, "page", "Invalid page."),
        ("drugs/", {"format": "xml"}, "format", "Choose one of: json, csv."),
        ("patient-factors/", {"search": "x"}, "search", "Unknown parameter."),
        ("drugs/", {"search": "nul\x00byte"}, "search", "Null characters are not allowed."),
    ],
)
def test_invalid_parameter_is_a_400_naming_it(client, world, url, params, parameter, problem):
    response = get(client, url, params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert parameter in response.json()
    assert problem in " ".join(response.json()[parameter])


# --- explore ----------------------------------------------------------------------------------------------


def test_explore_returns_the_explorers_options_in_its_order(client, world):
    response = get(client, "explore/", {"condition": PDN, "age": 72, "crcl": 25, "factors": "depression"})
    assert response.status_code == 200
    body = response.json()
    assert body["condition"]["slug"] == PDN
    data = explorer.load_condition(world["condition"])
    expected = explorer.evaluate(data, explorer.make_patient(age=72, crcl=25, factors=frozenset({"depression"})))
    assert [(o["kind"], o["slug"], o["status"]) for o in body["options"]] == [
        (o.kind, o.slug, o.status) for o in expected.options
    ]
    assert body["total"] == expected.total
    assert body["workup"] == [
        {
            "diagnostic": "hba1c",
            "name": "HbA1c",
            "priority": "initial",
            "rationale": "Diabetes.",
            "sources": [
                {
                    "key": "beers",
                    "short_name": "Beers 2023",
                    "title": "Title of beers",
                    "year": 2020,
                    "link": "https://example.org/beers",
                }
            ],
        }
    ]


def test_explore_crcl_20_caps_pregabalin_at_150_mg_a_day(client, world):
    response = get(client, "explore/", {"condition": PDN, "crcl": 20})
    pregabalin = option(response, "pregabalin")
    assert pregabalin["max_daily_dose"]["value"] == 150
    assert pregabalin["max_daily_dose"]["unit"] == "mg/day"
    assert pregabalin["status"] == "caution"
    assert option(response, "gabapentinoids", "drug_class")["max_daily_dose"] is None  # drug options only
    assert option(response, "tramadol")["max_daily_dose"] is None  # no dose guidance, no renal band


def test_explore_without_crcl_gives_the_indication_maximum_unadjusted(client, world):
    limit = option(get(client, "explore/", {"condition": PDN}), "pregabalin")["max_daily_dose"]
    assert (limit["value"], limit["renal"], limit["band"]) == (600, False, "")


def test_explore_hla_b_1502_makes_carbamazepine_contraindicated_and_last(client, world):
    response = get(client, "explore/", {"condition": PDN, "factors": "hla-b-1502-positive"})
    carbamazepine = option(response, "carbamazepine")
    assert carbamazepine["status"] == "contraindicated"
    [flag] = carbamazepine["flags"]
    assert {k: flag[k] for k in ("applies_when", "certain", "level", "text", "subject", "sources")} == {
        "applies_when": "HLA-B*15:02 positive",
        "certain": True,
        "level": "contraindicated",
        "text": "SJS/TEN.",
        "subject": "",
        "sources": ["label"],
    }
    assert response.json()["patient"]["genotypes"] == {"hla_b1502": "positive"}
    # Contraindicated options come last (the class, all of whose members are, and the drug).
    statuses = [o["status"] for o in response.json()["options"]]
    assert statuses[-2:] == ["contraindicated", "contraindicated"]
    assert "contraindicated" not in statuses[:-2]
    hidden = get(
        client, "explore/", {"condition": PDN, "factors": "hla-b-1502-positive", "hide_contraindicated": "true"}
    )
    assert "carbamazepine" not in [o["slug"] for o in hidden.json()["options"]]


def test_explore_age_72_means_avoid_amitriptyline(client, world):
    amitriptyline = option(get(client, "explore/", {"condition": PDN, "age": 72}), "amitriptyline")
    assert amitriptyline["status"] == "avoid"
    assert amitriptyline["flags"][0]["applies_when"] == "Age ≥ 65"
    assert amitriptyline["flags"][0]["sources"] == ["beers"]


def test_explore_positions_one_per_guideline_and_best_line(client, world):
    tramadol = option(get(client, "explore/", {"condition": PDN}), "tramadol")
    assert tramadol["line"] == "second" and tramadol["disagree"] is True
    assert [(p["source"], p["line"], p["strength"], p["quality"]) for p in tramadol["positions"]] == [
        ("neupsig", "second", "weak_for", "high"),
        ("nice", "specialist", "not_graded", "high"),
    ]
    assert tramadol["positions"][0]["wording"] == "Recommended."


def test_explore_lists_interactions_with_current_medicines(client, world):
    response = get(client, "explore/", {"condition": PDN, "current": "duloxetine"})
    tramadol = option(response, "tramadol")
    assert tramadol["status"] == "caution"  # a major interaction
    assert tramadol["interactions"] == [
        {
            "current": "duloxetine",
            "current_name": "Duloxetine",
            "key": "tramadol--snris",
            "severity": "major",
            "effect": "Effect.",
            "mechanism": "",
            "management": "",
            "origin": "curated",
            "rule_name": "",
            "basis": "",
            "subject": "",
            "sources": ["label"],
        }
    ]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "procedure"}, [("procedure", "spinal-cord-stimulation")]),
        ({"line": "not_recommended"}, [("drug", "valproate")]),
        ({"line": "second,third", "kind": "drug"}, [("drug", "tramadol")]),
        ({"guideline": "nice", "kind": "drug", "line": "specialist"}, [("drug", "tramadol")]),
        ({"drug_class": "snris"}, [("drug_class", "snris"), ("drug", "duloxetine")]),
        ({"route": "device"}, [("procedure", "spinal-cord-stimulation")]),
        (
            {"min_strength": "strong_for", "kind": "drug"},
            [("drug", "amitriptyline"), ("drug", "duloxetine"), ("drug", "pregabalin")],
        ),
        ({"min_quality": "high", "kind": "procedure"}, []),
        ({"controlled": "yes"}, []),
        ({"approved_in": "UK"}, []),
        ({"site": "peripheral", "kind": "drug_class"}, []),
    ],
)
def test_explore_filters(client, world, params, expected):
    response = get(client, "explore/", {"condition": PDN, **params})
    assert response.status_code == 200
    assert [(o["kind"], o["slug"]) for o in response.json()["options"]] == expected


@pytest.mark.parametrize(
    ("params", "parameter", "problem"),
    [
        ({}, "condition", "This parameter is required."),
        ({"condition": "no-such-condition"}, "condition", "No published condition has this slug."),
        ({"condition": "bad slug!"}, "condition", "Enter a condition slug."),
        ({"condition": PDN, "crcl": "abc"}, "crcl", "Enter creatinine clearance as a number."),
        ({"condition": PDN, "crcl": "250"}, "crcl", "Creatinine clearance must be between 0 and 200 mL/min."),
        ({"condition": PDN, "age": "9" * 40}, "age", "Age must be between 18 and 120 years."),
        ({"condition": PDN, "age": "12"}, "age", "Age must be between 18 and 120 years."),
        ({"condition": PDN, "scr": "0.9", "scr_umol": "80"}, "scr_umol", "Enter serum creatinine once"),
        ({"condition": PDN, "scr": "31"}, "scr", "Serum creatinine must be between 0.1 and 30 mg/dL."),
        ({"condition": PDN, "weight": "2"}, "weight", "Weight must be between 25 and 350 kg."),
        ({"condition": PDN, "dialysis": "yes"}, "dialysis", "Select a valid choice."),
        ({"condition": PDN, "child_pugh": "d"}, "child_pugh", "Select a valid choice."),
        ({"condition": PDN, "cyp2c9": "ultrarapid"}, "cyp2c9", "Select a valid choice."),
        ({"condition": PDN, "hla_b1502": "maybe"}, "hla_b1502", "Select a valid choice."),
        ({"condition": PDN, "factors": "not-a-factor"}, "factors", "Select a valid choice."),
        ({"condition": PDN, "current": "tramadol\x00"}, "current", "A name cannot contain control characters."),
        ({"condition": PDN, "current": "x" * 81}, "current", "A name has at most 80 characters."),
        ({"condition": PDN, "line": "zeroth"}, "line", "Select a valid choice."),
        ({"condition": PDN, "guideline": "no-such-guideline"}, "guideline", "Select a valid choice."),
        ({"condition": PDN, "page": "2"}, "page", "Unknown parameter."),
    ],
)
def test_explore_invalid_parameter_is_a_400_naming_it(client, world, params, parameter, problem):
    response = get(client, "explore/", params)
    assert response.status_code == 400
    assert problem in " ".join(response.json()[parameter])


# --- plan check and summary -------------------------------------------------------------------------------


def test_interactions_check_gives_the_plan_pages_result(client, world):
    params = {"drugs": "tramadol,duloxetine,amitriptyline", "age": 72}
    response = get(client, "interactions/check/", params)
    assert response.status_code == 200
    body = response.json()
    criteria = plan.PlanCriteria(
        drugs=("tramadol", "duloxetine", "amitriptyline"), patient=explorer.make_patient(age=72)
    )
    expected = plan.check(plan.load(criteria), criteria)
    assert [(p["a"], p["b"], p["severity"]) for p in body["pairs"]] == [(p.a, p.b, p.severity) for p in expected.pairs]
    assert [(c["code"], c["severity"], c["text"], c["drugs"]) for c in body["checks"]] == [
        (c.code, c.severity, c.text, list(c.drugs)) for c in expected.checks
    ]
    assert [(c["a"], c["b"], c["supported"]) for c in body["complementarity"]] == [
        (c.a, c.b, c.supported) for c in expected.complementarity
    ]
    assert body["worst_severity"] == "major"
    assert body["pairs"][0]["key"] == "tramadol--snris"
    assert {c["code"] for c in body["checks"]} >= {"beers-cns", "anticholinergic-burden", "serotonergic-load"}
    assert [(i["drug"], i["status"]) for i in body["items"]] == [
        ("tramadol", "ok"),
        ("duloxetine", "ok"),
        ("amitriptyline", "avoid"),
    ]


def test_interactions_check_gives_the_renal_dose_limit(client, world):
    body = get(client, "interactions/check/", {"drugs": "pregabalin", "crcl": 20}).json()
    assert body["items"][0]["max_daily_dose"]["value"] == 150


def test_beneficial_pair_shows_as_complementary(client, world):
    body = get(client, "interactions/check/", {"drugs": "pregabalin,duloxetine"}).json()
    assert body["pairs"][0]["severity"] == "beneficial"
    assert body["complementarity"][0]["supported"] is True
    assert body["worst_severity"] == ""


@pytest.mark.parametrize(
    ("url", "params", "parameter", "problem"),
    [
        ("interactions/check/", {}, "drugs", "This parameter is required."),
        ("interactions/check/", {"drugs": "unobtainium"}, "drugs", "No published medicine is called “unobtainium”."),
        ("interactions/check/", {"drugs": "tramadol\x00"}, "drugs", "A name cannot contain control characters."),
        ("summary/", {"procedures": "scs\x00"}, "procedures", "A name cannot contain control characters."),
        ("summary/", {"condition": "pdn\x00"}, "condition", "Null characters are not allowed."),
        ("interactions/check/", {"drugs": "tramadol", "age": "old"}, "age", "Enter age as a number of whole years."),
        ("interactions/check/", {"drugs": "tramadol", "factors": "tall"}, "factors", "Select a valid choice."),
        ("interactions/check/", {"drugs": "tramadol", "procedures": "x"}, "procedures", "Unknown parameter."),
        (
            "interactions/check/",
            {
                "drugs": ",".join(
                    [
                        "pregabalin",
                        "gabapentin",
                        "duloxetine",
                        "tramadol",
                        "amitriptyline",
                        "valproate",
                        "carbamazepine",
                        "oxcarbazepine",
                    ]
                )
            },
            None,
            None,
        ),
        ("summary/", {"condition": "no-such-condition"}, "condition", "No published condition is called"),
        ("summary/", {"procedures": "no-such-procedure"}, "procedures", "No published procedure is called"),
    ],
)
def test_plan_endpoints_invalid_parameter_is_a_400_naming_it(client, world, url, params, parameter, problem):
    response = get(client, url, params)
    if parameter is None:  # eight drugs: the most a plan holds
        assert response.status_code == 200
        return
    assert response.status_code == 400
    assert problem in " ".join(response.json()[parameter])


def test_a_plan_holds_at_most_eight_items(client, world):
    drugs = "pregabalin,gabapentin,duloxetine,tramadol,amitriptyline,valproate,carbamazepine,oxcarbazepine"
    response = get(client, "summary/", {"drugs": drugs, "procedures": "spinal-cord-stimulation"})
    assert response.status_code == 400
    assert response.json() == {"drugs": ["A plan can hold at most 8 items."]}


def test_summary_gives_the_patient_summary_content(client, world):
    world["drugs"]["duloxetine"].patient_what_for = "For nerve pain."
    world["drugs"]["duloxetine"].save()
    params = {"condition": PDN, "drugs": "duloxetine", "procedures": "spinal-cord-stimulation", "age": 72}
    body = get(client, "summary/", params).json()
    assert body["condition_name"] == "Painful diabetic neuropathy"
    assert body["condition_text"] == "Your nerves hurt."
    assert body["items"][0]["slug"] == "duloxetine"
    assert body["items"][0]["what_for"] == "For nerve pain."
    assert body["items"][0]["avoid_with"] == ["Tramadol"]  # a major interaction with its class
    assert body["procedures"] == [{"slug": "spinal-cord-stimulation", "name": "Spinal cord stimulation", "text": ""}]
    assert body["next_steps"] == list(plan.next_steps())


# --- CSV -------------------------------------------------------------------------------------------------


def read_csv(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def get_page_csv(client, slug, params):
    return read_csv(client.get(f"/conditions/{slug}/options.csv", params))


def test_list_as_csv(client, world):
    rows = read_csv(get(client, "drugs/", {"format": "csv", "search": "pregabalin"}))
    assert rows == [
        {
            "slug": "pregabalin",
            "generic_name": "Pregabalin",
            "brand_names": "Lyrica",
            "atc_code": "",
            "drug_class": "gabapentinoids",
            "routes": "oral",
            "cns_active": "yes",
            "serotonergic": "no",
            "anticholinergic_burden": "0",
            "boxed_warning": "",
            "last_reviewed": "2026-11-01",
        }
    ]


@pytest.mark.parametrize(
    "url", ["conditions/", "drug-classes/", "procedures/", "diagnostics/", "sources/", "patient-factors/"]
)
def test_every_list_has_csv(client, world, url):
    assert len(read_csv(get(client, url, {"format": "csv"}))) == get(client, url).json()["count"]


def test_explore_as_csv_has_one_row_per_option_in_order(client, world):
    params = {"condition": PDN, "crcl": 20}
    rows = read_csv(get(client, "explore/", {**params, "format": "csv"}))
    assert [(r["kind"], r["slug"]) for r in rows] == [
        (o["kind"], o["slug"]) for o in get(client, "explore/", params).json()["options"]
    ]
    pregabalin = next(r for r in rows if r["slug"] == "pregabalin" and r["kind"] == "drug")
    assert "at most 150 mg/day" in pregabalin["dose_limits"]
    # The page's download is the same export: the same columns and rows.
    page = get_page_csv(client, PDN, params)
    assert page == rows


def test_errors_stay_json_when_csv_was_asked_for(client, world):
    response = get(client, "explore/", {"condition": PDN, "crcl": "abc", "format": "csv"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "crcl" in response.json()


# --- caching, throttling ------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["drugs/", "drugs/pregabalin/", f"explore/?condition={PDN}&crcl=20"])
def test_conditional_get_answers_304_until_the_knowledge_base_changes(client, world, url):
    first = get(client, url)
    assert first.status_code == 200
    assert first["Cache-Control"] == "no-cache"
    etag, last_modified = first["ETag"], first["Last-Modified"]
    assert get(client, url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert get(client, url, HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304

    drug = world["drugs"]["gabapentin"]
    drug.formulations = "Capsules."
    drug.save()  # any edit is recorded in history
    changed = get(client, url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_etag_differs_between_urls_and_formats(client, world):
    etags = {get(client, "drugs/", params)["ETag"] for params in ({}, {"format": "csv"}, {"search": "lyrica"})}
    assert len(etags) == 3


def test_errors_carry_no_validators(client, world):
    response = get(client, "drugs/no-such-drug/")
    assert response.status_code == 404
    assert not response.has_header("ETag") and not response.has_header("Last-Modified")


@pytest.fixture
def low_throttle(monkeypatch):
    monkeypatch.setitem(AnonRateThrottle.THROTTLE_RATES, "anon", "3/minute")
    cache.clear()
    yield
    cache.clear()


def test_anonymous_clients_are_throttled_with_a_clear_429(client, world, low_throttle):
    for _ in range(3):
        assert get(client, "drugs/").status_code == 200
    response = get(client, "drugs/")
    assert response.status_code == 429
    assert response["Retry-After"]
    assert response.json()["detail"].startswith("Request was throttled.")


# --- query counts -----------------------------------------------------------------------------------------

# Every API response starts with one query for the knowledge base's last change (ETag).
# Lists: + count + page (+ one per prefetched relation).
# Drug detail: drug (+ class) + sources, doses (+ sources), bands (+ sources), cautions (+ sources),
# class cautions (+ sources), approvals (+ sources), schedules (+ sources), interactions (+ sources).
# Drugs also read each drug's medicine and its properties (cns_active, serotonergic, ACB score).
# Medicines: count + page + ingredients + properties (+ sources).
# Explore: condition (+ sources), then what the condition page runs (the version is read once per
# request): the explorer's load_condition (22, cache cold), patient factors for the FilterSet and the
# medicine vocabulary (8, once per process and knowledge-base version: sources, properties' sources,
# properties, medicines, ingredients, a check for drugs without a medicine, mechanism rules (+ sources)).
# Plan check: what the plan page runs: patient factors for the form, one lookup of the drug names, the
# vocabulary (8), the plan's parts (18, cache cold: cache.plan_data). The summary adds the procedure names (one
# lookup), the requested procedures (+ sources), the condition (by slug or name) and the content date.
QUERIES = {
    "conditions/": 4,
    "drug-classes/": 5,
    "drugs/": 5,
    "medicines/": 6,
    "procedures/": 4,
    "diagnostics/": 4,
    "sources/": 3,
    "patient-factors/": 3,
    "drugs/pregabalin/": 19,
    f"explore/?condition={PDN}&age=80&crcl=20&current=tramadol&factors=depression": 38,
    "interactions/check/?drugs=pregabalin,tramadol&age=80&crcl=20&current=duloxetine&factors=depression": 31,
    f"summary/?condition={PDN}&drugs=pregabalin,tramadol&procedures=spinal-cord-stimulation": 35,
}


@pytest.mark.parametrize("extra", [0, 6])
@pytest.mark.parametrize(("url", "queries"), QUERIES.items())
def test_query_count_is_constant(client, world, django_assert_num_queries, url, queries, extra):
    grow(world, extra)
    label = world["sources"]["label"]
    pregabalin = world["drugs"]["pregabalin"]
    for drug in m.Drug.objects.all():
        drug.sources.add(label)
    # Every relation of the drug detail holds rows (an empty prefetch skips its sources query).
    for region in ["US", "UK"][: 1 + bool(extra)]:
        m.ControlledSchedule.objects.create(drug=pregabalin, region=region, schedule="C-V", status="published")
        approval = m.RegulatoryApproval.objects.create(
            drug=pregabalin, region=region, indication="DPNP", condition=world["condition"], status="published"
        )
        cite(m.ControlledSchedule.objects.get(drug=pregabalin, region=region), label)
        cite(approval, label)
    make_caution(
        world["factors"]["falls-risk"], label, m.CautionLevel.CAUTION, drug_class=world["classes"]["gabapentinoids"]
    )
    with django_assert_num_queries(queries):
        response = get(client, url)
    assert response.status_code == 200


# --- schema and docs --------------------------------------------------------------------------------------


def test_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = out.read_text()
    for path in ["/api/v1/conditions/{slug}/", "/api/v1/drugs/{slug}/", "/api/v1/explore/", "/api/v1/sources/{key}/"]:
        assert f"  {path}:" in schema


def test_schema_endpoint_serves_openapi_3(client, db):
    response = client.get("/api/v1/schema/", headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


def test_docs_load_swagger_ui_from_static_under_the_csp(client, db):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "unsafe-inline" not in policy
    html = response.text
    # No inline script: every script is a file from this site.
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts and all('src="/' in attrs for attrs in scripts)
    assert 'src="/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"' in html
    assert 'href="/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css"' in html
    # The one inline style carries the nonce the policy names.
    nonce = re.search(r'<style nonce="([^"]+)">', html).group(1)
    assert f"'nonce-{nonce}'" in policy
    for url in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        static = client.get(url)
        static.close()  # a file response
        assert static.status_code == 200, url
    script = client.get(re.search(r'<script src="(/api/v1/docs/\?script=)"', html).group(1))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.text and "/api/v1/schema/" in script.text


def test_empty_csv_still_has_its_header_row(client, world):
    response = get(client, "explore/", {"condition": PDN, "kind": "procedure", "line": "first", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.decode().startswith("kind,slug,name,line,")
    assert read_csv(get(client, "drugs/", {"search": "nothing-like-this", "format": "csv"})) == []
    assert get(client, "drugs/", {"search": "nothing-like-this", "format": "csv"}).content.startswith(b"slug,")


def test_explore_returns_the_patient_with_kidney_function_method_and_warnings(client, world):
    body = get(client, "explore/", {"condition": PDN, "age": 70, "sex": "female", "weight": 60, "scr": "1.4"}).json()
    patient = body["patient"]
    assert (patient["crcl"]["value"], patient["crcl"]["method"]) == (35, "cockcroft-gault")
    assert (patient["egfr"]["value"], patient["egfr"]["method"]) == (40, "ckd-epi-2021")
    assert patient["crcl"]["sources"] == ["cockcroft-gault-1976"]
    assert patient["warnings"] == []
    entered = get(client, "explore/", {"condition": PDN, "crcl": "1.4"}).json()["patient"]
    assert entered["crcl"]["method"] == "entered" and entered["egfr"] is None
    assert any("did you enter serum creatinine?" in w for w in entered["warnings"])


def test_explore_kidney_edges_match_the_page(client, world):
    """The API and the page give the same verdict at a band edge (one evaluation)."""
    for crcl, status in (("29", "avoid"), ("30", "ok")):
        api = option(get(client, "explore/", {"condition": PDN, "crcl": crcl}), "duloxetine")["status"]
        page = client.get(f"/conditions/{PDN}/", {"crcl": crcl}).text
        assert api == status
        assert f'<article class="option status-{status}" aria-labelledby="opt-drug-duloxetine">' in page
