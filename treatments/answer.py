"""The "For this patient" answer at the top of the condition page.

Drawn from the evaluated result (``explorer.evaluate``) and nothing else, so every statement keeps the
citation it has below: the best options for this patient with their regimens, the options to avoid with their
reason, what the current medicines mean for them, and the tests a rule asks for before starting. Pure: no
database access.
"""

from dataclasses import dataclass
from itertools import combinations

from . import explorer
from . import models as m

MAX_PICKS = 4
MAX_AVOID_SHOWN = 5
# Options good enough to suggest: no flags, or cautions to act on (never "avoid" or "contraindicated").
SUGGESTIBLE = (explorer.OK, explorer.CAUTION)
# Lines an answer suggests from: a fourth-line or specialist option is never "the best option" on its own.
PICK_LINES = (m.Line.FIRST, m.Line.SECOND, m.Line.THIRD)


@dataclass(frozen=True)
class Pick:
    """A suggested option. For a drug class it names the member drug whose regimen is shown (its best member
    for this patient)."""

    option: explorer.Option
    drug: explorer.MemberStatus | None  # the drug shown (a drug option's own, or a class's best member)
    regimen: explorer.Regimen | None
    position: explorer.Position  # the strongest current guideline position on the option's best line
    flags: tuple  # explorer.Flag for this drug
    interactions: tuple  # (current medicine name, InteractionRef) for this drug
    notices: tuple  # tests to do first, for this drug
    info: explorer.DrugInfo | None = None  # the drug's knowledge-base record (its monitoring)

    @property
    def monitoring(self):
        return self.info.monitoring if self.info else ()

    @property
    def name(self):
        return self.drug.name if self.drug else self.option.name

    @property
    def status(self):
        return self.drug.status if self.drug else self.option.status

    @property
    def status_label(self):
        return explorer.STATUS_LABELS[self.status]


@dataclass(frozen=True)
class Avoid:
    option: explorer.Option
    reason: str
    sources: tuple


@dataclass(frozen=True)
class Review:
    """One thing to do about a current medicine: an interaction with a suggestion, an option it holds back,
    two current medicines that interact, or a regimen total (AGS Beers, anticholinergic burden)."""

    medicine: str  # the current medicine(s) it is about, by name
    severity: str  # m.Severity value, or a caution level for totals
    text: str
    sources: tuple


@dataclass(frozen=True)
class Answer:
    picks: tuple
    avoid: tuple  # the first MAX_AVOID_SHOWN
    more_avoid: int  # how many more the full list below has
    review: tuple
    tests: tuple  # explorer.Flag: tests a rule asks for before starting a suggestion, not done for this patient

    @property
    def empty(self):
        return not (self.picks or self.avoid or self.review or self.tests)


def best_position(option):
    current = [p for p in option.positions if not p.source.superseded] or list(option.positions)
    on_line = [p for p in current if p.line == option.line] or current
    return max(on_line, key=lambda p: explorer.STRENGTH_RANK.get(p.strength, 0))


def _member_rank(option, member, info, regimen, condition, drug_targets):
    """How well a class member stands for its class here: a label for this condition first, then a drug the
    guidelines name on their own for it, then one whose dosing comes from the option's own guidelines (e.g. the
    NeuPSIG range for an SNRI, not another indication's label), then one with a starting dose."""
    approved = bool(info) and any(cond == condition for _region, cond, _i, _y in info.approvals)
    guideline_keys = {p.source.key for p in option.positions}
    dosed_by_guideline = bool(regimen) and bool(guideline_keys & {s.key for s in regimen.sources})
    return (
        explorer.STATUS_RANK[member.status],
        not approved,
        member.slug not in drug_targets,
        not dosed_by_guideline,
        not (regimen and regimen.start),
        member.name.lower(),
    )


def _member_pick(option, taken, condition, drug_targets):
    """The class member to show (``_member_rank``); never a drug already suggested or already taken."""
    regimens = {r.drug_slug: r for r in option.regimens}
    infos = {d.slug: d for d in option.drug_infos}
    members = [
        mb
        for mb in option.member_statuses
        if mb.slug not in taken and not mb.already_taking and mb.status in SUGGESTIBLE
    ]
    if not members:
        return None
    return min(
        members,
        key=lambda mb: _member_rank(option, mb, infos.get(mb.slug), regimens.get(mb.slug), condition, drug_targets),
    )


