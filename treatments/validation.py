"""Content rules for the knowledge base.

The same rules run in three places: the fixture loader (a bad file never reaches the database),
the admin forms (an editor sees a form error, never a 500) and the content tests. Single-row rules
that a database can state are constraints on the models; the rules here look across rows.
"""

from collections import defaultdict
from dataclasses import dataclass
from itertools import pairwise

import textstat
from textstat.textstat import textstatistics

from . import icd10cm
from . import models as m

READING_GRADE_LIMIT = 6.0  # Flesch–Kincaid grade for English patient text
SPANISH_READING_EASE_MIN = 55.0  # Szigriszt-Pazos perspicuity for Spanish ("normal" or easier on the INFLESZ scale)

# Patient-facing text fields, by model (each model's PATIENT_FIELDS).
PATIENT_TEXT_FIELDS = {model: list(model.PATIENT_FIELDS) for model in (m.Condition, m.Drug, m.Procedure, m.Diagnostic)}

# Relations whose every row must cite a source (Recommendation cites its guideline by design).
CITED_MODELS = [
    m.ProcedureIndication,
    m.WorkupItem,
    m.Caution,
    m.Interaction,
    m.MedicineProperty,
    m.MechanismRule,
    m.DoseGuidance,
    m.RenalDoseBand,
    m.DoseAdjustment,
    m.MonitoringItem,
    m.ControlledSchedule,
    m.RegulatoryApproval,
]


@dataclass(frozen=True)
class Problem:
    model: str
    record: str
    message: str

    def __str__(self):
        return f"{self.model} '{self.record}': {self.message}"


def reading_grade(text):
    """Flesch–Kincaid grade of a text (0 for empty text)."""
    text = (text or "").strip()
    if not text:
        return 0.0
    return float(textstat.flesch_kincaid_grade(text))


def normalise_icd10(code):
    """'e1142' -> 'E11.42'; returns the code unchanged if it has no subcategory."""
    code = code.strip().upper().replace(".", "")
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


def is_valid_icd10(code):
    return icd10cm.is_valid(code)


def renal_band_problems(bands, normal_max=None, normal_unit=None):
    """Problems with one drug's bands in one region: overlaps and maxima above the normal maximum.

    ``bands`` are RenalDoseBand-like objects (crcl_min, crcl_max, max_daily_dose, unit).
    """
    problems = []
    ordered = sorted(bands, key=lambda b: b.crcl_min)
    for lower, upper in pairwise(ordered):
        if lower.crcl_max is None or lower.crcl_max > upper.crcl_min:
            problems.append(
                f"CrCl bands {lower.crcl_min}–{lower.crcl_max or '∞'} and "
                f"{upper.crcl_min}–{upper.crcl_max or '∞'} overlap."
            )
    if normal_max is not None:
        for band in ordered:
            if band.max_daily_dose is not None and band.unit == normal_unit and band.max_daily_dose > normal_max:
                problems.append(
                    f"The band from CrCl {band.crcl_min} allows {band.max_daily_dose} {band.unit}, above the "
                    f"normal maximum of {normal_max} {normal_unit}."
                )
    return problems


def default_dose_problems(doses):
    """Problems with one drug's dose guidance as a whole: it needs exactly one default (if it has any)."""
    defaults = [dose for dose in doses if dose.is_default]
    if doses and len(defaults) != 1:
        return [f"Needs exactly one default dose guidance; has {len(defaults)}."]
    return []


def default_dose(doses):
    """The one default dose guidance among ``doses``, or None if there is not exactly one."""
    defaults = [dose for dose in doses if dose.is_default]
    return defaults[0] if len(defaults) == 1 else None


