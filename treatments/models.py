"""The clinical knowledge base.

Every clinical record carries a review status and review dates, and keeps its full history
(django-simple-history). Records refer to each other by slug or key (natural keys), so the
fixtures in ``fixtures/`` never mention a numeric id. Clinical *rules* (what is safe for whom)
live in ``treatments/explorer.py``; this module only states what a record is.
"""

import contextvars
import hashlib

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse
from simple_history.models import HistoricalRecords

# --- vocabularies -------------------------------------------------------------------------


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"


class Region(models.TextChoices):
    US = "US", "United States"
    UK = "UK", "United Kingdom"
    EU = "EU", "European Union"
    INTL = "INTL", "International"


REGION_ORDER = {Region.US: 0, Region.UK: 1, Region.EU: 2, Region.INTL: 3}


class SiteOfAction(models.TextChoices):
    PERIPHERAL = "peripheral", "Peripheral"
    CENTRAL = "central", "Central"
    BOTH = "both", "Peripheral and central"


class PainMechanism(models.TextChoices):
    PERIPHERAL = "peripheral", "Peripheral neuropathic"
    CENTRAL = "central", "Central neuropathic"
    MIXED = "mixed", "Mixed"
    NOT_NEUROPATHIC = "not_neuropathic", "Not neuropathic"


class ConditionCategory(models.TextChoices):
    METABOLIC = "metabolic", "Metabolic and nutritional polyneuropathy"
    INFECTIOUS = "infectious", "Infectious and post-infectious"
    TOXIC = "toxic", "Toxic and drug-induced"
    INFLAMMATORY = "inflammatory", "Inflammatory and immune-mediated"
    COMPRESSION = "compression", "Compression and entrapment (focal)"
    RADICULAR = "radicular", "Radiculopathy"
    CRANIAL = "cranial", "Cranial neuralgia"
    HEREDITARY = "hereditary", "Hereditary"
    IDIOPATHIC = "idiopathic", "Idiopathic and small-fibre"
    CENTRAL = "central", "Central neuropathic pain"
    REGIONAL = "regional", "Regional pain syndromes and post-amputation pain"
    NOT_NEUROPATHIC = "not_neuropathic", "Related pain conditions (not neuropathic)"


class Symptom(models.TextChoices):
    BURNING = "burning", "Burning pain"
    SHOOTING = "shooting", "Shooting or electric-shock pain"
    ALLODYNIA = "allodynia", "Allodynia (pain from a normally painless stimulus)"
    HYPERALGESIA = "hyperalgesia", "Hyperalgesia (more pain than expected from a painful stimulus)"
    PARESTHESIA = "paresthesia", "Paresthesia (pins and needles, tingling)"
    DYSESTHESIA = "dysesthesia", "Dysesthesia (unpleasant abnormal sensation)"
    NUMBNESS = "numbness", "Numbness"
    WEAKNESS = "weakness", "Weakness"
    IMBALANCE = "imbalance", "Imbalance"
    CRAMPS = "cramps", "Muscle cramps"
    AUTONOMIC = "autonomic", "Autonomic symptoms"
    FATIGUE = "fatigue", "Fatigue"
    SLEEP = "sleep", "Sleep disturbance"
    SWELLING = "swelling", "Swelling, colour or temperature change"


class Route(models.TextChoices):
    ORAL = "oral", "Oral"
    OROMUCOSAL = "oromucosal", "Oromucosal spray"
    TOPICAL = "topical", "Topical"
    INJECTION = "injection", "Injection or infusion"
    INTRATHECAL = "intrathecal", "Intrathecal"
    DEVICE = "device", "Device"
    SURGERY = "surgery", "Surgery"
    NON_DRUG = "non_drug", "Non-drug therapy"


class Line(models.TextChoices):
    FIRST = "first", "First line"
    SECOND = "second", "Second line"
    THIRD = "third", "Third line"
    SPECIALIST = "specialist", "Specialist use only"
    INCONCLUSIVE = "inconclusive", "Inconclusive evidence"
    NOT_RECOMMENDED = "not_recommended", "Not recommended"


class Strength(models.TextChoices):
    """The guideline's own grading system, recorded as published (GRADE or AAN/EFNS levels)."""

    STRONG_FOR = "strong_for", "Strong (GRADE) for"
    WEAK_FOR = "weak_for", "Weak (GRADE) for"
    WEAK_AGAINST = "weak_against", "Weak (GRADE) against"
    STRONG_AGAINST = "strong_against", "Strong (GRADE) against"
    LEVEL_A = "level_a", "Level A"
    LEVEL_B = "level_b", "Level B"
    LEVEL_C = "level_c", "Level C"
    LEVEL_U = "level_u", "Level U (insufficient evidence)"
    GOOD_PRACTICE = "good_practice", "Good practice point / consensus"
    NOT_GRADED = "not_graded", "Not graded"


class Quality(models.TextChoices):
    HIGH = "high", "High"
    MODERATE = "moderate", "Moderate"
    LOW = "low", "Low"
    VERY_LOW = "very_low", "Very low"
    NOT_GRADED = "not_graded", "Not graded"


class CautionLevel(models.TextChoices):
    CONTRAINDICATED = "contraindicated", "Contraindicated"
    AVOID = "avoid", "Avoid"
    CAUTION = "caution", "Use with caution"
    ADJUST_DOSE = "adjust_dose", "Adjust dose"
    MAY_BENEFIT = "may_benefit", "May benefit"


class Severity(models.TextChoices):
    CONTRAINDICATED = "contraindicated", "Contraindicated"
    MAJOR = "major", "Major"
    MODERATE = "moderate", "Moderate"
    MINOR = "minor", "Minor"
    BENEFICIAL = "beneficial", "Beneficial combination"


class ProcedureRole(models.TextChoices):
    FIRST_LINE = "first_line", "First-line option"
    OPTION = "option", "Option"
    REFRACTORY = "refractory", "For refractory cases"
    SPECIALIST = "specialist", "Specialist option"
    NOT_RECOMMENDED = "not_recommended", "Not recommended"


class WorkupPriority(models.TextChoices):
    INITIAL = "initial", "Initial"
    TARGETED = "targeted", "Targeted"


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"


class Dialysis(models.TextChoices):
    HAEMODIALYSIS = "hd", "Haemodialysis"
    PERITONEAL = "pd", "Peritoneal dialysis"


class DialysisRule(models.TextChoices):
    """Which patients on dialysis a rule applies to."""

    ANY = "any", "Any dialysis"
    HAEMODIALYSIS = "hd", "Haemodialysis"
    PERITONEAL = "pd", "Peritoneal dialysis"


class ChildPugh(models.TextChoices):
    A = "a", "Child–Pugh A (mild)"
    B = "b", "Child–Pugh B (moderate)"
    C = "c", "Child–Pugh C (severe)"


class Gene(models.TextChoices):
    HLA_B1502 = "hla_b1502", "HLA-B*15:02"
    HLA_A3101 = "hla_a3101", "HLA-A*31:01"
    CYP2D6 = "cyp2d6", "CYP2D6"
    CYP2C19 = "cyp2c19", "CYP2C19"
    CYP2C9 = "cyp2c9", "CYP2C9"


class GeneResult(models.TextChoices):
    POSITIVE = "positive", "Positive"
    NEGATIVE = "negative", "Negative"
    POOR = "poor", "Poor metaboliser"
    INTERMEDIATE = "intermediate", "Intermediate metaboliser"
    NORMAL = "normal", "Normal metaboliser"
    RAPID = "rapid", "Rapid metaboliser"
    ULTRARAPID = "ultrarapid", "Ultrarapid metaboliser"


# The results each gene can have (CPIC's allele-status and phenotype terms).
GENE_RESULTS = {
    Gene.HLA_B1502: (GeneResult.POSITIVE, GeneResult.NEGATIVE),
    Gene.HLA_A3101: (GeneResult.POSITIVE, GeneResult.NEGATIVE),
    Gene.CYP2D6: (GeneResult.POOR, GeneResult.INTERMEDIATE, GeneResult.NORMAL, GeneResult.ULTRARAPID),
    Gene.CYP2C19: (
        GeneResult.POOR,
        GeneResult.INTERMEDIATE,
        GeneResult.NORMAL,
        GeneResult.RAPID,
        GeneResult.ULTRARAPID,
    ),
    Gene.CYP2C9: (GeneResult.POOR, GeneResult.INTERMEDIATE, GeneResult.NORMAL),
}


# --- shared parts -------------------------------------------------------------------------


class ClinicalQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=ReviewStatus.PUBLISHED)

    def overdue_for_review(self, today):
        """Records whose next review date has passed (retired records are never due)."""
        return self.filter(next_review_due__lt=today).exclude(status=ReviewStatus.RETIRED)


