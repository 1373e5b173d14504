"""The medicine vocabulary and the mechanism rules.

Recognition: what a clinician types ("duloxetine HCl 30 mg", "Co-codamol", "Eliquis", "hydrocodone/APAP")
resolves to medicine records by exact name key first, then by plain key (salts, strengths and forms dropped)
when only one medicine has it, then, for a name joined by "/", "+", "&", "and" or "with", part by part. A name
that resolves to nothing is unrecognised; close names are offered ("did you mean …?") and never applied.

Mechanism rules: a pair of medicines is checked against every ``MechanismRule`` by the properties each has
(MAO inhibitor + serotonergic drug, strong CYP1A2 inhibitor + CYP1A2 substrate, …). A curated ``Interaction``
for the pair that lists a rule in ``overrides`` replaces that rule for the pair. The explorer's flags, the plan
check and the API all call ``findings`` (through ``explorer.pair_findings``), so they agree.

Everything here is pure except ``load_vocabulary``, which reads the published records in a fixed number of
queries; ``cache.vocabulary`` keeps one copy per process and knowledge-base version.
"""

import difflib
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from . import models as m

CURATED = "curated"
MECHANISM = "mechanism"
ORIGIN_LABELS = {CURATED: "curated pair", MECHANISM: "mechanism rule"}
# Most severe first: the one ordering of interaction severities (explorer, plan and rules sort by it).
SEVERITY_RANK = {s: i for i, s in enumerate(m.Severity.values)}

# Joins two ingredients in one typed name: "hydrocodone/acetaminophen", "amlodipine + benazepril",
# "losartan and hydrochlorothiazide", "acetaminophen; hydrocodone". Commas separate medicines before this
# (``forms.DrugNamesField``).
COMBINATION_SPLIT = re.compile(r"\s*(?:/|\+|&|;|\band\b|\bwith\b)\s*", re.IGNORECASE)

SUGGESTION_CUTOFF = 0.8  # difflib ratio: "gabapentn" → gabapentin (0.95), "hydroxyzine" ↛ hydralazine (0.64)
MAX_SUGGESTIONS = 3


@dataclass(frozen=True)
class PropertyRef:
    property: str
    level: str
    label: str  # e.g. "CYP1A2 inhibitor (moderate)", with the source's condition of use when it has one
    score: int | None
    note: str
    sources: tuple  # explorer.SourceRef


class Mechanisms:
    """What a medicine does, read from its properties (``properties``: PropertyRef). Shared by the explorer's
    ``DrugInfo`` and the vocabulary's ``MedicineRef``."""

    properties: tuple = ()

    def find(self, prop, level=None):
        """The PropertyRef for ``prop`` (at ``level`` when given), or None."""
        for p in self.properties:
            if p.property == prop and (level is None or p.level == level):
                return p
        return None

    def matching(self, specs):
        """The properties that meet any of the specs ((property, level or None), …)."""
        return tuple(p for spec in specs if (p := self.find(*spec)) is not None)

    @cached_property
    def spec_keys(self):
        """Every spec one of the properties meets: (property, level) and (property, None) — a quick test of
        whether ``matching`` can find anything (the rule engine checks every rule against every pair)."""
        return frozenset(key for p in self.properties for key in ((p.property, p.level), (p.property, None)))

    @property
    def cns_active(self):
        return self.find(m.Property.BEERS_CNS_ACTIVE) is not None

    @property
    def serotonergic(self):
        return self.find(m.Property.SEROTONERGIC) is not None

    @property
    def anticholinergic_burden(self):
        p = self.find(m.Property.ANTICHOLINERGIC)
        return (p.score or 0) if p else 0


@dataclass(frozen=True)
class MedicineRef(Mechanisms):
    """A medicine of the vocabulary: enough to name it, check it and link it."""

    slug: str
    name: str
    class_slug: str = ""
    class_name: str = ""
    properties: tuple = ()  # PropertyRef
    profiled: bool = False
    is_drug: bool = False  # a knowledge-base drug (it has a page and options)
    ingredients: tuple = ()  # slugs of the ingredients of a combination product
    brand_names: tuple = ()