def drug_renal_problems(bands, default, doses=()):
    """Problems with one drug's renal bands (all regions and indications) against its dose guidance.

    Bands for any indication are checked against the default dose; an indication's own column against that
    indication's dose. An indication whose label maximum is below the general bands' maximum needs its own
    column of the renal table: the general bands would cap it too high (pregabalin for DPN: 300 mg/day, not
    the 600 mg/day column)."""
    groups = defaultdict(list)
    for band in bands:
        groups[(band.region, band.condition_id)].append(band)
    doses = list(doses) or ([default] if default else [])
    problems = []
    for (region, condition_id), group in groups.items():
        if condition_id is None:
            reference = default
        else:
            reference = next((d for d in doses if d.condition_id == condition_id), None)
        normal_max = reference.max_daily_dose if reference else None
        normal_unit = reference.unit if reference else None
        where = f"{region} renal bands" + (f" for {group[0].condition}" if condition_id else "")
        problems += [f"{where}: {message}" for message in renal_band_problems(group, normal_max, normal_unit)]
    general_top = {
        region: max((b.max_daily_dose for b in group if b.max_daily_dose is not None), default=None)
        for (region, condition_id), group in groups.items()
        if condition_id is None
    }
    with_own = {condition_id for (_region, condition_id) in groups if condition_id is not None}
    shown = {}
    for dose in doses:  # the row the explorer shows for each indication: the first in its order
        if dose.condition_id is not None:
            shown.setdefault(dose.condition_id, dose)
    for condition_id, dose in shown.items():
        top = general_top.get(dose.region) or general_top.get("US")
        if condition_id in with_own or top is None or dose.max_daily_dose is None:
            continue
        if dose.max_daily_dose < top and dose.unit == next(iter(groups.values()))[0].unit:
            problems.append(
                f"The {dose.condition} dose ({dose.context}) has a maximum of {dose.max_daily_dose} {dose.unit}, "
                f"below the renal bands' {top}: add that indication's column of the label's renal table."
            )
    return problems


_spanish = textstatistics()
_spanish.set_lang("es")  # its own instance: the English measure keeps textstat's default language


def spanish_reading_ease(text):
    """Szigriszt-Pazos perspicuity of a Spanish text (None for empty text): 206.835 − 62.3 × syllables per word
    − words per sentence; INFLESZ reads 55–65 as normal, higher as easier."""
    text = (text or "").strip()
    return float(_spanish.szigriszt_pazos(text)) if text else None


def patient_text_problems(obj):
    """Patient-text fields of one record that read too hard, as {field: message}: English above the grade limit,
    Spanish below the reading-ease minimum."""
    problems = {}
    for field in PATIENT_TEXT_FIELDS.get(type(obj), []):
        grade = reading_grade(obj.english(field))
        if grade > READING_GRADE_LIMIT:
            problems[f"{field}_en"] = f"{field} reads at grade {grade:.1f}; the limit is {READING_GRADE_LIMIT:g}."
        ease = spanish_reading_ease(obj.spanish(field))
        if ease is not None and ease < SPANISH_READING_EASE_MIN:
            problems[f"{field}_es"] = (
                f"The Spanish {field} scores {ease:.0f} (Szigriszt-Pazos); "
                f"it must be {SPANISH_READING_EASE_MIN:g} or more."
            )
    return problems


def _label(obj):
    return ", ".join(str(v) for v in obj.natural_key() if v != "") if hasattr(obj, "natural_key") else str(obj)


def validate_knowledge_base():
    """Check every cross-row rule over the whole database. Returns a list of Problems."""
    problems = []

    def add(obj, message):
        problems.append(Problem(obj._meta.label, _label(obj), message))

    present = set(m.PatientFactor.objects.values_list("slug", flat=True))
    for slug in m.PatientFactor.SLUGS:
        if slug not in present:
            problems.append(Problem("treatments.PatientFactor", slug, "This fixed patient factor is missing."))
    for factor in m.PatientFactor.objects.exclude(slug__in=m.PatientFactor.SLUGS):
        add(factor, "Unknown patient-factor slug; the UI and API rely on the fixed list.")

    symptom_values = set(m.Symptom.values)
    for condition in m.Condition.objects.all():
        if not condition.icd10_codes:
            add(condition, "No ICD-10-CM code.")
        for code in condition.icd10_codes:
            if not is_valid_icd10(code):
                add(condition, f"'{code}' is not a valid ICD-10-CM code.")
        for symptom in condition.symptoms:
            if symptom not in symptom_values:
                add(condition, f"Unknown symptom '{symptom}'.")

    route_values = set(m.Route.values)
    for drug in m.Drug.objects.all():
        if not drug.routes:
            add(drug, "No route.")
        for route in drug.routes:
            if route not in route_values:
                add(drug, f"Unknown route '{route}'.")

    # Readability gates publication: a draft may hold unfinished text (the admin refuses to publish it).
    for model, fields in PATIENT_TEXT_FIELDS.items():
        for obj in model.objects.published().only(*fields, *obj_key_fields(model)):
            for message in patient_text_problems(obj).values():
                add(obj, message)

    for model in CITED_MODELS:
        for obj in model.objects.filter(sources__isnull=True):
            add(obj, "Cites no source.")

    doses = defaultdict(list)
    for dose in m.DoseGuidance.objects.all():
        doses[dose.drug_id].append(dose)
    for drug in m.Drug.objects.filter(pk__in=list(doses)):
        for message in default_dose_problems(doses[drug.pk]):
            add(drug, message)

    bands = defaultdict(list)
    for band in m.RenalDoseBand.objects.select_related("drug", "condition"):
        bands[band.drug].append(band)
    for drug, drug_bands in bands.items():
        shown_order = sorted(doses[drug.pk], key=lambda d: d.display_order)
        for message in drug_renal_problems(drug_bands, default_dose(doses[drug.pk]), shown_order):
            add(drug, message)

    steps = defaultdict(list)
    for step in m.TitrationStep.objects.select_related("dose__drug"):
        steps[step.dose].append(step)
    for dose, dose_steps in steps.items():
        for message in titration_problems(dose, dose_steps):
            add(dose, message)
    for adjustment in m.DoseAdjustment.objects.exclude(status=m.ReviewStatus.RETIRED):
        for message in adjustment.rule_problems():
            add(adjustment, message)

    # A rule states when it applies (its source's own threshold); a stand-in factor or an empty range is
    # refused, naming the record. Retired rules are history, not rules.
    for caution in m.Caution.objects.exclude(status=m.ReviewStatus.RETIRED).select_related(
        "factor", "drug", "drug_class"
    ):
        for message in caution.rule_problems():
            add(caution, message)

    problems += medicine_problems()

    for source in m.Source.objects.filter(doi="", pmid="", url=""):
        add(source, "Has no DOI, PMID or URL.")

    return problems