# While the loader runs (knowledge_base.load), each record found by natural key is remembered, so a key that
# thousands of fixtures name (a source, a drug) is looked up once: {(model, natural key): instance}.
NATURAL_KEYS = contextvars.ContextVar("natural_keys", default=None)


class NaturalKeyManager(models.Manager.from_queryset(ClinicalQuerySet)):
    """Looks records up by the fields named in ``Model.NATURAL_KEY`` (for fixtures)."""

    use_in_migrations = False

    def get_by_natural_key(self, *values):
        memo = NATURAL_KEYS.get()
        if memo is None:
            return self._by_natural_key(values)
        key = (self.model, values)
        if key not in memo:
            memo[key] = self._by_natural_key(values)  # a miss raises DoesNotExist and is not remembered
        return memo[key]

    def _by_natural_key(self, values):
        lookups = {}
        for field, value in zip(self.model.NATURAL_KEY, values, strict=True):
            if value in ("", None) and field.endswith("__slug"):
                lookups[field.removesuffix("__slug") + "__isnull"] = True
            elif value in ("", None) and "__" not in field and self.model._meta.get_field(field).null:
                lookups[field + "__isnull"] = True  # a nullable number, e.g. a step's renal band
            else:
                lookups[field] = value
        return self.get(**lookups)


class ClinicalRecord(models.Model):
    """Review state shared by every clinical record."""

    status = models.CharField(max_length=12, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT, db_index=True)
    last_reviewed = models.DateField(null=True, blank=True)
    next_review_due = models.DateField(null=True, blank=True)

    objects = NaturalKeyManager()

    NATURAL_KEY = ("slug",)

    class Meta:
        abstract = True

    def natural_key(self):
        values = []
        for field in self.NATURAL_KEY:
            value = self
            for part in field.split("__"):
                value = getattr(value, part) if value is not None else None
            values.append("" if value is None else value)
        return tuple(values)


class SpanishReview(models.Model):
    """The review of a record's Spanish patient text (``<field>_es``, added by treatments.translation).

    English is the source of truth. Reviewing the Spanish records the date and a fingerprint of each English
    text it was translated from; when an English text changes afterwards, its Spanish is out of date: flagged
    in the admin and not shown (the English is shown instead)."""

    spanish_reviewed = models.DateField(
        null=True, blank=True, help_text="When the Spanish text was last checked against the English."
    )
    spanish_source = models.JSONField(
        default=dict, blank=True, help_text="Fingerprints of the English texts the reviewed Spanish was made from."
    )

    # The patient-facing fields, per model (``PATIENT_FIELDS``).
    PATIENT_FIELDS = ()

    class Meta:
        abstract = True

    @staticmethod
    def fingerprint(text):
        return hashlib.sha256((text or "").strip().encode()).hexdigest()[:16]

    def english(self, field):
        return getattr(self, f"{field}_en") or ""

    def spanish(self, field):
        return getattr(self, f"{field}_es") or ""

    def spanish_current(self, field):
        """True when the field's Spanish was reviewed against the English it has now."""
        return bool(
            self.spanish_reviewed
            and self.spanish(field)
            and self.spanish_source.get(field) == self.fingerprint(self.english(field))
        )

    @property
    def spanish_state(self):
        """'current' (every Spanish text reviewed against today's English), 'stale' (an English text changed
        after the review), 'partial' (some texts not translated), or 'missing'."""
        fields = [f for f in self.PATIENT_FIELDS if self.english(f)]
        if not fields or not any(self.spanish(f) for f in fields):
            return "missing"
        if any(self.spanish(f) and not self.spanish_current(f) for f in fields):
            return "stale"
        return "current" if all(self.spanish_current(f) for f in fields) else "partial"

    def mark_spanish_reviewed(self, date):
        """Record that the Spanish texts were checked against the current English ones."""
        self.spanish_reviewed = date
        fields = [f for f in self.PATIENT_FIELDS if self.english(f) and self.spanish(f)]
        # In PostgreSQL's jsonb key order (shorter keys first), so an export is the same on every database.
        self.spanish_source = {f: self.fingerprint(self.english(f)) for f in sorted(fields, key=lambda f: (len(f), f))}


def published_sources(lookup="sources"):
    """A prefetch of cited sources that leaves out unpublished ones (drafts are never cited publicly)."""
    return models.Prefetch(lookup, queryset=Source.objects.published())


def _sources_field():
    return models.ManyToManyField("Source", blank=True, related_name="+")


# --- reference records ----------------------------------------------------------------------


class Source(ClinicalRecord):
    class Kind(models.TextChoices):
        GUIDELINE = "guideline", "Clinical guideline"
        LABEL = "label", "Product label / SmPC"
        REGULATORY = "regulatory", "Regulatory notice"
        SYSTEMATIC_REVIEW = "systematic_review", "Systematic review / meta-analysis"
        TRIAL = "trial", "Trial or cohort study"
        REVIEW = "review", "Narrative review"
        REFERENCE = "reference", "Reference work"

    key = models.SlugField(max_length=80, unique=True, help_text="Stable citation key, e.g. finnerup-2015.")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    short_name = models.CharField(max_length=80, help_text="How the UI names it, e.g. 'NeuPSIG 2015'.")
    title = models.CharField(max_length=400)
    authors = models.CharField(max_length=400, blank=True, help_text="Authors or issuing organisation.")
    year = models.PositiveSmallIntegerField()
    publisher = models.CharField(max_length=200, blank=True, help_text="Journal or publisher.")
    doi = models.CharField(max_length=120, blank=True)
    pmid = models.CharField(max_length=12, blank=True)
    url = models.URLField(max_length=400, blank=True)
    region = models.CharField(max_length=4, choices=Region.choices, default=Region.INTL)
    superseded = models.BooleanField(
        default=False, help_text="A newer edition replaces it: shown for context, ignored when ranking lines."
    )
    notes = models.TextField(blank=True)

    NATURAL_KEY = ("key",)
    history = HistoricalRecords()

    class Meta:
        ordering = ["key"]
        constraints = [
            # A source nobody can find is not a citation.
            models.CheckConstraint(
                condition=~Q(doi="") | ~Q(pmid="") | ~Q(url=""),
                name="treatments_source_has_identifier",
            ),
        ]

    def __str__(self):
        return self.short_name

    def get_absolute_url(self):
        return reverse("treatments:source", args=[self.key])

    @property
    def link(self):
        if self.doi:
            return f"https://doi.org/{self.doi}"
        if self.pmid:
            return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/"
        return self.url


class PatientFactor(ClinicalRecord):
    """A patient characteristic that changes the choice. The slugs are fixed: UI and API use them."""

    SLUGS = (
        "older-adult",
        "renal-impairment",
        "hepatic-impairment",
        "pregnancy",
        "breastfeeding",
        "cardiac-conduction-disease",
        "respiratory-disease",
        "substance-use-disorder",
        "depression",
        "anxiety",
        "insomnia",
        "epilepsy",
        "narrow-angle-glaucoma",
        "falls-risk",
        "bleeding-risk",
        "hla-b-1502-positive",
        "urinary-retention",
    )
    # Yes/no factors that stand in for a measured input (age, CrCl, Child–Pugh, genotype). Old addresses
    # still use them (``forms.PatientForm`` maps them onto the patient's inputs); no rule may hang on them.
    REPLACED_BY_INPUTS = ("older-adult", "renal-impairment", "hepatic-impairment", "hla-b-1502-positive")

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    description = models.TextField(blank=True)
    display_order = models.PositiveSmallIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["display_order", "name"]

    def __str__(self):
        return self.name


class Condition(SpanishReview, ClinicalRecord):
    PATIENT_FIELDS = ("patient_description",)
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True)
    synonyms = models.JSONField(default=list, blank=True, help_text="Other names and abbreviations.")
    icd10_codes = models.JSONField(default=list, help_text="ICD-10-CM codes, with the dot, e.g. E11.42.")
    category = models.CharField(max_length=20, choices=ConditionCategory.choices)
    pain_mechanism = models.CharField(max_length=20, choices=PainMechanism.choices)
    description = models.TextField(help_text="For clinicians.")
    patient_description = models.TextField(help_text="Plain language, reading grade 8 or below.")
    symptoms = models.JSONField(default=list, blank=True)
    sources = _sources_field()

    history = HistoricalRecords(m2m_fields=[sources])

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("treatments:condition", args=[self.slug])

    @property
    def is_neuropathic(self):
        return self.pain_mechanism != PainMechanism.NOT_NEUROPATHIC

    def symptom_labels(self):
        labels = dict(Symptom.choices)
        return [labels.get(s, s) for s in self.symptoms]


