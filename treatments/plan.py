"""Combination plans: interaction and plan checks for a set of drugs and procedures.

Like the explorer, a plan is loaded once with a fixed number of queries (``load``) and checked by a
pure function (``check``). The plan page, the printed summaries, the PDF and the API all call these,
so screen, print and API can never disagree. Per-item patient rules (cautions, renal limits) come
from ``explorer``; this module adds what only a combination can show.
"""

from dataclasses import dataclass, field, replace
from itertools import combinations

from django.utils import translation
from django.utils.translation import gettext as _

from . import explorer, handout, medicines
from . import models as m

MAX_ITEMS = 8

SEVERITY_RANK = medicines.SEVERITY_RANK

OPIOID_CLASSES = frozenset({"strong-opioids", "dual-action-opioids"})
SEDATIVE_CLASSES = frozenset({"benzodiazepines"})
GABAPENTINOID_CLASS = "gabapentinoids"
# Opioids and sedatives (FDA 2019: gabapentinoids with them risk serious breathing problems).
DEPRESSANT_PROPERTIES = tuple((p, None) for p in ("opioid", "benzodiazepine", "z-drug", "barbiturate"))
BEERS_CNS_THRESHOLD = explorer.BEERS_CNS_THRESHOLD
ACB_THRESHOLD = explorer.ACB_THRESHOLD

# Sources cited by the non-pairwise checks (keys in fixtures/sources.json).
CHECK_SOURCES = {
    "duplication": list(explorer.DUPLICATION_SOURCES),
    "beers-cns": ["ags-beers-2023"],
    "serotonergic-load": ["fda-dsc-opioids-2016"],
    "anticholinergic-burden": ["boustani-2008-acb", "ags-beers-2023"],
    "respiratory-depression": ["fda-dsc-gabapentinoids-2019"],
}


@dataclass(frozen=True)
class PlanCriteria:
    drugs: tuple = ()
    procedures: tuple = ()
    patient: explorer.Patient = explorer.Patient()
    condition: str = ""  # slug: doses are this indication's when given
    condition_name: str = ""

    @property
    def current(self):
        return self.patient.current


@dataclass(frozen=True)
class ProcedureInfo:
    slug: str
    name: str
    url: str
    description: str
    risks: str
    patient_text: str
    sources: tuple
    texts: dict = field(default_factory=dict)  # language -> handout.Text of patient_text


PATIENT_FIELDS = m.Drug.PATIENT_FIELDS


@dataclass(frozen=True)
class PlanData:
    drugs: dict  # slug -> explorer.DrugInfo (the plan's drugs and current medicines)
    procedures: dict  # slug -> ProcedureInfo (the requested ones)
    interactions: tuple
    check_sources: dict  # key -> SourceRef
    patient_texts: dict  # drug slug -> {language: {field: handout.Text}}
    spanish_reviewed: dict = field(default_factory=dict)  # drug slug -> date its Spanish was reviewed


@dataclass(frozen=True)
class Pair:
    a: str
    a_name: str
    b: str
    b_name: str
    interaction: explorer.InteractionRef

    @property
    def severity(self):
        return self.interaction.severity


@dataclass(frozen=True)
class Check:
    code: str
    severity: str
    text: str
    drugs: tuple
    sources: tuple


@dataclass(frozen=True)
class Complement:
    a: str
    b: str
    a_name: str
    b_name: str
    different_site: bool
    different_mechanism: bool
    supported: bool
    sites: tuple
    sources: tuple


@dataclass(frozen=True)
class ItemCheck:
    drug: explorer.DrugInfo
    status: str
    flags: tuple
    benefits: tuple
    dose_limit: explorer.DoseLimit | None
    in_current: bool = False
    notices: tuple = ()
    regimen: explorer.Regimen | None = None

    @property
    def status_label(self):
        return explorer.STATUS_LABELS[self.status]


