"""Treatment matching: the only home of clinical rules.

``load_condition`` reads everything one condition page needs with a fixed number of queries and
turns it into plain, immutable data. ``match`` is pure (no ORM, no request, no settings): it takes
that data and a ``Criteria`` and returns the options with their status for this patient, reasons,
cautions, dose limits, interactions and sources. The page, the CSV export, the API and the printed
summary all call these functions, so they can never disagree.
"""

from collections import Counter
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.db.models.functions import Lower

from . import medicines
from . import models as m
from .medicines import SEVERITY_RANK, Mechanisms

LINE_ORDER = [
    m.Line.FIRST,
    m.Line.SECOND,
    m.Line.THIRD,
    m.Line.SPECIALIST,
    m.Line.INCONCLUSIVE,
    m.Line.NOT_RECOMMENDED,
]
LINE_RANK = {line: rank for rank, line in enumerate(LINE_ORDER)}

# Recommendation strength, from strongest support down; "against" grades rank lowest.
STRENGTH_RANK = {
    m.Strength.STRONG_FOR: 6,
    m.Strength.LEVEL_A: 6,
    m.Strength.WEAK_FOR: 4,
    m.Strength.LEVEL_B: 4,
    m.Strength.LEVEL_C: 3,
    m.Strength.GOOD_PRACTICE: 2,
    m.Strength.LEVEL_U: 1,
    m.Strength.NOT_GRADED: 1,
    m.Strength.WEAK_AGAINST: 0,
    m.Strength.STRONG_AGAINST: 0,
}
QUALITY_RANK = {
    m.Quality.HIGH: 4,
    m.Quality.MODERATE: 3,
    m.Quality.LOW: 2,
    m.Quality.VERY_LOW: 1,
    m.Quality.NOT_GRADED: 0,
}

# Patient status, worst last.
OK, CAUTION, AVOID, CONTRAINDICATED = "ok", "caution", "avoid", "contraindicated"
STATUS_RANK = {OK: 0, CAUTION: 1, AVOID: 2, CONTRAINDICATED: 3}
STATUS_LABELS = {OK: "No flags", CAUTION: "Caution", AVOID: "Avoid", CONTRAINDICATED: "Contraindicated"}
CAUTION_STATUS = {
    m.CautionLevel.CONTRAINDICATED: CONTRAINDICATED,
    m.CautionLevel.AVOID: AVOID,
    m.CautionLevel.CAUTION: CAUTION,
    m.CautionLevel.ADJUST_DOSE: CAUTION,
}

# Cited when an option is in the same class as a current medicine (AAN 2022: offer a drug of another class).
DUPLICATION_SOURCES = ("aan-2022-pdn",)
# Cited when an option would take the regimen's totals over a threshold (``regimen_flags``).
ACB_SOURCES = ("boustani-2008-acb", "ags-beers-2023")
BEERS_CNS_SOURCES = ("ags-beers-2023",)
ACB_THRESHOLD = 3  # a total anticholinergic burden of 3 or more (Boustani 2008)
BEERS_CNS_THRESHOLD = 3  # AGS Beers 2023: avoid 3 or more CNS-active drugs in older adults

KIND_DRUG_CLASS, KIND_DRUG, KIND_PROCEDURE = "drug_class", "drug", "procedure"
KIND_LABELS = {KIND_DRUG_CLASS: "Drug class", KIND_DRUG: "Drug", KIND_PROCEDURE: "Procedure"}

PROCEDURE_ROLE_LINE = {
    m.ProcedureRole.FIRST_LINE: m.Line.FIRST,
    m.ProcedureRole.OPTION: m.Line.SECOND,
    m.ProcedureRole.REFRACTORY: m.Line.THIRD,
    m.ProcedureRole.SPECIALIST: m.Line.SPECIALIST,
    m.ProcedureRole.NOT_RECOMMENDED: m.Line.NOT_RECOMMENDED,
}


# --- the patient -------------------------------------------------------------------------------

OLDER_ADULT_AGE = 65  # AGS Beers Criteria apply from 65 (the stand-in factor "older-adult" means at least this).
LEGACY_RENAL_CRCL = 60  # the stand-in factor "renal-impairment" meant CrCl below 60 mL/min.
ESRD_CRCL = 15  # patients on dialysis count as CrCl below 15 mL/min (end-stage kidney disease) for CrCl rules.
SCR_UMOL_PER_MG_DL = Decimal("88.4")  # serum creatinine: µmol/L = mg/dL × 88.4
CRCL_SUSPICIOUS_BELOW = 5  # mL/min; a value this low is more often a creatinine typed in the wrong box
SCR_MG_DL_SUSPICIOUS_ABOVE = 20  # mg/dL; a value this high is more often a µmol/L result
SCR_UMOL_SUSPICIOUS_BELOW = 20  # µmol/L; a value this low is more often a mg/dL result
OBESE_BMI = 30  # kg/m²; from here Cockcroft–Gault uses adjusted body weight (see kidney_function)
BAND_EDGES = (15, 30, 60)  # the CrCl cut-offs the labels in the knowledge base use
ALL_CHILD_PUGH = frozenset({"a", "b", "c"})

# Where the kidney-function equations come from: key -> short name, as in fixtures/sources.json (a content test
# checks both), so the pure evaluation can cite them without reading the database.
KIDNEY_SOURCES = {
    "cockcroft-gault-1976": "Cockcroft & Gault 1976",
    "inker-2021-ckd-epi": "CKD-EPI 2021",
    "clincalc-crcl": "ClinCalc CrCl",
}
CRCL_SOURCES = tuple((key, KIDNEY_SOURCES[key]) for key in ("cockcroft-gault-1976", "clincalc-crcl"))
EGFR_SOURCES = (("inker-2021-ckd-epi", KIDNEY_SOURCES["inker-2021-ckd-epi"]),)


@dataclass(frozen=True)
class Range:
    """What is known of a patient's value: exactly ``low`` (when ``low == high``), or somewhere in [low, high)."""

    low: Decimal
    high: Decimal | None  # None: no upper bound

    @property
    def exact(self):
        return self.high == self.low

    def against(self, rule_min, rule_max):
        """Whether a rule on [rule_min, rule_max) applies: True, False, or None (may apply: not known)."""
        rule_low = Decimal(rule_min) if rule_min is not None else Decimal(0)
        rule_high = Decimal(rule_max) if rule_max is not None else None
        if self.exact:
            return self.low >= rule_low and (rule_high is None or self.low < rule_high)
        high = self.high
        inside = self.low >= rule_low and (rule_high is None or (high is not None and high <= rule_high))
        if inside:
            return True
        overlaps = (high is None or high > rule_low) and (rule_high is None or self.low < rule_high)
        return None if overlaps else False


@dataclass(frozen=True)
class Measure:
    """A computed or entered value with how it was obtained, for the page and the API."""

    value: Decimal
    unit: str
    method: str  # "cockcroft-gault", "entered", "ckd-epi-2021"
    text: str  # the equation and inputs, in words
    sources: tuple = ()  # (key, short name) of the equation's sources


@dataclass(frozen=True)
class Medicine:
    """A current medicine as typed: the vocabulary record it names (slug, or "" when not recognised), the
    ingredients it stands for (``slugs``: itself, a product's ingredients, or the parts of "a/b"), whether every
    one of them has a reviewed interaction profile, and for an unrecognised name the close names to offer
    ("did you mean …?"), never applied by themselves."""

    text: str
    slug: str = ""
    name: str = ""
    suggestions: tuple = ()  # (slug, name)
    slugs: tuple = ()  # ingredient slugs checked for interactions
    profiled: bool = False

    @property
    def recognised(self):
        return bool(self.slug)


@dataclass(frozen=True)
class Patient:
    """The patient in front of the clinician, from validated form data (``forms.PatientForm``); never a request.

    Rules read it through ``crcl_range``, ``age_range``, ``child_pugh``, ``genotype`` and ``factors``; what is
    unknown stays unknown (a gene not tested is ``None``, not negative)."""

    age: int | None = None
    sex: str = ""
    weight: Decimal | None = None  # kg
    height: Decimal | None = None  # cm
    scr: Decimal | None = None  # serum creatinine, mg/dL (converted from µmol/L when entered so)
    scr_entered: str = ""  # as typed, with its unit, for the echo
    crcl: Measure | None = None  # the creatinine clearance dosing uses
    egfr: Measure | None = None  # shown for information
    dialysis: str = ""  # "hd", "pd" or ""
    child_pugh: str = ""  # "a", "b", "c" or ""
    genotypes: tuple = ()  # ((gene, result), ...) for the genes tested
    factors: frozenset = frozenset()  # yes/no factors (never the stand-ins)
    legacy: frozenset = frozenset()  # stand-in factors an old address used
    current: tuple = ()  # ingredient slugs of the recognised current medicines (a product's ingredients)
    medicines: tuple = ()  # Medicine for every current medicine as typed, recognised or not
    warnings: tuple = ()

    @property
    def unrecognised(self):
        """The current medicines the vocabulary does not know: listed back, never checked."""
        return tuple(med for med in self.medicines if not med.recognised)

    @property
    def unprofiled(self):
        """Recognised current medicines without a reviewed interaction profile: listed back as not checked."""
        return tuple(med for med in self.medicines if med.recognised and not med.profiled)

    @property
    def has_patient(self):
        return bool(
            self.age is not None
            or self.crcl
            or self.scr is not None
            or self.dialysis
            or self.child_pugh
            or self.genotypes
            or self.factors
            or self.legacy
            or self.current
            or self.sex
        )

    @property
    def older_adult(self):
        """65 or over, by age, or by the stand-in factor when no age is given."""
        if self.age is not None:
            return self.age >= OLDER_ADULT_AGE
        return "older-adult" in self.legacy

    @property
    def age_range(self):
        if self.age is not None:
            return Range(Decimal(self.age), Decimal(self.age))
        if "older-adult" in self.legacy:
            return Range(Decimal(OLDER_ADULT_AGE), None)
        return None

    @property
    def crcl_range(self):
        """Kidney function for CrCl rules: the value used, dialysis as below 15, the stand-in factor as below 60."""
        if self.dialysis:
            return Range(Decimal(0), Decimal(ESRD_CRCL))
        if self.crcl is not None:
            return Range(self.crcl.value, self.crcl.value)
        if "renal-impairment" in self.legacy:
            return Range(Decimal(0), Decimal(LEGACY_RENAL_CRCL))
        return None

    @property
    def child_pugh_classes(self):
        """The Child–Pugh classes the patient may be in (all three for the stand-in factor); empty if none given."""
        if self.child_pugh:
            return frozenset({self.child_pugh})
        return ALL_CHILD_PUGH if "hepatic-impairment" in self.legacy else frozenset()

    def genotype(self, gene):
        return dict(self.genotypes).get(gene)

    @property
    def dialysis_label(self):
        return m.Dialysis(self.dialysis).label.lower() if self.dialysis else ""