class DrugClassQuerySet(ClinicalQuerySet):
    def for_class_page(self):
        """Published classes with their sources, published member drugs, the recommendations naming the
        class (with condition and guideline) and its published cautions (with factor and sources)."""
        return self.published().prefetch_related(
            published_sources(),
            models.Prefetch("drugs", queryset=Drug.objects.published()),
            models.Prefetch(
                "recommendations",
                queryset=Recommendation.objects.published().select_related("condition", "guideline"),
            ),
            models.Prefetch(
                "cautions",
                queryset=Caution.objects.published().select_related("factor").prefetch_related(published_sources()),
            ),
        )


class DrugClass(ClinicalRecord):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True)
    abbreviation = models.CharField(max_length=20, blank=True, help_text="e.g. SNRI, TCA.")
    mechanism = models.TextField()
    site_of_action = models.CharField(max_length=12, choices=SiteOfAction.choices)
    description = models.TextField(blank=True)
    sources = _sources_field()

    objects = NaturalKeyManager.from_queryset(DrugClassQuerySet)()
    history = HistoricalRecords(m2m_fields=[sources])

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "drug classes"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("treatments:drug_class", args=[self.slug])


class DrugQuerySet(ClinicalQuerySet):
    def for_explorer(self):
        """Published drugs with what matching needs, each prefetched once: the class; published cautions of the
        drug and of its class (with factor and sources); renal bands (with indication and sources); every
        published dose row (``published_doses``, with indication and sources); schedules; approvals (with
        condition); the published properties of its medicine (with sources)."""
        cited = published_sources()
        cautions = Caution.objects.published().select_related("factor").prefetch_related(cited).order_by("key")
        return (
            self.published()
            .select_related("drug_class")
            .prefetch_related(
                models.Prefetch("cautions", queryset=cautions),
                models.Prefetch("drug_class__cautions", queryset=cautions),
                models.Prefetch(
                    "renal_bands",
                    queryset=RenalDoseBand.objects.published()
                    .select_related("condition")
                    .prefetch_related(cited)
                    .order_by("-crcl_min"),
                ),
                models.Prefetch(
                    "doses",
                    queryset=DoseGuidance.objects.published()
                    .select_related("condition")
                    .prefetch_related(cited, "steps"),
                    to_attr="published_doses",
                ),
                models.Prefetch(
                    "adjustments",
                    queryset=DoseAdjustment.objects.published().select_related("condition").prefetch_related(cited),
                ),
                models.Prefetch("schedules", queryset=ControlledSchedule.objects.published()),
                models.Prefetch(
                    "monitoring", queryset=MonitoringItem.objects.published().prefetch_related(cited).order_by("key")
                ),
                models.Prefetch(
                    "approvals", queryset=RegulatoryApproval.objects.published().select_related("condition")
                ),
                # The drug's mechanisms: the published properties of its medicine (same slug), with sources.
                "medicine",
                models.Prefetch(
                    "medicine__properties",
                    queryset=MedicineProperty.objects.published().prefetch_related(cited).order_by("property"),
                ),
            )
        )

    def for_drug_page(self):
        """``for_explorer()`` plus what the drug page shows: the drug's sources, every published dose row with
        its sources (``all_doses``), the recommendations naming it (with condition and guideline), and the
        sources of its approvals and schedules."""
        return self.for_explorer().prefetch_related(
            published_sources(),
            models.Prefetch(
                "doses",
                queryset=DoseGuidance.objects.published().prefetch_related(published_sources()),
                to_attr="all_doses",
            ),
            models.Prefetch(
                "recommendations",
                queryset=Recommendation.objects.published().select_related("condition", "guideline"),
            ),
            published_sources("approvals__sources"),
            published_sources("schedules__sources"),
        )


class Drug(SpanishReview, ClinicalRecord):
    PATIENT_FIELDS = (
        "patient_what_for",
        "patient_how_to_take",
        "patient_time_to_effect",
        "patient_side_effects",
        "patient_when_to_call",
        "patient_alcohol_driving",
    )
    generic_name = models.CharField(max_length=120, help_text="International non-proprietary name.")
    slug = models.SlugField(max_length=80, unique=True)
    brand_names = models.JSONField(default=list, blank=True)
    atc_code = models.CharField(max_length=7, blank=True)
    drug_class = models.ForeignKey(DrugClass, on_delete=models.PROTECT, related_name="drugs")
    routes = models.JSONField(default=list)
    formulations = models.TextField(blank=True)
    hepatic_guidance = models.TextField(blank=True)
    common_adverse_effects = models.TextField(blank=True)
    serious_adverse_effects = models.TextField(blank=True)
    boxed_warning = models.TextField(blank=True)
    # Plain-language patient text.
    patient_what_for = models.TextField(blank=True)
    patient_how_to_take = models.TextField(blank=True)
    patient_time_to_effect = models.TextField(blank=True)
    patient_side_effects = models.TextField(blank=True)
    patient_when_to_call = models.TextField(blank=True)
    patient_alcohol_driving = models.TextField(
        blank=True,
        help_text="Plain language: alcohol, driving and machines, as the label says (empty if it says nothing).",
    )
    sources = _sources_field()

    objects = NaturalKeyManager.from_queryset(DrugQuerySet)()
    history = HistoricalRecords(m2m_fields=[sources])

    class Meta:
        ordering = ["generic_name"]
        indexes = [
            # Medicines are entered by name in any case (explorer.load_drugs).
            models.Index(Lower("generic_name"), name="treatments_drug_lower_name"),
        ]

    def __str__(self):
        return self.generic_name

    def get_absolute_url(self):
        return reverse("treatments:drug", args=[self.slug])

    def route_labels(self):
        labels = dict(Route.choices)
        return [labels.get(r, r) for r in self.routes]


class DoseGuidance(ClinicalRecord):
    """Structured adult dosing for one region and context (e.g. US label, trigeminal neuralgia)."""

    drug = models.ForeignKey(Drug, on_delete=models.PROTECT, related_name="doses")
    region = models.CharField(max_length=4, choices=Region.choices)
    context = models.CharField(max_length=120, help_text="Indication or formulation, e.g. 'neuropathic pain'.")
    condition = models.ForeignKey(
        "Condition",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="doses",
        help_text="The indication this dosing is for (a label's indication); empty = a range for any condition.",
    )
    route = models.CharField(max_length=12, choices=Route.choices, default=Route.ORAL)
    unit = models.CharField(max_length=20, default="mg/day")
    starting_dose = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    usual_target_low = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    usual_target_high = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    max_daily_dose = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    frequency = models.CharField(max_length=120, blank=True)
    starting_text = models.CharField(
        max_length=200, blank=True, help_text="How the starting dose is taken, e.g. '300 mg once on day 1'."
    )
    starting_times_a_day = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="How many doses the starting daily dose is split into."
    )
    titration = models.TextField(blank=True)
    is_default = models.BooleanField(
        default=False, help_text="The dosing the explorer uses for renal limits and summaries."
    )
    sources = _sources_field()

    NATURAL_KEY = ("drug__slug", "region", "context")
    history = HistoricalRecords(m2m_fields=[sources])

    class Meta:
        ordering = ["drug__generic_name", "-is_default", "region", "context", "pk"]
        verbose_name_plural = "dose guidance"
        constraints = [
            models.UniqueConstraint(fields=["drug", "region", "context"], name="treatments_doseguidance_unique"),
            # Start ≤ target ≤ maximum; a reversed range is always a data-entry error.
            models.CheckConstraint(
                condition=Q(starting_dose__isnull=True)
                | Q(max_daily_dose__isnull=True)
                | Q(starting_dose__lte=F("max_daily_dose")),
                name="treatments_doseguidance_start_lte_max",
            ),
            models.CheckConstraint(
                condition=Q(usual_target_low__isnull=True)
                | Q(usual_target_high__isnull=True)
                | Q(usual_target_low__lte=F("usual_target_high")),
                name="treatments_doseguidance_target_ordered",
            ),
            models.CheckConstraint(
                condition=Q(usual_target_high__isnull=True)
                | Q(max_daily_dose__isnull=True)
                | Q(usual_target_high__lte=F("max_daily_dose")),
                name="treatments_doseguidance_target_lte_max",
            ),
        ]

    def __str__(self):
        return f"{self.drug} — {self.context} ({self.region})"

    @property
    def display_order(self):
        """A drug's dose rows are shown default first, then US, UK, EU, INTL, then by context (the explorer
        shows the first row for a condition; the loader checks that row)."""
        return (not self.is_default, REGION_ORDER.get(self.region, len(REGION_ORDER)), self.context)

    def clean(self):
        errors = {}
        if self.starting_dose and self.max_daily_dose and self.starting_dose > self.max_daily_dose:
            errors["starting_dose"] = "The starting dose is above the maximum daily dose."
        if self.usual_target_low and self.usual_target_high and self.usual_target_low > self.usual_target_high:
            errors["usual_target_low"] = "The low end of the target range is above the high end."
        if self.usual_target_high and self.max_daily_dose and self.usual_target_high > self.max_daily_dose:
            errors["usual_target_high"] = "The target range goes above the maximum daily dose."
        if errors:
            raise ValidationError(errors)


