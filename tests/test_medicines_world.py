"""The medicine fields on the small test world (tests/conftest.py): names not recognised are listed back and
never blank the results; the vocabulary records' own rules."""

import pytest
from django.urls import reverse

from treatments import models as m
from treatments.medicines import name_keys

PDN = "painful-diabetic-neuropathy"


PDN_URL = f"/conditions/{PDN}/"


def test_unrecognised_medicine_keeps_every_option_and_is_listed_back(client, world):
    # In the small test world citalopram is not a medicine at all.
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


def test_unknown_names_cost_one_cached_vocabulary_query(client, world, django_assert_num_queries):
    client.get(PDN_URL, {"current": "citalopram"})
    with django_assert_num_queries(1):  # the version: the condition, lookups and vocabulary are kept in the process
        client.get(PDN_URL, {"current": "citalopram", "age": 70})


def test_name_keys_keep_the_exact_name_apart_from_the_plain_one():
    assert name_keys("Duloxetine HCl") == ("duloxetinehcl", "duloxetine")
    assert name_keys("  ") == ("", "")


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


@pytest.mark.django_db
def test_the_loader_check_wants_a_medicine_for_every_published_drug(world):
    from treatments.validation import medicine_problems

    assert medicine_problems() == []  # the world's drugs have theirs (conftest.make_drug)
    m.Medicine.objects.get(slug="pregabalin").delete()
    assert [(p.record, p.message) for p in medicine_problems()] == [
        ("pregabalin", "The drug 'pregabalin' has no published medicine (same slug).")
    ]