def _round(value, places="1"):
    return Decimal(value).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def ideal_body_weight(sex, height_cm):
    """Devine (1974): 50 kg (men) or 45.5 kg (women) + 2.3 kg per inch over 5 feet."""
    inches = Decimal(height_cm) / Decimal("2.54")
    base = Decimal(50) if sex == m.Sex.MALE else Decimal("45.5")
    return base + Decimal("2.3") * (inches - 60)


def cockcroft_gault(age, sex, weight, scr):
    """Cockcroft & Gault (1976): (140 − age) × weight / (72 × SCr), × 0.85 for women; mL/min, unrounded."""
    value = Decimal(140 - age) * Decimal(weight) / (Decimal(72) * Decimal(scr))
    return value * Decimal("0.85") if sex == m.Sex.FEMALE else value


def ckd_epi_2021(age, sex, scr):
    """CKD-EPI 2021 creatinine equation without race (Inker et al., NEJM 2021); mL/min/1.73 m², unrounded."""
    female = sex == m.Sex.FEMALE
    kappa, alpha = (0.7, -0.241) if female else (0.9, -0.302)
    ratio = float(scr) / kappa
    value = 142 * min(ratio, 1) ** alpha * max(ratio, 1) ** -1.200 * 0.9938**age * (1.012 if female else 1)
    return Decimal(str(value))


def dosing_weight(sex, weight, height):
    """(weight used, rule in words, adjusted?). Actual body weight; adjusted body weight (IBW + 0.4 × (actual −
    IBW), Devine IBW) when BMI is 30 or more and actual weight is above IBW. Without a height, actual weight."""
    weight = Decimal(weight)
    if height is None:
        return (
            weight,
            f"actual body weight {_round(weight, '0.1')} kg (no height given, so no obesity adjustment)",
            False,
        )
    bmi = weight / (Decimal(height) / 100) ** 2
    ibw = ideal_body_weight(sex, height)
    if bmi >= OBESE_BMI and weight > ibw:
        adjusted = ibw + Decimal("0.4") * (weight - ibw)
        rule = (
            f"adjusted body weight {_round(adjusted, '0.1')} kg (BMI {_round(bmi, '0.1')} ≥ {OBESE_BMI}: ideal "
            f"{_round(ibw, '0.1')} kg + 0.4 × (actual {_round(weight, '0.1')} kg − ideal))"
        )
        return adjusted, rule, True
    return weight, f"actual body weight {_round(weight, '0.1')} kg (BMI {_round(bmi, '0.1')})", False


def kidney_function(age=None, sex="", weight=None, height=None, scr=None, crcl=None, dialysis=""):
    """(CrCl used, eGFR, warnings) from the patient's inputs. An entered CrCl overrides the estimate.
    CrCl is rounded to whole mL/min, as the labels' bands are written; eGFR to whole mL/min/1.73 m²."""
    warnings = []
    estimate = egfr = None
    if scr is not None and age is not None and sex:
        egfr_value = _round(ckd_epi_2021(age, sex, scr), "1")
        egfr = Measure(
            egfr_value,
            "mL/min/1.73 m²",
            "ckd-epi-2021",
            f"CKD-EPI 2021 (race-free) from age {age}, {sex}, serum creatinine {_round(scr, '0.01')} mg/dL",
            EGFR_SOURCES,
        )
        if weight is not None:
            weight_used, rule, adjusted = dosing_weight(sex, weight, height)
            value = _round(cockcroft_gault(age, sex, weight_used, scr), "1")
            estimate = Measure(
                value,
                "mL/min",
                "cockcroft-gault",
                f"Cockcroft–Gault from age {age}, {sex}, {rule}, serum creatinine {_round(scr, '0.01')} mg/dL",
                CRCL_SOURCES if adjusted else CRCL_SOURCES[:1],
            )
    if scr is not None and estimate is None:
        missing = [name for name, value in (("age", age), ("sex", sex), ("weight", weight)) if value in (None, "")]
        warnings.append(
            "Creatinine clearance needs " + _and(missing) + " as well as serum creatinine: kidney-function "
            "rules and renal doses are not applied until they are entered."
        )
    used = estimate
    if crcl is not None:
        used = Measure(_round(crcl, "1"), "mL/min", "entered", f"entered as {crcl} mL/min")
        if estimate is not None and estimate.value != used.value:
            warnings.append(
                f"The entered CrCl ({used.value} mL/min) is used; the Cockcroft–Gault estimate from the other "
                f"inputs is {estimate.value} mL/min."
            )
        if Decimal(crcl) < CRCL_SUSPICIOUS_BELOW:
            warnings.append(
                f"A creatinine clearance of {crcl} mL/min is below {CRCL_SUSPICIOUS_BELOW}: did you enter serum "
                "creatinine? Enter creatinine in its own box (scr, mg/dL) to have CrCl calculated."
            )
    if scr is not None and scr > SCR_MG_DL_SUSPICIOUS_ABOVE:
        warnings.append(
            f"A serum creatinine of {scr} mg/dL is above {SCR_MG_DL_SUSPICIOUS_ABOVE}: is it µmol/L? Enter µmol/L "
            "values in the µmol/L box (scr_umol)."
        )
    if used is not None and egfr is not None:
        for edge in BAND_EDGES:
            if (used.value < edge) != (egfr.value < edge):
                warnings.append(
                    f"CrCl ({used.value} mL/min) and eGFR ({egfr.value} mL/min/1.73 m²) fall on different sides "
                    f"of {edge}: doses follow CrCl, as the labels do. Check the weight and consider a measured "
                    "clearance."
                )
                break
    if dialysis and used is not None:
        warnings.append(
            "On dialysis, a CrCl estimate does not describe kidney function: doses and rules use the dialysis "
            "advice (end-stage kidney disease, CrCl below 15)."
        )
    return used, egfr, tuple(warnings)


def _and(words):
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def make_patient(
    age=None,
    sex="",
    weight=None,
    height=None,
    scr=None,
    scr_umol=None,
    crcl=None,
    dialysis="",
    child_pugh="",
    genotypes=(),
    factors=(),
    current=(),
    medicines=(),
):
    """A ``Patient`` from validated inputs: maps the stand-in factors, computes kidney function, collects warnings.
    ``current`` are the recognised medicines' slugs; ``medicines`` every entry as typed (``Medicine``)."""
    factors = frozenset(factors)
    legacy = factors & frozenset(m.PatientFactor.REPLACED_BY_INPUTS)
    genotypes = dict(genotypes)
    warnings = []
    if "hla-b-1502-positive" in legacy:
        if genotypes.get(m.Gene.HLA_B1502) == m.GeneResult.NEGATIVE:
            warnings.append("HLA-B*15:02 is entered as negative and as positive: the positive result is used.")
        genotypes[m.Gene.HLA_B1502] = m.GeneResult.POSITIVE
    entered = ""
    if scr_umol is not None:
        entered = f"{scr_umol} µmol/L"
        scr = Decimal(scr_umol) / SCR_UMOL_PER_MG_DL
        if scr_umol < SCR_UMOL_SUSPICIOUS_BELOW:
            warnings.append(
                f"A serum creatinine of {scr_umol} µmol/L is below {SCR_UMOL_SUSPICIOUS_BELOW}: is it mg/dL? "
                "Enter mg/dL values in the mg/dL box (scr)."
            )
    elif scr is not None:
        entered = f"{scr} mg/dL"
    used, egfr, kidney_warnings = kidney_function(age, sex, weight, height, scr, crcl, dialysis)
    warnings += kidney_warnings
    if "renal-impairment" in legacy and used is not None and used.value >= LEGACY_RENAL_CRCL:
        warnings.append(f"“Kidney impairment” is ticked but CrCl is {used.value} mL/min: rules use the CrCl.")
    if "older-adult" in legacy and age is not None and age < OLDER_ADULT_AGE:
        warnings.append(f"“Older adult” is ticked but the age is {age}: rules use the age.")
    if "hepatic-impairment" in legacy and child_pugh:
        legacy = legacy - {"hepatic-impairment"}
    if "renal-impairment" in legacy and not used and not dialysis:
        warnings.append(
            "“Kidney impairment” without a CrCl or creatinine: rules with a CrCl threshold show as “may apply”. "
            "Enter CrCl, or creatinine with age, sex and weight."
        )
    if "hepatic-impairment" in legacy:
        warnings.append(
            "“Liver impairment” without a Child–Pugh class: rules for a particular class show as “may apply”."
        )
    return Patient(
        age=age,
        sex=sex,
        weight=weight,
        height=height,
        scr=scr,
        scr_entered=entered,
        crcl=used,
        egfr=egfr,
        dialysis=dialysis,
        child_pugh=child_pugh,
        genotypes=tuple(sorted(genotypes.items())),
        factors=factors - legacy - frozenset(m.PatientFactor.REPLACED_BY_INPUTS),
        legacy=legacy,
        current=tuple(current),
        medicines=tuple(medicines),
        warnings=tuple(warnings),
    )


# --- option filters -------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """Which options the clinician wants to see (validated upstream); the patient is separate (``Patient``)."""

    kinds: frozenset = frozenset()
    lines: frozenset = frozenset()
    min_strength: str = ""
    min_quality: str = ""
    guideline: str = ""
    routes: frozenset = frozenset()
    sites: frozenset = frozenset()
    drug_classes: frozenset = frozenset()
    approved_in: str = ""
    controlled: bool | None = None
    hide_contraindicated: bool = False


# --- loaded data (plain and immutable) -------------------------------------------------------


