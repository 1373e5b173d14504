"""A patient's record (FHIR R4) read into the explorer's patient inputs, each value with where it came from.

Used by the SMART launch (``smart.py``) and the CDS Hooks services (``cds_hooks.py``). Every resource is
validated with the R4 models of ``fhir.resources`` (its R4B package: R4 and R4B share these resources) before
anything is read from it; a resource that does not validate is skipped and counted, never guessed at.

What is read (docs/EHR.md lists every code):

- Patient: age from a full ``birthDate`` (a year or month alone is not an age), sex from ``gender``
  (female / male; other values leave sex empty, so Cockcroft–Gault is not computed from a guess).
- Observations with a final result (``final``, ``amended``, ``corrected``), the latest of each: serum creatinine
  (LOINC 2160-0, mg/dL or µmol/L by UCUM code), body weight (29463-7; kg, g or lb), body height (8302-2; cm, m
  or in); eGFR (98979-8) is shown for information only: the labels dose by creatinine clearance.
- Pharmacogenomic results: HLA-B*15:02 and HLA-A*31:01 (positive / negative), CYP2D6, CYP2C19 and CYP2C9
  metaboliser phenotypes, recognised from the observation's own codes and text (docs/EHR.md).
- Active Conditions coded in ICD-10-CM: matched to the knowledge base's conditions (``match_conditions``) and
  to the yes/no patient factors (``FACTOR_CODES``). Dialysis (Z99.2) does not say which kind, so it is
  reported for the clinician to choose rather than set.
- Active MedicationRequests: an RxNorm ingredient code known to the vocabulary gives that medicine; otherwise
  the medicine's name as written (coding display or text), read by the same recognition as a typed name.

Nothing here writes anywhere: the caller keeps the result in the launch's signed cookie or uses it for one
CDS Hooks response.
"""

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.resource import Resource
from pydantic import ValidationError

from . import forms
from . import models as m
from .explorer import format_number
from .validation import is_valid_icd10, normalise_icd10

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"

CREATININE, WEIGHT, HEIGHT, EGFR = "2160-0", "29463-7", "8302-2", "98979-8"
FINAL_STATUSES = {"final", "amended", "corrected"}
# LOINC answer codes for a presence test's result.
POSITIVE_ANSWERS, NEGATIVE_ANSWERS = {"LA6576-8"}, {"LA6577-6"}
# Genomics Reporting IG: genotype and haplotype observations, and the PGx phenotype (PharmCAT uses 53040-2).
GENOTYPE_CODES = {"84413-4", "84414-2"}

# UCUM unit code -> factor to the form's unit.
WEIGHT_UNITS = {"kg": Decimal(1), "g": Decimal("0.001"), "[lb_av]": Decimal("0.45359237")}
HEIGHT_UNITS = {"cm": Decimal(1), "m": Decimal(100), "[in_i]": Decimal("2.54")}
CREATININE_UNITS = {"mg/dL": "scr", "umol/L": "scr_umol"}

# ICD-10-CM codes (a code and everything under it) that record a yes/no patient factor. Each is checked against
# the ICD-10-CM code set in the tests (tests/test_fhir.py); docs/EHR.md gives the reasons.
FACTOR_CODES = {
    "pregnancy": ("Z33.1", "Z34", "Z3A", "O09"),
    "breastfeeding": ("Z39.1",),
    "cardiac-conduction-disease": ("I44", "I45", "I47", "I48", "I49", "I21"),
    "respiratory-disease": ("J43", "J44", "J84", "J96.1", "G47.33"),
    "substance-use-disorder": ("F10", "F11", "F12", "F13", "F14", "F15", "F16", "F18", "F19"),
    "depression": ("F32", "F33", "F34.1", "R45.851"),  # but not in remission (FACTOR_EXCEPT)
    "anxiety": ("F41",),
    "insomnia": ("G47.0", "F51.0"),
    "epilepsy": ("G40", "R56"),
    "narrow-angle-glaucoma": ("H40.2", "H40.03"),
    "falls-risk": ("Z91.81", "R29.6"),
    "bleeding-risk": ("D68", "D69", "Z79.01", "Z79.02"),
    "urinary-retention": ("R33", "N40.1"),
}
# Codes under a FACTOR_CODES prefix that do not record the factor: a depression in remission is not current.
FACTOR_EXCEPT = {"depression": ("F32.4", "F32.5", "F33.4")}
# Recorded, but not an input the explorer can set from a code alone: shown to the clinician.
NOTICE_CODES = {
    "Z99.2": "On dialysis (Z99.2): choose haemodialysis or peritoneal dialysis.",
    "N18": "Chronic kidney disease is recorded: kidney function is taken from the creatinine, not the code.",
    "K70": "Liver disease is recorded: enter the Child–Pugh class if it applies.",
    "K72": "Liver disease is recorded: enter the Child–Pugh class if it applies.",
    "K74": "Liver disease is recorded: enter the Child–Pugh class if it applies.",
    "K76": "Liver disease is recorded: enter the Child–Pugh class if it applies.",
}