@dataclass(frozen=True)
class PlanResult:
    criteria: PlanCriteria
    items: tuple  # ItemCheck for each plan drug
    procedures: tuple  # ProcedureInfo
    current: tuple  # DrugInfo (knowledge-base drugs) or medicines.MedicineRef for current medicines
    pairs: tuple  # Pair, most severe first
    checks: tuple  # Check, most severe first
    complementarity: tuple  # Complement for each pair of plan drugs

    @property
    def worst_severity(self):
        severities = [p.severity for p in self.pairs if p.severity != "beneficial"] + [c.severity for c in self.checks]
        return min(severities, key=SEVERITY_RANK.get) if severities else ""

    @property
    def has_major(self):
        return self.worst_severity in ("contraindicated", "major")


@dataclass(frozen=True)
class DrugPart:
    """What a plan needs of one knowledge-base drug: built once per drug (``load_drug_parts``)."""

    info: explorer.DrugInfo
    patient_texts: dict  # {language: {field: handout.Text}}
    spanish_reviewed: object  # date or None


def load_drug_parts(slugs):
    """{slug: DrugPart} of the published knowledge-base drugs among ``slugs`` (others are left out)."""
    return {
        d.slug: DrugPart(
            explorer.drug_info(d),
            {lang: handout.texts(d, PATIENT_FIELDS, lang) for lang in handout.LANGUAGES},
            d.spanish_reviewed,
        )
        for d in m.Drug.objects.for_explorer().filter(slug__in=sorted(set(slugs)))
    }


def load_procedure_parts(slugs):
    """{slug: ProcedureInfo} of the published procedures among ``slugs``."""
    return {
        p.slug: ProcedureInfo(
            p.slug,
            p.name,
            p.get_absolute_url(),
            p.description,
            p.risks,
            p.patient_text,
            tuple(explorer.source_ref(s) for s in p.sources.all()),
            {lang: handout.texts(p, ["patient_text"], lang)["patient_text"] for lang in handout.LANGUAGES},
        )
        for p in m.Procedure.objects.published()
        .filter(slug__in=sorted(set(slugs)))
        .prefetch_related(explorer.published_sources())
    }


def load_check_sources():
    """{key: SourceRef} of the sources the non-pairwise checks cite."""
    keys = {k for keys in CHECK_SOURCES.values() for k in keys}
    return {s.key: explorer.source_ref(s) for s in m.Source.objects.published().filter(key__in=keys)}


def current_classes(criteria, known):
    """Slugs of the classes of the current medicines outside the knowledge base (``known``: its drugs' slugs):
    they still meet class-level pairs (citalopram is an SSRI)."""
    rows = m.Medicine.objects.published().filter(
        slug__in=sorted(set(criteria.current) - set(known)), drug_class__isnull=False
    )
    return sorted(set(rows.values_list("drug_class__slug", flat=True)))


def assemble(criteria, parts, procedures, interactions, check_sources):
    """The ``PlanData`` of a plan from its parts: ``parts`` {slug: DrugPart} of the plan's drugs and current
    medicines that are knowledge-base drugs, ``procedures`` {slug: ProcedureInfo}, ``interactions`` every
    InteractionRef touching one of those drugs, their classes or the other current medicines' classes."""
    parts = dict(sorted(parts.items(), key=lambda item: (item[1].info.name, item[0])))  # as the query orders them
    procedures = dict(sorted(procedures.items(), key=lambda item: (item[1].name, item[0])))
    return PlanData(
        drugs={slug: part.info for slug, part in parts.items()},
        procedures=procedures,
        interactions=tuple(sorted({i.key: i for i in interactions}.values(), key=lambda i: i.key)),
        check_sources=check_sources,
        patient_texts={slug: part.patient_texts for slug, part in parts.items()},
        spanish_reviewed={slug: part.spanish_reviewed for slug, part in parts.items()},
    )


def load(criteria):
    """Everything a plan check needs, straight from the database (``cache.plan_data`` builds the same from parts
    kept per drug, class and procedure). What it reads depends on the plan, never on the size of the knowledge
    base: the plan's drugs and current medicines with their prefetches (``Drug.objects.for_explorer``), the
    interactions touching them or their classes, the requested procedures, and the sources the checks cite."""
    parts = load_drug_parts({*criteria.drugs, *criteria.current})
    classes = {part.info.class_slug for part in parts.values()} | set(current_classes(criteria, parts))
    interactions = explorer.interaction_refs_by_slug(sorted(parts), sorted(classes))
    return assemble(criteria, parts, load_procedure_parts(criteria.procedures), interactions, load_check_sources())