@dataclass(frozen=True)
class SourceRef:
    key: str
    short_name: str
    title: str
    year: int
    link: str
    superseded: bool = False
    kind: str = ""


@dataclass(frozen=True)
class Position:
    source: SourceRef
    line: str
    line_label: str
    strength: str
    strength_label: str
    quality: str
    quality_label: str
    wording: str
    note: str = ""
    nnt: Decimal | None = None
    nnt_ci: tuple | None = None
    nnh: Decimal | None = None
    nnh_ci: tuple | None = None
    sources: tuple = ()


@dataclass(frozen=True)
class CautionRef:
    """A rule with its own condition of use (see ``models.Caution``)."""

    key: str
    applies_when: str  # the condition of use in words
    level: str
    level_label: str
    text: str
    region: str
    sources: tuple
    via_class: bool = False
    factor: str = ""
    crcl_min: int | None = None
    crcl_max: int | None = None
    dialysis: str = ""
    child_pugh: frozenset = frozenset()
    age_min: int | None = None
    gene: str = ""
    phenotypes: frozenset = frozenset()
    test_first: bool = False


@dataclass(frozen=True)
class RenalBand:
    crcl_min: int
    crcl_max: int | None
    max_daily_dose: Decimal | None
    unit: str
    interval: str
    avoid: bool
    note: str
    label: str
    region: str
    sources: tuple
    condition: str = ""  # the indication whose column this band gives; "" = any indication
    dialysis_supplement: str = ""
    start: Decimal | None = None  # the band's own starting dose, where the label's renal table gives one


@dataclass(frozen=True)
class DoseRef:
    """One dose-guidance row: a label's dosing for an indication, or a guideline's range."""

    region: str
    context: str
    condition: str  # slug of the indication, "" for a range for any condition
    unit: str
    start: Decimal | None
    target_low: Decimal | None
    target_high: Decimal | None
    max: Decimal | None
    frequency: str
    titration: str
    is_default: bool
    sources: tuple
    starting_text: str = ""
    steps: tuple = ()  # StepRef, by day: the schedule for normal kidney function, then renal bands' own
    starting_times: int | None = None


@dataclass(frozen=True)
class StepRef:
    after_days: int
    dose: Decimal
    text: str
    times: int | None = None
    crcl_min: int | None = None  # a renal band's own schedule (the band starting at this CrCl)


@dataclass(frozen=True)
class MonitoringRef:
    key: str
    text: str
    sources: tuple


@dataclass(frozen=True)
class AdjustmentRef:
    """A source's lower start or maximum for an age or a Child–Pugh class; read by ``rule_applies``."""

    key: str
    region: str
    condition: str  # indication slug, "" = any
    age_min: int | None
    child_pugh: frozenset
    start: Decimal | None
    max: Decimal | None
    unit: str
    text: str
    sources: tuple
    factor: str = ""
    crcl_min: int | None = None
    crcl_max: int | None = None
    dialysis: str = ""
    gene: str = ""


@dataclass(frozen=True)
class DrugInfo(Mechanisms):
    slug: str
    name: str
    class_slug: str
    class_name: str
    site_of_action: str
    routes: tuple
    brand_names: tuple
    cautions: tuple  # CautionRef, drug-level then class-level
    renal_bands: tuple  # RenalBand, highest CrCl first
    doses: tuple  # DoseRef, the default first
    controlled: tuple  # (region, schedule)
    approvals: tuple  # (region, condition slug, indication, year)
    url: str
    properties: tuple = ()  # medicines.PropertyRef of the drug's medicine: its mechanisms (see ``Mechanisms``)
    adjustments: tuple = ()  # AdjustmentRef
    monitoring: tuple = ()  # MonitoringRef: what to check when starting and titrating it


@dataclass(frozen=True)
class InteractionRef:
    key: str
    a_kind: str
    a_slug: str
    a_name: str
    b_kind: str
    b_slug: str
    b_name: str
    severity: str
    severity_label: str
    effect: str
    mechanism: str
    management: str
    older_adult_only: bool
    sources: tuple
    origin: str = medicines.CURATED  # "curated" (a reviewed pair) or "mechanism" (a rule over properties)
    overrides: tuple = ()  # keys of the mechanism rules a curated pair replaces
    rule_name: str = ""  # a mechanism rule's name
    subject: str = ""  # on a class card: the member drug this interaction is about (others apply to every member)
    basis: str = ""  # a mechanism rule's matching properties, e.g. "Duloxetine: CYP1A2 substrate (sensitive); …"

    @property
    def origin_label(self):
        return medicines.ORIGIN_LABELS[self.origin]


@dataclass(frozen=True)
class Target:
    """A recommended thing (class, drug or procedure) before patient matching."""

    kind: str
    slug: str
    name: str
    url: str
    positions: tuple
    site_of_action: str = ""
    routes: tuple = ()
    class_slug: str = ""
    members: tuple = ()  # DrugInfo for a class; (DrugInfo,) for a drug
    class_cautions: tuple = ()
    description: str = ""


@dataclass(frozen=True)
class WorkupRef:
    slug: str
    name: str
    url: str
    category: str
    priority: str
    priority_label: str
    rationale: str
    sources: tuple


@dataclass(frozen=True)
class ConditionData:
    slug: str
    name: str
    targets: tuple
    workup: tuple
    interactions: tuple  # InteractionRef touching a drug or class of this condition's options
    guidelines: tuple  # SourceRef of guidelines with a position here
    drug_classes: tuple  # (slug, name) of the classes of this condition's options, by name
    duplication_sources: tuple = ()  # SourceRef cited when an option duplicates a current medicine's class
    acb_sources: tuple = ()  # SourceRef cited when an option takes the anticholinergic burden to 3 or more
    beers_cns_sources: tuple = ()  # SourceRef cited for a third CNS-active drug in an older adult
    current_drugs: dict = field(default_factory=dict)  # slug -> medicines.MedicineRef of each current ingredient
    rules: tuple = ()  # medicines.RuleRef: the mechanism rules, per request (from the vocabulary)
    # (drug slug, current medicine slug, older adult) -> pair_findings: the same for every patient, so worked out
    # once per snapshot; ``with_current`` copies share it. Not part of the data (left out of equality).
    pair_memo: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class DrugRef:
    """A medicine the clinician entered: enough to name it and find its interactions."""

    slug: str
    name: str
    class_slug: str
    class_name: str


@dataclass(frozen=True)
class ProcedureRef:
    slug: str
    name: str


@dataclass(frozen=True)
class NameLookup:
    """Published records found by what a clinician typed (see ``load_drugs`` and ``load_procedures``)."""

    items: dict  # slug -> DrugRef or ProcedureRef
    names: dict  # lower-case slug or name -> slug

    def resolve(self, values):
        """(slugs in the order given without repeats, values that name no published drug)."""
        slugs, unknown = [], []
        for value in values:
            slug = self.names.get(value.strip().lower())
            if slug is None:
                unknown.append(value)
            elif slug not in slugs:
                slugs.append(slug)
        return slugs, unknown

    def slug_of(self, value):
        """The slug ``value`` names, or None."""
        return self.names.get(value.strip().lower())


# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flag:
    """A rule that applies to this patient (or may: ``certain`` is False when an input is only known roughly)."""

    key: str
    applies_when: str
    level: str
    level_label: str
    text: str
    sources: tuple
    subject: str = ""  # the member drug a class-level flag is about
    certain: bool = True

    @property
    def status(self):
        if self.level == m.CautionLevel.MAY_BENEFIT:
            return OK
        return CAUTION_STATUS.get(self.level, OK) if self.certain else CAUTION


@dataclass(frozen=True)
class DoseLimit:
    """A drug's maximum (and starting) daily dose for this condition and this patient's kidney function.

    ``basis`` says where the indication's numbers come from (``dose_basis``); ``band_label`` names the renal
    band that lowered it, if any; ``certain`` is False when kidney function is known only as a range that
    spans bands (then ``value`` is the lowest of them)."""

    value: Decimal | None
    unit: str
    avoid: bool
    band_label: str
    interval: str
    note: str
    region: str
    sources: tuple
    subject: str = ""
    start: Decimal | None = None
    indication_max: Decimal | None = None
    basis: str = ""
    basis_kind: str = ""  # INDICATION, GENERAL or OTHER_INDICATION
    renal: bool = False  # a renal band lowered the maximum or says avoid
    certain: bool = True
    dialysis_supplement: str = ""
    needs_kidney_function: bool = False  # the drug has renal bands and no kidney function was entered
    band_start: Decimal | None = None  # the renal band's own starting dose (the label's renal table)
    band_min: int | None = None  # the lower CrCl bound of the band that lowered the maximum (known surely)
    adjustments: tuple = ()  # AdjustmentRef that apply (or may) to this patient: an age or Child–Pugh limit
    adjusted: bool = False  # an adjustment lowered the maximum below the indication's (and renal band's)

    @property
    def adjustment_text(self):
        return "; ".join(a.text for a in self.adjustments)

    @property
    def text(self):
        who = f"{self.subject}: " if self.subject else ""
        if self.avoid:
            return f"{who}avoid at {self.band_label}" + (f" — {self.note}" if self.note else "")
        if self.value is None:
            return f"{who}no maximum daily dose stated ({self.basis})" if self.basis else ""
        value = format_number(self.value)
        interval = f", {self.interval}" if self.interval and self.renal else ""
        if self.adjusted:
            known = "" if self.certain else " (if it applies: enter the age or liver function to know)"
            return f"{who}at most {value} {self.unit}{known} ({self.adjustment_text})"
        if self.renal:
            where = f"at {self.band_label}" if self.certain else f"at {self.band_label} (enter CrCl to know)"
            normal = (
                f"; {format_number(self.indication_max)} {self.unit} with normal kidney function"
                if self.indication_max is not None and self.indication_max != self.value
                else ""
            )
            return f"{who}at most {value} {self.unit} {where}{interval} ({self.basis}{normal})"
        kidney = "; lower if CrCl is reduced — enter it" if self.needs_kidney_function else ""
        return f"{who}at most {value} {self.unit} ({self.basis}{kidney})"


@dataclass(frozen=True)
class MemberStatus:
    """A class option's member drug, judged for this patient on its own."""

    slug: str
    name: str
    url: str
    status: str
    flags: tuple
    dose_limit: DoseLimit | None
    already_taking: bool = False
    regimen: "Regimen | None" = None
    own_status: str = OK  # the status from this patient's own rules and doses, before current medicines

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]