class TitrationStep(models.Model):
    """One step of a dose row's titration schedule, as its source states it: from ``after_days`` days after the
    first dose, the total daily dose is ``daily_dose`` (in the row's unit), taken ``times_a_day``. A step with
    ``crcl_min`` belongs to the schedule the label's renal table gives for the band starting there (the band of
    the same drug, region and indication); without it, to the schedule for normal kidney function. A step is
    published with its row."""

    dose = models.ForeignKey(DoseGuidance, on_delete=models.CASCADE, related_name="steps")
    crcl_min = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="For a renal band's own schedule: the band's lower CrCl bound (mL/min)."
    )
    after_days = models.PositiveSmallIntegerField(
        help_text="Days after the first dose: the label's 'day 2' is 1, 'after 1 week' is 7, 'within 1 week' is 7."
    )
    daily_dose = models.DecimalField(max_digits=10, decimal_places=3, help_text="Total daily dose, in the row's unit.")
    times_a_day = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="How many doses the daily dose is split into (empty when not stated)."
    )
    text = models.CharField(max_length=200, help_text="How it is taken, e.g. '300 mg three times a day'.")

    objects = NaturalKeyManager()
    NATURAL_KEY = ("dose__drug__slug", "dose__region", "dose__context", "crcl_min", "after_days")
    history = HistoricalRecords()
    natural_key = ClinicalRecord.natural_key

    class Meta:
        ordering = ["dose", "crcl_min", "after_days"]
        constraints = [
            models.UniqueConstraint(
                fields=["dose", "after_days"],
                condition=Q(crcl_min__isnull=True),
                name="treatments_titrationstep_unique",
            ),
            models.UniqueConstraint(
                fields=["dose", "crcl_min", "after_days"],
                condition=Q(crcl_min__isnull=False),
                name="treatments_titrationstep_unique_band",
            ),
            models.CheckConstraint(condition=Q(after_days__gte=1), name="treatments_titrationstep_after_start"),
            models.CheckConstraint(condition=Q(daily_dose__gt=0), name="treatments_titrationstep_positive"),
            models.CheckConstraint(
                condition=Q(times_a_day__isnull=True) | Q(times_a_day__gte=1), name="treatments_titrationstep_times"
            ),
        ]

    def __str__(self):
        band = f" (CrCl from {self.crcl_min})" if self.crcl_min is not None else ""
        return f"{self.dose}{band}: from day {self.after_days + 1}, {self.text}"


class RenalDoseBand(ClinicalRecord):
    """Maximum dose for a creatinine-clearance band [crcl_min, crcl_max) in mL/min."""

    drug = models.ForeignKey(Drug, on_delete=models.PROTECT, related_name="renal_bands")
    region = models.CharField(max_length=4, choices=Region.choices, default=Region.US)
    condition = models.ForeignKey(
        "Condition",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="renal_bands",
        help_text="The indication whose column of the label's renal table this band gives; empty = any "
        "condition without bands of its own.",
    )
    crcl_min = models.PositiveSmallIntegerField(help_text="Lower bound, inclusive (mL/min).")
    crcl_max = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Upper bound, exclusive (mL/min); empty = no upper bound."
    )
    starting_dose = models.DecimalField(
        max_digits=10,
        decimal_places=3,
        null=True,
        blank=True,
        help_text="The label's starting dose in this band, where its renal table gives one.",
    )
    max_daily_dose = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    unit = models.CharField(max_length=20, default="mg/day")
    dosing_interval = models.CharField(max_length=120, blank=True)
    avoid = models.BooleanField(default=False, help_text="Avoid / not recommended in this band.")
    note = models.TextField(blank=True)
    dialysis_supplement = models.TextField(
        blank=True, help_text="The label's supplementary dose after haemodialysis, shown to patients on it."
    )
    sources = _sources_field()

    NATURAL_KEY = ("drug__slug", "region", "condition__slug", "crcl_min")
    history = HistoricalRecords(m2m_fields=[sources])

    class Meta:
        ordering = ["drug__generic_name", "region", "condition__slug", "-crcl_min", "pk"]
        constraints = [
            # One band per lower bound, per drug, region and indication (or for any indication).
            models.UniqueConstraint(
                fields=["drug", "region", "crcl_min"],
                condition=Q(condition__isnull=True),
                name="treatments_renaldoseband_unique",
            ),
            models.UniqueConstraint(
                fields=["drug", "region", "condition", "crcl_min"],
                condition=Q(condition__isnull=False),
                name="treatments_renaldoseband_unique_condition",
            ),
            # Bounds must be ordered, or the band matches nobody.
            models.CheckConstraint(
                condition=Q(crcl_max__isnull=True) | Q(crcl_min__lt=F("crcl_max")),
                name="treatments_renaldoseband_bounds_ordered",
            ),
            # A band either caps the dose or says avoid; never neither.
            models.CheckConstraint(
                condition=Q(avoid=True) | Q(max_daily_dose__isnull=False),
                name="treatments_renaldoseband_limit_or_avoid",
            ),
        ]

    def __str__(self):
        upper = f"{self.crcl_max}" if self.crcl_max is not None else "∞"
        indication = f", {self.condition}" if self.condition_id else ""
        return f"{self.drug}: CrCl {self.crcl_min}–{upper} mL/min ({self.region}{indication})"

    def clean(self):
        if self.crcl_max is not None and self.crcl_min is not None and self.crcl_min >= self.crcl_max:
            raise ValidationError({"crcl_max": "The upper CrCl bound must be above the lower bound."})
        if not self.avoid and self.max_daily_dose is None:
            raise ValidationError({"max_daily_dose": "Give a maximum daily dose or tick 'avoid'."})

    def contains(self, crcl):
        return crcl >= self.crcl_min and (self.crcl_max is None or crcl < self.crcl_max)

    @property
    def band_label(self):
        return crcl_range_label(self.crcl_min or None, self.crcl_max)


class DoseAdjustment(ClinicalRecord):
    """A patient adjustment to a drug's dosing from its source: a lower starting dose or maximum from an age or a
    Child–Pugh class (kidney function has its own bands, ``RenalDoseBand``)."""

    key = models.SlugField(max_length=120, unique=True, help_text="Stable key, e.g. tramadol--over-75.")
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT, related_name="adjustments")
    region = models.CharField(max_length=4, choices=Region.choices)
    condition = models.ForeignKey(
        "Condition",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The indication it is for; empty = any indication.",
    )
    age_min = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Applies from this age in completed years (the source's threshold: 'over 75 years' is 75).",
    )
    child_pugh = models.JSONField(
        default=list, blank=True, help_text='Child–Pugh classes it applies to, e.g. ["a", "b"]; empty = any.'
    )
    starting_dose = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    max_daily_dose = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    unit = models.CharField(max_length=20, default="mg/day")
    text = models.TextField(help_text="For clinicians: what the source says, with its threshold.")
    sources = _sources_field()

    NATURAL_KEY = ("key",)
    history = HistoricalRecords(m2m_fields=[sources])

    class Meta:
        ordering = ["drug__generic_name", "key"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starting_dose__isnull=False) | Q(max_daily_dose__isnull=False),
                name="treatments_doseadjustment_changes_a_dose",
            ),
            models.CheckConstraint(
                condition=Q(starting_dose__isnull=True)
                | Q(max_daily_dose__isnull=True)
                | Q(starting_dose__lte=F("max_daily_dose")),
                name="treatments_doseadjustment_start_lte_max",
            ),
        ]

    def __str__(self):
        return f"{self.drug}: {self.key}"

    def rule_problems(self):
        """What makes the adjustment unusable: no patient condition, or an unknown Child–Pugh class."""
        problems = []
        if self.age_min is None and not self.child_pugh:
            problems.append("Give the age or the Child–Pugh classes it applies to.")
        unknown = [c for c in self.child_pugh or [] if c not in ChildPugh.values]
        if unknown:
            problems.append(f"Unknown Child–Pugh class {', '.join(map(str, unknown))}.")
        return problems

    def clean(self):
        problems = self.rule_problems()
        if self.starting_dose is None and self.max_daily_dose is None:
            problems.append("Give a starting dose, a maximum daily dose or both.")
        if problems:
            raise ValidationError(problems)