GENE_PATTERNS = {
    m.Gene.HLA_B1502: re.compile(r"HLA-?B\s*\*?\s*15:02", re.I),
    m.Gene.HLA_A3101: re.compile(r"HLA-?A\s*\*?\s*31:01", re.I),
    m.Gene.CYP2D6: re.compile(r"CYP\s*2D6", re.I),
    m.Gene.CYP2C19: re.compile(r"CYP\s*2C19", re.I),
    m.Gene.CYP2C9: re.compile(r"CYP\s*2C9(?!\d)", re.I),
}
PHENOTYPES = (  # most specific first ("ultrarapid" contains "rapid")
    (re.compile(r"ultra\s*-?\s*rapid", re.I), m.GeneResult.ULTRARAPID),
    (re.compile(r"\brapid", re.I), m.GeneResult.RAPID),
    (re.compile(r"\bintermediate", re.I), m.GeneResult.INTERMEDIATE),
    (re.compile(r"\bpoor", re.I), m.GeneResult.POOR),
    (re.compile(r"\b(normal|extensive)", re.I), m.GeneResult.NORMAL),
)
NEGATIVE_TEXT = re.compile(r"\b(negative|not detected|absent|not present|non-carrier)\b", re.I)
POSITIVE_TEXT = re.compile(r"\b(positive|detected|present|carrier)\b", re.I)


class RecordError(ValueError):
    """A resource from the record system that is not valid FHIR R4 (the message never quotes its data)."""


def parse(data, expected=None):
    """A validated R4 resource from JSON data; ``RecordError`` when it is not one (of type ``expected``)."""
    if not isinstance(data, dict) or not isinstance(data.get("resourceType"), str):
        raise RecordError("not a FHIR resource")
    kind = data["resourceType"]
    if expected and kind not in ((expected,) if isinstance(expected, str) else expected):
        raise RecordError(f"expected {expected}, got {kind}")
    try:
        model = get_fhir_model_class(kind)
    except (KeyError, ValueError):
        model = None
    if model is None or not issubclass(model, Resource):  # a datatype (Quantity, Element…) is not a resource
        raise RecordError("unknown resource type")
    try:
        return model.model_validate(data)
    except (ValidationError, ValueError, TypeError) as error:
        count = error.error_count() if isinstance(error, ValidationError) else 1
        raise RecordError(f"{kind} is not valid FHIR R4 ({count} problem(s))") from None


def entries(resource):
    """The resources in a resource: a Bundle's entries (and theirs), or the resource itself."""
    if resource is None:
        return []
    if resource.get_resource_type() == "Bundle":
        found = []
        for entry in resource.entry or ():
            if entry.resource is not None and not (entry.search and entry.search.mode == "outcome"):
                found.extend(entries(entry.resource))
        return found
    return [resource]


@dataclass(frozen=True)
class Fact:
    """One patient input read from the record."""

    name: str  # the patient input (forms.PATIENT_PARAMETERS), or "condition"
    value: str  # as it goes into the page address
    label: str  # what it says, e.g. "Serum creatinine 1.4 mg/dL"
    source: str  # where it came from, e.g. "Observation, LOINC 2160-0"
    date: str = ""  # ISO date of the value, when the record gives one

    def as_dict(self):
        return {"name": self.name, "value": self.value, "label": self.label, "source": self.source, "date": self.date}


