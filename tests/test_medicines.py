"""Any real medication list: every medicine recognised against the vocabulary, checked by mechanism, and
nothing ever blanks the results (issue 15). Most tests run on the real knowledge base (fixtures/), loaded once
per test session (``real_kb``, tests/conftest.py)."""

import io
import json
import re

import pytest
from django.core.management import call_command

from treatments import coverage, explorer, knowledge_base, medicines, plan
from treatments import models as m
from treatments.medicines import name_keys

PDN, PHN = "painful-diabetic-neuropathy", "postherpetic-neuralgia"
pytestmark = pytest.mark.django_db  # tests that take ``real_kb`` (or ``vocab``) run on the real knowledge base


# --- name keys (pure) ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "plain"),
    [
        ("Duloxetine HCl 30 mg capsules", "duloxetine"),
        ("duloxetine hydrochloride", "duloxetine"),
        ("Co-codamol", "cocodamol"),
        ("co codamol 30/500", "cocodamol"),
        ("Sertraline 50mg tablets", "sertraline"),
        ("levothyroxine sodium", "levothyroxine"),
        ("Ácido valproico", "acidovalproico"),
        ("potassium chloride", "potassiumchloride"),  # an anion alone never stands for the medicine
        ("sodium chloride", "sodiumchloride"),
        ("Tylenol #3", "tylenolno3"),  # a product number is not a strength
        ("sodium", "sodium"),
    ],
)
def test_name_keys_ignore_case_punctuation_salts_and_strengths(typed, plain):
    assert name_keys(typed)[1] == plain


# --- the real vocabulary -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_vocabulary(real_kb_database, django_db_blocker):
    """The real knowledge base's vocabulary, read once for the module."""
    with real_kb_database.active(), django_db_blocker.unblock():
        return medicines.load_vocabulary()


@pytest.fixture
def real_kb(real_kb, real_vocabulary):
    """The test runs on the real knowledge base (tests/conftest.py); here its value is the vocabulary."""
    return real_vocabulary


@pytest.fixture
def vocab(real_kb):
    return real_kb


RECOGNISED = [
    ("metformin", ("metformin",)),
    ("Citalopram", ("citalopram",)),
    ("ELIQUIS", ("apixaban",)),  # US brand
    ("Lyrica", ("pregabalin",)),
    ("Neurontin", ("gabapentin",)),  # a knowledge-base drug's own brand
    ("Duloxetine HCl 30 mg capsules", ("duloxetine",)),
    ("sertraline hydrochloride", ("sertraline",)),
    ("paracetamol", ("acetaminophen",)),  # UK name
    ("salbutamol inhaler", ()),  # "inhaler" is not a form word we drop: not guessed
    ("Ventolin", ("albuterol",)),
    ("ciclosporin", ("cyclosporine",)),
    ("Co-codamol", ("codeine-and-acetaminophen",)),  # UK combination name
    ("co-amoxiclav", ("amoxicillin-and-clavulanate",)),
    ("Acetaminophen; Hydrocodone", ("hydrocodone-and-acetaminophen",)),  # as ClinCalc lists it
    ("hydrocodone/APAP 5/325", ("hydrocodone-and-acetaminophen",)),
    ("lisinopril / hydrochlorothiazide", ("lisinopril-and-hydrochlorothiazide",)),
    ("metformin + sertraline", ("metformin", "sertraline")),  # no such product: both checked
    ("hydroxyzine", ("hydroxyzine",)),  # look-alike pair: each is itself
    ("hydralazine", ("hydralazine",)),
    ("sodium chloride", ()),  # not potassium chloride
    ("Tylenol #3", ()),  # acetaminophen with codeine: never read as plain acetaminophen
    ("gabapentn", ()),
]


@pytest.mark.parametrize(("typed", "slugs"), RECOGNISED)
def test_recognition(vocab, typed, slugs):
    assert vocab.recognise(typed) == slugs