@dataclass(frozen=True)
class RuleRef:
    key: str
    name: str
    left: tuple  # (property, level or None)
    right: tuple
    severity: str
    severity_label: str
    effect: str
    mechanism: str
    management: str
    older_adult_only: bool
    sources: tuple

    @cached_property
    def _sides(self):
        return frozenset(self.left), frozenset(self.right)

    def basis(self, a, b):
        """(a's matching properties, b's) when the rule applies to the pair a, b (either order), else None."""
        left, right = self._sides
        a_keys, b_keys = a.spec_keys, b.spec_keys
        if not ((a_keys & left and b_keys & right) or (a_keys & right and b_keys & left)):
            return None
        forward = (a.matching(self.left), b.matching(self.right))
        if all(forward):
            return forward
        backward = (a.matching(self.right), b.matching(self.left))
        if all(backward):
            return backward
        return None


@dataclass(frozen=True)
class Vocabulary:
    medicines: dict  # slug -> MedicineRef
    exact: dict  # exact name key -> slug
    plain: dict  # plain name key -> tuple of slugs
    names: dict  # lower-case display name -> slug (for suggestions)
    products: dict = field(default_factory=dict)  # frozenset of ingredient slugs -> product slug
    rules: tuple = ()  # RuleRef

    def get(self, slug):
        return self.medicines.get(slug)

    def _one(self, text):
        exact, plain = name_keys(text)
        if exact in self.exact:
            return self.exact[exact]
        found = self.plain.get(plain, ())
        return found[0] if len(found) == 1 else None

    def recognise(self, text):
        """The slugs a typed name stands for: (slug,) for one medicine or product; the ingredients' slugs for
        a name joined by "/" or "+" that no product record has; () when not recognised."""
        slug = self._one(text)
        if slug:
            return (slug,)
        # Parts without a letter are strengths ("hydrocodone/APAP 5/325"), not medicines.
        parts = [p for p in COMBINATION_SPLIT.split(str(text)) if re.search(r"[A-Za-z]", p)]
        if len(parts) < 2:
            return ()
        slugs = [self._one(p) for p in parts]
        if not all(slugs):
            return ()
        slugs = tuple(dict.fromkeys(slugs))
        product = self.products.get(frozenset(slugs))
        return (product,) if product else slugs

    def current(self, texts):
        """The ingredient slugs a list of typed names stands for, in order, without repeats; names not recognised
        are left out."""
        slugs = [i for text in texts for slug in self.recognise(text) for i in self.ingredients(slug)]
        return tuple(dict.fromkeys(slugs))

    def ingredients(self, slug):
        """The single-ingredient slugs a record stands for (itself, or a product's ingredients)."""
        med = self.medicines[slug]
        return med.ingredients or (slug,)

    def suggest(self, text):
        """Medicines whose name is close to ``text`` (a misspelling), best first, as (slug, name). Offered
        only: the name stays unrecognised until the clinician picks one."""
        wanted = str(text).strip().lower()
        if not wanted:
            return ()
        close = difflib.get_close_matches(wanted, list(self.names), n=MAX_SUGGESTIONS * 3, cutoff=SUGGESTION_CUTOFF)
        found = dict.fromkeys(self.names[name] for name in close)
        return tuple((slug, self.medicines[slug].name) for slug in found)[:MAX_SUGGESTIONS]


# --- name keys ------------------------------------------------------------------------------------

# Words that name a salt, a strength or a dosage form, not the medicine: "Duloxetine HCl 30 mg capsules" is
# duloxetine. Only ever dropped from a name that keeps another word (see ``name_keys``).
SALT_WORDS = frozenset(
    [
        "acetate",
        "aspartate",
        "besilate",
        "besylate",
        "bitartrate",
        "bromide",
        "calcium",
        "citrate",
        "dihydrate",
        "dipropionate",
        "fumarate",
        "furoate",
        "hcl",
        "hbr",
        "hyclate",
        "hydrobromide",
        "hydrochloride",
        "hydrate",
        "magnesium",
        "maleate",
        "mesilate",
        "mesylate",
        "monohydrate",
        "phosphate",
        "potassium",
        "propionate",
        "saccharate",
        "sodium",
        "succinate",
        "sulfate",
        "sulphate",
        "tartrate",
        "trihydrate",
        "valerate",
    ]
)
FORM_WORDS = frozenset(
    [
        "tablet",
        "tablets",
        "tab",
        "tabs",
        "capsule",
        "capsules",
        "cap",
        "caps",
        "oral",
        "solution",
        "suspension",
        "syrup",
        "liquid",
        "injection",
        "cream",
        "gel",
        "ointment",
        "patch",
        "plaster",
        "spray",
        "er",
        "xr",
        "xl",
        "sr",
        "cr",
        "mr",
        "la",
        "dr",
        "ec",
        "odt",
        "ir",
        "modified",
        "extended",
        "delayed",
        "release",
        "prolonged",
        "film",
        "coated",
        "dispersible",
        "chewable",
        "mg",
        "mcg",
        "ug",
        "microgram",
        "micrograms",
        "g",
        "ml",
        "iu",
        "unit",
        "units",
    ]
)