@dataclass(frozen=True)
class Option:
    kind: str
    slug: str
    name: str
    url: str
    line: str
    positions: tuple
    disagree: bool
    status: str
    flags: tuple
    benefits: tuple
    dose_limits: tuple
    interactions: tuple
    sources: tuple
    routes: tuple
    site_of_action: str
    class_slug: str
    controlled: bool
    approved_regions: tuple
    nnt: Decimal | None
    nnh: Decimal | None
    best_strength: int
    best_quality: int
    members: tuple = ()
    description: str = ""
    member_statuses: tuple = ()  # MemberStatus per member of a class option
    notices: tuple = ()  # Flag: tests the source asks for before starting, not done for this patient
    already_taking: bool = False
    regimens: tuple = ()  # Regimen per drug (a drug option's own; each member's for a class)
    own_status: str = OK  # the status before current medicines (interactions, duplications, regimen totals)
    drug_infos: tuple = ()  # DrugInfo of the option's drugs (its own, or the class's members)

    @property
    def kind_label(self):
        return KIND_LABELS[self.kind]

    @property
    def line_label(self):
        return m.Line(self.line).label

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]

    @property
    def is_contraindicated(self):
        return self.status == CONTRAINDICATED

    @property
    def max_daily_dose(self):
        """The single dose limit for a drug option, or None."""
        if self.kind == KIND_DRUG and self.dose_limits:
            return self.dose_limits[0]
        return None


@dataclass(frozen=True)
class LineGroup:
    line: str
    label: str
    options: tuple


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True)
class Result:
    condition: ConditionData
    patient: Patient
    filters: Filters
    options: tuple  # every matched option in explorer order (after filters)
    groups: tuple  # LineGroup, excluding contraindicated options
    contraindicated: tuple
    facets: dict
    workup: tuple
    total: int


# --- loading -------------------------------------------------------------------------------


published_sources = m.published_sources  # a prefetch of a record's published sources (drafts are never cited)


def source_ref(source):
    return SourceRef(
        source.key, source.short_name, source.title, source.year, source.link, source.superseded, source.kind
    )


def _refs(sources):
    return tuple(source_ref(s) for s in sources)


def _caution_ref(caution, via_class=False):
    return CautionRef(
        key=caution.key,
        applies_when=caution.applies_when(),
        level=caution.level,
        level_label=caution.get_level_display(),
        text=caution.text,
        region=caution.region,
        sources=_refs(caution.sources.all()),
        via_class=via_class,
        factor=caution.factor.slug if caution.factor_id else "",
        crcl_min=caution.crcl_min,
        crcl_max=caution.crcl_max,
        dialysis=caution.dialysis,
        child_pugh=frozenset(caution.child_pugh),
        age_min=caution.age_min,
        gene=caution.gene,
        phenotypes=frozenset(caution.phenotypes),
        test_first=caution.test_first,
    )


def drug_info(drug):
    """A drug row loaded by ``Drug.objects.for_explorer()`` as plain, immutable data."""
    cautions = tuple(_caution_ref(c) for c in drug.cautions.all())
    class_cautions = tuple(_caution_ref(c, via_class=True) for c in drug.drug_class.cautions.all())
    doses = sorted(drug.published_doses, key=lambda d: d.display_order)
    return DrugInfo(
        slug=drug.slug,
        name=drug.generic_name,
        class_slug=drug.drug_class.slug,
        class_name=drug.drug_class.name,
        site_of_action=drug.drug_class.site_of_action,
        routes=tuple(drug.routes),
        brand_names=tuple(drug.brand_names),
        cautions=cautions + class_cautions,
        renal_bands=tuple(
            RenalBand(
                b.crcl_min,
                b.crcl_max,
                b.max_daily_dose,
                b.unit,
                b.dosing_interval,
                b.avoid,
                b.note,
                b.band_label,
                b.region,
                _refs(b.sources.all()),
                condition=b.condition.slug if b.condition_id else "",
                dialysis_supplement=b.dialysis_supplement,
                start=b.starting_dose,
            )
            for b in drug.renal_bands.all()
        ),
        doses=tuple(
            DoseRef(
                region=d.region,
                context=d.context,
                condition=d.condition.slug if d.condition_id else "",
                unit=d.unit,
                start=d.starting_dose,
                target_low=d.usual_target_low,
                target_high=d.usual_target_high,
                max=d.max_daily_dose,
                frequency=d.frequency,
                titration=d.titration,
                is_default=d.is_default,
                sources=_refs(d.sources.all()),
                starting_text=d.starting_text,
                steps=tuple(
                    StepRef(st.after_days, st.daily_dose, st.text, st.times_a_day, st.crcl_min) for st in d.steps.all()
                ),
                starting_times=d.starting_times_a_day,
            )
            for d in doses
        ),
        controlled=tuple((s.region, s.schedule) for s in drug.schedules.all()),
        approvals=tuple(
            (a.region, a.condition.slug if a.condition else "", a.indication, a.year) for a in drug.approvals.all()
        ),
        url=drug.get_absolute_url(),
        properties=_drug_properties(drug),
        adjustments=tuple(
            AdjustmentRef(
                key=a.key,
                region=a.region,
                condition=a.condition.slug if a.condition_id else "",
                age_min=a.age_min,
                child_pugh=frozenset(a.child_pugh),
                start=a.starting_dose,
                max=a.max_daily_dose,
                unit=a.unit,
                text=a.text,
                sources=_refs(a.sources.all()),
            )
            for a in drug.adjustments.all()
        ),
        monitoring=tuple(MonitoringRef(i.key, i.text, _refs(i.sources.all())) for i in drug.monitoring.all()),
    )


def _drug_properties(drug):
    """The published properties of the drug's medicine (prefetched by ``Drug.objects.for_explorer``)."""
    try:
        medicine = drug.medicine
    except m.Medicine.DoesNotExist:
        return ()
    if medicine.status != m.ReviewStatus.PUBLISHED:
        return ()
    return tuple(medicines.property_ref(p, source_ref) for p in medicine.properties.all())


def interaction_refs(drug_ids, class_ids):
    """Published interactions with one of these drugs or classes (primary keys) on either side.
    Filtering on the foreign-key columns themselves lets the database use their indexes."""
    drug_ids, class_ids = sorted(set(drug_ids)), sorted(set(class_ids))
    touching = Q()
    for side in ("a", "b"):
        touching |= Q(**{f"drug_{side}_id__in": drug_ids}) | Q(**{f"class_{side}_id__in": class_ids})
    return _interaction_refs(touching)


def interaction_refs_by_slug(drug_slugs, class_slugs):
    """``interaction_refs`` for drugs and classes named by slug."""
    touching = Q()
    for side in ("a", "b"):
        touching |= Q(**{f"drug_{side}__slug__in": sorted(drug_slugs)})
        touching |= Q(**{f"class_{side}__slug__in": sorted(class_slugs)})
    return _interaction_refs(touching)


def _interaction_refs(touching):
    qs = (
        m.Interaction.objects.published()
        .filter(touching)
        .select_related("drug_a", "class_a", "drug_b", "class_b")
        .prefetch_related(
            published_sources(), m.models.Prefetch("overrides", queryset=m.MechanismRule.objects.only("key"))
        )
        .order_by("key")
    )
    refs = []
    for i in qs:
        a, b = i.side_a, i.side_b
        refs.append(
            InteractionRef(
                key=i.key,
                a_kind=KIND_DRUG if i.drug_a_id else KIND_DRUG_CLASS,
                a_slug=a.slug,
                a_name=str(a),
                b_kind=KIND_DRUG if i.drug_b_id else KIND_DRUG_CLASS,
                b_slug=b.slug,
                b_name=str(b),
                severity=i.severity,
                severity_label=i.get_severity_display(),
                effect=i.effect,
                mechanism=i.mechanism,
                management=i.management,
                older_adult_only=i.older_adult_only,
                sources=_refs(i.sources.all()),
                overrides=tuple(sorted(r.key for r in i.overrides.all())),
            )
        )
    return tuple(refs)


def load_drugs(names):
    """Published drugs named by slug, generic name or brand name (any case).

    One indexed query for slugs and generic names; a second only for names still unknown, which
    reads brand names. The explorer and the plan check take current medicines and plan drugs this
    way, so what a page reads depends on what the clinician entered, not on how many drugs there are.
    """
    lowered = sorted({n.strip().lower() for n in names if n.strip()})
    published = m.Drug.objects.published().annotate(lower_name=Lower("generic_name"))
    columns = ("slug", "generic_name", "brand_names", "drug_class__slug", "drug_class__name")
    rows = list(published.filter(Q(slug__in=lowered) | Q(lower_name__in=lowered)).values_list(*columns))
    known = {row[0] for row in rows} | {row[1].lower() for row in rows}
    unknown = [name for name in lowered if name not in known]
    if unknown:
        by_brand = Q()
        for name in unknown:
            by_brand |= Q(brand_names__icontains=name)  # narrowed to whole brand names below
        rows += published.filter(by_brand).order_by("generic_name").values_list(*columns)
    drugs, by_name = {}, {}
    for slug, name, brands, class_slug, class_name in rows:
        keys = {slug, name.lower()} | ({b.lower() for b in brands} & set(lowered))
        if not keys & set(lowered):
            continue  # a brand that only contains the text entered
        drugs[slug] = DrugRef(slug, name, class_slug, class_name)
        for key in keys:
            by_name.setdefault(key, slug)
    return NameLookup(drugs, by_name)


def load_procedures(names):
    """Published procedures named by slug or name (any case), in one query."""
    lowered = sorted({n.strip().lower() for n in names if n.strip()})
    rows = (
        m.Procedure.objects.published()
        .annotate(lower_name=Lower("name"))
        .filter(Q(slug__in=lowered) | Q(lower_name__in=lowered))
        .values_list("slug", "name")
    )
    return NameLookup(
        {slug: ProcedureRef(slug, name) for slug, name in rows},
        {key: slug for slug, name in rows for key in (slug, name.lower())},
    )


