"""The patient model: kidney-function equations against worked examples, rule thresholds at their edges,
the patient form's errors and warnings, and the issue's clinical cases on the REAL knowledge base."""

from decimal import Decimal

import pytest
from django.http import QueryDict

from treatments import explorer, forms, medicines
from treatments import models as m
from treatments.explorer import CautionRef, Range, make_patient, rule_applies

# --- equations (pure) -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "sex", "weight", "scr", "expected"),
    [
        # (140 − 70) × 60 / (72 × 1.4) × 0.85 = 35.4 (Cockcroft & Gault 1976, with the 0.85 factor for women)
        (70, "female", 60, Decimal("1.4"), Decimal("35.4")),
        # (140 − 40) × 80 / (72 × 1.0) = 111.1
        (40, "male", 80, Decimal("1.0"), Decimal("111.1")),
        # (140 − 85) × 50 / (72 × 2.0) = 19.1
        (85, "male", 50, Decimal("2.0"), Decimal("19.1")),
    ],
)
def test_cockcroft_gault_worked_examples(age, sex, weight, scr, expected):
    value = explorer.cockcroft_gault(age, sex, Decimal(weight), scr)
    assert value.quantize(Decimal("0.1")) == expected


@pytest.mark.parametrize(
    ("age", "sex", "scr", "expected"),
    [
        # 142 × (1.4/0.7)^−1.200 × 0.9938^70 × 1.012 (Inker 2021, female, SCr above κ)
        (70, "female", Decimal("1.4"), 40),
        # 142 × (0.6/0.7)^−0.241 × 0.9938^50 × 1.012 (female, SCr below κ)
        (50, "female", Decimal("0.6"), 109),
        # 142 × (1.0/0.9)^−1.200 × 0.9938^60 (male)
        (60, "male", Decimal("1.0"), 86),
    ],
)
def test_ckd_epi_2021_worked_examples(age, sex, scr, expected):
    assert round(explorer.ckd_epi_2021(age, sex, scr)) == expected


def test_creatinine_in_micromoles_gives_the_same_clearance_as_milligrams():
    mg = make_patient(age=70, sex="female", weight=60, scr=Decimal("1.4"))
    umol = make_patient(age=70, sex="female", weight=60, scr_umol=Decimal("123.76"))  # 1.4 × 88.4
    assert mg.crcl.value == umol.crcl.value == 35
    assert mg.crcl.method == "cockcroft-gault"
    assert umol.scr_entered == "123.76 µmol/L"


def test_obese_patient_uses_adjusted_body_weight():
    # Man 175 cm, 120 kg: BMI 39.2; Devine IBW 50 + 2.3 × (68.9 − 60) = 70.5 kg; adjusted 70.5 + 0.4 × 49.5 = 90.3
    patient = make_patient(age=60, sex="male", weight=120, height=175, scr=Decimal("1.0"))
    assert "adjusted body weight 90.3 kg" in patient.crcl.text
    assert patient.crcl.value == round(Decimal(80) * Decimal("90.3") / 72)
    lean = make_patient(age=60, sex="male", weight=70, height=175, scr=Decimal("1.0"))
    assert "actual body weight 70" in lean.crcl.text


def test_entered_crcl_overrides_the_estimate_and_says_so():
    patient = make_patient(age=70, sex="female", weight=60, scr=Decimal("1.4"), crcl=Decimal(50))
    assert (patient.crcl.value, patient.crcl.method) == (50, "entered")
    assert any("estimate from the other inputs is 35" in w for w in patient.warnings)


@pytest.mark.parametrize(
    ("inputs", "warning"),
    [
        ({"crcl": Decimal("1.4")}, "did you enter serum creatinine?"),
        ({"scr": Decimal("25"), "age": 60, "sex": "male", "weight": 70}, "is it µmol/L?"),
        ({"scr_umol": Decimal("12")}, "is it mg/dL?"),
        ({"scr": Decimal("1.2")}, "needs age, sex and weight"),
        ({"dialysis": "hd", "crcl": Decimal(40)}, "On dialysis"),
        ({"factors": ["renal-impairment"]}, "may apply"),
    ],
)
def test_suspicious_inputs_warn_and_still_give_a_patient(inputs, warning):
    assert any(warning in w for w in make_patient(**inputs).warnings)