class MonitoringItem(ClinicalRecord):
    """What to monitor when starting and titrating a drug (baseline tests and follow-up checks), as its source
    says, with the source's own thresholds."""

    key = models.SlugField(max_length=120, unique=True, help_text="Stable key, e.g. carbamazepine--blood-count.")
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT, related_name="monitoring")
    text = models.CharField(max_length=240, help_text="For clinicians: what to check and when, in one line.")
    sources = _sources_field()

    NATURAL_KEY = ("key",)
    history = HistoricalRecords(m2m_fields=[sources])

    class Meta:
        ordering = ["drug__generic_name", "key"]

    def __str__(self):
        return self.key


class ControlledSchedule(ClinicalRecord):
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT, related_name="schedules")
    region = models.CharField(max_length=4, choices=Region.choices)
    schedule = models.CharField(max_length=80, help_text="e.g. 'Schedule IV (CIV)', 'Schedule 3 CD'.")
    note = models.TextField(blank=True)
    sources = _sources_field()

    NATURAL_KEY = ("drug__slug", "region")
    history = HistoricalRecords(m2m_fields=[sources])

    class Meta:
        ordering = ["drug__generic_name", "region", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["drug", "region"], name="treatments_controlledschedule_unique"),
        ]

    def __str__(self):
        return f"{self.drug}: {self.schedule} ({self.region})"


class RegulatoryApproval(ClinicalRecord):
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT, related_name="approvals")
    region = models.CharField(max_length=4, choices=Region.choices)
    condition = models.ForeignKey(Condition, on_delete=models.PROTECT, null=True, blank=True, related_name="approvals")
    indication = models.CharField(max_length=200)
    product = models.CharField(max_length=120, blank=True, help_text="Brand or product, e.g. 'Lyrica CR'.")
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    sources = _sources_field()

    NATURAL_KEY = ("drug__slug", "region", "indication")
    history = HistoricalRecords(m2m_fields=[sources])

    class Meta:
        ordering = ["drug__generic_name", "region", "year", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["drug", "region", "indication"], name="treatments_regulatoryapproval_unique"
            ),
        ]

    def __str__(self):
        return f"{self.drug}: {self.indication} ({self.region} {self.year or ''})".strip()


class ProcedureQuerySet(ClinicalQuerySet):
    def for_procedure_page(self):
        """Published procedures with their sources and published indications (with condition and sources)."""
        return self.published().prefetch_related(
            published_sources(),
            models.Prefetch(
                "indications",
                queryset=ProcedureIndication.objects.published()
                .select_related("condition")
                .prefetch_related(published_sources()),
            ),
        )


class Procedure(SpanishReview, ClinicalRecord):
    PATIENT_FIELDS = ("patient_text",)

    class Category(models.TextChoices):
        NERVE_BLOCK = "nerve_block", "Nerve or sympathetic block"
        INJECTION = "injection", "Spinal injection"
        ABLATION = "ablation", "Radiofrequency procedure"
        NEUROMODULATION = "neuromodulation", "Neuromodulation"
        INTRATHECAL = "intrathecal", "Intrathecal drug delivery"
        SURGERY = "surgery", "Surgery"
        RADIOSURGERY = "radiosurgery", "Radiosurgery"
        IMMUNOTHERAPY = "immunotherapy", "Immunotherapy"
        REHABILITATION = "rehabilitation", "Rehabilitation and physical therapy"
        PSYCHOLOGICAL = "psychological", "Psychological therapy"
        SELF_CARE = "self_care", "Self-care and prevention"

    class Invasiveness(models.TextChoices):
        NON_INVASIVE = "non_invasive", "Non-invasive"
        MINIMALLY_INVASIVE = "minimally_invasive", "Minimally invasive"
        INVASIVE = "invasive", "Invasive (surgery or implant)"

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True)
    synonyms = models.JSONField(default=list, blank=True)
    category = models.CharField(max_length=20, choices=Category.choices)
    invasiveness = models.CharField(max_length=20, choices=Invasiveness.choices)
    route = models.CharField(max_length=12, choices=Route.choices)
    site_of_action = models.CharField(max_length=12, choices=SiteOfAction.choices, blank=True)
    description = models.TextField()
    risks = models.TextField(blank=True)
    patient_text = models.TextField(blank=True)
    sources = _sources_field()

    objects = NaturalKeyManager.from_queryset(ProcedureQuerySet)()
    history = HistoricalRecords(m2m_fields=[sources])

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("treatments:procedure", args=[self.slug])


class DiagnosticQuerySet(ClinicalQuerySet):
    def for_diagnostic_page(self):
        """Published diagnostics with their sources and published work-up rows (with condition and sources)."""
        return self.published().prefetch_related(
            published_sources(),
            models.Prefetch(
                "workup_items",
                queryset=WorkupItem.objects.published()
                .select_related("condition")
                .prefetch_related(published_sources()),
            ),
        )


class Diagnostic(SpanishReview, ClinicalRecord):
    PATIENT_FIELDS = ("patient_text",)

    class Category(models.TextChoices):
        BLOOD = "blood", "Blood test"
        ELECTRODIAGNOSTIC = "electrodiagnostic", "Electrodiagnostic study"
        IMAGING = "imaging", "Imaging"
        BIOPSY = "biopsy", "Biopsy"
        GENETIC = "genetic", "Genetic test"
        CSF = "csf", "Cerebrospinal fluid"
        AUTONOMIC = "autonomic", "Autonomic testing"
        SENSORY = "sensory", "Sensory testing"

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True)
    synonyms = models.JSONField(default=list, blank=True)
    category = models.CharField(max_length=20, choices=Category.choices)
    detects = models.TextField(help_text="What the test detects or rules out.")
    loinc_code = models.CharField(max_length=12, blank=True)
    patient_text = models.TextField(blank=True)
    sources = _sources_field()

    objects = NaturalKeyManager.from_queryset(DiagnosticQuerySet)()
    history = HistoricalRecords(m2m_fields=[sources])

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("treatments:diagnostic", args=[self.slug])


# --- relations that carry the clinical knowledge -----------------------------------------------