def load_condition(condition):
    """Everything the explorer needs for one condition, in a fixed number of queries.

    Queries: recommendations (+ guideline, class, drug) and their sources; the recommended drugs and
    the members of recommended classes with cautions, class cautions, renal bands, default doses,
    schedules, approvals (and their sources); procedure indications (+ procedure) and sources;
    work-up (+ diagnostic) and sources; the interactions that touch those drugs or their classes,
    and their sources. Nothing here grows with the rest of the knowledge base.
    """
    recommendations = list(
        condition.recommendations.published()
        .filter(guideline__status=m.ReviewStatus.PUBLISHED)
        .select_related("guideline", "drug_class", "drug")
        .prefetch_related(published_sources())
    )
    recommended_drugs = {rec.drug_id for rec in recommendations if rec.drug_id}
    recommended_classes = {rec.drug_class_id for rec in recommendations if rec.drug_class_id}
    drug_objects = list(
        m.Drug.objects.for_explorer().filter(
            Q(pk__in=sorted(recommended_drugs)) | Q(drug_class_id__in=sorted(recommended_classes))
        )
    )
    drugs = {d.slug: drug_info(d) for d in drug_objects}
    by_class = {}
    for info in drugs.values():
        by_class.setdefault(info.class_slug, []).append(info)

    positions = {}
    meta = {}
    for rec in recommendations:
        if rec.drug_id:
            if rec.drug.status != m.ReviewStatus.PUBLISHED or rec.drug.slug not in drugs:
                continue
            key = (KIND_DRUG, rec.drug.slug)
            info = drugs[rec.drug.slug]
            meta[key] = dict(
                name=rec.drug.generic_name,
                url=rec.drug.get_absolute_url(),
                site_of_action=info.site_of_action,
                routes=info.routes,
                class_slug=info.class_slug,
                members=(info,),
            )
        else:
            if rec.drug_class.status != m.ReviewStatus.PUBLISHED:
                continue
            key = (KIND_DRUG_CLASS, rec.drug_class.slug)
            members = tuple(sorted(by_class.get(rec.drug_class.slug, []), key=lambda d: d.name))
            meta[key] = dict(
                name=rec.drug_class.name,
                url=rec.drug_class.get_absolute_url(),
                site_of_action=rec.drug_class.site_of_action,
                routes=tuple(sorted({r for d in members for r in d.routes})),
                class_slug=rec.drug_class.slug,
                members=members,
            )
        positions.setdefault(key, []).append(
            Position(
                source=source_ref(rec.guideline),
                line=rec.line,
                line_label=rec.get_line_display(),
                strength=rec.strength,
                strength_label=rec.get_strength_display(),
                quality=rec.quality,
                quality_label=rec.get_quality_display(),
                wording=rec.wording,
                note=rec.note,
                nnt=rec.nnt,
                nnt_ci=(rec.nnt_ci_low, rec.nnt_ci_high) if rec.nnt_ci_low is not None else None,
                nnh=rec.nnh,
                nnh_ci=(rec.nnh_ci_low, rec.nnh_ci_high) if rec.nnh_ci_low is not None else None,
                sources=_refs(rec.sources.all()),
            )
        )

    targets = [
        Target(
            kind=kind,
            slug=slug,
            positions=tuple(sorted(positions[(kind, slug)], key=lambda p: p.source.key)),
            **meta[(kind, slug)],
        )
        for (kind, slug) in positions
    ]

    indications = (
        condition.procedure_indications.published()
        .filter(procedure__status=m.ReviewStatus.PUBLISHED)
        .select_related("procedure")
        .prefetch_related(published_sources())
    )
    for ind in indications:
        proc = ind.procedure
        sources = _refs(ind.sources.all())
        line = PROCEDURE_ROLE_LINE[ind.role]
        position = Position(
            source=sources[0] if sources else SourceRef("", "", "", 0, ""),
            line=line,
            line_label=ind.get_role_display(),
            strength=ind.strength,
            strength_label=ind.get_strength_display(),
            quality=m.Quality.NOT_GRADED,
            quality_label=m.Quality.NOT_GRADED.label,
            wording=ind.evidence,
            sources=sources[1:],
        )
        targets.append(
            Target(
                kind=KIND_PROCEDURE,
                slug=proc.slug,
                name=proc.name,
                url=proc.get_absolute_url(),
                positions=(position,),
                site_of_action=proc.site_of_action,
                routes=(proc.route,),
                description=proc.description,
            )
        )

    workup = tuple(
        WorkupRef(
            slug=w.diagnostic.slug,
            name=w.diagnostic.name,
            url=w.diagnostic.get_absolute_url(),
            category=w.diagnostic.get_category_display(),
            priority=w.priority,
            priority_label=w.get_priority_display(),
            rationale=w.rationale,
            sources=_refs(w.sources.all()),
        )
        for w in condition.workup.published()
        .filter(diagnostic__status=m.ReviewStatus.PUBLISHED)
        .select_related("diagnostic")
        .prefetch_related(published_sources())
        .order_by("priority", "diagnostic__name")
    )
    guidelines = {}
    for target in targets:
        for p in target.positions:
            if p.source.key and target.kind != KIND_PROCEDURE:
                guidelines[p.source.key] = p.source
    classes = {d.class_slug: d.class_name for d in drugs.values()}
    classes |= {rec.drug_class.slug: rec.drug_class.name for rec in recommendations if rec.drug_class_id}
    check_sources = _refs(
        m.Source.objects.published()
        .filter(key__in={*DUPLICATION_SOURCES, *ACB_SOURCES, *BEERS_CNS_SOURCES})
        .order_by("key")
    )
    return ConditionData(
        slug=condition.slug,
        name=condition.name,
        targets=tuple(targets),
        workup=workup,
        interactions=interaction_refs(
            [d.pk for d in drug_objects], recommended_classes | {d.drug_class_id for d in drug_objects}
        ),
        guidelines=tuple(sorted(guidelines.values(), key=lambda s: s.short_name)),
        drug_classes=tuple(sorted(classes.items(), key=lambda c: c[1].lower())),
        duplication_sources=tuple(s for s in check_sources if s.key in DUPLICATION_SOURCES),
        acb_sources=tuple(s for s in check_sources if s.key in ACB_SOURCES),
        beers_cns_sources=tuple(s for s in check_sources if s.key in BEERS_CNS_SOURCES),
    )


# --- matching (pure) --------------------------------------------------------------------------


def format_number(value):
    if value is None:
        return ""
    value = Decimal(value)
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value.normalize()}"


# Where a dose comes from, for the clinician: this condition's label dosing, a range for any condition, or
# the dosing of another indication (nothing better is known).
INDICATION, GENERAL, OTHER_INDICATION = "indication", "general", "other-indication"


def rule_applies(rule, patient):
    """Whether a rule applies to this patient: True, False, or None when it may (an input it needs is known
    only as a range, e.g. "kidney impairment" ticked without a CrCl). Every condition of the rule must hold."""
    verdicts = []
    if rule.factor:
        verdicts.append(rule.factor in patient.factors)
    if rule.age_min is not None:
        known = patient.age_range
        verdicts.append(False if known is None else known.against(rule.age_min, None))
    if rule.crcl_min is not None or rule.crcl_max is not None:
        known = patient.crcl_range
        verdicts.append(False if known is None else known.against(rule.crcl_min, rule.crcl_max))
    if rule.dialysis:
        verdicts.append(bool(patient.dialysis) and rule.dialysis in (m.DialysisRule.ANY, patient.dialysis))
    if rule.child_pugh:
        classes = patient.child_pugh_classes
        if classes and classes <= rule.child_pugh:
            verdicts.append(True)
        else:
            verdicts.append(None if classes & rule.child_pugh else False)
    if rule.gene:
        verdicts.append(patient.genotype(rule.gene) in rule.phenotypes)
    if not verdicts or False in verdicts:
        return False
    return True if all(verdicts) else None


def patient_flags(cautions, patient, subject=""):
    """(flags, benefits, notices): the rules that apply or may apply to this patient, the may-benefit reasons,
    and the tests a rule asks for before starting that this patient has not had."""
    flags, benefits, notices = [], [], []
    for c in cautions:
        applies = rule_applies(c, patient)
        if applies is not False:
            flag = Flag(c.key, c.applies_when, c.level, c.level_label, c.text, c.sources, subject, applies is True)
            (benefits if c.level == m.CautionLevel.MAY_BENEFIT else flags).append(flag)
        elif c.test_first and patient.genotype(c.gene) is None:
            gene = m.Gene(c.gene).label
            notices.append(
                Flag(
                    c.key,
                    f"{gene} not tested",
                    c.level,
                    f"Test {gene} before starting",
                    c.text,
                    c.sources,
                    subject,
                    False,
                )
            )
    return flags, benefits, notices


def dose_row(drug, condition):
    """(the dose row to show for this condition, its basis kind): the condition's own (label) row, else the
    default row, which is a range for any condition or the dosing of another indication."""
    own = [d for d in drug.doses if d.condition == condition] if condition else []
    if own:
        return own[0], INDICATION
    general = [d for d in drug.doses if not d.condition]
    if general:
        return general[0], GENERAL
    return (drug.doses[0], OTHER_INDICATION) if drug.doses else (None, "")


def dose_basis(row, kind, condition_name=""):
    """Where the numbers come from, in words, e.g. 'US label, Diabetic peripheral neuropathy'."""
    if row is None:
        return "no dosing in the knowledge base"
    names = ", ".join(s.short_name for s in row.sources)
    if kind == INDICATION:
        return f"{names}: {row.context}"
    if kind == GENERAL and not row.condition:
        note = f"; not a labelled dose for {condition_name.lower()}" if condition_name else ""
        return f"{names}: {row.context}{note}"
    return f"{names}: {row.context} — dosing for another indication"


def renal_bands_for(drug, condition):
    """The bands of the condition's column of the label's renal table, or the bands for any indication."""
    own = [b for b in drug.renal_bands if condition and b.condition == condition]
    return own or [b for b in drug.renal_bands if not b.condition]


def dose_limit(drug, patient, condition="", condition_name=""):
    """This patient's dose limit for a drug in a condition: the indication's maximum, lowered by the label's
    renal band for the patient's CrCl (or dialysis) and by an age or Child–Pugh adjustment that applies to the
    patient, or None if the knowledge base states none of them."""
    limit = _renal_limit(drug, patient, condition, condition_name)
    return _adjusted(limit, drug, patient, condition) if limit else None