def _sources(data, code):
    return tuple(data.check_sources[k] for k in CHECK_SOURCES[code] if k in data.check_sources)


def _item(drug):
    return (explorer.KIND_DRUG, drug.slug, drug.class_slug)


def pairs(data, plan_drugs, current_drugs, older_adult, rules=()):
    """Every interaction between two of the plan drugs and current medicines (curated pairs and mechanism
    rules, ``explorer.pair_findings``), most severe first."""
    everyone = list(dict.fromkeys(plan_drugs + current_drugs))
    found = []
    for a, b in combinations(everyone, 2):
        for interaction in explorer.pair_findings(a, b, data.interactions, rules, older_adult):
            found.append(Pair(a.slug, a.name, b.slug, b.name, interaction))
    return tuple(sorted(found, key=lambda p: (SEVERITY_RANK[p.severity], p.a_name, p.b_name)))


def plan_checks(data, plan_drugs, current_drugs, patient):
    everyone = list(dict.fromkeys(plan_drugs + current_drugs))
    checks = []
    by_class = {}
    for d in everyone:
        if d.class_slug:  # a medicine outside the knowledge base's classes duplicates nothing by class
            by_class.setdefault(d.class_slug, []).append(d)
    for members in by_class.values():
        if len(members) > 1:
            names = [d.name for d in members]
            checks.append(
                Check(
                    "duplication",
                    "major",
                    f"Two drugs from the same class ({members[0].class_name}): {', '.join(names)}. This adds side "
                    "effects without a new mechanism; guidelines advise switching or adding a drug from a "
                    "different class instead.",
                    tuple(d.slug for d in members),
                    _sources(data, "duplication"),
                )
            )
    cns = [d for d in everyone if d.cns_active]
    if patient.older_adult and len(cns) >= BEERS_CNS_THRESHOLD:
        checks.append(
            Check(
                "beers-cns",
                "major",
                f"{len(cns)} CNS-active drugs in an older adult ({', '.join(d.name for d in cns)}). The AGS Beers "
                "Criteria advise avoiding 3 or more because of falls and fractures; reduce the number if possible.",
                tuple(d.slug for d in cns),
                _sources(data, "beers-cns"),
            )
        )
    serotonergic = [d for d in everyone if d.serotonergic]
    if len(serotonergic) >= 2:
        checks.append(
            Check(
                "serotonergic-load",
                "major" if len(serotonergic) >= 3 else "moderate",
                f"{len(serotonergic)} serotonergic drugs ({', '.join(d.name for d in serotonergic)}). Watch for "
                "serotonin syndrome (agitation, tremor, fever, fast heart rate), especially when starting or "
                "raising a dose.",
                tuple(d.slug for d in serotonergic),
                _sources(data, "serotonergic-load"),
            )
        )
    burden = sum(d.anticholinergic_burden for d in everyone)
    if burden >= ACB_THRESHOLD:
        contributors = [d for d in everyone if d.anticholinergic_burden]
        checks.append(
            Check(
                "anticholinergic-burden",
                "major" if patient.older_adult else "moderate",
                f"Total anticholinergic burden {burden} "
                f"({', '.join(f'{d.name} {d.anticholinergic_burden}' for d in contributors)}). A total of 3 or more "
                "is linked to confusion, falls and cognitive decline, above all in older adults.",
                tuple(d.slug for d in contributors),
                _sources(data, "anticholinergic-burden"),
            )
        )
    gabapentinoids = [d for d in everyone if d.class_slug == GABAPENTINOID_CLASS or d.find("gabapentinoid")]
    if gabapentinoids:
        depressants = [
            d
            for d in everyone
            if d not in gabapentinoids
            and (d.class_slug in OPIOID_CLASSES | SEDATIVE_CLASSES or d.matching(DEPRESSANT_PROPERTIES))
        ]
        at_risk = patient.older_adult or "respiratory-disease" in patient.factors
        others = [d for d in everyone if d.cns_active and d not in gabapentinoids and d not in depressants and at_risk]
        if depressants or others:
            involved = gabapentinoids + depressants + others
            checks.append(
                Check(
                    "respiratory-depression",
                    "major" if depressants else "moderate",
                    "Gabapentinoid with "
                    + (
                        "an opioid or another CNS depressant"
                        if depressants
                        else "other CNS-active drugs in a patient with a respiratory risk factor"
                    )
                    + f" ({', '.join(d.name for d in involved)}): risk of serious breathing problems (FDA 2019). "
                    "Start low, titrate slowly and monitor for sedation and slow breathing.",
                    tuple(d.slug for d in involved),
                    _sources(data, "respiratory-depression"),
                )
            )
    return tuple(sorted(checks, key=lambda c: (SEVERITY_RANK[c.severity], c.code)))


