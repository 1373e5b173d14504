"""A patient's medication list never blanks the results: unrecognised names are listed back as not checked,
with close names offered (never applied), on the page, the plan and the API."""

import pytest
from django.urls import reverse

from treatments import explorer

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