def adjustments_for(drug, patient, condition, unit, region):
    """(adjustments that apply, whether each surely does): the drug's age and Child–Pugh adjustments for this
    indication (or any), in the dose's unit and not for another region's dosing; an adjustment that may apply
    (an age or liver class known only roughly) is included and makes the result uncertain."""
    found, certain = [], True
    for adj in drug.adjustments:
        if adj.condition and adj.condition != condition or adj.unit != unit:
            continue
        if adj.region != region and m.Region.INTL not in (adj.region, region):
            continue
        applies = rule_applies(adj, patient)
        if applies is False:
            continue
        certain = certain and applies is True
        found.append(adj)
    return tuple(found), certain


def _adjusted(limit, drug, patient, condition):
    found, certain = adjustments_for(drug, patient, condition, limit.unit, limit.region)
    if not found or limit.avoid:
        return limit
    value, start = limit.value, limit.start
    for adj in found:
        if adj.max is not None and (value is None or adj.max < value):
            value = adj.max
        if adj.start is not None and (start is None or adj.start < start):
            start = adj.start
    return replace(
        limit,
        value=value,
        start=start,
        adjustments=found,
        adjusted=value != limit.value,
        certain=limit.certain and (certain or value == limit.value),
        sources=_dedupe([*limit.sources, *(s for a in found for s in a.sources)], key=lambda s: s.key),
    )


def _renal_limit(drug, patient, condition="", condition_name=""):
    row, kind = dose_row(drug, condition)
    bands = renal_bands_for(drug, condition)
    known = patient.crcl_range
    indication_max = row.max if row else None
    unit = row.unit if row else (bands[0].unit if bands else "")
    basis = dose_basis(row, kind, condition_name)
    sources = row.sources if row else ()
    base = dict(
        unit=unit,
        subject=drug.name,
        start=row.start if row else None,
        indication_max=indication_max,
        basis=basis,
        basis_kind=kind,
        region=row.region if row else "",
        interval=row.frequency if row else "",
        note="",
        sources=sources,
        band_label="",
        avoid=False,
    )
    if known is None or not bands:
        if row is None:
            return None
        return DoseLimit(value=indication_max, needs_kidney_function=bool(bands), **base)
    matching = [b for b in bands if known.against(b.crcl_min, b.crcl_max) is not False]
    if not matching:
        return DoseLimit(value=indication_max, **base) if row else None
    certain = len(matching) == 1 and known.against(matching[0].crcl_min, matching[0].crcl_max) is True
    band = min(matching, key=lambda b: (not b.avoid, b.max_daily_dose if b.max_daily_dose is not None else 0))
    same_unit = indication_max is None or band.unit == unit
    value = band.max_daily_dose
    if indication_max is not None and (value is None or not same_unit or value > indication_max):
        value = indication_max if not band.avoid else None
    # A band with no upper bound (CrCl ≥ 60) is normal kidney function: it never counts as a renal reduction.
    lowered = band.avoid or (
        value is not None and (value < indication_max if indication_max is not None else band.crcl_max is not None)
    )
    label = band.label if certain else " or ".join(b.label for b in sorted(matching, key=lambda b: -b.crcl_min))
    return DoseLimit(
        **{
            **base,
            "value": value,
            "unit": band.unit if same_unit else unit,
            "avoid": band.avoid,
            "band_label": label,
            "interval": band.interval,
            "note": band.note,
            "sources": _dedupe([*sources, *band.sources], key=lambda s: s.key),
            "renal": lowered,
            "certain": certain,
            "dialysis_supplement": band.dialysis_supplement if patient.dialysis == m.Dialysis.HAEMODIALYSIS else "",
            "band_start": band.start if lowered and certain and same_unit else None,
            "band_min": band.crcl_min if lowered and certain else None,
        }
    )


# --- regimens ------------------------------------------------------------------------------


def unit_words(unit):
    """'mg/day' -> 'mg a day', for sentences."""
    return unit.replace("/day", " a day")


@dataclass(frozen=True)
class Amount:
    """A daily dose: ``value`` in ``unit`` (a range's upper end in ``high``), split into ``times`` doses when the
    source says so, and how it reads."""

    value: Decimal
    unit: str
    text: str
    high: Decimal | None = None
    times: int | None = None

    @property
    def per_dose(self):
        """Each dose, when the daily dose is split into a stated number of doses of a per-day unit."""
        if not self.times or not self.unit.endswith("/day") or self.high is not None:
            return None
        return (self.value / self.times).quantize(Decimal("0.001")).normalize()

    @property
    def dose_unit(self):
        return self.unit.removesuffix("/day")


def amount(value, unit, text="", high=None, times=None):
    if value is None:
        return None
    high = high if high is not None and high != value else None
    words = format_number(value) + (f"–{format_number(high)}" if high is not None else "")
    return Amount(value, unit, text or f"{words} {unit_words(unit)}", high, times)


@dataclass(frozen=True)
class RegimenStep:
    after_days: int
    dose: Amount

    @property
    def day(self):
        """The day of treatment the step starts on (the first dose is day 1)."""
        return self.after_days + 1


@dataclass(frozen=True)
class Regimen:
    """How to give a drug to this patient for this condition: the start, the titration steps by day, the usual
    target and the maximum, each this patient's (lowered for kidney function, age or liver function where the
    source says so). ``notes`` say why a number differs from the label's; ``how`` is the source's own
    titration text; ``avoid`` means the source says not to use it at this patient's kidney function."""

    drug_slug: str
    drug_name: str
    start: Amount | None
    steps: tuple  # RegimenStep
    target: Amount | None
    max: Amount | None
    frequency: str
    how: str
    basis: str
    region: str
    sources: tuple
    notes: tuple = ()
    avoid: bool = False
    certain: bool = True
    dialysis_supplement: str = ""
    renal_schedule: bool = False  # the steps are the label's renal table's own for this patient's band

    @property
    def schedule(self):
        """Every dose change from day 1, for a calendar: (RegimenStep for the start, then each step)."""
        first = [RegimenStep(0, self.start)] if self.start else []
        return tuple(first + list(self.steps))


def _step_amount(step, unit, frequency):
    words = step.text or f"{format_number(step.dose)} {unit_words(unit)}" + (f", {frequency}" if frequency else "")
    return amount(step.dose, unit, words, times=step.times)


def regimen(drug, patient, condition="", condition_name="", limit=None):
    """This patient's regimen for ``drug`` in ``condition`` (see ``Regimen``), or None when the knowledge base
    has no dosing for it. ``limit`` is the patient's ``dose_limit`` when already computed.

    The schedule is the source's: when the patient's kidney function is surely in a renal band that lowers the
    maximum, the band's own start and steps where the label's renal table gives them; otherwise the normal
    schedule's steps up to this patient's maximum (a step above it becomes the maximum, and the schedule stops
    there). Targets are capped at the maximum. Nothing is scaled or interpolated."""
    row, kind = dose_row(drug, condition)
    if row is None:
        return None
    limit = limit or dose_limit(drug, patient, condition, condition_name)
    base = dict(
        drug_slug=drug.slug,
        drug_name=drug.name,
        frequency=row.frequency,
        how=row.titration,
        basis=dose_basis(row, kind, condition_name),
        region=row.region,
    )
    if limit is not None and limit.avoid:
        return Regimen(
            start=None, steps=(), target=None, max=None, sources=limit.sources, notes=(limit.text,), avoid=True, **base
        )
    unit = row.unit
    maximum = limit.value if limit is not None and limit.unit == unit else row.max
    notes = []
    if limit is not None and (limit.renal or limit.adjusted):
        notes.append(limit.text)
    if limit is not None and not limit.adjusted:
        notes += [a.text for a in limit.adjustments]  # a lower start only
    band_min = limit.band_min if limit is not None else None
    band_steps = [st for st in row.steps if band_min is not None and st.crcl_min == band_min]
    normal_steps = [st for st in row.steps if st.crcl_min is None]
    start, start_text, start_times = row.start, row.starting_text, row.starting_times
    renal = limit is not None and limit.renal
    frequency = limit.interval if renal and limit.interval else row.frequency
    if renal and limit.band_start is not None and not band_steps:
        # The band names its start but no schedule: increases follow the label's renal table, not the normal steps.
        normal_steps = []
        notes.append("Increase as the label's renal table allows, up to the maximum.")
    if renal and not band_steps:
        # The renal table gives a range, not a schedule: the normal steps' doses at the band's dosing interval
        # (the normal texts' "twice a day" may not hold in the band).
        frequency = limit.interval
        normal_steps = [replace(st, text="", times=None) for st in normal_steps]
        start_text, start_times = "", None
    if limit is not None and limit.band_start is not None:
        start, start_text, start_times = limit.band_start, "", None  # the table gives the daily total only
    elif renal and start is not None and maximum is not None and start > maximum:
        start = None  # the label's normal start is above the band's maximum, and the band names no start
        notes.append(f"Start as the label's renal table says: {limit.note or limit.text}")
    if limit is not None and limit.start is not None and start is not None and limit.start < start:
        start, start_text = limit.start, ""  # an age or liver adjustment's lower start
    if start is not None and maximum is not None and start > maximum:
        start, start_text = maximum, ""
    if start is not None and not start_text:
        start_text = f"{format_number(start)} {unit_words(unit)}" + (f", {frequency}" if frequency else "")
    steps = []
    for step in band_steps or normal_steps:
        dose = step.dose
        if maximum is not None and dose > maximum:
            step = replace(step, dose=maximum, text="", times=None)
            dose = maximum
        if start is not None and dose <= start or steps and dose <= steps[-1].dose.value:
            continue
        steps.append(RegimenStep(step.after_days, _step_amount(step, unit, frequency)))
        if maximum is not None and dose >= maximum:
            break
    if start is None:
        steps = []  # a schedule needs its start
    low, high = row.target_low, row.target_high
    if maximum is not None:
        low = min(low, maximum) if low is not None else None
        high = min(high, maximum) if high is not None else None
    if low is None:
        low, high = high, None
    sources = _dedupe([*row.sources, *(limit.sources if limit else ())], key=lambda s: s.key)
    return Regimen(
        start=amount(start, unit, start_text, times=start_times),
        steps=tuple(steps),
        target=amount(low, unit, high=high),
        max=amount(maximum, unit),
        sources=sources,
        notes=tuple(dict.fromkeys(notes)),
        certain=limit.certain if limit is not None else True,
        dialysis_supplement=limit.dialysis_supplement if limit is not None else "",
        renal_schedule=bool(band_steps),
        **base,
    )