def test_a_combination_product_stands_for_its_ingredients(vocab):
    assert set(vocab.current(["Co-codamol"])) == {"codeine", "acetaminophen"}
    assert set(vocab.current(["co-codamol", "paracetamol"])) == {"codeine", "acetaminophen"}


@pytest.mark.parametrize(
    ("typed", "suggested", "never"),
    [
        ("gabapentn", "gabapentin", None),
        ("duloxatine", "duloxetine", None),
        ("hydroxyzin", "hydroxyzine", "hydralazine"),
        ("hydralazin", "hydralazine", "hydroxyzine"),
        ("citalopramm", "citalopram", None),
    ],
)
def test_misspellings_are_suggested_never_applied(vocab, typed, suggested, never):
    assert vocab.recognise(typed) == ()
    offered = [slug for slug, _name in vocab.suggest(typed)]
    assert offered and offered[0] == suggested
    assert never not in offered


def test_every_knowledge_base_drug_is_in_the_vocabulary(vocab):
    missing = sorted(m.Drug.objects.published().exclude(slug__in=list(vocab.medicines)).values_list("slug", flat=True))
    assert missing == []
    assert all(vocab.get(d.slug).is_drug for d in m.Drug.objects.published())


def test_every_property_and_rule_cites_a_published_source(real_kb):
    uncited = [
        str(p) for p in m.MedicineProperty.objects.published() if not p.sources.filter(status="published").exists()
    ]
    uncited += [r.key for r in m.MechanismRule.objects.published() if not r.sources.filter(status="published")]
    assert uncited == []


def test_top_300_coverage_meets_the_targets(vocab):
    result = coverage.measure(vocab)
    assert result.groups == ["Isosorbide", "Magnesium Salts", "Calcium", "Sodium Salts", "Lactate"]
    assert result.rows == 295 and result.not_generic == []  # 100% recognised by generic name
    assert result.not_brand == []
    assert result.profiled / result.rows >= 0.95


def test_the_coverage_command_reports_the_shares(real_kb):
    out = io.StringIO()
    call_command("medicine_coverage", stdout=out)
    assert "Recognised by generic name: 295/295 (100.0%)" in out.getvalue()


# --- mechanism rules: each fires, does not fire, and yields to a curated pair ------------------------------

# rule key: (a, b that fires, c that does not fire with a)
RULE_CASES = {
    "maoi--serotonergic": ("phenelzine", "ondansetron", "metformin"),
    "serotonergic--serotonergic": ("citalopram", "ondansetron", "lisinopril"),
    "cyp2d6-inhibitor-strong--cyp2d6-activated": ("tramadol", "bupropion", "sertraline"),
    "cyp1a2-inhibitor-strong--cyp1a2-substrate": ("duloxetine", "fluvoxamine", "sertraline"),
    "cyp1a2-inhibitor-moderate--cyp1a2-substrate-sensitive": ("duloxetine", "ciprofloxacin", "amoxicillin"),
    "cyp3a4-inducer-strong--cyp3a4-substrate": ("oxycodone", "rifampin", "metformin"),
    "cyp3a4-inhibitor-strong--cyp3a4-substrate": ("oxycodone", "clarithromycin", "azithromycin"),
    "cyp3a4-inhibitor-moderate--cyp3a4-substrate-label": ("oxycodone", "fluconazole", "amoxicillin"),
    "cyp2d6-inhibitor--cyp2d6-substrate": ("nortriptyline", "bupropion", "metformin"),
    "cyp2c9-inhibitor--cyp2c9-substrate": ("warfarin", "fluconazole", "amoxicillin"),
    "cyp2c19-inhibitor--cyp2c19-activated": ("clopidogrel", "omeprazole", "pantoprazole"),
    "pgp-inducer--pgp-substrate": ("dabigatran", "rifampin", "amoxicillin"),
    "contraceptive-inducer--hormonal-contraceptive": ("ethinyl-estradiol", "carbamazepine", "gabapentin"),
    "qt-known--qt-prolonging": ("methadone", "citalopram", "sertraline"),
    "sri--anticoagulant": ("amitriptyline", "apixaban", "metformin"),
    "sri--antiplatelet": ("escitalopram", "clopidogrel", "metformin"),
    "sri--nsaid": ("citalopram", "meloxicam", "acetaminophen"),
    "nsaid--anticoagulant": ("meloxicam", "apixaban", "acetaminophen"),
    "anticoagulant--antiplatelet": ("apixaban", "clopidogrel", "atorvastatin"),
    "opioid--benzodiazepine": ("oxycodone", "alprazolam", "metformin"),
    "opioid--cns-depressant": ("oxycodone", "zolpidem", "metformin"),
    "opioid--gabapentinoid": ("hydrocodone", "pregabalin", "metformin"),
    "seizure-threshold--seizure-threshold": ("tramadol", "bupropion", "metformin"),
}