@dataclass(frozen=True)
class Record:
    facts: tuple = ()  # Fact
    conditions: tuple = ()  # slugs of the knowledge base's conditions recorded (several when a code is shared)
    notices: tuple = ()  # things read that need the clinician (dialysis type, SNOMED-only conditions, eGFR...)
    skipped: int = 0  # resources that were not valid FHIR R4

    def query(self):
        """The inputs as (name, [values]) pairs, in the explorer's parameter order."""
        values = {}
        for fact in self.facts:
            if fact.name in forms.PATIENT_PARAMETERS:
                values.setdefault(fact.name, []).append(fact.value)
        return [(name, values[name]) for name in forms.PATIENT_PARAMETERS if name in values]


def codes_of(concept, system):
    """The codes of a CodeableConcept in one code system."""
    return [c.code for c in (concept.coding or ()) if c.system == system and c.code] if concept else []


def texts_of(concept):
    """A CodeableConcept's text and its codings' displays, in that order."""
    if not concept:
        return []
    return [t for t in [concept.text, *(c.display for c in concept.coding or ())] if t]


def _when(observation):
    value = observation.effectiveDateTime or (observation.effectivePeriod and observation.effectivePeriod.end)
    value = value or (observation.effectivePeriod and observation.effectivePeriod.start) or observation.issued
    if isinstance(value, datetime.datetime):
        return value.date()
    return value if isinstance(value, datetime.date) else None


def _day(value):
    """The date of a FHIR date or dateTime (None for anything else)."""
    if isinstance(value, datetime.datetime):
        return value.date()
    return value if isinstance(value, datetime.date) else None


def _iso(date):
    return date.isoformat() if date else ""


def age_on(birth_date, today):
    """Whole years from a full birth date to today."""
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


def _in_range(value, low, high):
    return low <= value <= high


