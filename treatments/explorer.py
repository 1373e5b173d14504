"""Treatment matching: the only home of clinical rules.

``load_condition`` reads everything one condition page needs with a fixed number of queries and
turns it into plain, immutable data. ``match`` is pure (no ORM, no request, no settings): it takes
that data and a ``Criteria`` and returns the options with their status for this patient, reasons,
cautions, dose limits, interactions and sources. The page, the CSV export, the API and the printed
summary all call these functions, so they can never disagree.
"""

from collections import Counter
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.db.models import Prefetch, Q
from django.db.models.functions import Lower

from . import models as m

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

OLDER_ADULT_AGE = 65  # AGS Beers Criteria apply from 65.
RENAL_IMPAIRMENT_CRCL = 60  # CrCl below 60 mL/min counts as renal impairment for cautions.

KIND_DRUG_CLASS, KIND_DRUG, KIND_PROCEDURE = "drug_class", "drug", "procedure"
KIND_LABELS = {KIND_DRUG_CLASS: "Drug class", KIND_DRUG: "Drug", KIND_PROCEDURE: "Procedure"}

PROCEDURE_ROLE_LINE = {
    m.ProcedureRole.FIRST_LINE: m.Line.FIRST,
    m.ProcedureRole.OPTION: m.Line.SECOND,
    m.ProcedureRole.REFRACTORY: m.Line.THIRD,
    m.ProcedureRole.SPECIALIST: m.Line.SPECIALIST,
    m.ProcedureRole.NOT_RECOMMENDED: m.Line.NOT_RECOMMENDED,
}


# --- criteria ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Criteria:
    """What the clinician asked for: patient inputs and option filters (validated upstream)."""

    age: int | None = None
    crcl: int | None = None
    factors: frozenset = frozenset()
    current: tuple = ()
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

    @property
    def effective_factors(self):
        """Explicit factors plus those implied by age and CrCl."""
        implied = set()
        if self.age is not None and self.age >= OLDER_ADULT_AGE:
            implied.add("older-adult")
        if self.crcl is not None and self.crcl < RENAL_IMPAIRMENT_CRCL:
            implied.add("renal-impairment")
        return frozenset(self.factors) | implied

    @property
    def has_patient(self):
        return self.age is not None or self.crcl is not None or bool(self.factors) or bool(self.current)


# --- loaded data (plain and immutable) -------------------------------------------------------


@dataclass(frozen=True)
class SourceRef:
    key: str
    short_name: str
    title: str
    year: int
    link: str
    superseded: bool = False


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
    factor: str
    factor_name: str
    level: str
    level_label: str
    text: str
    region: str
    sources: tuple
    via_class: bool = False


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

    def contains(self, crcl):
        return crcl >= self.crcl_min and (self.crcl_max is None or crcl < self.crcl_max)


@dataclass(frozen=True)
class DrugInfo:
    slug: str
    name: str
    class_slug: str
    class_name: str
    site_of_action: str
    routes: tuple
    brand_names: tuple
    cautions: tuple  # CautionRef, drug-level then class-level
    renal_bands: tuple  # RenalBand
    default_max: Decimal | None
    default_unit: str
    default_region: str
    default_sources: tuple
    controlled: tuple  # (region, schedule)
    approvals: tuple  # (region, condition slug, indication, year)
    cns_active: bool
    serotonergic: bool
    anticholinergic_burden: int
    url: str


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
    current_drugs: dict = field(default_factory=dict)  # slug -> DrugRef of the medicines entered, per request


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


# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flag:
    factor: str
    factor_name: str
    level: str
    level_label: str
    text: str
    sources: tuple
    subject: str = ""  # the member drug a class-level flag is about


@dataclass(frozen=True)
class DoseLimit:
    value: Decimal | None
    unit: str
    avoid: bool
    band_label: str
    interval: str
    note: str
    region: str
    sources: tuple
    subject: str = ""

    @property
    def text(self):
        who = f"{self.subject}: " if self.subject else ""
        if self.avoid:
            return f"{who}avoid at {self.band_label}" + (f" — {self.note}" if self.note else "")
        value = format_number(self.value)
        interval = f", {self.interval}" if self.interval else ""
        return f"{who}at most {value} {self.unit} at {self.band_label}{interval}"


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
    criteria: Criteria
    options: tuple  # every matched option in explorer order (after filters)
    groups: tuple  # LineGroup, excluding contraindicated options
    contraindicated: tuple
    facets: dict
    workup: tuple
    total: int