# rule key: (a, b, the curated pair that replaces the rule for them)
OVERRIDES = {
    "maoi--serotonergic": ("phenelzine", "cyclobenzaprine", "maois--cyclobenzaprine"),
    "serotonergic--serotonergic": ("tramadol", "duloxetine", "tramadol--duloxetine"),
    "cyp2d6-inhibitor-strong--cyp2d6-activated": ("tramadol", "fluoxetine", "tramadol--fluoxetine"),
    "cyp3a4-inducer-strong--cyp3a4-substrate": ("oxycodone", "carbamazepine", "oxycodone--carbamazepine"),
    "sri--nsaid": ("duloxetine", "ibuprofen", "snris--nsaids"),
    "opioid--benzodiazepine": ("oxycodone", "lorazepam", "strong-opioids--benzodiazepines"),
    "opioid--gabapentinoid": ("oxycodone", "pregabalin", "gabapentinoids--strong-opioids"),
}


@pytest.fixture(scope="module")
def curated(real_kb_database, django_db_blocker):
    with real_kb_database.active(), django_db_blocker.unblock():
        return explorer.interaction_refs(
            m.Drug.objects.values_list("pk", flat=True), m.DrugClass.objects.values_list("pk", flat=True)
        )


def findings(vocab, curated, a, b, older_adult=False):
    return explorer.pair_findings(vocab.get(a), vocab.get(b), curated, vocab.rules, older_adult)


def test_every_published_rule_has_a_case(vocab):
    assert sorted(r.key for r in vocab.rules) == sorted(RULE_CASES)


@pytest.mark.parametrize("key", sorted(RULE_CASES))
def test_rule_fires_and_does_not_fire(vocab, key):
    """The rule by itself (no curated pairs): it meets the pair whose properties it names, in either order, and
    not a pair whose second medicine lacks them."""
    a, fires, spared = RULE_CASES[key]
    hits = {i.key: i for i in findings(vocab, (), a, fires)}
    assert key in hits, (a, fires, sorted(hits))
    found = hits[key]
    assert found.origin == "mechanism" and found.rule_name and found.sources
    assert vocab.get(a).name in found.basis and vocab.get(fires).name in found.basis
    assert key in {i.key for i in findings(vocab, (), fires, a)}
    assert key not in {i.key for i in findings(vocab, (), a, spared)}


@pytest.mark.parametrize("key", sorted(OVERRIDES))
def test_a_curated_pair_overrides_its_rule(vocab, curated, key):
    a, b, pair = OVERRIDES[key]
    found = {i.key: i for i in findings(vocab, curated, a, b)}
    assert pair in found and found[pair].origin == "curated"
    assert key not in found
    rule = next(r for r in vocab.rules if r.key == key)
    assert rule.basis(vocab.get(a), vocab.get(b)), "the rule itself would apply to the pair"


def test_older_adult_only_rules_spare_younger_patients():
    rule = medicines.RuleRef(
        "x", "X", (("serotonergic", None),), (("serotonergic", None),), "major", "Major", "", "", "", True, ()
    )
    a = medicines.MedicineRef("a", "A", properties=(medicines.PropertyRef("serotonergic", "", "S", None, "", ()),))
    b = medicines.MedicineRef("b", "B", properties=a.properties)
    assert medicines.rule_hits(a, b, [rule], older_adult=True)
    assert not medicines.rule_hits(a, b, [rule], older_adult=False)
    assert not medicines.rule_hits(a, a, [rule], older_adult=True)  # a medicine never interacts with itself