# Anions that, with a salt word, are the whole medicine ("potassium chloride", "calcium carbonate"): a name
# left with only these after dropping salt words keeps its salt words, so "sodium chloride" never meets
# "potassium chloride".
ION_WORDS = frozenset(
    [
        "chloride",
        "carbonate",
        "bicarbonate",
        "citrate",
        "gluconate",
        "oxide",
        "hydroxide",
        "lactate",
        "iodide",
        "fluoride",
    ]
)


def name_keys(text):
    """(exact, plain) matching keys of a medicine name: case, accents and punctuation ignored ("Co-codamol" and
    "cocodamol" meet), and, for ``plain``, salt, strength and form words dropped ("Duloxetine HCl 30 mg" →
    "duloxetine"). A name made only of such words keeps them ("sodium" stays "sodium"). Two names can share a
    plain key ("potassium chloride" and "sodium chloride" are both "chloride"), so recognition tries the
    exact key first and uses a plain key only when one medicine has it; a name left with only an anion keeps
    its salt words ("potassium chloride" stays "potassiumchloride", see ``ION_WORDS``). Pure."""
    folded = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower()
    # "Tylenol #3" is a product (with codeine), not Tylenol at a strength of 3: keep "#3" / "No. 3" as a word.
    folded = re.sub(r"(?:#|\bno\.?)\s*(\d+)", r" no\1 ", folded)
    tokens = re.findall(r"[a-z0-9]+(?:\.[0-9]+)?", folded)
    exact = "".join(tokens)
    kept = [t for t in tokens if t not in FORM_WORDS and not re.fullmatch(r"[0-9.]+(mg|mcg|g|ml|%)?", t)]
    plain = [t for t in kept if t not in SALT_WORDS]
    if not plain or set(plain) <= ION_WORDS:
        plain = kept
    return exact, "".join(plain) or exact


# --- loading ------------------------------------------------------------------------------------------


def property_ref(row, source_ref):
    return PropertyRef(
        property=row.property,
        level=row.level,
        label=row.label(),
        score=row.score,
        note=row.note,
        sources=tuple(source_ref(s) for s in row.sources.all()),
    )


def rule_ref(rule, source_ref):
    def specs(values):
        return tuple(m.parse_property_spec(v) for v in values)

    return RuleRef(
        key=rule.key,
        name=rule.name,
        left=specs(rule.left),
        right=specs(rule.right),
        severity=rule.severity,
        severity_label=rule.get_severity_display(),
        effect=rule.effect,
        mechanism=rule.mechanism,
        management=rule.management,
        older_adult_only=rule.older_adult_only,
        sources=tuple(source_ref(s) for s in rule.sources.all()),
    )