# --- loading -------------------------------------------------------------------------------


def published_sources():
    """Prefetch of a record's sources that leaves out unpublished ones (drafts are never cited publicly)."""
    return Prefetch("sources", queryset=m.Source.objects.published())


def source_ref(source):
    return SourceRef(source.key, source.short_name, source.title, source.year, source.link, source.superseded)


def _refs(sources):
    return tuple(source_ref(s) for s in sources)


def _caution_ref(caution, via_class=False):
    return CautionRef(
        factor=caution.factor.slug,
        factor_name=caution.factor.name,
        level=caution.level,
        level_label=caution.get_level_display(),
        text=caution.text,
        region=caution.region,
        sources=_refs(caution.sources.all()),
        via_class=via_class,
    )


def drug_queryset():
    """Published drugs with everything matching needs: class, cautions (drug and class), renal bands,
    default dose, schedules, approvals — each prefetched once."""
    published = m.ReviewStatus.PUBLISHED
    caution_qs = (
        m.Caution.objects.published()
        .select_related("factor")
        .prefetch_related(published_sources())
        .order_by("factor__display_order")
    )
    return (
        m.Drug.objects.published()
        .select_related("drug_class")
        .prefetch_related(
            Prefetch("cautions", queryset=caution_qs),
            Prefetch("drug_class__cautions", queryset=caution_qs),
            Prefetch(
                "renal_bands",
                queryset=m.RenalDoseBand.objects.published()
                .prefetch_related(published_sources())
                .order_by("-crcl_min"),
            ),
            Prefetch(
                "doses",
                queryset=m.DoseGuidance.objects.filter(status=published, is_default=True).prefetch_related(
                    published_sources()
                ),
                to_attr="default_doses",
            ),
            Prefetch("schedules", queryset=m.ControlledSchedule.objects.published()),
            Prefetch("approvals", queryset=m.RegulatoryApproval.objects.published().select_related("condition")),
        )
    )


def drug_info(drug):
    default = drug.default_doses[0] if drug.default_doses else None
    cautions = tuple(_caution_ref(c) for c in drug.cautions.all())
    class_cautions = tuple(_caution_ref(c, via_class=True) for c in drug.drug_class.cautions.all())
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
            )
            for b in drug.renal_bands.all()
        ),
        default_max=default.max_daily_dose if default else None,
        default_unit=default.unit if default else "",
        default_region=default.region if default else "",
        default_sources=_refs(default.sources.all()) if default else (),
        controlled=tuple((s.region, s.schedule) for s in drug.schedules.all()),
        approvals=tuple(
            (a.region, a.condition.slug if a.condition else "", a.indication, a.year) for a in drug.approvals.all()
        ),
        cns_active=drug.cns_active,
        serotonergic=drug.serotonergic,
        anticholinergic_burden=drug.anticholinergic_burden,
        url=drug.get_absolute_url(),
    )


def interaction_refs(drug_ids, class_ids):
    """Published interactions with one of these drugs or classes (primary keys) on either side.
    Filtering on the foreign-key columns themselves lets the database use their indexes."""
    drug_ids, class_ids = sorted(set(drug_ids)), sorted(set(class_ids))
    touching = Q()
    for side in ("a", "b"):
        touching |= Q(**{f"drug_{side}_id__in": drug_ids}) | Q(**{f"class_{side}_id__in": class_ids})
    qs = (
        m.Interaction.objects.published()
        .filter(touching)
        .select_related("drug_a", "class_a", "drug_b", "class_b")
        .prefetch_related(published_sources())
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
        drug_queryset().filter(Q(pk__in=sorted(recommended_drugs)) | Q(drug_class_id__in=sorted(recommended_classes)))
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
    )


# --- matching (pure) --------------------------------------------------------------------------