class _Reader:
    def __init__(self, resources, *, today, conditions, rxcuis):
        self.today = today
        self.condition_codes = conditions  # slug -> tuple of ICD-10-CM codes (published conditions)
        self.rxcuis = rxcuis  # RxNorm ingredient code -> medicine slug
        self.facts, self.notices = [], []
        self.resources = resources
        self.by_reference = {f"{r.get_resource_type()}/{r.id}": r for r in resources if r.id}

    def read(self, skipped):
        kinds = {}
        for resource in self.resources:
            kinds.setdefault(resource.get_resource_type(), []).append(resource)
        for patient in kinds.get("Patient", [])[:1]:
            self.patient(patient)
        self.observations(kinds.get("Observation", []))
        conditions = self.conditions(kinds.get("Condition", []))
        self.medications(kinds.get("MedicationRequest", []))
        return Record(
            facts=tuple(self.facts),
            conditions=tuple(conditions),
            notices=tuple(dict.fromkeys(self.notices)),
            skipped=skipped,
        )

    # --- Patient ---------------------------------------------------------------------------

    def patient(self, patient):
        birth = patient.birthDate
        if isinstance(birth, datetime.date) and not isinstance(birth, datetime.datetime):
            age = age_on(birth, self.today)
            if _in_range(age, forms.AGE_MIN, forms.AGE_MAX):
                self.facts.append(Fact("age", str(age), f"Age {age} years", "Patient.birthDate", ""))
            else:
                self.notices.append(f"Age {age} years is outside the explorer's adult range: not entered.")
        elif birth:
            self.notices.append("The birth date is not a full date: enter the age.")
        if patient.gender in m.Sex.values:
            self.facts.append(Fact("sex", patient.gender, f"Sex {patient.gender}", "Patient.gender"))

    # --- Observations ----------------------------------------------------------------------

    def observations(self, observations):
        latest = {}
        for obs in observations:
            if obs.status not in FINAL_STATUSES:
                continue
            for code in codes_of(obs.code, LOINC):
                if code in (CREATININE, WEIGHT, HEIGHT, EGFR):
                    when = _when(obs) or datetime.date.min
                    if code not in latest or when > latest[code][0]:
                        latest[code] = (when, obs)
            self.genotype(obs)
        if CREATININE in latest:
            self.creatinine(*latest[CREATININE])
        if WEIGHT in latest:
            self.measure(*latest[WEIGHT], "weight", "Weight", WEIGHT_UNITS, "kg", WEIGHT)
        if HEIGHT in latest:
            self.measure(*latest[HEIGHT], "height", "Height", HEIGHT_UNITS, "cm", HEIGHT)
        if EGFR in latest:
            when, obs = latest[EGFR]
            q = obs.valueQuantity
            if q and q.value is not None:
                self.notices.append(
                    f"eGFR {format_number(q.value)} {q.unit or q.code or ''} ({_iso(when) or 'undated'}): for "
                    "information; doses use creatinine clearance."
                )

    @staticmethod
    def _quantity(obs):
        q = obs.valueQuantity
        if not q or q.value is None:
            return None, ""
        unit = q.code if q.system == UCUM and q.code else (q.unit or "")
        return Decimal(q.value), unit

    def creatinine(self, when, obs):
        value, unit = self._quantity(obs)
        name = CREATININE_UNITS.get(unit)
        if value is None or name is None:
            self.notices.append("A serum creatinine was recorded in a unit the explorer does not read: enter it.")
            return
        low, high = (forms.SCR_MIN, forms.SCR_MAX) if name == "scr" else (forms.SCR_UMOL_MIN, forms.SCR_UMOL_MAX)
        shown = "mg/dL" if name == "scr" else "µmol/L"
        if not _in_range(value, low, high):
            self.notices.append(f"Serum creatinine {format_number(value)} {shown} is outside the accepted range.")
            return
        text = format_number(value)
        self.facts.append(
            Fact(name, text, f"Serum creatinine {text} {shown}", f"Observation, LOINC {CREATININE}", _iso(when))
        )

    def measure(self, when, obs, name, label, units, shown, loinc):
        value, unit = self._quantity(obs)
        if value is None or unit not in units:
            self.notices.append(f"A {label.lower()} was recorded in a unit the explorer does not read: enter it.")
            return
        converted = value * units[unit]
        if abs(converted) < 10**6:  # far outside any range, a quantize would need more digits than the precision
            converted = converted.quantize(Decimal("0.1"))
        low, high = (forms.WEIGHT_MIN, forms.WEIGHT_MAX) if name == "weight" else (forms.HEIGHT_MIN, forms.HEIGHT_MAX)
        text = format_number(converted)
        if not _in_range(converted, low, high):
            self.notices.append(f"{label} {text} {shown} is outside the accepted range: not entered.")
            return
        self.facts.append(Fact(name, text, f"{label} {text} {shown}", f"Observation, LOINC {loinc}", _iso(when)))

    def genotype(self, obs):
        texts = [*texts_of(obs.code), obs.valueString or ""]
        for component in obs.component or ():
            texts += [*texts_of(component.code), *texts_of(component.valueCodeableConcept), component.valueString or ""]
        value_texts = [*texts_of(obs.valueCodeableConcept), obs.valueString or ""]
        value_codes = set(codes_of(obs.valueCodeableConcept, LOINC))
        every = " ".join([*texts, *value_texts])
        genotype = bool(set(codes_of(obs.code, LOINC)) & GENOTYPE_CODES)
        for gene, pattern in GENE_PATTERNS.items():
            if not pattern.search(every):
                continue
            allowed = m.GENE_RESULTS[gene]
            result = None
            if m.GeneResult.POSITIVE in allowed:
                value = " ".join(value_texts)
                if value_codes & NEGATIVE_ANSWERS or NEGATIVE_TEXT.search(value):
                    result = m.GeneResult.NEGATIVE
                elif (
                    value_codes & POSITIVE_ANSWERS
                    or POSITIVE_TEXT.search(value)
                    or (genotype and pattern.search(value))  # a genotype that names the allele carries it
                ):
                    result = m.GeneResult.POSITIVE
            else:
                for phenotype, value in PHENOTYPES:
                    if phenotype.search(" ".join(value_texts)) and value in allowed:
                        result = value
                        break
            label = m.Gene(gene).label
            if result is None:
                self.notices.append(f"A {label} result is recorded but could not be read: enter it.")
                continue
            self.facts.append(
                Fact(
                    str(m.Gene(gene).value),
                    str(m.GeneResult(result).value),
                    f"{label}: {m.GeneResult(result).label.lower()}",
                    "Observation (genetic result)",
                    _iso(_when(obs)),
                )
            )

    # --- Conditions ------------------------------------------------------------------------

    def conditions(self, conditions):
        codes, dates, snomed_only = set(), {}, 0
        for condition in conditions:
            if not _active(condition):
                continue
            recorded = [normalise_icd10(c) for c in codes_of(condition.code, ICD10CM)]
            recorded = [c for c in recorded if is_valid_icd10(c)]
            if not recorded:
                if codes_of(condition.code, SNOMED) or texts_of(condition.code):
                    snomed_only += 1
                continue
            onset = condition.recordedDate or condition.onsetDateTime
            for code in recorded:
                codes.add(code)
                dates.setdefault(code, _iso(_day(onset)))
        if snomed_only:
            self.notices.append(
                f"{snomed_only} recorded condition(s) have no ICD-10-CM code and were not matched: check the list."
            )
        for slug, prefixes in FACTOR_CODES.items():
            hits = sorted(
                c
                for c in codes
                if any(_under(c, p) for p in prefixes) and not any(_under(c, x) for x in FACTOR_EXCEPT.get(slug, ()))
            )
            if hits:
                self.facts.append(
                    Fact("factors", slug, slug, f"Condition, ICD-10-CM {', '.join(hits)}", dates[hits[0]])
                )
        for prefix, notice in NOTICE_CODES.items():
            if any(_under(c, prefix) for c in codes):
                self.notices.append(notice)
        matched = match_conditions(codes, self.condition_codes)
        for slug in matched:
            hits = sorted(c for c in codes if any(_related(c, ours) for ours in self.condition_codes[slug]))
            self.facts.append(Fact("condition", slug, slug, f"Condition, ICD-10-CM {', '.join(hits)}", dates[hits[0]]))
        return matched

    # --- Medications -----------------------------------------------------------------------

    def medications(self, requests):
        found = []
        self._collect_medications(requests, found)
        seen, kept = set(), []
        for fact in found:  # one entry per medicine (a record may hold several orders of one)
            if fact.value.lower() not in seen:
                seen.add(fact.value.lower())
                kept.append(fact)
        if len(kept) > forms.MAX_CURRENT_MEDICATIONS:
            self.notices.append(
                f"{len(kept)} active medicines are recorded; the explorer checks {forms.MAX_CURRENT_MEDICATIONS}: "
                "the rest are not checked."
            )
        self.facts.extend(kept[: forms.MAX_CURRENT_MEDICATIONS])

    def _collect_medications(self, requests, found):
        for request in requests:
            if request.status != "active":
                continue
            reading = read_medicine(request, self.rxcuis, self.by_reference)
            if reading:
                value, label, source = reading
                found.append(Fact("current", value, label, source, _iso(_day(request.authoredOn))))