def complementarity(data, plan_drugs, older_adult):
    notes = []
    for a, b in combinations(plan_drugs, 2):
        beneficial = [
            i
            for i in explorer.interactions_between(data.interactions, _item(a), _item(b), older_adult)
            if i.severity == m.Severity.BENEFICIAL
        ]
        sites = {a.site_of_action, b.site_of_action}
        notes.append(
            Complement(
                a=a.slug,
                b=b.slug,
                a_name=a.name,
                b_name=b.name,
                different_site=len(sites) > 1 and sites != {m.SiteOfAction.BOTH},
                different_mechanism=a.class_slug != b.class_slug,
                supported=bool(beneficial),
                sites=(a.site_of_action, b.site_of_action),
                sources=tuple(s for i in beneficial for s in i.sources),
            )
        )
    return tuple(notes)


def item_check(drug, criteria, in_current=False):
    """One plan drug judged for this patient with the explorer's own rules (and this condition's doses)."""
    patient = criteria.patient
    flags, benefits, notices = explorer.patient_flags(drug.cautions, patient)
    limit = explorer.dose_limit(drug, patient, criteria.condition, criteria.condition_name)
    if limit is not None:
        limit = replace(limit, subject="")
    regimen = explorer.regimen(drug, patient, criteria.condition, criteria.condition_name, limit=limit)
    status = explorer.worst_status(flags, [limit] if limit else [])
    return ItemCheck(drug, status, tuple(flags), tuple(benefits), limit, in_current, tuple(notices), regimen)


def check(data, criteria, vocabulary=None):
    """Check a plan. Pure: no database access. Unknown slugs must be rejected before this point. Current
    medicines outside the knowledge base come from ``vocabulary`` (``medicines.Vocabulary``), which also gives
    the mechanism rules."""
    patient = criteria.patient
    older = patient.older_adult
    plan_drugs = [data.drugs[s] for s in criteria.drugs]
    current_drugs = [
        data.drugs.get(s) or vocabulary.get(s)
        for s in criteria.current
        if s not in criteria.drugs and (s in data.drugs or (vocabulary and vocabulary.get(s)))
    ]
    rules = vocabulary.rules if vocabulary else ()
    return PlanResult(
        criteria=criteria,
        items=tuple(item_check(d, criteria, d.slug in criteria.current) for d in plan_drugs),
        procedures=tuple(data.procedures[s] for s in criteria.procedures if s in data.procedures),
        current=tuple(current_drugs),
        pairs=pairs(data, plan_drugs, current_drugs, older, rules),
        checks=plan_checks(data, plan_drugs, current_drugs, patient),
        complementarity=complementarity(data, plan_drugs, older),
    )


# --- the patient summary (plain language) ----------------------------------------------------


# The handout's fixed sentences are interface strings (translated in locale/es); see ``next_steps``.
def next_steps():
    return (
        _("Take your medicine the way your doctor told you."),
        _("Write down how your pain, sleep and mood change each week. Bring the notes to your next visit."),
        _("Many nerve pain medicines take weeks to work. Do not stop one suddenly unless your doctor says so."),
        _("Ask your pharmacist first if you want to take new pills, herbs or vitamins."),
    )