def format_number(value):
    if value is None:
        return ""
    value = Decimal(value)
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value.normalize()}"


def dose_limit(drug, crcl):
    """The renal dose limit for a drug at a CrCl, or None if no band applies."""
    if crcl is None:
        return None
    for band in drug.renal_bands:
        if band.contains(crcl):
            return DoseLimit(
                value=band.max_daily_dose,
                unit=band.unit,
                avoid=band.avoid,
                band_label=band.label,
                interval=band.interval,
                note=band.note,
                region=band.region,
                sources=band.sources,
                subject=drug.name,
            )
    return None


def patient_flags(drug_or_class_cautions, factors, subject=""):
    """Cautions that apply to this patient (not may_benefit), and the may_benefit reasons."""
    flags, benefits = [], []
    for c in drug_or_class_cautions:
        if c.factor not in factors:
            continue
        flag = Flag(c.factor, c.factor_name, c.level, c.level_label, c.text, c.sources, subject)
        (benefits if c.level == m.CautionLevel.MAY_BENEFIT else flags).append(flag)
    return flags, benefits


def worst_status(flags, dose_limits):
    status = OK
    for f in flags:
        candidate = CAUTION_STATUS.get(f.level, OK)
        if STATUS_RANK[candidate] > STATUS_RANK[status]:
            status = candidate
    for limit in dose_limits:
        candidate = AVOID if limit.avoid else CAUTION
        if STATUS_RANK[candidate] > STATUS_RANK[status]:
            status = candidate
    return status


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
    seen, out = set(), []
    for item in items:
        k = key(item)
        if k not in seen:
            seen.add(k)
            out.append(item)
    return tuple(out)


def match_target(target, criteria, data):
    factors = criteria.effective_factors
    flags, benefits, limits = [], [], []
    for drug in target.members:
        if target.kind == KIND_DRUG_CLASS:
            # A class option shows class-wide flags once and member-specific flags by name.
            own = [c for c in drug.cautions if not c.via_class]
            f, b = patient_flags(own, factors, subject=drug.name)
        else:
            f, b = patient_flags(drug.cautions, factors)
        flags += f
        benefits += b
        limit = dose_limit(drug, criteria.crcl)
        if limit:
            limits.append(limit if target.kind == KIND_DRUG_CLASS else replace(limit, subject=""))
    if target.kind == KIND_DRUG_CLASS and target.members:
        class_cautions = [c for c in target.members[0].cautions if c.via_class]
        f, b = patient_flags(class_cautions, factors)
        flags = f + flags
        benefits = b + benefits

    if target.kind == KIND_DRUG_CLASS:
        # A class is contraindicated only if every member is; otherwise the worst member flag is a caution.
        member_status = [
            worst_status(
                [fl for fl in flags if fl.subject in ("", d.name)], [lm for lm in limits if lm.subject == d.name]
            )
            for d in target.members
        ]
        status = min(member_status, key=STATUS_RANK.get) if member_status else worst_status(flags, limits)
        if status == OK and flags:
            status = CAUTION
    else:
        status = worst_status(flags, limits)

    older = "older-adult" in factors
    item = (target.kind, target.slug, target.class_slug)
    interactions = []
    for slug in criteria.current:
        other = data.current_drugs.get(slug)
        if other is None or target.kind == KIND_PROCEDURE:
            continue
        if target.kind == KIND_DRUG and other.slug == target.slug:
            continue
        for i in interactions_between(data.interactions, item, (KIND_DRUG, other.slug, other.class_slug), older):
            interactions.append((other.name, i))
    if any(i.severity == m.Severity.CONTRAINDICATED for _, i in interactions):
        status = CONTRAINDICATED
    elif any(i.severity == m.Severity.MAJOR for _, i in interactions) and STATUS_RANK[status] < STATUS_RANK[CAUTION]:
        status = CAUTION

    # Superseded guidelines are shown for context but do not set the line or the disagreement marker.
    current = [p for p in target.positions if not p.source.superseded] or list(target.positions)
    lines = {p.line for p in current}
    best_line = min(lines, key=LINE_RANK.get)
    sources = _dedupe(
        [p.source for p in target.positions if p.source.key]
        + [s for p in target.positions for s in p.sources]
        + [s for f in flags + benefits for s in f.sources]
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
        benefits=_dedupe(benefits, key=lambda b: b.factor),
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
    )


