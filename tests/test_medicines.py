"""A patient's medication list never blanks the results: unrecognised names are listed back as not checked,
with close names offered (never applied), on the page, the plan and the API."""

import pytest
from django.urls import reverse

from treatments import explorer
from treatments import models as m

PDN_URL = "/conditions/painful-diabetic-neuropathy/"
VOCABULARY = {
    "gabapentin": ("gabapentin", "Gabapentin"),
    "neurontin": ("gabapentin", "Gabapentin"),
    "duloxetine": ("duloxetine", "Duloxetine"),
    "hydralazine": ("hydralazine", "Hydralazine"),
    "pregabalin": ("pregabalin", "Pregabalin"),
}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("gabapentn", (("gabapentin", "Gabapentin"),)),
        ("Duloxatine", (("duloxetine", "Duloxetine"),)),
        ("neurontn", (("gabapentin", "Gabapentin"),)),
        ("hydroxyzine", ()),  # a look-alike of hydralazine: never offered, let alone applied
        ("citalopram", ()),
        ("gabapentin", ()),  # a known name needs no suggestion
    ],
)
def test_suggestions_are_close_misspellings_only(typed, expected):
    assert explorer.suggest(typed, VOCABULARY) == expected


def test_unrecognised_medicine_keeps_every_option_and_is_listed_back(client, world):
    response = client.get(PDN_URL, {"age": 60, "current": ["citalopram", "tramadol"]})
    assert response.status_code == 200
    text = response.text
    assert "Not recognised — not checked" in text and "“citalopram”" in text
    assert 'id="opt-drug-pregabalin"' in text  # options still shown
    assert "Major interaction with Tramadol" in text  # the recognised one is still checked


def test_a_misspelling_is_offered_not_applied(client, world):
    response = client.get(PDN_URL, {"current": "gabapentn"})
    text = response.text
    assert "did you mean" in text and "current=gabapentin" in text
    # Not applied: gabapentin is not treated as taken.
    assert "Already taking" not in text


def test_the_plan_lists_unrecognised_current_medicines(client, world):
    response = client.get(reverse("treatments:plan"), {"drugs": "pregabalin", "current": "metformin"})
    assert response.status_code == 200
    assert "Not recognised — not checked" in response.text and "“metformin”" in response.text


def test_api_returns_each_medicine_as_typed(client, world):
    body = client.get(
        "/api/v1/explore/", {"condition": "painful-diabetic-neuropathy", "current": "Tramadol,gabapentn,metformin"}
    ).json()
    assert body["options"]
    assert body["patient"]["current"] == [
        {"text": "Tramadol", "ingredient": "tramadol", "recognised": True, "profiled": True, "suggestions": []},
        {
            "text": "gabapentn",
            "ingredient": None,
            "recognised": False,
            "profiled": False,
            "suggestions": ["gabapentin"],
        },
        {"text": "metformin", "ingredient": None, "recognised": False, "profiled": False, "suggestions": []},
    ]
    assert body["patient"]["unrecognised"] == ["gabapentn", "metformin"]


def test_unknown_names_cost_one_cached_vocabulary_query(client, world, django_assert_num_queries):
    client.get(PDN_URL, {"current": "citalopram"})
    with django_assert_num_queries(3):  # version, condition (+ sources); lookups and vocabulary are cached
        client.get(PDN_URL, {"current": "citalopram", "age": 70})


# --- name matching keys (the normalisation the vocabulary uses) --------------------------------------------


@pytest.mark.parametrize(
    ("typed", "plain"),
    [
        ("Duloxetine HCl", "duloxetine"),
        ("duloxetine hydrochloride 30 mg capsules", "duloxetine"),
        ("Co-codamol", "cocodamol"),
        ("CO CODAMOL", "cocodamol"),
        ("Sodium valproate", "valproate"),
        ("Metformin 500mg ER", "metformin"),
        ("Lévothyroxine", "levothyroxine"),
        ("Insulin glargine 100 units/mL", "insulinglargine"),
    ],
)
def test_name_keys_ignore_case_accents_punctuation_salts_strengths_and_forms(typed, plain):
    assert explorer.name_keys(typed)[1] == plain