def medication_concept(request, by_reference=None):
    """The CodeableConcept of what a MedicationRequest orders: its own, or that of the Medication it references
    (contained, or found in ``by_reference``: "Medication/<id>" -> resource); None when there is none."""
    if request.medicationCodeableConcept is not None:
        return request.medicationCodeableConcept
    reference = request.medicationReference.reference if request.medicationReference else None
    if not reference:
        return None
    if reference.startswith("#"):
        medication = next((r for r in request.contained or () if r.id == reference[1:]), None)
    else:
        medication = (by_reference or {}).get("/".join(reference.rstrip("/").split("/")[-2:]))
    if medication is None or medication.get_resource_type() != "Medication":
        return None
    return medication.code


def read_medicine(request, rxcuis, by_reference=None):
    """(value, label, source) for a MedicationRequest's medicine: the vocabulary's slug for an RxNorm ingredient
    code it knows, else the name as written without strength and form (read like a typed name); None when the
    request names no medicine."""
    concept = medication_concept(request, by_reference)
    if concept is None:
        return None
    codes = codes_of(concept, RXNORM)
    slug = next((rxcuis[c] for c in codes if c in rxcuis), None)
    names = texts_of(concept)
    if slug:
        return slug, (names or [slug])[0], f"MedicationRequest, RxNorm {', '.join(codes)}"
    if not names:
        return None
    return medicine_name(names[0]), names[0], "MedicationRequest, name as recorded"


