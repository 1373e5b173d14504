"""The Spanish patient handout names what not to mix in Spanish (issue 16).

Drugs keep their generic name, as in the sheet's headings; a group of drugs (a class) is named in Spanish,
never by its English knowledge-base name."""

import json
from pathlib import Path

import pytest

from treatments import handout
from treatments import models as m

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture
def loaded_kb(real_kb):
    """fixtures/, loaded once per test session (``real_kb``, tests/conftest.py)."""
    return real_kb


def do_not_mix(page):
    """The items of each "Do not mix" list on a handout."""
    import html
    import re

    lists = re.findall(r"<h3>(?:Do not mix|No mezcle)</h3><p>[^<]*</p><ul>(.*?)</ul>", page)
    return [html.unescape(item) for block in lists for item in re.findall(r"<li>(.*?)</li>", block)]


def test_the_spanish_handout_names_groups_in_spanish(loaded_kb, client):
    params = {"drugs": ["pregabalin", "tramadol"], "lang": "es"}
    page = client.get("/plan/summary/", params).text
    items = do_not_mix(page)
    assert items
    # Pregabalin with the gabapentinoid pairs: benzodiazepines and both groups of opioids.
    assert {"Benzodiazepinas", "Opioides de acción dual", "Opioides potentes"} <= set(items)
    # Tramadol: MAOIs (contraindicated), SSRIs and SNRIs as groups; carbamazepine by its generic name.
    assert {"Inhibidores de la monoaminooxidasa (IMAO)", "Carbamazepine"} <= set(items)
    english = {c.name for c in m.DrugClass.objects.all()}
    assert not english & set(items), english & set(items)
    assert "Dual-action opioids" not in page


def test_the_english_handout_keeps_the_english_names(loaded_kb, client):
    page = client.get("/plan/summary/", {"drugs": ["pregabalin"], "lang": "en"}).text
    assert {"Benzodiazepines", "Dual-action opioids", "Strong opioids"} <= set(do_not_mix(page))


def test_every_drug_class_has_a_spanish_name():
    classes = json.loads((FIXTURES / "drug_classes.json").read_text())
    slugs = {r["fields"]["slug"] for r in classes if r["model"] == "treatments.drugclass"}
    assert slugs - set(handout.GROUP_NAMES["es"]) == set()
    assert set(handout.GROUP_NAMES["es"]) - slugs == set()  # no name for a class that is gone


def test_group_name_follows_the_active_language():
    from django.utils import translation

    with translation.override("es"):
        assert handout.group_name("ssris", "Selective serotonin reuptake inhibitors").startswith("Inhibidores")
    with translation.override("en"):
        assert handout.group_name("ssris", "Selective serotonin reuptake inhibitors").startswith("Selective")
    assert handout.group_name("not-a-class", "Some group", "es") == "Some group"


def test_the_spanish_handout_shows_the_reviewed_alcohol_and_driving_text(loaded_kb, client):
    drug = m.Drug.objects.get(slug="pregabalin")
    assert drug.spanish_current("patient_alcohol_driving")
    page = client.get("/plan/summary/", {"drugs": ["pregabalin"], "lang": "es"}).text
    assert drug.patient_alcohol_driving_es in page
    assert drug.patient_alcohol_driving_en not in page