def worst_status(flags, dose_limits=()):
    """The most severe status on the one scale (``STATUS_RANK``) among flags and dose limits."""
    statuses = [f.status for f in flags]
    statuses += [AVOID if lm.avoid and lm.certain else CAUTION for lm in dose_limits if lm.renal]
    return max(statuses, key=STATUS_RANK.get, default=OK)


def _worse(status, other):
    return other if STATUS_RANK[other] > STATUS_RANK[status] else status


def interactions_between(interactions, left, right, older_adult):
    """Interaction rows between two (kind, slug, class_slug) items, either order."""

    def matches(kind, slug, item):
        item_kind, item_slug, item_class = item
        if kind == KIND_DRUG:
            return item_kind == KIND_DRUG and item_slug == slug
        return item_class == slug or (item_kind == KIND_DRUG_CLASS and item_slug == slug)

    found = []
    for i in interactions:
        if i.older_adult_only and not older_adult:
            continue
        if (matches(i.a_kind, i.a_slug, left) and matches(i.b_kind, i.b_slug, right)) or (
            matches(i.a_kind, i.a_slug, right) and matches(i.b_kind, i.b_slug, left)
        ):
            found.append(i)
    return found


def _dedupe(items, key):
    """``items`` in order without repeats by ``key``, as a tuple."""
    seen, out = set(), []
    for item in items:
        k = key(item)
        if k not in seen:
            seen.add(k)
            out.append(item)
    return tuple(out)


dedupe = _dedupe


def current_medicine_flags(drug, patient, data, subject=""):
    """Flags for a drug the patient already takes (none: it is marked as taken) or that duplicates one: another
    drug of the same class as a current medicine adds side effects without a new mechanism."""
    flags = []
    for slug in patient.current:
        other = data.current_drugs.get(slug)
        if other is None or other.slug == drug.slug or other.class_slug != drug.class_slug:
            continue
        flags.append(
            Flag(
                f"duplication--{other.slug}",
                f"Already taking {other.name}",
                m.CautionLevel.AVOID,
                "Duplication",
                f"Same class as {other.name}, which the patient already takes ({other.class_name}): switch "
                f"from {other.name} rather than add {drug.name}.",
                data.duplication_sources,
                subject,
            )
        )
    return flags


def regimen_flags(drug, patient, data, subject=""):
    """Flags for what adding the drug does to the whole regimen (its current medicines plus this drug), the
    same totals the plan check adds up: an anticholinergic burden of 3 or more (Boustani 2008), and, in an older
    adult, 3 or more CNS-active drugs (AGS Beers 2023)."""
    others = [data.current_drugs[s] for s in patient.current if s in data.current_drugs and s != drug.slug]
    flags = []
    if drug.anticholinergic_burden:
        contributors = [o for o in others if o.anticholinergic_burden]
        total = drug.anticholinergic_burden + sum(o.anticholinergic_burden for o in contributors)
        if contributors and total >= ACB_THRESHOLD:
            parts = ", ".join(f"{d.name} {d.anticholinergic_burden}" for d in [drug, *contributors])
            flags.append(
                Flag(
                    "anticholinergic-burden",
                    f"Anticholinergic burden {total} with the current medicines",
                    m.CautionLevel.AVOID if patient.older_adult else m.CautionLevel.CAUTION,
                    "Anticholinergic burden",
                    f"Total anticholinergic burden {total} ({parts}). A total of 3 or more is linked to confusion, "
                    "falls and cognitive decline, above all in older adults: prefer an option with less "
                    "anticholinergic effect or reduce the others.",
                    data.acb_sources,
                    subject,
                )
            )
    if drug.cns_active and patient.older_adult:
        cns = [o for o in others if o.cns_active]
        if len(cns) + 1 >= BEERS_CNS_THRESHOLD:
            names = ", ".join(d.name for d in cns)
            flags.append(
                Flag(
                    "beers-cns",
                    f"{len(cns) + 1} CNS-active drugs in an older adult",
                    m.CautionLevel.AVOID,
                    "Beers: CNS-active drugs",
                    f"With {names}, {drug.name} would be CNS-active drug number {len(cns) + 1}. AGS Beers 2023 "
                    "advises avoiding 3 or more in older adults because of falls and fractures; reduce the number.",
                    data.beers_cns_sources,
                    subject,
                )
            )
    return flags


def mechanism_ref(rule, a, a_props, b, b_props):
    """A mechanism rule's finding for the pair a, b, as an ``InteractionRef`` that cites the rule's sources and
    those of the properties it matched."""
    sources = _dedupe([*rule.sources, *(src for p in (*a_props, *b_props) for src in p.sources)], key=lambda s: s.key)
    return InteractionRef(
        key=rule.key,
        a_kind=KIND_DRUG,
        a_slug=a.slug,
        a_name=a.name,
        b_kind=KIND_DRUG,
        b_slug=b.slug,
        b_name=b.name,
        severity=rule.severity,
        severity_label=rule.severity_label,
        effect=rule.effect,
        mechanism=rule.mechanism,
        management=rule.management,
        older_adult_only=rule.older_adult_only,
        sources=sources,
        origin=medicines.MECHANISM,
        rule_name=rule.name,
        basis=medicines.basis_text(a, a_props, b, b_props),
    )


def pair_findings(a, b, interactions, rules, older_adult):
    """Every interaction of two medicines (``DrugInfo`` or ``medicines.MedicineRef``), most severe first: the
    curated pairs naming either drug or its class, then each mechanism rule the pair meets that none of those
    curated pairs overrides. The explorer, the plan check and the API all use this. Pure."""
    if a.slug == b.slug:
        return []
    curated = interactions_between(
        interactions, (KIND_DRUG, a.slug, a.class_slug), (KIND_DRUG, b.slug, b.class_slug), older_adult
    )
    overridden = frozenset(key for i in curated for key in i.overrides)
    derived = [
        mechanism_ref(*hit[:1], a, hit[1], b, hit[2])
        for hit in medicines.rule_hits(a, b, rules, older_adult, overridden)
    ]
    return sorted([*curated, *derived], key=lambda i: SEVERITY_RANK[i.severity])


def findings_with_current(drug, patient, data):
    """[(current medicine's name, InteractionRef)] of one drug with each of the patient's current medicines."""
    found = []
    memo = data.pair_memo
    if memo.get(RULES) is not data.rules:  # the findings hold for these mechanism rules only
        memo.clear()
        memo[RULES] = data.rules
    for slug in patient.current:
        other = data.current_drugs.get(slug)
        if other is None or other.slug == drug.slug:
            continue
        key = (drug.slug, other.slug, patient.older_adult)
        findings = memo.get(key)
        if findings is None:
            findings = tuple(pair_findings(drug, other, data.interactions, data.rules, patient.older_adult))
            if len(memo) >= PAIR_MEMO_SIZE:
                memo.clear()  # bounded: a long-running process meets many medicines
                memo[RULES] = data.rules
            memo[key] = findings
        found.extend((other.name, i) for i in findings)
    return found


PAIR_MEMO_SIZE = 50_000
RULES = "rules"  # ConditionData.pair_memo's entry for the rules its findings were worked out with


def _class_interactions(target, found, target_names):
    """A class card's interactions: those every member has (same current medicine, same pair row or rule) once,
    for the class; the rest with their member drug as ``subject``."""
    keyed = {slug: {(name, i.key) for name, i in items} for slug, items in found.items()}
    common = set.intersection(*keyed.values()) if keyed else set()
    shown, seen = [], set()
    for slug, items in found.items():
        for name, i in items:
            if (name, i.key) in common:
                if (name, i.key) in seen:
                    continue
                seen.add((name, i.key))
                if i.origin == medicines.MECHANISM:
                    i = replace(i, a_kind=KIND_DRUG_CLASS, a_slug=target.slug, a_name=target.name)
                shown.append((name, i))
            else:
                shown.append((name, replace(i, subject=target_names[slug])))
    return sorted(shown, key=lambda x: (SEVERITY_RANK[x[1].severity], bool(x[1].subject), x[0]))


def _interaction_status(interactions):
    return max((INTERACTION_STATUS.get(i.severity, OK) for _, i in interactions), key=STATUS_RANK.get, default=OK)


# What an interaction with a current medicine does to an option's status.
INTERACTION_STATUS = {m.Severity.CONTRAINDICATED: CONTRAINDICATED, m.Severity.MAJOR: CAUTION}


