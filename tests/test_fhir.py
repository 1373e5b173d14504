"""Reading a FHIR R4 record into the patient inputs (treatments/fhir.py), on the project's test patients
(tests/fhir/) and at the edges of each rule. No database: the conditions' codes are given as the loader has them."""

import copy
import datetime
import json
from pathlib import Path

import pytest
import simple_icd_10_cm as icd

from treatments import fhir

FHIR_DIR = Path(__file__).parent / "fhir"
TODAY = datetime.date(2026, 12, 4)
CONDITIONS = {  # as in fixtures/conditions.json (checked against it in test_condition_codes_are_the_fixtures)
    "painful-diabetic-neuropathy": ("E11.42", "E10.42", "E13.42"),
    "hiv-neuropathy": ("B20", "G63"),
    "b12-deficiency-neuropathy": ("E53.8", "G63"),
    "central-post-stroke-pain": ("G89.0",),
    "spinal-cord-injury-pain": ("G89.0",),
    "multiple-sclerosis-pain": ("G35.A", "G35.B0", "G35.C0", "G35.D", "G89.0"),
    "carpal-tunnel-syndrome": ("G56.00", "G56.01", "G56.02", "G56.03"),
    "trigeminal-neuralgia": ("G50.0",),
    "postherpetic-neuralgia": ("B02.29", "B02.22", "B02.23"),
}
RXCUIS = {"6809": "metformin", "10689": "tramadol", "36437": "sertraline", "274783": "insulin-glargine"}
RXCUIS |= {"25480": "gabapentin"}


def load(name):
    return json.loads((FHIR_DIR / f"{name}.json").read_text())


def read(*items, today=TODAY):
    return fhir.read_json(list(items), today=today, conditions=CONDITIONS, rxcuis=RXCUIS)


def facts(record, name):
    return [f.value for f in record.facts if f.name == name]


def test_condition_codes_are_the_fixtures():
    rows = json.loads((Path(__file__).parent.parent / "fixtures" / "conditions.json").read_text())
    shipped = {
        r["fields"]["slug"]: tuple(r["fields"]["icd10_codes"]) for r in rows if r["model"] == "treatments.condition"
    }
    assert {slug: shipped[slug] for slug in CONDITIONS} == CONDITIONS


def test_older_woman_with_diabetic_neuropathy_ckd_and_eight_medicines():
    record = read(load("older-woman-pdn"))
    query = dict(record.query())
    assert query["age"] == ["79"] and query["sex"] == ["female"]
    # The latest final creatinine (not the older one, not the later preliminary one).
    assert query["scr"] == ["1.6"] and query["weight"] == ["62"] and query["height"] == ["160"]
    assert "crcl" not in query  # eGFR is information only
    assert any(n.startswith("eGFR 32") for n in record.notices)
    assert sorted(query["factors"]) == ["depression", "falls-risk"]  # the resolved COPD is not read
    assert record.conditions == ("painful-diabetic-neuropathy",)
    assert query["current"] == [
        "metformin",  # RxNorm ingredient code
        "lisinopril",  # unknown code: the display's name without strength and form
        "amlodipine",
        "atorvastatin",
        "tramadol",
        "sertraline",  # through an included Medication
        "omeprazole",  # text only
        "insulin-glargine",
    ]
    assert "ibuprofen" not in json.dumps(query)  # the stopped order
    creatinine = next(f for f in record.facts if f.name == "scr")
    assert (creatinine.source, creatinine.date) == ("Observation, LOINC 2160-0", "2026-11-20")


def test_trigeminal_neuralgia_with_hla_b1502_positive_and_cyp2d6_phenotype():
    record = read(load("trigeminal-hla"))
    query = dict(record.query())
    assert query["hla_b1502"] == ["positive"]
    assert query["cyp2d6"] == ["intermediate"]
    assert query["weight"] == ["69.9"]  # 154 lb
    assert record.conditions == ("trigeminal-neuralgia",)


def test_haemodialysis_is_reported_not_guessed():
    record = read(load("haemodialysis"))
    query = dict(record.query())
    assert "dialysis" not in query  # Z99.2 does not say haemodialysis or peritoneal
    assert any("Z99.2" in n for n in record.notices)
    assert query["weight"] == ["70"] and query["height"] == ["165"]  # from g and m
    assert record.conditions == ("postherpetic-neuralgia",)


def test_text_only_medicines_and_a_condition_without_icd10():
    record = read(load("text-only-medicines"))
    query = dict(record.query())
    assert query["current"] == ["Gabapentin", "Paracetamol", "Grandma's herbal tea"]
    assert query["scr_umol"] == ["110"] and "scr" not in query
    assert any("no ICD-10-CM code" in n for n in record.notices)