def _drug_member(option):
    """A drug option as a MemberStatus, so picks of drugs and of classes read alike."""
    limit = option.dose_limits[0] if option.dose_limits else None
    return explorer.MemberStatus(
        option.slug,
        option.name,
        option.url,
        option.status,
        option.flags,
        limit,
        option.already_taking,
        option.regimens[0] if option.regimens else None,
        option.own_status,
    )


def picks(result):
    """Up to MAX_PICKS suggestions in the explorer's order (line, strength, status for this patient, evidence):
    drug options, a class's best member, and procedures; each drug once, none the patient already takes, at
    most one drug per class until every class has had its turn."""
    chosen, taken, classes = [], set(), set()
    condition = result.condition.slug
    drug_targets = {t.slug for t in result.condition.targets if t.kind == explorer.KIND_DRUG}
    candidates = [o for o in result.options if o.status in SUGGESTIBLE and o.line in PICK_LINES]
    for second_pass in (False, True):
        for option in candidates:
            if len(chosen) >= MAX_PICKS:
                return tuple(chosen)
            if option.kind == explorer.KIND_PROCEDURE:
                if option.slug in taken:
                    continue
                taken.add(option.slug)
                chosen.append(Pick(option, None, None, best_position(option), option.flags, (), option.notices))
                continue
            if option.kind == explorer.KIND_DRUG:
                if option.already_taking or option.slug in taken:
                    continue
                drug = _drug_member(option)
            else:
                drug = _member_pick(option, taken, condition, drug_targets)
                if drug is None:
                    continue
            class_slug = option.class_slug
            if class_slug in classes and not second_pass:
                continue
            taken.add(drug.slug)
            classes.add(class_slug)
            interactions = tuple(
                (other, i)
                for other, i in option.interactions
                if not i.subject or i.subject == drug.name or option.kind == explorer.KIND_DRUG
            )
            notices = tuple(n for n in option.notices if not n.subject or n.subject == drug.name)
            info = next((d for d in option.drug_infos if d.slug == drug.slug), None)
            chosen.append(
                Pick(option, drug, drug.regimen, best_position(option), drug.flags, interactions, notices, info)
            )
    return tuple(chosen)


AVOID_LEVELS = (m.CautionLevel.CONTRAINDICATED, m.CautionLevel.AVOID)


def avoid_reason(option):
    """(one line, sources) for an option this patient should not have: its most severe rule or renal limit."""
    flags = sorted(
        (f for f in option.flags if f.level in AVOID_LEVELS and f.certain),
        key=lambda f: AVOID_LEVELS.index(f.level),
    )
    if flags:
        flag = flags[0]
        who = f"{flag.subject}: " if flag.subject else ""
        return f"{who}{flag.level_label} — {flag.applies_when}", flag.sources
    limits = [d for d in option.dose_limits if d.avoid and d.certain]
    if limits:
        return limits[0].text, limits[0].sources
    contra = [(o, i) for o, i in option.interactions if i.severity == m.Severity.CONTRAINDICATED]
    if contra:
        other, interaction = contra[0]
        return f"Contraindicated with {other}: {interaction.effect}", interaction.sources
    return option.status_label, ()


def avoid_list(result):
    items = []
    for option in result.options:
        if option.status not in (explorer.AVOID, explorer.CONTRAINDICATED) or option.kind == explorer.KIND_DRUG_CLASS:
            continue
        reason, sources = avoid_reason(option)
        items.append(Avoid(option, reason, sources))
    items.sort(key=lambda a: (-explorer.STATUS_RANK[a.option.status], explorer.sort_key(a.option)))
    return items


def first_sentence(text):
    """The first sentence of a text (up to the first full stop followed by a space), for a one-line summary."""
    text = (text or "").strip()
    for i, char in enumerate(text):
        if (
            char == "."
            and (i + 1 == len(text) or text[i + 1] == " ")
            and not text[max(0, i - 3) : i].endswith(("e.g", "i.e", "vs"))
        ):
            return text[: i + 1]
    return text


def _with_management(interaction):
    """The effect and what to do, each in its first sentence (the option card below has the full text)."""
    return " ".join(p for p in (first_sentence(interaction.effect), first_sentence(interaction.management)) if p)