def titration_problems(dose, steps):
    """Each titration schedule of a dose row (normal kidney function, and each renal band's own) goes up from
    its start and never above the row's maximum."""
    problems = []
    schedules = defaultdict(list)
    for step in steps:
        schedules[step.crcl_min].append(step)
    for crcl_min, schedule in sorted(schedules.items(), key=lambda kv: -1 if kv[0] is None else kv[0]):
        previous = dose.starting_dose if crcl_min is None else None
        band = "" if crcl_min is None else f" of the renal band from CrCl {crcl_min}"
        for step in sorted(schedule, key=lambda s: s.after_days):
            where = f"The step{band} from day {step.after_days + 1} ({step.daily_dose} {dose.unit})"
            if dose.max_daily_dose is not None and step.daily_dose > dose.max_daily_dose:
                problems.append(f"{where} is above the maximum daily dose.")
            if previous is not None and step.daily_dose < previous:
                problems.append(f"{where} is below the dose before it.")
            previous = step.daily_dose
    if schedules.get(None) and dose.starting_dose is None:
        problems.append("A titration schedule needs a starting dose.")
    return problems


def obj_key_fields(model):
    """Fields needed to print a record's natural key without extra queries."""
    return [f.split("__")[0] for f in model.NATURAL_KEY]


def medicine_problems():
    """The vocabulary and the mechanism profiles: every record well formed; no name shared by two medicines
    (recognition would have to guess); properties at their own levels; rules that name known properties; every
    published drug has its medicine."""
    from .medicines import name_keys  # the one normalisation recognition uses

    problems = []

    def add(obj, message):
        problems.append(Problem(obj._meta.label, _label(obj), message))

    medicines = list(m.Medicine.objects.exclude(status=m.ReviewStatus.RETIRED).select_related("drug"))
    for medicine in medicines:
        for message in medicine.record_problems():
            add(medicine, message)
    named = [(md.slug, (md.name, *md.other_names, *md.brand_names_us, *md.brand_names_uk)) for md in medicines]
    named += [(d.slug, (d.generic_name, *d.brand_names)) for d in m.Drug.objects.published()]
    owners = defaultdict(set)
    for slug, names in named:
        for name in names:
            key = name_keys(name)[0]
            if key:
                owners[key].add(slug)
    for key, slugs in sorted(owners.items()):
        if len(slugs) > 1:
            problems.append(Problem("treatments.Medicine", key, f"The name is given to {', '.join(sorted(slugs))}."))
    for prop in m.MedicineProperty.objects.exclude(status=m.ReviewStatus.RETIRED).select_related("medicine"):
        for message in prop.rule_problems():
            add(prop, message)
    for rule in m.MechanismRule.objects.exclude(status=m.ReviewStatus.RETIRED):
        for message in rule.rule_problems():
            add(rule, message)
    # Every published drug is a medicine of the vocabulary, so a clinician can enter it as a current medicine
    # and its mechanisms are checked.
    linked = {md.drug_id for md in medicines if md.drug_id and md.status == m.ReviewStatus.PUBLISHED}
    for drug in m.Drug.objects.published().exclude(pk__in=linked):
        problems.append(
            Problem("treatments.Medicine", drug.slug, f"The drug '{drug.slug}' has no published medicine (same slug).")
        )
    return problems