def match_target(target, patient, data):
    """One option judged for this patient. A drug's status is the most severe thing that applies to it; a
    class's is its best member's (the class is as usable as its best member), and the card lists every
    member's own status. Interactions with current medicines are found per member drug (``pair_findings``):
    on a class card, one that every member has is shown for the class, the others for their member."""
    condition_name = data.name
    flags, benefits, notices, limits, members, found, regimens = [], [], [], [], [], {}, []
    class_rules = [c for c in target.members[0].cautions if c.via_class] if target.members else []
    class_flags, class_benefits, class_notices = patient_flags(class_rules, patient)
    for drug in target.members:
        own = [c for c in drug.cautions if not c.via_class]
        subject = drug.name if target.kind == KIND_DRUG_CLASS else ""
        f, b, n = patient_flags(own, patient, subject=subject)
        own_flags = list(f)
        f += current_medicine_flags(drug, patient, data, subject)
        f += regimen_flags(drug, patient, data, subject)
        limit = dose_limit(drug, patient, data.slug, condition_name)
        found[drug.slug] = findings_with_current(drug, patient, data)
        plan = regimen(drug, patient, data.slug, condition_name, limit=limit)
        if plan:
            regimens.append(plan)
        flags += f
        benefits += b
        notices += n
        if limit:
            limits.append(limit if target.kind == KIND_DRUG_CLASS else replace(limit, subject=""))
        members.append(
            MemberStatus(
                drug.slug,
                drug.name,
                drug.url,
                _worse(worst_status(class_flags + f, [limit] if limit else []), _interaction_status(found[drug.slug])),
                tuple(class_flags + f),
                limit,
                drug.slug in patient.current,
                plan,
                worst_status(class_flags + own_flags, [limit] if limit else []),
            )
        )
    flags = class_flags + flags
    benefits = class_benefits + benefits
    notices = class_notices + notices

    if target.kind == KIND_DRUG_CLASS and members:
        interactions = _class_interactions(target, found, {d.slug: d.name for d in target.members})
        status = min((mb.status for mb in members), key=STATUS_RANK.get)
        status = _worse(status, _interaction_status([x for x in interactions if not x[1].subject]))
    else:
        interactions = [x for drug in target.members for x in found[drug.slug]]
        status = _worse(worst_status(flags, limits), _interaction_status(interactions))

    # Superseded guidelines are shown for context but do not set the line or the disagreement marker.
    current = [p for p in target.positions if not p.source.superseded] or list(target.positions)
    lines = {p.line for p in current}
    best_line = min(lines, key=LINE_RANK.get)
    sources = _dedupe(
        [p.source for p in target.positions if p.source.key]
        + [s for p in target.positions for s in p.sources]
        + [s for f in flags + benefits + notices for s in f.sources]
        + [s for lm in limits for s in lm.sources]
        + [s for _, i in interactions for s in i.sources],
        key=lambda s: s.key,
    )
    nnts = [p.nnt for p in target.positions if p.nnt is not None]
    nnhs = [p.nnh for p in target.positions if p.nnh is not None]
    return Option(
        kind=target.kind,
        slug=target.slug,
        name=target.name,
        url=target.url,
        line=best_line,
        positions=target.positions,
        disagree=len(lines) > 1,
        status=status,
        flags=tuple(flags),
        benefits=_dedupe(benefits, key=lambda b: b.key),
        dose_limits=tuple(limits),
        interactions=tuple(interactions),
        sources=sources,
        routes=target.routes,
        site_of_action=target.site_of_action,
        class_slug=target.class_slug,
        controlled=any(d.controlled for d in target.members),
        approved_regions=tuple(
            sorted({region for d in target.members for (region, cond, _i, _y) in d.approvals if cond == data.slug})
        ),
        nnt=min(nnts) if nnts else None,
        nnh=min(nnhs) if nnhs else None,
        best_strength=max(STRENGTH_RANK.get(p.strength, 0) for p in current),
        best_quality=max(QUALITY_RANK.get(p.quality, 0) for p in current),
        members=target.members if target.kind == KIND_DRUG_CLASS else (),
        description=target.description,
        member_statuses=tuple(members) if target.kind == KIND_DRUG_CLASS else (),
        notices=_dedupe(notices, key=lambda n: (n.key, n.subject)),
        already_taking=target.kind == KIND_DRUG and target.slug in patient.current,
        regimens=tuple(regimens),
        own_status=min((mb.own_status for mb in members), key=STATUS_RANK.get) if members else status,
        drug_infos=target.members,
    )


def _restrict_to_guideline(target, guideline):
    positions = tuple(p for p in target.positions if p.source.key == guideline)
    return replace(target, positions=positions) if positions else None


def passes(option, filters):
    """Option filters (not patient inputs)."""
    if filters.kinds and option.kind not in filters.kinds:
        return False
    if filters.lines and option.line not in filters.lines:
        return False
    if filters.min_strength and option.best_strength < STRENGTH_RANK[filters.min_strength]:
        return False
    if filters.min_quality and option.best_quality < QUALITY_RANK[filters.min_quality]:
        return False
    if filters.routes and not set(option.routes) & filters.routes:
        return False
    if (
        filters.sites
        and option.site_of_action not in filters.sites
        and not (option.site_of_action == m.SiteOfAction.BOTH and filters.sites)
    ):
        return False
    if filters.drug_classes and option.class_slug not in filters.drug_classes:
        return False
    if filters.approved_in and filters.approved_in not in option.approved_regions:
        return False
    return filters.controlled is None or option.controlled == filters.controlled


def sort_key(option):
    """Within a line: strongest recommendation first, then fewest flags for this patient, then better
    evidence and lower NNT; drug classes before their drugs, procedures after medicines."""
    return (
        LINE_RANK[option.line],
        0 if option.kind != KIND_PROCEDURE else 1,
        -option.best_strength,
        STATUS_RANK[option.status],
        -option.best_quality,
        option.nnt if option.nnt is not None else Decimal(1000),
        {KIND_DRUG_CLASS: 0, KIND_DRUG: 1, KIND_PROCEDURE: 2}[option.kind],
        option.name.lower(),
    )


FACET_FIELDS = {"kind": "kinds", "line": "lines", "route": "routes", "site": "sites", "drug_class": "drug_classes"}


def facets(matched, filters, data):
    """Counts per filter value. Each facet counts the options that pass every *other* filter, so a
    clinician can see what ticking another value would add; selected values always stay listed."""
    class_names = dict(data.drug_classes)
    labels = {
        "kind": KIND_LABELS,
        "line": dict(m.Line.choices),
        "route": dict(m.Route.choices),
        "site": dict(m.SiteOfAction.choices),
        "drug_class": class_names,
    }
    values_of = {
        "kind": lambda o: [o.kind],
        "line": lambda o: [o.line],
        "route": lambda o: sorted(set(o.routes)),
        "site": lambda o: [o.site_of_action] if o.site_of_action else [],
        "drug_class": lambda o: [o.class_slug] if o.class_slug else [],
    }
    order = {"kind": list(KIND_LABELS), "line": LINE_ORDER, "site": list(m.SiteOfAction.values)}
    result = {}
    for name, attr in FACET_FIELDS.items():
        others = replace(filters, **{attr: frozenset()})
        counts = Counter(v for o in matched if passes(o, others) for v in values_of[name](o))
        selected = getattr(filters, attr)
        values = set(counts) | set(selected)
        names = {v: str(labels[name].get(v, v)) for v in values}
        ranking = order.get(name, [])
        ordered = sorted(values, key=lambda v, r=ranking, n=names: (r.index(v) if v in r else len(r), n[v].lower()))
        result[name] = [FacetValue(v, names[v], counts[v], v in selected) for v in ordered]
    return result


def with_current(data, vocabulary, slugs):
    """``data`` with the patient's current medicines (ingredient slugs) resolved in ``vocabulary`` and its
    mechanism rules, ready for ``evaluate``."""
    current = {slug: vocabulary.get(slug) for slug in slugs if vocabulary.get(slug)}
    return replace(data, current_drugs=current, rules=vocabulary.rules)


def evaluate(data, patient, filters=Filters()):
    """Every option of a condition judged for this patient, then narrowed by the filters. Pure: no database
    access. ``data`` is the condition's snapshot of the knowledge base (``load_condition``) with the patient's
    current medicines resolved (``current_drugs``)."""
    targets = data.targets
    if filters.guideline:
        targets = [t for t in (_restrict_to_guideline(t, filters.guideline) for t in targets) if t]
    matched = [match_target(t, patient, data) for t in targets]
    kept = sorted((o for o in matched if passes(o, filters)), key=sort_key)
    shown = [o for o in kept if not o.is_contraindicated]
    # Contraindicated options are listed apart with the reason, unless the clinician hides them.
    contraindicated = () if filters.hide_contraindicated else tuple(o for o in kept if o.is_contraindicated)
    groups = tuple(
        LineGroup(line, m.Line(line).label, tuple(o for o in shown if o.line == line))
        for line in LINE_ORDER
        if any(o.line == line for o in shown)
    )
    return Result(
        condition=data,
        patient=patient,
        filters=filters,
        options=tuple(shown) + contraindicated,
        groups=groups,
        contraindicated=contraindicated,
        facets=facets(matched, filters, data),
        workup=data.workup,
        total=len(matched),
    )


def patient_line(patient):
    """The patient in a few words for the sticky line, e.g. '78 y · female · CrCl 31 · Child–Pugh B · 3 medicines'."""
    parts = []
    if patient.age is not None:
        parts.append(f"{patient.age} y")
    if patient.sex:
        parts.append(patient.sex)
    if patient.dialysis:
        parts.append(m.Dialysis(patient.dialysis).label)
    elif patient.crcl is not None:
        parts.append(f"CrCl {format_number(patient.crcl.value)}")
    if patient.child_pugh:
        parts.append(f"Child–Pugh {patient.child_pugh.upper()}")
    if patient.genotypes:
        parts.append(f"{len(patient.genotypes)} gene result{'s' if len(patient.genotypes) != 1 else ''}")
    factors = len(patient.factors | patient.legacy)
    if factors:
        parts.append(f"{factors} factor{'s' if factors != 1 else ''}")
    if patient.medicines:
        n = len(patient.medicines)
        parts.append(f"{n} medicine{'s' if n != 1 else ''}")
    return " · ".join(parts)


def describe(condition_name, patient, factor_names, current_names=()):
    """A plain-English sentence for the current state, e.g.
    'Options for painful diabetic neuropathy in a 72-year-old with CrCl 25 mL/min and depression'."""
    withs = []
    if patient.dialysis:
        withs.append(m.Dialysis(patient.dialysis).label.lower())
    elif patient.crcl is not None:
        withs.append(f"CrCl {format_number(patient.crcl.value)} mL/min")
    if patient.child_pugh:
        withs.append(f"Child–Pugh {patient.child_pugh.upper()}")
    labels = dict(m.GeneResult.choices)
    withs += [f"{m.Gene(g).label} {labels[r].lower()}" for g, r in patient.genotypes]
    named = sorted(patient.factors | patient.legacy, key=lambda f: factor_names.get(f, f))
    withs += [factor_names.get(f, f).lower() for f in named if not (f == "older-adult" and patient.age is not None)]
    name = condition_name[:1].lower() + condition_name[1:] if condition_name[1:2].islower() else condition_name
    sentence = f"Options for {name}"
    who = f"a {patient.age}-year-old" if patient.age is not None else ""
    if patient.sex:
        who = f"{who} {patient.sex}" if who else f"a {patient.sex} patient"
    if who or withs:
        sentence += f" in {who or 'a patient'}"
        if withs:
            sentence += " with " + _and(withs)
    if current_names:
        sentence += ", taking " + ", ".join(current_names)
    return sentence