class Recommendation(ClinicalRecord):
    """One guideline's position on a drug class or a drug for a condition (one row per guideline)."""

    condition = models.ForeignKey(Condition, on_delete=models.PROTECT, related_name="recommendations")
    drug_class = models.ForeignKey(
        DrugClass, on_delete=models.PROTECT, null=True, blank=True, related_name="recommendations"
    )
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT, null=True, blank=True, related_name="recommendations")
    guideline = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="recommendations")
    line = models.CharField(max_length=16, choices=Line.choices)
    strength = models.CharField(max_length=16, choices=Strength.choices, default=Strength.NOT_GRADED)
    quality = models.CharField(max_length=12, choices=Quality.choices, default=Quality.NOT_GRADED)
    nnt = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    nnt_ci_low = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    nnt_ci_high = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    nnh = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    nnh_ci_low = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    nnh_ci_high = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    wording = models.TextField(help_text="The guideline's own wording, quoted or closely paraphrased.")
    note = models.TextField(blank=True)
    sources = _sources_field()

    NATURAL_KEY = ("condition__slug", "guideline__key", "drug_class__slug", "drug__slug")
    history = HistoricalRecords(m2m_fields=[sources])

    class Meta:
        ordering = ["condition__name", "guideline__key", "pk"]
        constraints = [
            # A recommendation is about exactly one thing: a class or a drug.
            models.CheckConstraint(
                condition=(Q(drug_class__isnull=False) & Q(drug__isnull=True))
                | (Q(drug_class__isnull=True) & Q(drug__isnull=False)),
                name="treatments_recommendation_one_target",
            ),
            # One row per guideline per option, so disagreement is visible rather than duplicated.
            models.UniqueConstraint(
                fields=["condition", "guideline", "drug_class"],
                condition=Q(drug_class__isnull=False),
                name="treatments_recommendation_unique_class",
            ),
            models.UniqueConstraint(
                fields=["condition", "guideline", "drug"],
                condition=Q(drug__isnull=False),
                name="treatments_recommendation_unique_drug",
            ),
            models.CheckConstraint(
                condition=Q(nnt_ci_low__isnull=True)
                | Q(nnt_ci_high__isnull=True)
                | Q(nnt_ci_low__lte=F("nnt_ci_high")),
                name="treatments_recommendation_nnt_ci_ordered",
            ),
            models.CheckConstraint(
                condition=Q(nnh_ci_low__isnull=True)
                | Q(nnh_ci_high__isnull=True)
                | Q(nnh_ci_low__lte=F("nnh_ci_high")),
                name="treatments_recommendation_nnh_ci_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.guideline}: {self.target} for {self.condition} — {self.get_line_display()}"

    @property
    def target(self):
        return self.drug or self.drug_class

    def clean(self):
        if bool(self.drug_class_id) == bool(self.drug_id):
            raise ValidationError("Choose either a drug class or a drug, not both and not neither.")


class ProcedureIndication(ClinicalRecord):
    condition = models.ForeignKey(Condition, on_delete=models.PROTECT, related_name="procedure_indications")
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="indications")
    role = models.CharField(max_length=16, choices=ProcedureRole.choices)
    strength = models.CharField(max_length=16, choices=Strength.choices, default=Strength.NOT_GRADED)
    evidence = models.TextField(help_text="What the evidence and guidelines say, with the source.")
    sources = _sources_field()

    NATURAL_KEY = ("condition__slug", "procedure__slug")
    history = HistoricalRecords(m2m_fields=[sources])

    class Meta:
        ordering = ["condition__name", "procedure__name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["condition", "procedure"], name="treatments_procedureindication_unique"),
        ]

    def __str__(self):
        return f"{self.procedure} for {self.condition}"


class WorkupItem(ClinicalRecord):
    condition = models.ForeignKey(Condition, on_delete=models.PROTECT, related_name="workup")
    diagnostic = models.ForeignKey(Diagnostic, on_delete=models.PROTECT, related_name="workup_items")
    priority = models.CharField(max_length=10, choices=WorkupPriority.choices)
    rationale = models.TextField()
    sources = _sources_field()

    NATURAL_KEY = ("condition__slug", "diagnostic__slug")
    history = HistoricalRecords(m2m_fields=[sources])

    class Meta:
        ordering = ["condition__name", "priority", "diagnostic__name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["condition", "diagnostic"], name="treatments_workupitem_unique"),
        ]

    def __str__(self):
        return f"{self.diagnostic} in {self.condition} ({self.priority})"


class Caution(ClinicalRecord):
    """A rule: when it applies to a patient, and what that means for a drug or a whole class.

    A rule states its source's own condition of use: a yes/no factor (pregnancy), a creatinine-clearance
    range, dialysis, Child–Pugh classes, an age, or a gene result. Every condition given must hold.
    ``explorer.rule_applies`` is the one place that reads them against a patient.
    """

    key = models.SlugField(max_length=120, unique=True, help_text="Stable key, e.g. duloxetine--crcl-below-30.")
    factor = models.ForeignKey(
        PatientFactor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cautions",
        help_text="A yes/no patient factor (pregnancy, epilepsy…). Kidney and liver function, age and genotype "
        "are the thresholds below, never a factor.",
    )
    drug_class = models.ForeignKey(DrugClass, on_delete=models.PROTECT, null=True, blank=True, related_name="cautions")
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT, null=True, blank=True, related_name="cautions")
    crcl_min = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Applies from this creatinine clearance (mL/min, inclusive)."
    )
    crcl_max = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Applies below this creatinine clearance (mL/min, exclusive): 'CrCl < 30' is 30. Patients "
        "on dialysis count as CrCl below 15.",
    )
    dialysis = models.CharField(
        max_length=3, choices=DialysisRule.choices, blank=True, help_text="Applies to patients on this dialysis."
    )
    child_pugh = models.JSONField(
        default=list, blank=True, help_text='Child–Pugh classes it applies to, e.g. ["b", "c"]; empty = any liver.'
    )
    age_min = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Applies from this age (years, inclusive): AGS Beers is 65."
    )
    gene = models.CharField(max_length=10, choices=Gene.choices, blank=True)
    phenotypes = models.JSONField(
        default=list, blank=True, help_text='Results of the gene it applies to, e.g. ["positive"] or ["poor"].'
    )
    test_first = models.BooleanField(
        default=False,
        help_text="The source asks for this test before starting: an untested patient is told to test first.",
    )
    level = models.CharField(max_length=16, choices=CautionLevel.choices)
    text = models.TextField(help_text="For clinicians: the reason and what to do, with the source's threshold.")
    region = models.CharField(max_length=4, choices=Region.choices, blank=True)
    sources = _sources_field()

    NATURAL_KEY = ("key",)
    history = HistoricalRecords(m2m_fields=[sources])

    class Meta:
        ordering = ["key"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(drug_class__isnull=False) & Q(drug__isnull=True))
                | (Q(drug_class__isnull=True) & Q(drug__isnull=False)),
                name="treatments_caution_one_target",
            ),
            # A range whose bounds are reversed matches nobody.
            models.CheckConstraint(
                condition=Q(crcl_min__isnull=True) | Q(crcl_max__isnull=True) | Q(crcl_min__lt=F("crcl_max")),
                name="treatments_caution_crcl_ordered",
            ),
            # Dialysis is its own condition: a dialysis rule has no CrCl range (dialysis counts as CrCl < 15).
            models.CheckConstraint(
                condition=Q(dialysis="") | (Q(crcl_min__isnull=True) & Q(crcl_max__isnull=True)),
                name="treatments_caution_dialysis_or_crcl",
            ),
            # A gene and its results go together.
            models.CheckConstraint(
                condition=(Q(gene="") & Q(phenotypes=[])) | (~Q(gene="") & ~Q(phenotypes=[])),
                name="treatments_caution_gene_results",
            ),
        ]

    def __str__(self):
        return f"{self.target} — {self.applies_when()}: {self.get_level_display()}"

    @property
    def target(self):
        return self.drug or self.drug_class

    def applies_when(self):
        """The rule's condition of use in words, e.g. 'CrCl < 30 mL/min' or 'age ≥ 65 and CrCl < 30 mL/min'."""
        parts = []
        if self.factor_id:
            parts.append(self.factor.name)
        if self.age_min is not None:
            parts.append(f"age ≥ {self.age_min}")
        parts += [crcl_range_label(self.crcl_min, self.crcl_max)] if self.has_crcl_range else []
        if self.dialysis:
            parts.append("on " + self.get_dialysis_display().lower())
        if self.child_pugh:
            parts.append(child_pugh_label(self.child_pugh))
        if self.gene:
            parts.append(gene_label(self.gene, self.phenotypes))
        text = " and ".join(parts)
        return text[:1].upper() + text[1:]

    @property
    def has_crcl_range(self):
        return self.crcl_min is not None or self.crcl_max is not None

    def rule_problems(self):
        """What makes the rule's condition of use wrong or empty (admin forms and the loader use it)."""
        problems = []
        if bool(self.drug_class_id) == bool(self.drug_id):
            problems.append("Choose either a drug class or a drug, not both and not neither.")
        conditions = [self.factor_id, self.has_crcl_range, self.dialysis, self.child_pugh, self.age_min, self.gene]
        if not any(c not in (None, "", [], False) for c in conditions):
            problems.append("Say when the rule applies: a factor, a CrCl range, dialysis, Child–Pugh, age or a gene.")
        if self.factor_id and self.factor.slug in PatientFactor.REPLACED_BY_INPUTS:
            problems.append(
                f"'{self.factor.slug}' is a stand-in for a measured input: state the source's own threshold "
                "(CrCl range, Child–Pugh class, age or gene result) instead."
            )
        if self.crcl_min is not None and self.crcl_max is not None and self.crcl_min >= self.crcl_max:
            problems.append("The CrCl range is empty: the lower bound must be below the upper bound.")
        if self.dialysis and self.has_crcl_range:
            problems.append("A dialysis rule has no CrCl range (patients on dialysis count as CrCl below 15).")
        if not isinstance(self.child_pugh, list) or not set(self.child_pugh) <= set(ChildPugh.values):
            problems.append("Child–Pugh classes are a list of 'a', 'b' and 'c'.")
        if self.age_min is not None and not 18 <= self.age_min <= 120:
            problems.append("The age threshold must be an adult age (18–120).")
        allowed = GENE_RESULTS.get(self.gene, ())
        if self.gene and (not isinstance(self.phenotypes, list) or not self.phenotypes):
            problems.append("Name the gene results the rule applies to.")
        elif self.gene and not set(self.phenotypes) <= set(allowed):
            problems.append(f"{self.get_gene_display()} results are: {', '.join(allowed)}.")
        if self.phenotypes and not self.gene:
            problems.append("Gene results need a gene.")
        if self.test_first and not self.gene:
            problems.append("'Test first' needs a gene.")
        return problems

    def clean(self):
        problems = self.rule_problems()
        if problems:
            raise ValidationError(problems)


def crcl_range_label(crcl_min, crcl_max):
    if crcl_min is None and crcl_max is None:
        return "any CrCl"
    if crcl_min is None:
        return f"CrCl < {crcl_max} mL/min"
    if crcl_max is None:
        return f"CrCl ≥ {crcl_min} mL/min"
    return f"CrCl {crcl_min}–{crcl_max - 1} mL/min"  # CrCl is compared in whole mL/min