def test_no_warning_for_an_ordinary_patient():
    assert make_patient(age=60, sex="male", weight=80, scr=Decimal("1.0")).warnings == ()


def test_crcl_and_egfr_on_different_sides_of_a_band_edge_are_pointed_out():
    # Woman 80, 45 kg, SCr 1.1: CrCl 27 (below 30), eGFR 50 (above 30).
    patient = make_patient(age=80, sex="female", weight=45, scr=Decimal("1.1"))
    assert patient.crcl.value < 30 <= patient.egfr.value
    assert any("different sides of 30" in w for w in patient.warnings)


# --- rules at their edges (pure) ------------------------------------------------------------------------


def rule(**conditions):
    fields = {"key": "r", "applies_when": "", "level": "avoid", "level_label": "Avoid", "text": "", "region": ""}
    return CautionRef(sources=(), **fields, **conditions)


@pytest.mark.parametrize(
    ("crcl", "applies"),
    [(29, True), (Decimal("29.4"), True), (30, False), (31, False), (55, False)],
)
def test_crcl_below_30_rule_edges(crcl, applies):
    assert rule_applies(rule(crcl_max=30), make_patient(crcl=Decimal(crcl))) is applies


@pytest.mark.parametrize(("crcl", "applies"), [(29, False), (30, True), (59, True), (60, False), (61, False)])
def test_crcl_30_to_60_rule_edges(crcl, applies):
    assert rule_applies(rule(crcl_min=30, crcl_max=60), make_patient(crcl=Decimal(crcl))) is applies


def test_dialysis_counts_as_crcl_below_15_and_matches_dialysis_rules():
    on_hd = make_patient(dialysis="hd")
    assert rule_applies(rule(crcl_max=30), on_hd) is True
    assert rule_applies(rule(crcl_min=30, crcl_max=60), on_hd) is False
    assert rule_applies(rule(dialysis="hd"), on_hd) is True
    assert rule_applies(rule(dialysis="pd"), on_hd) is False
    assert rule_applies(rule(dialysis="any"), make_patient(dialysis="pd")) is True
    assert rule_applies(rule(dialysis="any"), make_patient(crcl=Decimal(10))) is False


def test_old_kidney_factor_makes_crcl_rules_may_apply_not_apply():
    legacy = make_patient(factors=["renal-impairment"])
    assert rule_applies(rule(crcl_max=30), legacy) is None
    assert rule_applies(rule(crcl_max=60), legacy) is True
    assert rule_applies(rule(crcl_min=60), legacy) is False


@pytest.mark.parametrize(
    ("child_pugh", "classes", "applies"),
    [
        ("a", {"b", "c"}, False),
        ("b", {"b", "c"}, True),
        ("c", {"c"}, True),
        ("", {"a", "b", "c"}, False),
    ],
)
def test_child_pugh_rules(child_pugh, classes, applies):
    assert rule_applies(rule(child_pugh=frozenset(classes)), make_patient(child_pugh=child_pugh)) is applies


def test_old_liver_factor_may_apply_to_class_rules_and_applies_to_any_impairment():
    legacy = make_patient(factors=["hepatic-impairment"])
    assert rule_applies(rule(child_pugh=frozenset({"c"})), legacy) is None
    assert rule_applies(rule(child_pugh=frozenset({"a", "b", "c"})), legacy) is True


@pytest.mark.parametrize(("age", "applies"), [(64, False), (65, True), (90, True)])
def test_age_65_rule_edges(age, applies):
    assert rule_applies(rule(age_min=65), make_patient(age=age)) is applies


def test_age_and_crcl_rule_needs_both():
    both = rule(age_min=65, crcl_max=30)
    assert rule_applies(both, make_patient(age=70, crcl=Decimal(25))) is True
    assert rule_applies(both, make_patient(age=60, crcl=Decimal(25))) is False
    assert rule_applies(both, make_patient(age=70, crcl=Decimal(35))) is False


@pytest.mark.parametrize(
    ("result", "applies"), [("poor", True), ("intermediate", False), ("ultrarapid", False), (None, False)]
)
def test_gene_rules_per_phenotype(result, applies):
    patient = make_patient(genotypes={"cyp2d6": result} if result else {})
    assert rule_applies(rule(gene="cyp2d6", phenotypes=frozenset({"poor"})), patient) is applies