def _active(condition):
    status = codes_of(condition.clinicalStatus, "http://terminology.hl7.org/CodeSystem/condition-clinical")
    verification = codes_of(condition.verificationStatus, "http://terminology.hl7.org/CodeSystem/condition-ver-status")
    if verification and verification[0] in {"refuted", "entered-in-error"}:
        return False
    return not status or status[0] in {"active", "recurrence", "relapse"}


def _under(code, prefix):
    """True when ``code`` is ``prefix`` or a code under it (ICD-10-CM codes nest by their characters)."""
    return code.startswith(prefix)


def _related(recorded, ours):
    """A recorded code matches one of ours when either is the other or under it (a record may code the category
    or a more specific child)."""
    return recorded.startswith(ours) or ours.startswith(recorded)


def _hit(recorded, ours):
    return any(_related(r, c) for r in recorded for c in ours)


def match_conditions(codes, condition_codes):
    """The conditions a set of recorded ICD-10-CM codes stands for, in the knowledge base's order.

    A code that several conditions share (G63 "polyneuropathy in diseases classified elsewhere", G89.0 "central
    pain syndrome") says only part of it: a condition that also lists codes of its own (HIV disease B20, vitamin
    B12 deficiency E53.8, multiple sclerosis G35.x) needs one of those as well, so HIV without a neuropathy code,
    or G63 alone, opens nothing. A condition whose codes are all shared (central post-stroke pain and spinal cord
    injury pain: G89.0) matches on the shared code, and every condition it matches is offered to the clinician."""
    counts = {}
    for own in condition_codes.values():
        for code in set(own):
            counts[code] = counts.get(code, 0) + 1
    matched = []
    for slug, own in condition_codes.items():
        shared = [c for c in own if counts[c] > 1]
        unique = [c for c in own if counts[c] == 1]
        if (_hit(codes, unique) and _hit(codes, shared)) if unique and shared else _hit(codes, own):
            matched.append(slug)
    return matched


RXNORM_STRENGTH = re.compile(r"\s+\d.*$")


def medicine_name(text):
    """A recorded medicine's name without its strength and form, as typed into the explorer: RxNorm-style names
    ("gabapentin 300 MG Oral Capsule", "acetaminophen 325 MG / oxycodone hydrochloride 5 MG Oral Tablet") keep the
    ingredients' names; a name without a number is kept as it is."""
    parts = [RXNORM_STRENGTH.sub("", p.strip()) for p in str(text).split(" / ")]
    parts = [p for p in parts if p]
    return " / ".join(parts)[: forms.MAX_NAME_LENGTH] if parts else str(text)[: forms.MAX_NAME_LENGTH]


def read(resources, *, today, conditions, rxcuis, skipped=0):
    """A ``Record`` from validated resources (``parse``; Bundles are opened). ``conditions`` maps each published
    condition's slug to its ICD-10-CM codes, ``rxcuis`` RxNorm ingredient codes to medicine slugs."""
    flat = [r for resource in resources for r in entries(resource)]
    return _Reader(flat, today=today, conditions=conditions, rxcuis=rxcuis).read(skipped)


def read_json(items, *, today, conditions, rxcuis):
    """``read`` from JSON resources; those that are not valid FHIR R4 are skipped and counted."""
    resources, skipped = [], 0
    for data in items:
        if data is None:
            continue
        try:
            resources.append(parse(data))
        except RecordError:
            skipped += 1
    return read(resources, today=today, conditions=conditions, rxcuis=rxcuis, skipped=skipped)


def knowledge_base_codes():
    """(conditions, rxcuis) for ``read``, from the published knowledge base."""
    conditions = {c.slug: tuple(c.icd10_codes) for c in m.Condition.objects.published().only("slug", "icd10_codes")}
    rxcuis = dict(m.Medicine.objects.published().exclude(rxcui="").values_list("rxcui", "slug"))
    return conditions, rxcuis