def child_pugh_label(classes):
    classes = sorted(classes)
    if classes == ["a", "b", "c"]:
        return "any hepatic impairment (Child–Pugh A–C)"
    return "Child–Pugh " + " or ".join(c.upper() for c in classes)


def gene_label(gene, results):
    labels = dict(GeneResult.choices)
    return f"{Gene(gene).label} " + " or ".join(labels.get(r, r).lower() for r in results)


class Property(models.TextChoices):
    """A mechanism a medicine has, for interaction checks by mechanism (``MedicineProperty``, ``MechanismRule``)."""

    SEROTONERGIC = "serotonergic", "Serotonergic"
    MAO_INHIBITOR = "mao-inhibitor", "MAO inhibitor"
    OPIOID = "opioid", "Opioid"
    BENZODIAZEPINE = "benzodiazepine", "Benzodiazepine"
    Z_DRUG = "z-drug", "Z-drug hypnotic"
    SEDATING_ANTIHISTAMINE = "sedating-antihistamine", "Sedating antihistamine"
    ANTIPSYCHOTIC = "antipsychotic", "Antipsychotic"
    GABAPENTINOID = "gabapentinoid", "Gabapentinoid"
    MUSCLE_RELAXANT = "muscle-relaxant", "Skeletal muscle relaxant"
    BARBITURATE = "barbiturate", "Barbiturate"
    BEERS_CNS_ACTIVE = "beers-cns-active", "CNS-active (Beers 2023)"
    QT_PROLONGING = "qt-prolonging", "QT prolonging"
    ANTICHOLINERGIC = "anticholinergic", "Anticholinergic (ACB score)"
    CYP1A2_INHIBITOR = "cyp1a2-inhibitor", "CYP1A2 inhibitor"
    CYP2C9_INHIBITOR = "cyp2c9-inhibitor", "CYP2C9 inhibitor"
    CYP2C19_INHIBITOR = "cyp2c19-inhibitor", "CYP2C19 inhibitor"
    CYP2D6_INHIBITOR = "cyp2d6-inhibitor", "CYP2D6 inhibitor"
    CYP3A4_INHIBITOR = "cyp3a4-inhibitor", "CYP3A4 inhibitor"
    PGP_INHIBITOR = "pgp-inhibitor", "P-gp inhibitor"
    CYP1A2_INDUCER = "cyp1a2-inducer", "CYP1A2 inducer"
    CYP2C9_INDUCER = "cyp2c9-inducer", "CYP2C9 inducer"
    CYP2C19_INDUCER = "cyp2c19-inducer", "CYP2C19 inducer"
    CYP3A4_INDUCER = "cyp3a4-inducer", "CYP3A4 inducer"
    PGP_INDUCER = "pgp-inducer", "P-gp inducer"
    CYP1A2_SUBSTRATE = "cyp1a2-substrate", "CYP1A2 substrate"
    CYP2C9_SUBSTRATE = "cyp2c9-substrate", "CYP2C9 substrate"
    CYP2C19_SUBSTRATE = "cyp2c19-substrate", "CYP2C19 substrate"
    CYP2D6_SUBSTRATE = "cyp2d6-substrate", "CYP2D6 substrate"
    CYP3A4_SUBSTRATE = "cyp3a4-substrate", "CYP3A4 substrate"
    PGP_SUBSTRATE = "pgp-substrate", "P-gp substrate"
    CYP2D6_ACTIVATED = "cyp2d6-activated", "Activated by CYP2D6"
    CYP2C19_ACTIVATED = "cyp2c19-activated", "Activated by CYP2C19"
    ANTICOAGULANT = "anticoagulant", "Anticoagulant"
    ANTIPLATELET = "antiplatelet", "Antiplatelet"
    NSAID = "nsaid", "NSAID"
    SEROTONIN_REUPTAKE_INHIBITOR = "serotonin-reuptake-inhibitor", "Serotonin reuptake inhibitor"
    HYPONATRAEMIA = "hyponatraemia", "Can cause hyponatraemia"
    SEIZURE_THRESHOLD = "seizure-threshold", "Lowers the seizure threshold"
    HORMONAL_CONTRACEPTIVE = "hormonal-contraceptive", "Hormonal contraceptive"
    CONTRACEPTIVE_INDUCER = "contraceptive-inducer", "Makes hormonal contraception fail"


class PropertyLevel(models.TextChoices):
    NONE = "", "—"
    STRONG = "strong", "strong"
    MODERATE = "moderate", "moderate"
    WEAK = "weak", "weak"
    SENSITIVE = "sensitive", "sensitive"
    LABEL = "label", "named in its label"
    KNOWN = "known", "known risk"
    POSSIBLE = "possible", "possible risk"
    CONDITIONAL = "conditional", "conditional risk"


def _levels(*levels):
    return frozenset(levels)


# "label": the drug's own label names the effect without an FDA potency grade.
_INHIBITION = _levels(PropertyLevel.STRONG, PropertyLevel.MODERATE, PropertyLevel.WEAK, PropertyLevel.LABEL)
_SUBSTRATE = _levels(PropertyLevel.SENSITIVE, PropertyLevel.MODERATE, PropertyLevel.LABEL)
# The levels each property takes ("" only: a yes/no property). The FDA table lists P-gp inhibitors, inducers
# and substrates without grading most of them, so a P-gp property may also be ungraded ("").
PROPERTY_LEVELS = {
    p: (
        _levels(PropertyLevel.NONE, *(_INHIBITION if p.endswith(("-inhibitor", "-inducer")) else _SUBSTRATE))
        if p.startswith("pgp-")
        else _INHIBITION
        if p.startswith("cyp") and p.endswith(("-inhibitor", "-inducer"))
        else _SUBSTRATE
        if p.startswith("cyp") and p.endswith("-substrate")
        else _levels(PropertyLevel.KNOWN, PropertyLevel.POSSIBLE, PropertyLevel.CONDITIONAL)
        if p == Property.QT_PROLONGING
        else _levels(PropertyLevel.NONE)
    )
    for p in Property.values
}
ACB_SCORES = (1, 2, 3)


def parse_property_spec(spec):
    """ "property" or "property:level" -> (property, level or None for any level); ValueError if unknown."""
    prop, _, level = str(spec).partition(":")
    if prop not in PROPERTY_LEVELS:
        raise ValueError(f"unknown property '{prop}'")
    if level and level not in PROPERTY_LEVELS[prop]:
        raise ValueError(f"'{prop}' has no level '{level}' (levels: {', '.join(sorted(PROPERTY_LEVELS[prop]))})")
    return prop, level or None


class Medicine(ClinicalRecord):
    """One active ingredient (or a combination product of several) as patients take it: every name it is
    known by, its identifiers, and (through ``properties``) its interaction profile by mechanism.

    A knowledge-base drug is a medicine too (``drug``, same slug), so one vocabulary recognises both."""

    slug = models.SlugField(max_length=120, unique=True)
    name = models.CharField(max_length=200, help_text="Generic name as shown, e.g. 'Metformin'.")
    other_names = models.JSONField(
        default=list, blank=True, help_text="Other generic names: INN, BAN or USAN variants, salts (not brands)."
    )
    brand_names_us = models.JSONField(default=list, blank=True)
    brand_names_uk = models.JSONField(default=list, blank=True)
    rxcui = models.CharField("RxCUI", max_length=12, blank=True, help_text="RxNorm ingredient concept.")
    atc_code = models.CharField("ATC code", max_length=7, blank=True)
    unii = models.CharField("UNII", max_length=10, blank=True, help_text="FDA substance identifier.")
    ingredients = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="products",
        help_text="For a combination product: its ingredients (each a medicine of its own).",
    )
    drug = models.OneToOneField(
        Drug,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="medicine",
        help_text="The knowledge-base drug this medicine is (same slug).",
    )
    drug_class = models.ForeignKey(
        DrugClass,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="medicines",
        help_text="The knowledge-base class it belongs to, so class-level interactions and duplication apply.",
    )
    us_rank = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Rank among US prescriptions.")
    england_rank = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Rank among items dispensed in England."
    )
    profiled = models.BooleanField(
        default=False,
        help_text="Its interaction profile was reviewed against every mechanism list: a property it lacks, it "
        "does not have.",
    )
    sources = _sources_field()

    history = HistoricalRecords(m2m_fields=[sources])

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def record_problems(self):
        """What makes the record wrong (the loader and the admin use it)."""
        problems = []
        for field in ("other_names", "brand_names_us", "brand_names_uk"):
            value = getattr(self, field)
            if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
                problems.append(f"{field} is a list of names.")
        if self.drug_id and self.drug.slug != self.slug:
            problems.append(f"A knowledge-base drug's medicine has the drug's slug ('{self.drug.slug}').")
        if self.rxcui and not self.rxcui.isdigit():
            problems.append("An RxCUI is a number.")
        return problems

    def clean(self):
        problems = self.record_problems()
        if problems:
            raise ValidationError(problems)