@dataclass(frozen=True)
class SummaryItem:
    slug: str
    name: str
    brand_names: tuple
    what_for: str
    how_to_take: str
    time_to_effect: str
    side_effects: str
    when_to_call: str
    avoid_with: tuple  # names of drugs or drug groups
    alcohol_driving: str = ""
    start: str = ""  # "Take 75 mg 2 times a day." — this patient's start
    never_more: str = ""  # "Never take more than 300 mg in one day." — this patient's maximum
    calendar: tuple | None = None  # handout.Week: the titration to tick off
    others: tuple = ()  # sentences about the patient's own medicines that interact with this one
    untranslated: bool = False  # some text is shown in English: its Spanish is missing or out of date
    regimen: explorer.Regimen | None = None


@dataclass(frozen=True)
class SummaryProcedure:
    slug: str
    name: str
    text: str
    untranslated: bool = False


@dataclass(frozen=True)
class PatientSummary:
    condition_name: str
    condition_text: str
    items: tuple
    procedures: tuple
    next_steps: tuple = ()
    avoid_intro: str = ""
    lang: str = "en"
    spanish_reviewed: object = None  # the oldest review date of the Spanish texts shown
    untranslated: bool = False  # some text is shown in English
    condition_untranslated: bool = False  # the condition's text is shown in English


def _avoid_with(data, drug):
    """Names of drugs or groups this drug must not be combined with (contraindicated or major rows), in the
    active language: a drug by its generic name, as everywhere on the sheet; a group by ``handout.group_name``."""
    names = []
    for i in data.interactions:
        if i.severity not in ("contraindicated", "major"):
            continue
        sides = [(i.a_kind, i.a_slug, i.a_name), (i.b_kind, i.b_slug, i.b_name)]
        for (kind, slug, _name), (other_kind, other_slug, other_name) in (sides, sides[::-1]):
            if (kind == explorer.KIND_DRUG and slug == drug.slug) or (
                kind == explorer.KIND_DRUG_CLASS and slug == drug.class_slug
            ):
                if other_kind == explorer.KIND_DRUG_CLASS:
                    other_name = handout.group_name(other_slug, other_name)
                names.append(other_name)
    return tuple(dict.fromkeys(sorted(names, key=str.lower)))


def _others(result, item):
    """Plain sentences about the patient's own current medicines that interact with this plan drug."""
    current = {d.slug: d.name for d in result.current}
    sentences = []
    for pair in result.pairs:
        if pair.severity not in handout.PAIR_SEVERITIES:
            continue
        ends = {pair.a: pair.a_name, pair.b: pair.b_name}
        if item.drug.slug not in ends:
            continue
        other = next((slug for slug in ends if slug != item.drug.slug), None)
        if other in current:
            sentences.append(handout.pair_words(current[other], item.drug.name, pair.severity))
    return tuple(dict.fromkeys(sentences))


def patient_summary(data, result, condition_name="", condition_text="", lang="en"):
    """The plain-language summary of a checked plan, in ``lang`` (call inside ``translation.override(lang)``
    so the interface sentences match). Pure."""
    items, untranslated, reviewed = [], False, []
    for item in result.items:
        texts = data.patient_texts[item.drug.slug][lang]
        missing = any(t.text and not t.translated for t in texts.values())
        untranslated = untranslated or missing
        if lang != "en" and data.spanish_reviewed.get(item.drug.slug):
            reviewed.append(data.spanish_reviewed[item.drug.slug])
        regimen = item.regimen
        items.append(
            SummaryItem(
                slug=item.drug.slug,
                name=item.drug.name,
                brand_names=item.drug.brand_names,
                what_for=texts["patient_what_for"].text,
                how_to_take=texts["patient_how_to_take"].text,
                time_to_effect=texts["patient_time_to_effect"].text,
                side_effects=texts["patient_side_effects"].text,
                when_to_call=texts["patient_when_to_call"].text,
                alcohol_driving=texts["patient_alcohol_driving"].text,
                avoid_with=_avoid_with(data, item.drug),
                start=handout.dose_words(regimen.start) if regimen and not regimen.avoid else "",
                never_more=handout.never_more(regimen.max) if regimen and not regimen.avoid else "",
                calendar=handout.calendar(regimen),
                others=_others(result, item),
                untranslated=missing,
                regimen=regimen,
            )
        )
    procedures = []
    for p in result.procedures:
        text = p.texts.get(lang) or handout.Text(p.patient_text)
        untranslated = untranslated or (bool(text.text) and not text.translated)
        procedures.append(SummaryProcedure(p.slug, p.name, text.text, bool(text.text) and not text.translated))
    return PatientSummary(
        condition_name=condition_name,
        condition_text=condition_text,
        items=tuple(items),
        procedures=tuple(procedures),
        next_steps=next_steps(),
        avoid_intro=_("Do not take it with these unless your doctor says it is safe:"),
        lang=lang,
        spanish_reviewed=min(reviewed) if reviewed else None,
        untranslated=untranslated,
    )