def _restrict_to_guideline(target, guideline):
    positions = tuple(p for p in target.positions if p.source.key == guideline)
    return replace(target, positions=positions) if positions else None


def passes(option, criteria):
    """Option filters (not patient inputs)."""
    if criteria.kinds and option.kind not in criteria.kinds:
        return False
    if criteria.lines and option.line not in criteria.lines:
        return False
    if criteria.min_strength and option.best_strength < STRENGTH_RANK[criteria.min_strength]:
        return False
    if criteria.min_quality and option.best_quality < QUALITY_RANK[criteria.min_quality]:
        return False
    if criteria.routes and not set(option.routes) & criteria.routes:
        return False
    if (
        criteria.sites
        and option.site_of_action not in criteria.sites
        and not (option.site_of_action == m.SiteOfAction.BOTH and criteria.sites)
    ):
        return False
    if criteria.drug_classes and option.class_slug not in criteria.drug_classes:
        return False
    if criteria.approved_in and criteria.approved_in not in option.approved_regions:
        return False
    return criteria.controlled is None or option.controlled == criteria.controlled


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


def facets(matched, criteria, data):
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
        others = replace(criteria, **{attr: frozenset()})
        counts = Counter(v for o in matched if passes(o, others) for v in values_of[name](o))
        selected = getattr(criteria, attr)
        values = set(counts) | set(selected)
        names = {v: str(labels[name].get(v, v)) for v in values}
        ranking = order.get(name, [])
        ordered = sorted(values, key=lambda v, r=ranking, n=names: (r.index(v) if v in r else len(r), n[v].lower()))
        result[name] = [FacetValue(v, names[v], counts[v], v in selected) for v in ordered]
    return result


def match(data, criteria):
    """Match every option of a condition against the criteria. Pure: no database access."""
    targets = data.targets
    if criteria.guideline:
        targets = [t for t in (_restrict_to_guideline(t, criteria.guideline) for t in targets) if t]
    matched = [match_target(t, criteria, data) for t in targets]
    kept = sorted((o for o in matched if passes(o, criteria)), key=sort_key)
    shown = [o for o in kept if not o.is_contraindicated]
    # Contraindicated options are listed apart with the reason, unless the clinician hides them.
    contraindicated = () if criteria.hide_contraindicated else tuple(o for o in kept if o.is_contraindicated)
    groups = tuple(
        LineGroup(line, m.Line(line).label, tuple(o for o in shown if o.line == line))
        for line in LINE_ORDER
        if any(o.line == line for o in shown)
    )
    return Result(
        condition=data,
        criteria=criteria,
        options=tuple(shown) + contraindicated,
        groups=groups,
        contraindicated=contraindicated,
        facets=facets(matched, criteria, data),
        workup=data.workup,
        total=len(matched),
    )


def describe(condition_name, criteria, factor_names):
    """A plain-English sentence for the current state, e.g.
    'Options for painful diabetic neuropathy in a 72-year-old with CrCl 25 mL/min and depression'."""
    parts = []
    if criteria.age is not None:
        parts.append(f"a {criteria.age}-year-old")
    withs = []
    if criteria.crcl is not None:
        withs.append(f"CrCl {criteria.crcl} mL/min")
    withs += [factor_names.get(f, f).lower() for f in sorted(criteria.factors, key=lambda f: factor_names.get(f, f))]
    name = condition_name[:1].lower() + condition_name[1:] if condition_name[1:2].islower() else condition_name
    sentence = f"Options for {name}"
    if parts or withs:
        who = parts[0] if parts else "a patient"
        sentence += f" in {who}"
        if withs:
            sentence += " with " + (", ".join(withs[:-1]) + " and " + withs[-1] if len(withs) > 1 else withs[0])
    if criteria.current:
        names = ", ".join(criteria.current)
        sentence += f", taking {names}"
    return sentence