def test_not_tested_is_its_own_state_and_a_test_first_rule_asks_for_the_test():
    test_first = rule(gene="hla_b1502", phenotypes=frozenset({"positive"}), test_first=True)
    flags, _benefits, notices = explorer.patient_flags([test_first], make_patient())
    assert flags == [] and [n.level_label for n in notices] == ["Test HLA-B*15:02 before starting"]
    for result in ("negative", "positive"):
        _f, _b, notices = explorer.patient_flags([test_first], make_patient(genotypes={"hla_b1502": result}))
        assert notices == []


@pytest.mark.parametrize(
    ("low", "high", "rule_min", "rule_max", "expected"),
    [
        (0, 60, None, 30, None),
        (0, 60, None, 60, True),
        (0, 60, 60, None, False),
        (65, None, 65, None, True),
        (65, None, 76, None, None),
    ],
)
def test_range_against_a_rule(low, high, rule_min, rule_max, expected):
    known = Range(Decimal(low), None if high is None else Decimal(high))
    assert known.against(rule_min, rule_max) is expected


# --- the form -----------------------------------------------------------------------------------------------


def bound(**params):
    query = QueryDict(mutable=True)
    for key, value in params.items():
        query.setlist(key, value if isinstance(value, list) else [str(value)])
    form = forms.PatientForm(query, drug_lookup=lambda names: explorer.NameLookup({}, {}))
    return form


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"age": 17}, "age"),
        ({"crcl": 201}, "crcl"),
        ({"crcl": "nan"}, "crcl"),
        ({"scr": "0.05"}, "scr"),
        ({"scr_umol": "5000"}, "scr_umol"),
        ({"weight": "1000"}, "weight"),
        ({"height": "30"}, "height"),
        ({"sex": "other"}, "sex"),
        ({"cyp2d6": "rapid"}, "cyp2d6"),  # CYP2D6 has no "rapid" phenotype
        ({"scr": "1", "scr_umol": "88"}, "scr_umol"),
    ],
)
def test_out_of_range_values_are_errors_naming_the_field(params, field):
    form = bound(**params)
    assert not form.is_valid()
    assert field in form.errors


def test_form_builds_the_patient_with_old_factors_mapped():
    form = bound(age=70, sex="female", weight=60, scr="1.4", factors=["hla-b-1502-positive", "pregnancy"])
    assert form.is_valid(), form.errors
    patient = form.patient()
    assert patient.genotype("hla_b1502") == "positive"
    assert patient.factors == {"pregnancy"}
    assert patient.crcl.value == 35


# --- the issue's cases on the real knowledge base -------------------------------------------------------------


def evaluate(slug, current=(), **inputs):
    condition = m.Condition.objects.get(slug=slug)
    vocabulary = medicines.load_vocabulary()
    slugs = vocabulary.current(current)
    data = explorer.with_current(explorer.load_condition(condition), vocabulary, slugs)
    return explorer.evaluate(data, make_patient(current=slugs, **inputs))


def drug(result, slug):
    return next(o for o in result.options if o.slug == slug and o.kind == "drug")


PDN, PHN, TN = "painful-diabetic-neuropathy", "postherpetic-neuralgia", "trigeminal-neuralgia"


@pytest.mark.django_db
@pytest.mark.parametrize(("crcl", "status"), [(29, "avoid"), (31, "ok"), (55, "ok"), (61, "ok")])
def test_duloxetine_is_avoided_below_crcl_30_not_at_55(real_kb, crcl, status):
    assert drug(evaluate(PDN, crcl=Decimal(crcl)), "duloxetine").status == status


@pytest.mark.django_db
@pytest.mark.parametrize("child_pugh", ["a", "b", "c"])
def test_duloxetine_is_avoided_in_any_hepatic_impairment(real_kb, child_pugh):
    assert drug(evaluate(PDN, child_pugh=child_pugh), "duloxetine").status == "avoid"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("condition", "crcl", "maximum"),
    [
        (PDN, 90, 300),
        (PDN, 60, 300),
        (PDN, 59, 150),
        (PDN, 30, 150),
        (PDN, 29, 75),
        (PDN, 14, 50),
        (PHN, 90, 600),
        (PHN, 45, 300),
        (PHN, 20, 150),
        (PHN, 10, 75),
    ],
)
def test_pregabalin_maximum_follows_the_indication_and_the_label_renal_table(real_kb, condition, crcl, maximum):
    limit = drug(evaluate(condition, crcl=Decimal(crcl)), "pregabalin").max_daily_dose
    assert limit.value == maximum
    assert "label-lyrica" in {s.key for s in limit.sources}