# --- a note for the clinical record -----------------------------------------------------------------------------


def _regimen_line(regimen):
    if regimen is None:
        return "no dosing in the knowledge base"
    if regimen.avoid:
        return f"avoid: {regimen.notes[0]}" if regimen.notes else "avoid"
    parts = []
    if regimen.start:
        parts.append(f"start {regimen.start.text}")
    parts += [f"day {s.day} {s.dose.text}" for s in regimen.steps]
    if regimen.target:
        parts.append(f"target {regimen.target.text}")
    if regimen.max:
        parts.append(f"max {regimen.max.text}" + ("" if regimen.certain else " (may be lower: enter the exact value)"))
    return "; ".join(parts) + f" [{regimen.basis}]"


def clinical_note(result, condition_name=""):
    """A plain-text summary of a checked plan for pasting into the clinical record: the patient's clinical
    inputs as entered (no identifiers), each drug with this patient's regimen and verdict, the interactions
    and plan checks, and the sources cited. Pure."""
    patient = result.criteria.patient
    lines = [f"Neuropathic pain plan{f' for {condition_name.lower()}' if condition_name else ''}"]
    who = explorer.patient_line(patient)
    if who:
        lines.append(f"Patient (as entered, no identifiers): {who}")
    if patient.crcl:
        lines.append(f"CrCl used for doses: {explorer.format_number(patient.crcl.value)} mL/min — {patient.crcl.text}")
    current = [med.name or med.text for med in patient.medicines]
    if current:
        lines.append(f"Current medicines: {', '.join(current)}")
    sources = {}

    def cite(refs):
        for ref in refs:
            sources.setdefault(ref.key, ref)
        return f" [{'; '.join(r.short_name for r in refs)}]" if refs else ""

    lines += ["", "Plan:"]
    for item in result.items:
        lines.append(
            f"- {item.drug.name} ({item.status_label}): {_regimen_line(item.regimen)}"
            + cite(item.regimen.sources if item.regimen else ())
        )
        for flag in item.flags:
            lines.append(f"  · {flag.level_label} — {flag.applies_when}: {flag.text}{cite(flag.sources)}")
        for monitor in item.drug.monitoring:
            lines.append(f"  · Monitor: {monitor.text}{cite(monitor.sources)}")
    for procedure in result.procedures:
        lines.append(f"- {procedure.name}{cite(procedure.sources)}")
    if result.pairs or result.checks:
        lines += ["", "Checks:"]
    for pair in result.pairs:
        i = pair.interaction
        what = f"{i.effect} {i.management}".strip()
        lines.append(f"- {i.severity_label} — {pair.a_name} + {pair.b_name}: {what}{cite(i.sources)}")
    for check in result.checks:
        lines.append(f"- {check.severity.capitalize()} — {check.text}{cite(check.sources)}")
    if sources:
        lines += ["", "Sources:"]
        lines += [f"- {s.short_name}: {s.title} ({s.year}) {s.link}".rstrip() for s in sources.values()]
    lines += ["", "From the neuropathy treatment explorer; check against the sources before prescribing."]
    return "\n".join(lines) + "\n"


def summary_for(data, result, condition, lang):
    """``patient_summary`` of a checked plan for ``condition`` (a record, or None), in ``lang``: the condition's
    text in that language when its Spanish is current, the interface sentences translated. Shared by the
    summary pages, the PDF and the API."""
    text = handout.texts(condition, ["patient_description"], lang)["patient_description"] if condition else None
    with translation.override(lang):
        summary = patient_summary(
            data,
            result,
            condition_name=condition.name if condition else "",
            condition_text=text.text if text else "",
            lang=lang,
        )
    return replace(summary, condition_untranslated=bool(text and text.text and not text.translated))