def review(result, chosen):
    """What the current medicines mean: interactions with each suggestion (with the management, e.g. taper one
    before adding the other), first-line options they hold back, current medicines that interact with each
    other, and regimen totals of the current medicines themselves."""
    data, patient = result.condition, result.patient
    items, seen = [], set()

    def add(medicine, severity, text, sources, key):
        if key not in seen:
            seen.add(key)
            items.append(Review(medicine, severity, text, tuple(sources)))

    for pick in chosen:
        for other, interaction in pick.interactions:
            add(
                other,
                interaction.severity,
                f"{other} with {pick.name} ({interaction.severity_label.lower()}): {_with_management(interaction)}",
                interaction.sources,
                ("pair", other, pick.name, interaction.key),
            )
        for flag in pick.flags:
            if flag.key.startswith("duplication--") or flag.key in ("anticholinergic-burden", "beers-cns"):
                add(
                    flag.applies_when,
                    flag.level,
                    f"{pick.name}: {flag.text}",
                    flag.sources,
                    ("flag", pick.name, flag.key),
                )
    best_lines = {p.option.line for p in chosen} or {m.Line.FIRST}
    shown = {p.drug.slug if p.drug else p.option.slug for p in chosen}
    for option in result.options:
        if option.kind != explorer.KIND_DRUG or option.slug in shown or option.line not in best_lines:
            continue
        if option.status in SUGGESTIBLE or option.own_status not in SUGGESTIBLE:
            continue  # suggested anyway, or ruled out by the patient's own rules, not by a current medicine
        holding = [(o, i) for o, i in option.interactions if i.severity == m.Severity.CONTRAINDICATED]
        holding += [(f.applies_when, f) for f in option.flags if f.key.startswith("duplication--")]
        for other, finding in holding:
            text = finding.text if isinstance(finding, explorer.Flag) else _with_management(finding)
            add(
                other,
                m.Severity.CONTRAINDICATED,
                f"{option.name} ({option.line_label.lower()}) is held back by {other}: {text}",
                finding.sources,
                ("held", option.slug, other),
            )
    current = [data.current_drugs[s] for s in patient.current if s in data.current_drugs]
    for a, b in combinations(current, 2):
        for interaction in explorer.pair_findings(a, b, data.interactions, data.rules, patient.older_adult):
            add(
                f"{a.name} and {b.name}",
                interaction.severity,
                f"{a.name} with {b.name} ({interaction.severity_label.lower()}), both current: "
                f"{_with_management(interaction)}",
                interaction.sources,
                ("current", a.slug, b.slug, interaction.key),
            )
    if patient.older_adult:
        cns = [d for d in current if d.cns_active]
        if len(cns) >= explorer.BEERS_CNS_THRESHOLD:
            names = ", ".join(d.name for d in cns)
            add(
                names,
                m.Severity.MAJOR,
                f"Already {len(cns)} CNS-active medicines ({names}). AGS Beers 2023 advises against 3 or more in "
                "older adults (falls, fractures): reduce them before adding another.",
                data.beers_cns_sources,
                ("beers-cns",),
            )
    burden = [d for d in current if d.anticholinergic_burden]
    total = sum(d.anticholinergic_burden for d in burden)
    if total >= explorer.ACB_THRESHOLD:
        names = ", ".join(f"{d.name} {d.anticholinergic_burden}" for d in burden)
        add(
            ", ".join(d.name for d in burden),
            m.Severity.MAJOR if patient.older_adult else m.Severity.MODERATE,
            f"Anticholinergic burden already {total} ({names}): 3 or more is linked to confusion, falls and "
            "cognitive decline. Reduce it where you can.",
            data.acb_sources,
            ("acb",),
        )
    rank = {s: i for i, s in enumerate(SEVERITY_ORDER)}
    return tuple(sorted(items, key=lambda r: rank.get(r.severity, len(rank))))


# Interaction severities and rule levels on one scale, most severe first.
SEVERITY_ORDER = (
    m.Severity.CONTRAINDICATED,
    m.Severity.MAJOR,
    m.CautionLevel.AVOID,
    m.Severity.MODERATE,
    m.CautionLevel.CAUTION,
    m.CautionLevel.ADJUST_DOSE,
    m.Severity.MINOR,
)


def answer(result):
    """The answer for this patient, or None when no patient was entered (the page is then a library)."""
    if result is None or not result.patient.has_patient:
        return None
    chosen = picks(result)
    avoid = avoid_list(result)
    tests = explorer.dedupe([n for p in chosen for n in p.notices], key=lambda n: (n.key, n.subject))
    return Answer(
        picks=chosen,
        avoid=tuple(avoid[:MAX_AVOID_SHOWN]),
        more_avoid=max(0, len(avoid) - MAX_AVOID_SHOWN),
        review=review(result, chosen),
        tests=tuple(tests),
    )