def load_vocabulary():
    """Every published medicine with its names, class, properties (and their sources), and every published
    mechanism rule, in a fixed number of queries (sources; medicines; ingredients; properties; their sources;
    drugs without a medicine; rules and theirs).

    Read as plain rows, not model instances, and with each source's and each distinct property's reference
    made once and shared: a vocabulary of 50,000 medicines is then built in seconds and held in about a tenth
    of the memory that instances with prefetches took (minutes, over 1 GB at the benchmark's 100× size)."""
    from .explorer import source_ref  # explorer imports this module

    sources, source_rank = {}, {}
    for rank, source in enumerate(m.Source.objects.published()):  # ordered by key, as a prefetch gives them
        sources[source.pk], source_rank[source.pk] = source_ref(source), rank
    cited = defaultdict(list)
    for property_id, source_id in m.MedicineProperty.sources.through.objects.values_list(
        "medicineproperty_id", "source_id"
    ):
        if source_id in sources:
            cited[property_id].append(source_id)
    property_labels, level_labels = dict(m.Property.choices), dict(m.PropertyLevel.choices)
    shared = {}  # one PropertyRef per distinct value
    properties = defaultdict(list)
    rows = (
        m.MedicineProperty.objects.published()
        .filter(medicine__status=m.ReviewStatus.PUBLISHED)
        .order_by("medicine_id", "property")
        .values_list("id", "medicine_id", "property", "level", "score", "applies_when", "note")
    )
    for property_id, medicine_id, prop, level, score, applies_when, note in rows:
        label = str(property_labels.get(prop, prop))  # MedicineProperty.label()
        if level:
            label += f" ({level_labels.get(level, level)})"
        if score:
            label += f" {score}"
        if applies_when:
            label += f", {applies_when}"
        refs = tuple(sources[i] for i in sorted(cited.get(property_id, ()), key=source_rank.get))
        ref = PropertyRef(property=prop, level=level, label=label, score=score, note=note, sources=refs)
        properties[medicine_id].append(shared.setdefault(ref, ref))
    columns = (
        "id",
        "slug",
        "name",
        "other_names",
        "brand_names_us",
        "brand_names_uk",
        "profiled",
        "drug_class__slug",
        "drug_class__name",
        "drug_id",
        "drug__status",
        "drug__brand_names",
    )
    rows = list(m.Medicine.objects.published().order_by("slug").values_list(*columns))
    # A product's ingredients, published ones only, in the medicines' own order (by name).
    published = {row[0]: (row[2], row[0], row[1]) for row in rows}
    parts = defaultdict(list)
    for product_id, ingredient_id in m.Medicine.ingredients.through.objects.values_list(
        "from_medicine_id", "to_medicine_id"
    ):
        if ingredient_id in published:
            parts[product_id].append(published[ingredient_id])
    medicines, exact, plain, names, products = {}, {}, {}, {}, {}
    for (
        pk,
        slug,
        name,
        other_names,
        brands_us,
        brands_uk,
        profiled,
        class_slug,
        class_name,
        drug_id,
        drug_status,
        drug_brands,
    ) in rows:
        ingredients = tuple(part[2] for part in sorted(parts.get(pk, ())))
        # A knowledge-base drug's own brand names (reviewed with the drug) name its medicine too.
        brands = tuple(dict.fromkeys([*brands_us, *brands_uk, *((drug_brands or []) if drug_id else [])]))
        medicines[slug] = MedicineRef(
            slug=slug,
            name=name,
            class_slug=class_slug or "",
            class_name=class_name or "",
            properties=tuple(properties.get(pk, ())),
            profiled=profiled,
            is_drug=bool(drug_id and drug_status == m.ReviewStatus.PUBLISHED),
            ingredients=ingredients,
            brand_names=brands,
        )
        if ingredients:
            products.setdefault(frozenset(ingredients), slug)
        for text in (slug, name, *other_names, *brands):
            e, p = name_keys(text)
            exact.setdefault(e, slug)
            if slug not in plain.get(p, ()):
                plain[p] = (*plain.get(p, ()), slug)
            names.setdefault(text.lower(), slug)
    if m.Drug.objects.published().exclude(slug__in=medicines).exists():
        # Every published drug has its medicine (the loader checks it); this keeps a drug typed by its own
        # name recognisable even while an editor adds one.
        for drug in m.Drug.objects.published().exclude(slug__in=medicines).select_related("drug_class"):
            medicines[drug.slug] = MedicineRef(
                drug.slug, drug.generic_name, drug.drug_class.slug, drug.drug_class.name, is_drug=True
            )
            for text in (drug.slug, drug.generic_name, *drug.brand_names):
                exact.setdefault(name_keys(text)[0], drug.slug)
                names.setdefault(text.lower(), drug.slug)
    rules = tuple(
        rule_ref(r, source_ref)
        for r in m.MechanismRule.objects.published().prefetch_related(m.published_sources()).order_by("key")
    )
    return Vocabulary(medicines, exact, plain, names, products, rules)


# --- the rule engine ---------------------------------------------------------------------------------


def rule_hits(a, b, rules, older_adult, overridden=frozenset()):
    """[(rule, a's properties, b's properties)] for every mechanism rule the pair meets, most severe first;
    rules in ``overridden`` (replaced by a curated pair) and older-adult rules for younger patients left out.
    ``a`` and ``b`` are distinct medicines (``Mechanisms``). Pure."""
    if a.slug == b.slug:
        return []
    hits = []
    for rule in rules:
        if rule.key in overridden or (rule.older_adult_only and not older_adult):
            continue
        basis = rule.basis(a, b)
        if basis:
            hits.append((rule, *basis))
    return sorted(hits, key=lambda h: SEVERITY_RANK[h[0].severity])


def basis_text(a, a_props, b, b_props):
    """Why a rule applies, e.g. "Duloxetine: CYP1A2 substrate (sensitive); Ciprofloxacin: CYP1A2 inhibitor
    (moderate)"."""
    return "; ".join(f"{med.name}: {', '.join(p.label for p in props)}" for med, props in ((a, a_props), (b, b_props)))