# --- the omissions the pharmacist found (issue 15) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "key", "severity"),
    [
        ("methadone", "amitriptyline", "methadone--tricyclic-antidepressants", "major"),
        ("methadone", "citalopram", "qt-known--qt-prolonging", "major"),
        ("methadone", "escitalopram", "methadone--ssris", "major"),
        ("methadone", "rifampin", "cyp3a4-inducer-strong--cyp3a4-substrate", "major"),
        ("methadone", "carbamazepine", "methadone--carbamazepine", "major"),
        ("phenelzine", "cyclobenzaprine", "maois--cyclobenzaprine", "contraindicated"),
        ("phenelzine", "carbamazepine", "maois--carbamazepine", "contraindicated"),
        ("duloxetine", "ciprofloxacin", "cyp1a2-inhibitor-moderate--cyp1a2-substrate-sensitive", "major"),
        ("duloxetine", "fluvoxamine", "cyp1a2-inhibitor-strong--cyp1a2-substrate", "major"),
        ("carbamazepine", "ethinyl-estradiol", "contraceptive-inducer--hormonal-contraceptive", "major"),
        ("phenytoin", "levonorgestrel", "contraceptive-inducer--hormonal-contraceptive", "major"),
        ("oxcarbazepine", "etonogestrel", "contraceptive-inducer--hormonal-contraceptive", "major"),
        ("topiramate", "ethinyl-estradiol", "contraceptive-inducer--hormonal-contraceptive", "major"),
        ("valproate", "topiramate", "valproate--topiramate", "major"),
        ("oxycodone", "clarithromycin", "cyp3a4-inhibitor-strong--cyp3a4-substrate", "major"),
        ("oxycodone", "rifampin", "cyp3a4-inducer-strong--cyp3a4-substrate", "major"),
        ("apixaban", "carbamazepine", "cyp3a4-inducer-strong--cyp3a4-substrate", "major"),
        ("tramadol", "paroxetine", "tramadol--paroxetine", "major"),
        ("venlafaxine", "apixaban", "snris--anticoagulants", "moderate"),
        ("citalopram", "meloxicam", "ssris--nsaids", "moderate"),
        ("amitriptyline", "rivaroxaban", "sri--anticoagulant", "moderate"),
        ("lorazepam", "oxycodone", "strong-opioids--benzodiazepines", "major"),
    ],
)
def test_the_reported_omissions_are_checked(vocab, curated, a, b, key, severity):
    found = {i.key: i.severity for i in findings(vocab, curated, a, b)}
    assert found.get(key) == severity, found


def test_benzodiazepines_carbamazepine_and_mexiletine_have_their_cautions(real_kb):
    beers = m.Caution.objects.published().get(key="benzodiazepines--age-65")
    assert beers.level == "avoid" and beers.age_min == 65 and "falls" in beers.text
    assert beers.sources.filter(key="ags-beers-2023").exists()
    av_block = m.Caution.objects.published().filter(
        drug__slug="carbamazepine", factor__slug="cardiac-conduction-disease"
    )
    assert av_block.exists()
    published = m.Caution.objects.published()
    assert published.get(key="benzodiazepines--substance-use-disorder").factor.slug == "substance-use-disorder"
    diazepam = published.get(key="diazepam--respiratory-disease")
    assert "severe respiratory insufficiency" in diazepam.text and diazepam.sources.filter(key="label-valium").exists()
    assert published.get(key="lorazepam--respiratory-disease").level == "caution"
    boxed = m.Drug.objects.get(slug="mexiletine").boxed_warning
    assert "CAST" in boxed and "7.7%" in boxed


# --- pages and API: nothing blanks the results -------------------------------------------------------------