@pytest.mark.django_db
@pytest.mark.parametrize(("crcl", "maximum"), [(60, 3600), (59, 1400), (31, 1400), (30, 700), (16, 700), (15, 300)])
def test_gabapentin_maximum_by_the_label_renal_table(real_kb, crcl, maximum):
    assert drug(evaluate(PHN, crcl=Decimal(crcl)), "gabapentin").max_daily_dose.value == maximum


@pytest.mark.django_db
def test_haemodialysis_gives_the_lowest_band_and_the_supplement(real_kb):
    limit = drug(evaluate(PDN, dialysis="hd"), "pregabalin").max_daily_dose
    assert limit.value == 50 and "supplemental dose" in limit.dialysis_supplement


@pytest.mark.django_db
def test_hla_b1502_positive_flags_phenytoin_and_contraindicates_carbamazepine(real_kb):
    result = evaluate(TN, genotypes={"hla_b1502": "positive"})
    assert drug(result, "phenytoin").status == "contraindicated"  # CPIC 2020: do not use if phenytoin-naive
    assert drug(result, "carbamazepine").status == "contraindicated"
    negative = evaluate(TN, genotypes={"hla_b1502": "negative"})
    assert drug(negative, "carbamazepine").status == "ok" and not drug(negative, "carbamazepine").notices


@pytest.mark.django_db
def test_untested_carbamazepine_says_test_first(real_kb):
    carbamazepine = drug(evaluate(TN), "carbamazepine")
    assert any("HLA-B*15:02" in n.level_label for n in carbamazepine.notices)


@pytest.mark.django_db
@pytest.mark.parametrize(("phenotype", "status"), [("ultrarapid", "avoid"), ("poor", "avoid"), ("normal", "ok")])
def test_tramadol_cyp2d6(real_kb, phenotype, status):
    assert drug(evaluate(PDN, genotypes={"cyp2d6": phenotype}), "tramadol").status == status


@pytest.mark.django_db
def test_gabapentin_is_duplication_when_taking_pregabalin_and_pregabalin_is_already_taken(real_kb):
    result = evaluate(PDN, current=("pregabalin",))
    assert drug(result, "gabapentin").status == "avoid"
    assert any(f.key == "duplication--pregabalin" for f in drug(result, "gabapentin").flags)
    assert drug(result, "pregabalin").already_taking


@pytest.mark.django_db
def test_class_card_lists_member_statuses_for_the_patient(real_kb):
    result = evaluate(PDN, crcl=Decimal(25))
    snris = next(o for o in result.options if o.slug == "snris" and o.kind == "drug_class")
    statuses = {mb.slug: mb.status for mb in snris.member_statuses}
    assert statuses["duloxetine"] == "avoid"
    assert snris.status == min(statuses.values(), key=explorer.STATUS_RANK.get)


@pytest.mark.django_db
def test_the_issues_examples_on_the_page_and_in_the_api(real_kb, client):
    api = client.get("/api/v1/explore/", {"condition": PDN, "crcl": 55}).json()
    duloxetine = next(o for o in api["options"] if o["slug"] == "duloxetine" and o["kind"] == "drug")
    pregabalin = next(o for o in api["options"] if o["slug"] == "pregabalin" and o["kind"] == "drug")
    assert duloxetine["status"] == "ok"
    assert (pregabalin["max_daily_dose"]["value"], pregabalin["max_daily_dose"]["renal"]) == (150, True)
    page = client.get(f"/conditions/{PDN}/", {"crcl": 55}).text
    assert '<article class="option status-ok" aria-labelledby="opt-drug-duloxetine">' in page
    assert "at most 150 mg/day at CrCl 30–59 mL/min" in page
    phn = client.get("/api/v1/explore/", {"condition": PHN}).json()
    pregabalin = next(o for o in phn["options"] if o["slug"] == "pregabalin" and o["kind"] == "drug")
    assert pregabalin["max_daily_dose"]["value"] == 600
    tn = client.get("/api/v1/explore/", {"condition": TN, "hla_b1502": "positive"}).json()
    assert {o["slug"]: o["status"] for o in tn["options"] if o["kind"] == "drug"}["phenytoin"] == "contraindicated"