def test_name_keys_keep_the_exact_name_apart_from_the_plain_one():
    # Exact keys tell apart what plain keys merge, so recognition can refuse to guess between them.
    assert explorer.name_keys("potassium chloride") == ("potassiumchloride", "chloride")
    assert explorer.name_keys("sodium chloride") == ("sodiumchloride", "chloride")


def test_a_name_made_only_of_salt_words_is_kept():
    assert explorer.name_keys("Sodium") == ("sodium", "sodium")
    assert explorer.name_keys("  ") == ("", "")


# --- the vocabulary and profile records' own rules ----------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "parsed"),
    [
        ("serotonergic", ("serotonergic", None)),
        ("cyp2d6-inhibitor:strong", ("cyp2d6-inhibitor", "strong")),
        ("cyp3a4-substrate:label", ("cyp3a4-substrate", "label")),
        ("qt-prolonging:known", ("qt-prolonging", "known")),
    ],
)
def test_property_specs_parse(spec, parsed):
    assert m.parse_property_spec(spec) == parsed


@pytest.mark.parametrize(
    "spec", ["serotonin", "cyp2d6-inhibitor:sensitive", "serotonergic:strong", "qt-prolonging:high"]
)
def test_unknown_properties_and_levels_are_refused(spec):
    with pytest.raises(ValueError):
        m.parse_property_spec(spec)


def test_a_property_takes_only_its_own_levels_and_acb_scores_only_for_anticholinergic():
    medicine = m.Medicine(slug="fluoxetine-x", name="Fluoxetine")
    assert m.MedicineProperty(medicine=medicine, property="cyp2d6-inhibitor", level="strong").rule_problems() == []
    assert m.MedicineProperty(medicine=medicine, property="cyp2d6-inhibitor", level="").rule_problems()
    assert m.MedicineProperty(medicine=medicine, property="serotonergic", level="strong").rule_problems()
    assert m.MedicineProperty(medicine=medicine, property="anticholinergic", score=3).rule_problems() == []
    assert m.MedicineProperty(medicine=medicine, property="anticholinergic").rule_problems()
    assert m.MedicineProperty(medicine=medicine, property="serotonergic", score=1).rule_problems()


def test_a_mechanism_rule_names_known_properties_on_both_sides():
    good = m.MechanismRule(key="r", name="r", left=["mao-inhibitor"], right=["serotonergic"], severity="major")
    assert good.rule_problems() == []
    empty = m.MechanismRule(key="r", name="r", left=[], right=["serotonergic"], severity="major")
    assert empty.rule_problems() == ["'left' lists at least one property spec."]
    unknown = m.MechanismRule(key="r", name="r", left=["mao"], right=["cyp3a4-inducer:huge"], severity="major")
    assert len(unknown.rule_problems()) == 2


@pytest.mark.django_db
def test_the_loader_check_refuses_a_name_two_medicines_share():
    m.Medicine.objects.create(slug="hydroxyzine", name="Hydroxyzine", brand_names_us=["Atarax"])
    m.Medicine.objects.create(slug="other", name="Other", other_names=["ATARAX"])
    from treatments.validation import medicine_problems

    assert [(p.record, p.message) for p in medicine_problems()] == [
        ("atarax", "The name is given to hydroxyzine, other.")
    ]


@pytest.mark.django_db
def test_a_knowledge_base_drugs_medicine_has_its_slug(world):
    drug = m.Drug.objects.get(slug="pregabalin")
    assert m.Medicine(slug="pregabalin", name="Pregabalin", drug=drug).record_problems() == []
    assert m.Medicine(slug="lyrica", name="Pregabalin", drug=drug).record_problems() == [
        "A knowledge-base drug's medicine has the drug's slug ('pregabalin')."
    ]
    assert m.Medicine(slug="x", name="X", rxcui="12a").record_problems() == ["An RxCUI is a number."]