EIGHT = [
    "metformin",
    "Lisinopril 10 mg",
    "atorvastatin",
    "Eliquis",
    "citalopram",
    "omeprazole",
    "Cipro",
    "zzqx-unknown",
]


def test_an_everyday_medication_list_keeps_every_option_and_flags_interactions(client, real_kb):
    response = client.get(f"/conditions/{PHN}/", {"age": 60, "current": EIGHT})
    assert response.status_code == 200
    text = response.text
    assert "Not recognised — not checked" in text and "“zzqx-unknown”" in text
    assert 'id="opt-drug-' in text or 'id="opt-drug_class-' in text  # options shown
    # Citalopram meets the antidepressant options through curated class pairs; apixaban meets amitriptyline
    # (serotonin reuptake: bleeding) and ciprofloxacin meets duloxetine (CYP1A2) through mechanism rules, each
    # shown on the class card for its member.
    assert "interaction with Citalopram" in text and "(curated pair)" in text
    assert "interaction of Amitriptyline with Apixaban" in text
    assert "interaction of Duloxetine with Ciprofloxacin" in text
    assert "mechanism rule: Moderate CYP1A2 inhibitor with a sensitive CYP1A2 substrate" in text


def test_a_recognised_medicine_without_a_profile_is_listed_as_not_checked(client, real_kb):
    unprofiled = m.Medicine.objects.published().filter(profiled=False, ingredients__isnull=True).first()
    response = client.get(f"/conditions/{PDN}/", {"current": [unprofiled.name, "metformin"]})
    assert "Recognised — interactions not checked" in response.text and unprofiled.name in response.text


def test_the_api_lists_each_medicine_as_typed(client, real_kb):
    body = client.get(
        "/api/v1/explore/", {"condition": PDN, "current": "Co-codamol,gabapentn,Eliquis,abiraterone"}
    ).json()
    assert body["options"]
    current = {row["text"]: row for row in body["patient"]["current"]}
    assert current["Co-codamol"]["ingredient"] == "codeine-and-acetaminophen"
    assert sorted(current["Co-codamol"]["ingredients"]) == ["acetaminophen", "codeine"]
    assert current["Co-codamol"]["recognised"] and current["Co-codamol"]["profiled"]
    assert current["gabapentn"] == {
        "text": "gabapentn",
        "ingredient": None,
        "name": "",
        "ingredients": [],
        "recognised": False,
        "profiled": False,
        "suggestions": ["gabapentin"],
    }
    assert current["Eliquis"]["ingredient"] == "apixaban" and current["Eliquis"]["profiled"]
    assert current["abiraterone"]["recognised"] and not current["abiraterone"]["profiled"]
    assert body["patient"]["unrecognised"] == ["gabapentn"]
    origins = {i["origin"] for o in body["options"] for i in o["interactions"]}
    assert origins <= {"curated", "mechanism"}


def test_interaction_check_accepts_names_and_says_where_each_result_came_from(client, real_kb):
    body = client.get("/api/v1/interactions/check/", {"drugs": "Cymbalta,Cipro", "current": "fluvoxamine"}).json()
    pairs = {(p["a"], p["b"], p["key"]): p for p in body["pairs"]}
    keys = {k for _a, _b, k in pairs}
    assert "cyp1a2-inhibitor-moderate--cyp1a2-substrate-sensitive" in keys
    assert "cyp1a2-inhibitor-strong--cyp1a2-substrate" in keys
    assert all(p["origin"] == "mechanism" and p["basis"] for p in body["pairs"] if p["key"].startswith("cyp1a2"))
    assert [i["drug"] for i in body["items"]] == ["duloxetine"]  # ciprofloxacin: checked as a co-medication
    texts = [row["text"] for row in body["patient"]["current"]]
    assert "Cipro" in texts and "fluvoxamine" in texts


@pytest.mark.parametrize("bad", ["metformin\x00", "a" * 201])
def test_only_unreadable_names_are_refused(client, real_kb, bad):
    response = client.get("/api/v1/explore/", {"condition": PDN, "current": bad})
    assert response.status_code == 400
    assert "current" in response.json()