def observation(code, value, unit, date="2026-11-01", status="final"):
    return {
        "resourceType": "Observation",
        "status": status,
        "code": {"coding": [{"system": fhir.LOINC, "code": code}]},
        "effectiveDateTime": date,
        "valueQuantity": {"value": value, "system": fhir.UCUM, "code": unit},
    }


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (0.1, "mg/dL", ("scr", "0.1")),
        (30, "mg/dL", ("scr", "30")),
        (30.1, "mg/dL", None),  # beyond the form's range: not entered
        (0.09, "mg/dL", None),
        (9, "umol/L", ("scr_umol", "9")),
        (2650, "umol/L", ("scr_umol", "2650")),
        (2651, "umol/L", None),
        (1.2, "mmol/L", None),  # a unit the explorer does not read
    ],
)
def test_creatinine_units_and_ranges(value, unit, expected):
    record = read(observation(fhir.CREATININE, value, unit))
    found = [(f.name, f.value) for f in record.facts if f.name in ("scr", "scr_umol")]
    assert found == ([expected] if expected else [])
    if not expected:
        assert record.notices


@pytest.mark.parametrize(("birth", "age"), [("1946-12-04", 80), ("1946-12-05", 79), ("2008-12-04", 18)])
def test_age_from_birth_date_at_the_birthday(birth, age):
    record = read({"resourceType": "Patient", "birthDate": birth, "gender": "male"})
    assert facts(record, "age") == [str(age)]


@pytest.mark.parametrize("birth", ["2008-12-05", "1948", "1948-03"])
def test_no_age_from_a_minor_or_a_partial_birth_date(birth):
    record = read({"resourceType": "Patient", "birthDate": birth})
    assert facts(record, "age") == [] and record.notices


@pytest.mark.parametrize("gender", ["other", "unknown"])
def test_sex_is_not_guessed(gender):
    assert facts(read({"resourceType": "Patient", "gender": gender}), "sex") == []


def condition(*codes, status="active", verification=None):
    resource = {
        "resourceType": "Condition",
        "subject": {"reference": "Patient/p"},
        "clinicalStatus": {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": status}]
        },
        "code": {"coding": [{"system": fhir.ICD10CM, "code": c} for c in codes]},
    }
    if verification:
        resource["verificationStatus"] = {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": verification}]
        }
    return resource


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        (["E11.42"], ["painful-diabetic-neuropathy"]),
        (["E1142"], ["painful-diabetic-neuropathy"]),  # without the dot
        (["B20"], []),  # HIV alone is not HIV neuropathy
        (["G63"], []),  # a shared manifestation code alone says nothing
        (["B20", "G63"], ["hiv-neuropathy"]),
        (["E53.8", "G63"], ["b12-deficiency-neuropathy"]),
        (["G35.A"], []),  # multiple sclerosis without central pain
        (["G35.A", "G89.0"], ["central-post-stroke-pain", "spinal-cord-injury-pain", "multiple-sclerosis-pain"]),
        (["G89.0"], ["central-post-stroke-pain", "spinal-cord-injury-pain"]),  # offered as a choice
        (["G56.0"], ["carpal-tunnel-syndrome"]),  # the category of our codes
        (["E11.40"], []),  # diabetic neuropathy, unspecified: not the painful polyneuropathy
    ],
)
def test_condition_matching(codes, expected):
    # Each code in its own Condition resource, as records keep them.
    record = read(*[condition(c) for c in codes])
    assert list(record.conditions) == expected


@pytest.mark.parametrize(("status", "verification"), [("resolved", None), ("inactive", None), ("active", "refuted")])
def test_inactive_or_refuted_conditions_are_not_read(status, verification):
    assert read(condition("E11.42", status=status, verification=verification)).conditions == ()


def test_factor_codes_are_icd10cm_codes_and_match_their_children():
    for slug, prefixes in fhir.FACTOR_CODES.items():
        for prefix in prefixes:
            assert icd.is_valid_item(prefix), (slug, prefix)
    record = read(condition("F33.1"), condition("H40.20X0"), condition("Z79.01"))
    assert sorted(facts(record, "factors")) == ["bleeding-risk", "depression", "narrow-angle-glaucoma"]
    assert facts(read(condition("F17.210")), "factors") == []  # nicotine dependence is not in substance use