class MedicineProperty(ClinicalRecord):
    """One cited mechanism of a medicine: "fluoxetine is a strong CYP2D6 inhibitor (FDA table)"."""

    medicine = models.ForeignKey(Medicine, on_delete=models.CASCADE, related_name="properties")
    property = models.CharField(max_length=32, choices=Property.choices)
    level = models.CharField(max_length=12, choices=PropertyLevel.choices, blank=True)
    score = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Anticholinergic burden (ACB) score, 1–3; only for that property."
    )
    applies_when = models.CharField(
        max_length=120,
        blank=True,
        help_text="The source's own condition of use, when it has one, e.g. 'at 200 mg/day or more'.",
    )
    note = models.CharField(max_length=400, blank=True, help_text="What the source says, in a sentence.")
    sources = _sources_field()

    NATURAL_KEY = ("medicine__slug", "property")
    history = HistoricalRecords(m2m_fields=[sources])

    class Meta:
        ordering = ["medicine__name", "property"]
        verbose_name_plural = "medicine properties"
        constraints = [
            models.UniqueConstraint(fields=["medicine", "property"], name="treatments_medicineproperty_unique"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=3),
                name="treatments_medicineproperty_acb_range",
            ),
        ]

    def __str__(self):
        return f"{self.medicine}: {self.label()}"

    def label(self):
        text = self.get_property_display()
        if self.level:
            text += f" ({self.get_level_display()})"
        if self.score:
            text += f" {self.score}"
        if self.applies_when:
            text += f", {self.applies_when}"
        return text

    def rule_problems(self):
        problems = []
        allowed = PROPERTY_LEVELS.get(self.property, frozenset())
        if self.level not in allowed:
            levels = ", ".join(sorted(level or "none" for level in allowed))
            problems.append(f"'{self.property}' takes the levels: {levels}.")
        if (self.property == Property.ANTICHOLINERGIC) != (self.score is not None):
            problems.append("An ACB score (1–3) is given for 'anticholinergic' and only for it.")
        return problems

    def clean(self):
        problems = self.rule_problems()
        if problems:
            raise ValidationError(problems)


class MechanismRule(ClinicalRecord):
    """A pair check derived from profiles: one medicine with a property on the left and another with a
    property on the right (e.g. MAO inhibitor + serotonergic drug). A curated ``Interaction`` for the same pair
    that lists the rule in ``overrides`` replaces it."""

    key = models.SlugField(max_length=120, unique=True)
    name = models.CharField(max_length=200)
    left = models.JSONField(help_text='Property specs, "property" or "property:level", e.g. "cyp2d6-inhibitor:strong".')
    right = models.JSONField(help_text="Property specs for the other medicine.")
    severity = models.CharField(max_length=16, choices=[c for c in Severity.choices if c[0] != Severity.BENEFICIAL])
    effect = models.TextField()
    mechanism = models.TextField(blank=True)
    management = models.TextField(blank=True)
    older_adult_only = models.BooleanField(default=False, help_text="Applies only to adults aged 65 or over.")
    sources = _sources_field()

    NATURAL_KEY = ("key",)
    history = HistoricalRecords(m2m_fields=[sources])

    class Meta:
        ordering = ["key"]

    def __str__(self):
        return self.name

    def rule_problems(self):
        problems = []
        for side in ("left", "right"):
            specs = getattr(self, side)
            if not isinstance(specs, list) or not specs:
                problems.append(f"'{side}' lists at least one property spec.")
                continue
            for spec in specs:
                try:
                    parse_property_spec(spec)
                except ValueError as error:
                    problems.append(f"{side}: {error}.")
        return problems

    def clean(self):
        problems = self.rule_problems()
        if problems:
            raise ValidationError(problems)


class Interaction(ClinicalRecord):
    """An interaction between two drugs, two classes, or a drug and a class."""

    key = models.SlugField(max_length=120, unique=True, help_text="Stable key, e.g. tramadol--snri.")
    drug_a = models.ForeignKey(Drug, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    class_a = models.ForeignKey(DrugClass, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    drug_b = models.ForeignKey(Drug, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    class_b = models.ForeignKey(DrugClass, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    severity = models.CharField(max_length=16, choices=Severity.choices)
    effect = models.TextField()
    mechanism = models.TextField(blank=True)
    management = models.TextField(blank=True)
    older_adult_only = models.BooleanField(default=False, help_text="Applies only to adults aged 65 or over.")
    overrides = models.ManyToManyField(
        MechanismRule,
        blank=True,
        related_name="overridden_by",
        help_text="Mechanism rules this curated pair replaces for the same two medicines (its text is more specific).",
    )
    sources = _sources_field()

    NATURAL_KEY = ("key",)
    history = HistoricalRecords(m2m_fields=[sources, overrides])

    class Meta:
        ordering = ["key"]
        constraints = [
            # Each side names exactly one drug or one class.
            models.CheckConstraint(
                condition=(Q(drug_a__isnull=False) & Q(class_a__isnull=True))
                | (Q(drug_a__isnull=True) & Q(class_a__isnull=False)),
                name="treatments_interaction_one_a",
            ),
            models.CheckConstraint(
                condition=(Q(drug_b__isnull=False) & Q(class_b__isnull=True))
                | (Q(drug_b__isnull=True) & Q(class_b__isnull=False)),
                name="treatments_interaction_one_b",
            ),
            # A thing never interacts with itself (same-class duplication is a plan check, not a row).
            models.CheckConstraint(
                condition=Q(drug_a__isnull=True) | Q(drug_b__isnull=True) | ~Q(drug_a=F("drug_b")),
                name="treatments_interaction_not_self_drug",
            ),
            models.CheckConstraint(
                condition=Q(class_a__isnull=True) | Q(class_b__isnull=True) | ~Q(class_a=F("class_b")),
                name="treatments_interaction_not_self_class",
            ),
        ]

    def __str__(self):
        return f"{self.side_a} + {self.side_b} ({self.get_severity_display()})"

    @property
    def side_a(self):
        return self.drug_a or self.class_a

    @property
    def side_b(self):
        return self.drug_b or self.class_b

    def clean(self):
        errors = []
        if bool(self.drug_a_id) == bool(self.class_a_id):
            errors.append("Side A needs exactly one drug or one class.")
        if bool(self.drug_b_id) == bool(self.class_b_id):
            errors.append("Side B needs exactly one drug or one class.")
        if self.drug_a_id and self.drug_a_id == self.drug_b_id:
            errors.append("A drug cannot interact with itself.")
        if self.class_a_id and self.class_a_id == self.class_b_id:
            errors.append("A class cannot interact with itself; same-class duplication is a plan check.")
        if errors:
            raise ValidationError(errors)


# --- feedback from readers ----------------------------------------------------------------------


class ProblemReport(models.Model):
    """A reader's report that a public page is wrong, queued for editors (see treatments/feedback.py)."""

    class RecordType(models.TextChoices):
        CONDITION = "condition", "Condition"
        DRUG = "drug", "Drug"
        DRUG_CLASS = "drug_class", "Drug class"
        PROCEDURE = "procedure", "Procedure"
        DIAGNOSTIC = "diagnostic", "Diagnostic"
        SOURCE = "source", "Source"

    class Status(models.TextChoices):
        NEW = "new", "New"
        TRIAGED = "triaged", "Triaged"
        FIXED = "fixed", "Fixed"
        REJECTED = "rejected", "Rejected"

    record_type = models.CharField(max_length=12, choices=RecordType.choices)
    record_key = models.SlugField(max_length=120, help_text="The record's slug (or a source's key).")
    link = models.CharField(max_length=300, help_text="The public page the report was sent from.")
    text = models.TextField(max_length=2000)
    email = models.EmailField(blank=True, help_text="Optional, to reply to the reporter.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW, db_index=True)
    editor_note = models.TextField(blank=True, help_text="For editors: what was done about it.")
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return f"Report on {self.get_record_type_display().lower()} '{self.record_key}'"


class KnowledgeBaseVersion(models.Model):
    """One row whose number rises with every history record, in the same transaction as the edit.

    Caches key on it (treatments/cache.py): reading it is one primary-key lookup however large the
    knowledge base grows, and a writer's row lock orders concurrent edits, so no committed change
    can hide behind another.
    """

    number = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # A singleton: the version is one row, id 1.
            models.CheckConstraint(condition=models.Q(id=1), name="treatments_knowledgebaseversion_singleton"),
        ]

    def __str__(self):
        return f"Knowledge base version {self.number}"