def test_the_page_without_javascript_lists_the_interaction_with_its_origin(client, real_kb):
    response = client.get(f"/conditions/{PDN}/", {"current": ["Cipro"]})
    option = re.search(r'<article[^>]*aria-labelledby="opt-drug-duloxetine".*?</article>', response.text, re.S)
    assert option, "duloxetine is an option for painful diabetic neuropathy"
    assert "interaction with Ciprofloxacin" in option.group(0)
    assert "mechanism rule: Moderate CYP1A2 inhibitor with a sensitive CYP1A2 substrate" in option.group(0)


# --- regimen totals in the explorer and the plan ------------------------------------------------------------


def test_an_option_that_takes_the_anticholinergic_burden_to_3_is_flagged(real_kb):
    condition = m.Condition.objects.get(slug=PDN)
    data = explorer.load_condition(condition)
    slugs = real_kb.current(["oxybutynin"])
    patient = explorer.make_patient(age=80, current=slugs)
    data = explorer.replace(data, current_drugs={s: real_kb.get(s) for s in slugs}, rules=real_kb.rules)
    result = explorer.evaluate(data, patient)
    amitriptyline = next(o for o in result.options if o.slug == "amitriptyline")
    flag = next(f for f in amitriptyline.flags if f.key == "anticholinergic-burden")
    assert "Oxybutynin 3" in flag.text and flag.level == "avoid"
    pregabalin = next(o for o in result.options if o.slug == "pregabalin")
    assert not any(f.key == "anticholinergic-burden" for f in pregabalin.flags)  # ACB 0: adds nothing


def test_the_plan_counts_current_medicines_outside_the_knowledge_base(real_kb):
    patient = explorer.make_patient(age=80, current=real_kb.current(["alprazolam", "oxybutynin", "Ambien"]))
    criteria = plan.PlanCriteria(drugs=("amitriptyline",), patient=patient)
    result = plan.check(plan.load(criteria), criteria, real_kb)
    checks = {c.code: c for c in result.checks}
    assert "Oxybutynin 3" in checks["anticholinergic-burden"].text
    assert set(checks["beers-cns"].drugs) == {"amitriptyline", "alprazolam", "zolpidem"}
    assert [c.name for c in result.current] == ["Alprazolam", "Oxybutynin", "Zolpidem"]
    # Two medicines outside the knowledge base's classes are not a duplication.
    assert "duplication" not in checks


def test_rules_fixture_round_trips_its_property_specs():
    rules = json.loads((knowledge_base.FIXTURES_DIR / "mechanism_rules.json").read_text())
    for rule in rules:
        for spec in rule["fields"]["left"] + rule["fields"]["right"]:
            m.parse_property_spec(spec)


def test_the_medicines_api_searches_the_vocabulary_with_profiles(client, real_kb):
    body = client.get("/api/v1/medicines/", {"search": "eliquis"}).json()
    (apixaban,) = body["results"]
    assert apixaban["slug"] == "apixaban" and apixaban["drug_class"] == "anticoagulants" and apixaban["profiled"]
    assert {p["property"] for p in apixaban["properties"]} >= {"anticoagulant", "cyp3a4-substrate"}
    assert all(p["sources"] for p in apixaban["properties"])
    serotonergic = client.get("/api/v1/medicines/", {"property": "mao-inhibitor"}).json()
    assert [r["slug"] for r in serotonergic["results"]] == ["phenelzine"]
    assert client.get("/api/v1/medicines/", {"property": "nonsense"}).status_code == 400


def test_a_property_carries_its_sources_condition_of_use(vocab, curated):
    (finding,) = [
        i
        for i in findings(vocab, curated, "topiramate", "ethinyl-estradiol")
        if i.key == "contraceptive-inducer--hormonal-contraceptive"
    ]
    assert "Topiramate: Makes hormonal contraception fail, at 200 mg/day or more" in finding.basis
    assert any(s.key == "sps-contraception-enzyme-inducers" for s in finding.sources)