def genetic(text, value, *, code="83009-1", answer=None):
    resource = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": fhir.LOINC, "code": code}], "text": text},
        "valueCodeableConcept": {"text": value} if value else {},
    }
    if answer:
        resource["valueCodeableConcept"]["coding"] = [{"system": fhir.LOINC, "code": answer}]
    return resource


@pytest.mark.parametrize(
    ("text", "value", "answer", "expected"),
    [
        ("HLA-B*15:02", "", "LA6576-8", ("hla_b1502", "positive")),
        ("HLA-B*15:02", "", "LA6577-6", ("hla_b1502", "negative")),
        ("HLA-B*15:02 allele", "Not detected", None, ("hla_b1502", "negative")),
        ("HLA-A*31:01", "Detected", None, ("hla_a3101", "positive")),
        ("CYP2C19 phenotype", "Ultrarapid metabolizer", None, ("cyp2c19", "ultrarapid")),
        ("CYP2C19 phenotype", "Rapid metabolizer", None, ("cyp2c19", "rapid")),
        ("CYP2C9 phenotype", "Poor metabolizer", None, ("cyp2c9", "poor")),
        ("CYP2D6 phenotype", "Normal metabolizer", None, ("cyp2d6", "normal")),
    ],
)
def test_pharmacogenomic_results(text, value, answer, expected):
    record = read(genetic(text, value, answer=answer))
    assert [(f.name, f.value) for f in record.facts] == [expected]


def test_a_phenotype_the_gene_cannot_have_is_not_entered():
    # CPIC gives CYP2D6 no "rapid" phenotype; CYP2C9 none beyond normal.
    record = read(genetic("CYP2C9 phenotype", "Rapid metabolizer"))
    assert record.facts == () and record.notices


def test_an_hla_genotype_naming_the_allele_is_positive():
    record = read(genetic("Genotype display name", "HLA-B*15:02+HLA-B*40:01", code="84413-4"))
    assert facts(record, "hla_b1502") == ["positive"]


def test_invalid_resources_are_skipped_and_counted_never_read():
    bad = {"resourceType": "Patient", "birthDate": "not a date"}
    others = [{"resourceType": "Nonsense"}, {"resourceType": "Quantity", "value": 1}, {"no": "type"}, []]
    record = read(bad, *others, {"resourceType": "Patient", "gender": "female"})
    assert record.skipped == 5
    assert facts(record, "sex") == ["female"] and facts(record, "age") == []


def test_a_bundle_entry_that_does_not_validate_invalidates_the_bundle():
    bundle = load("older-woman-pdn")
    broken = copy.deepcopy(bundle)
    broken["entry"][1]["resource"]["valueQuantity"]["value"] = "lots"
    record = read(broken)
    assert record.skipped == 1 and record.facts == ()


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("gabapentin 300 MG Oral Capsule", "gabapentin"),
        ("acetaminophen 325 MG / oxycodone hydrochloride 5 MG Oral Tablet", "acetaminophen / oxycodone hydrochloride"),
        ("Lyrica", "Lyrica"),
        ("x" * 200, "x" * 80),
    ],
)
def test_medicine_name(text, name):
    assert fhir.medicine_name(text) == name


def test_parse_refuses_the_wrong_type_without_quoting_data():
    with pytest.raises(fhir.RecordError) as error:
        fhir.parse({"resourceType": "Patient", "name": [{"family": "Secretname"}]}, "Bundle")
    assert "Secretname" not in str(error.value)
    with pytest.raises(fhir.RecordError) as error:
        fhir.parse({"resourceType": "Patient", "birthDate": "Secretname"})
    assert "Secretname" not in str(error.value)


def medication_request(text, status="active"):
    return {
        "resourceType": "MedicationRequest",
        "status": status,
        "intent": "order",
        "subject": {"reference": "Patient/p"},
        "medicationCodeableConcept": {"text": text},
    }


def test_medicines_once_each_and_at_most_the_explorers_limit():
    names = [f"medicine{i}" for i in range(25)]
    record = read(*[medication_request(n) for n in ["Metformin 500 MG Oral Tablet", "metformin", *names]])
    current = facts(record, "current")
    assert current[0] == "Metformin" and "metformin" not in current[1:]
    assert len(current) == 20 and any("26 active medicines" in n for n in record.notices)
    assert facts(read(medication_request("aspirin", status="completed")), "current") == []


def test_depression_in_remission_is_not_a_current_depression():
    assert facts(read(condition("F32.5")), "factors") == []  # single episode, full remission
    assert facts(read(condition("F33.41")), "factors") == []  # recurrent, partial remission
    assert facts(read(condition("F32.A")), "factors") == ["depression"]
    assert facts(read(condition("F33.1")), "factors") == ["depression"]
