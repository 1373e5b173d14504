"""What the API returns. Records come from the ORM (published rows only, prefetched by the views);
explore results are the explorer's own dataclasses, serialised field by field with no logic."""

import threading
from functools import cached_property

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .. import explorer
from .. import models as m


class SourceRefSerializer(serializers.Serializer):
    """A citation: works for a Source row and for the explorer's SourceRef alike."""

    key = serializers.CharField()
    short_name = serializers.CharField()
    title = serializers.CharField()
    year = serializers.IntegerField()
    link = serializers.CharField()


class SourceKeysField(serializers.ListField):
    """Cited sources as a list of keys (the option lists the full citations once)."""

    child = serializers.CharField()

    def to_representation(self, data):
        return [source.key for source in (data.all() if hasattr(data, "all") else data)]


class StringListField(serializers.ListField):
    child = serializers.CharField()


# --- reference records -----------------------------------------------------------------------------


class SourceSerializer(serializers.ModelSerializer):
    link = serializers.CharField(read_only=True)

    class Meta:
        model = m.Source
        fields = [
            "key",
            "kind",
            "short_name",
            "title",
            "authors",
            "year",
            "publisher",
            "doi",
            "pmid",
            "url",
            "link",
            "region",
            "superseded",
            "notes",
            "last_reviewed",
        ]


class PatientFactorSerializer(serializers.ModelSerializer):
    class Meta:
        model = m.PatientFactor
        fields = ["slug", "name", "description"]


class ConditionSerializer(serializers.ModelSerializer):
    synonyms = StringListField()
    icd10_codes = StringListField()
    symptoms = StringListField()
    sources = SourceRefSerializer(many=True)

    class Meta:
        model = m.Condition
        fields = [
            "slug",
            "name",
            "synonyms",
            "icd10_codes",
            "category",
            "pain_mechanism",
            "description",
            "patient_description",
            "symptoms",
            "last_reviewed",
            "sources",
        ]


class DrugClassSerializer(serializers.ModelSerializer):
    drugs = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    sources = SourceRefSerializer(many=True)

    class Meta:
        model = m.DrugClass
        fields = [
            "slug",
            "name",
            "abbreviation",
            "mechanism",
            "site_of_action",
            "description",
            "drugs",
            "last_reviewed",
            "sources",
        ]


def _drug_property(drug, prop):
    """The published property ``prop`` of the drug's medicine (``views.DRUG_PROPERTIES`` prefetches them), or
    None."""
    try:
        medicine = drug.medicine
    except m.Medicine.DoesNotExist:
        return None
    return next((row for row in medicine.properties.all() if row.property == prop), None)


class DrugSerializer(serializers.ModelSerializer):
    brand_names = StringListField()
    routes = StringListField()
    drug_class = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    cns_active = serializers.SerializerMethodField(help_text="Counts towards the Beers 3-or-more CNS-active rule.")
    serotonergic = serializers.SerializerMethodField()
    anticholinergic_burden = serializers.SerializerMethodField(help_text="ACB score, 0 (not on the scale) to 3.")

    def get_cns_active(self, drug) -> bool:
        return _drug_property(drug, m.Property.BEERS_CNS_ACTIVE) is not None

    def get_serotonergic(self, drug) -> bool:
        return _drug_property(drug, m.Property.SEROTONERGIC) is not None

    def get_anticholinergic_burden(self, drug) -> int:
        row = _drug_property(drug, m.Property.ANTICHOLINERGIC)
        return (row.score or 0) if row else 0

    class Meta:
        model = m.Drug
        fields = [
            "slug",
            "generic_name",
            "brand_names",
            "atc_code",
            "drug_class",
            "routes",
            "cns_active",
            "serotonergic",
            "anticholinergic_burden",
            "boxed_warning",
            "last_reviewed",
        ]


class MedicinePropertySerializer(serializers.ModelSerializer):
    sources = SourceKeysField()

    class Meta:
        model = m.MedicineProperty
        fields = ["property", "level", "score", "applies_when", "note", "sources"]


class VocabularyMedicineSerializer(serializers.ModelSerializer):
    """A medicine of the vocabulary, with its cited interaction profile."""

    other_names = StringListField()
    brand_names_us = StringListField()
    brand_names_uk = StringListField()
    ingredients = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    drug = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True, help_text="The knowledge-base drug, if any."
    )
    drug_class = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    properties = MedicinePropertySerializer(many=True)

    class Meta:
        model = m.Medicine
        fields = [
            "slug",
            "name",
            "other_names",
            "brand_names_us",
            "brand_names_uk",
            "rxcui",
            "atc_code",
            "unii",
            "ingredients",
            "drug",
            "drug_class",
            "profiled",
            "properties",
            "last_reviewed",
        ]


class DoseGuidanceSerializer(serializers.ModelSerializer):
    sources = SourceRefSerializer(many=True)

    class Meta:
        model = m.DoseGuidance
        fields = [
            "region",
            "context",
            "route",
            "unit",
            "starting_dose",
            "usual_target_low",
            "usual_target_high",
            "max_daily_dose",
            "frequency",
            "titration",
            "is_default",
            "sources",
        ]


class RenalDoseBandSerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="band_label")
    sources = SourceRefSerializer(many=True)

    class Meta:
        model = m.RenalDoseBand
        fields = [
            "region",
            "crcl_min",
            "crcl_max",
            "label",
            "max_daily_dose",
            "unit",
            "dosing_interval",
            "avoid",
            "note",
            "sources",
        ]


class CautionSerializer(serializers.ModelSerializer):
    """A rule with its own condition of use: every threshold given must hold."""

    factor = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    drug_class = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    applies_when = serializers.CharField(help_text="The condition of use in words.")
    child_pugh = StringListField()
    phenotypes = StringListField()
    sources = SourceRefSerializer(many=True)

    class Meta:
        model = m.Caution
        fields = [
            "key",
            "factor",
            "drug_class",
            "applies_when",
            "crcl_min",
            "crcl_max",
            "dialysis",
            "child_pugh",
            "age_min",
            "gene",
            "phenotypes",
            "test_first",
            "level",
            "text",
            "region",
            "sources",
        ]


class RegulatoryApprovalSerializer(serializers.ModelSerializer):
    condition = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    sources = SourceRefSerializer(many=True)

    class Meta:
        model = m.RegulatoryApproval
        fields = ["region", "condition", "indication", "product", "year", "sources"]


class ControlledScheduleSerializer(serializers.ModelSerializer):
    sources = SourceRefSerializer(many=True)

    class Meta:
        model = m.ControlledSchedule
        fields = ["region", "schedule", "note", "sources"]


class InteractionSerializer(serializers.ModelSerializer):
    a = serializers.SerializerMethodField()
    b = serializers.SerializerMethodField()
    sources = SourceRefSerializer(many=True)

    class Meta:
        model = m.Interaction
        fields = ["key", "a", "b", "severity", "effect", "mechanism", "management", "older_adult_only", "sources"]

    @extend_schema_field(serializers.CharField(help_text="Drug or drug-class slug."))
    def get_a(self, interaction):
        return interaction.side_a.slug

    @extend_schema_field(serializers.CharField(help_text="Drug or drug-class slug."))
    def get_b(self, interaction):
        return interaction.side_b.slug


class DrugDetailSerializer(DrugSerializer):
    doses = DoseGuidanceSerializer(many=True)
    renal_bands = RenalDoseBandSerializer(many=True)
    cautions = serializers.SerializerMethodField()
    approvals = RegulatoryApprovalSerializer(many=True)
    schedules = ControlledScheduleSerializer(many=True)
    interactions = serializers.SerializerMethodField()
    sources = SourceRefSerializer(many=True)

    class Meta(DrugSerializer.Meta):
        fields = [
            *DrugSerializer.Meta.fields,
            "formulations",
            "hepatic_guidance",
            "common_adverse_effects",
            "serious_adverse_effects",
            "doses",
            "renal_bands",
            "cautions",
            "approvals",
            "schedules",
            "interactions",
            "sources",
        ]

    @extend_schema_field(CautionSerializer(many=True))
    def get_cautions(self, drug):
        """The drug's own cautions, then those of its class (drug_class is set on the latter)."""
        own = CautionSerializer(drug.cautions.all(), many=True).data
        return [*own, *CautionSerializer(drug.drug_class.cautions.all(), many=True).data]

    @extend_schema_field(InteractionSerializer(many=True))
    def get_interactions(self, drug):
        """Interactions with the drug or its class: a queryset the view passes in the context."""
        return InteractionSerializer(self.context["interactions"], many=True).data


class ProcedureSerializer(serializers.ModelSerializer):
    synonyms = StringListField()
    sources = SourceRefSerializer(many=True)

    class Meta:
        model = m.Procedure
        fields = [
            "slug",
            "name",
            "synonyms",
            "category",
            "invasiveness",
            "route",
            "site_of_action",
            "description",
            "risks",
            "patient_text",
            "last_reviewed",
            "sources",
        ]


class DiagnosticSerializer(serializers.ModelSerializer):
    synonyms = StringListField()
    sources = SourceRefSerializer(many=True)

    class Meta:
        model = m.Diagnostic
        fields = [
            "slug",
            "name",
            "synonyms",
            "category",
            "detects",
            "loinc_code",
            "patient_text",
            "last_reviewed",
            "sources",
        ]


# --- explore (explorer dataclasses) ------------------------------------------------------------------


class PositionSerializer(serializers.Serializer):
    source = serializers.CharField(source="source.key", help_text="The guideline's source key.")
    line = serializers.ChoiceField(choices=m.Line.choices)
    strength = serializers.ChoiceField(choices=m.Strength.choices)
    quality = serializers.ChoiceField(choices=m.Quality.choices)
    wording = serializers.CharField()
    nnt = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    nnh = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)


class FlagSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The rule's key.")
    applies_when = serializers.CharField(help_text="The rule's condition of use, e.g. 'CrCl < 30 mL/min'.")
    certain = serializers.BooleanField(
        help_text="False when the rule may apply: an input it needs is known only roughly (then status is caution)."
    )
    level = serializers.CharField(help_text="contraindicated, avoid, caution, adjust_dose, may_benefit, or a test.")
    text = serializers.CharField()
    subject = serializers.CharField(help_text="For a drug-class option: the member drug the flag is about.")
    sources = SourceKeysField()


class DoseLimitSerializer(serializers.Serializer):
    value = serializers.DecimalField(
        max_digits=10, decimal_places=3, allow_null=True, help_text="The maximum daily dose for this patient."
    )
    unit = serializers.CharField()
    avoid = serializers.BooleanField(help_text="The renal band says avoid.")
    start = serializers.DecimalField(max_digits=10, decimal_places=3, allow_null=True)
    indication_max = serializers.DecimalField(
        max_digits=10, decimal_places=3, allow_null=True, help_text="The maximum with normal kidney function."
    )
    basis = serializers.CharField(help_text="Where the indication's numbers come from.")
    basis_kind = serializers.CharField(help_text="indication, general or other-indication.")
    band = serializers.CharField(source="band_label", help_text="The renal band applied, if any.")
    renal = serializers.BooleanField(help_text="A renal band lowered the maximum or says avoid.")
    certain = serializers.BooleanField(help_text="False when kidney function spans several bands.")
    dialysis_supplement = serializers.CharField()
    text = serializers.CharField()
    subject = serializers.CharField(help_text="For a drug-class option: the member drug.")
    sources = SourceKeysField()


class MaxDailyDoseSerializer(DoseLimitSerializer):
    subject = None


class AmountSerializer(serializers.Serializer):
    value = serializers.DecimalField(max_digits=10, decimal_places=3)
    unit = serializers.CharField()
    text = serializers.CharField()


class TargetSerializer(AmountSerializer):
    high = serializers.DecimalField(
        max_digits=10, decimal_places=3, allow_null=True, help_text="The upper end of a target range."
    )


class RegimenStepSerializer(AmountSerializer):
    after_days = serializers.IntegerField(help_text="Days after the first dose (the start is day 0).")

    @cached_property
    def _amount(self):
        return AmountSerializer()  # one per serializer (a list's child is one): building fields is costly

    def to_representation(self, instance):
        if instance.dose is None:
            return {"after_days": instance.after_days, **AmountSerializer(instance.dose).data}
        return {"after_days": instance.after_days, **self._amount.to_representation(instance.dose)}


class RegimenSerializer(serializers.Serializer):
    """How to give the drug to this patient: every number is this patient's (kidney function, age, liver)."""

    drug = serializers.CharField(source="drug_slug")
    start = AmountSerializer(allow_null=True, help_text="The starting daily dose.")
    steps = RegimenStepSerializer(many=True, help_text="Titration steps the source times, by day.")
    target = TargetSerializer(allow_null=True, help_text="The usual target daily dose (or range), capped at max.")
    max = AmountSerializer(allow_null=True, help_text="This patient's maximum daily dose.")
    frequency = serializers.CharField()
    how = serializers.CharField(help_text="The source's own titration text.")
    basis = serializers.CharField(help_text="Where the numbers come from.")
    region = serializers.CharField()
    notes = serializers.ListField(child=serializers.CharField(), help_text="Why a number differs from the label's.")
    avoid = serializers.BooleanField(help_text="The source says not to use it at this patient's kidney function.")
    certain = serializers.BooleanField(help_text="False when an input is known only roughly.")
    renal_schedule = serializers.BooleanField(help_text="The steps are the label renal table's own for this band.")
    dialysis_supplement = serializers.CharField()
    sources = SourceRefSerializer(many=True)


class MeasureSerializer(serializers.Serializer):
    value = serializers.DecimalField(max_digits=6, decimal_places=1)
    unit = serializers.CharField()
    method = serializers.CharField(help_text="cockcroft-gault, entered or ckd-epi-2021.")
    text = serializers.CharField(help_text="The equation and its inputs.")
    sources = serializers.SerializerMethodField(help_text="Source keys of the equation.")

    def get_sources(self, measure) -> list[str]:
        return [key for key, _name in measure.sources]


class MedicineSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="As typed.")
    ingredient = serializers.CharField(
        source="slug",
        allow_null=True,
        help_text="The medicine's slug in the vocabulary (a combination product's own slug), or null.",
    )
    name = serializers.CharField(help_text="The medicine's generic name, or empty.")
    ingredients = StringListField(
        source="slugs", help_text="The single ingredients checked for interactions (a product's ingredients)."
    )
    recognised = serializers.BooleanField()
    profiled = serializers.BooleanField(
        help_text="Every ingredient has a reviewed interaction profile. False for a recognised medicine means "
        '"recognised — interactions not checked".'
    )
    suggestions = serializers.SerializerMethodField(help_text="For an unrecognised name: close medicine slugs.")

    def get_suggestions(self, medicine) -> list[str]:
        return [slug for slug, _name in medicine.suggestions]

    def to_representation(self, medicine):
        data = super().to_representation(medicine)
        data["ingredient"] = data["ingredient"] or None
        return data


class PatientSerializer(serializers.Serializer):
    """The patient as the explorer understood it: kidney function with its method, and warnings."""

    age = serializers.IntegerField(allow_null=True)
    sex = serializers.CharField()
    crcl = MeasureSerializer(allow_null=True, help_text="The creatinine clearance doses use.")
    egfr = MeasureSerializer(allow_null=True, help_text="CKD-EPI 2021, for information.")
    dialysis = serializers.CharField()
    child_pugh = serializers.CharField()
    genotypes = serializers.SerializerMethodField()
    factors = serializers.SerializerMethodField()
    current = MedicineSerializer(
        many=True, source="medicines", help_text="Every current medicine as typed, recognised or not."
    )
    unrecognised = serializers.SerializerMethodField(help_text="The texts the medicine vocabulary does not know.")
    warnings = serializers.ListField(child=serializers.CharField())

    def get_unrecognised(self, patient) -> list[str]:
        return [med.text for med in patient.unrecognised]

    def get_genotypes(self, patient) -> dict:
        return dict(patient.genotypes)

    def get_factors(self, patient) -> list[str]:
        return sorted(patient.factors | patient.legacy)


class MemberStatusSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=[(s, label) for s, label in explorer.STATUS_LABELS.items()])
    already_taking = serializers.BooleanField()
    flags = FlagSerializer(many=True)
    dose_limit = DoseLimitSerializer(allow_null=True)
    regimen = RegimenSerializer(allow_null=True)


class OptionInteractionSerializer(serializers.Serializer):
    """One interaction between an option and a current medication: (current drug name, InteractionRef)."""

    current = serializers.CharField(help_text="The current medication (drug slug).")
    current_name = serializers.CharField()
    key = serializers.CharField()
    severity = serializers.ChoiceField(choices=m.Severity.choices)
    effect = serializers.CharField()
    mechanism = serializers.CharField()
    management = serializers.CharField()
    origin = serializers.ChoiceField(
        choices=[("curated", "curated pair"), ("mechanism", "mechanism rule")],
        help_text="A reviewed pair row, or a rule over the two medicines' properties.",
    )
    rule_name = serializers.CharField(help_text="A mechanism rule's name.")
    basis = serializers.CharField(help_text="A mechanism rule's matching properties of each medicine.")
    subject = serializers.CharField(help_text="On a drug-class option: the member drug it is about, or empty.")
    sources = SourceKeysField()

    def to_representation(self, instance):
        name, interaction = instance
        current = {"current": self.context["current_slugs"].get(name, ""), "current_name": name}
        return super().to_representation({**vars(interaction), **current})


class OptionSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=list(explorer.KIND_LABELS.items()))
    slug = serializers.CharField()
    name = serializers.CharField()
    line = serializers.ChoiceField(choices=m.Line.choices, help_text="The best line across current guidelines.")
    disagree = serializers.BooleanField(help_text="Current guidelines put it on different lines.")
    positions = PositionSerializer(many=True)
    nnt = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    nnh = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    status = serializers.ChoiceField(
        choices=[(s, label) for s, label in explorer.STATUS_LABELS.items()], help_text="For this patient."
    )
    already_taking = serializers.BooleanField(help_text="A drug option the patient already takes.")
    notices = FlagSerializer(many=True, help_text="Tests a rule asks for before starting, not done for this patient.")
    flags = FlagSerializer(many=True)
    benefits = FlagSerializer(many=True, help_text="Patient factors this option may also help.")
    members = MemberStatusSerializer(
        many=True, source="member_statuses", help_text="For a drug-class option: each member's own status."
    )
    max_daily_dose = MaxDailyDoseSerializer(
        allow_null=True, help_text="The drug option's maximum for this condition and patient; null otherwise."
    )
    dose_limits = DoseLimitSerializer(many=True, help_text="The maximum of each of the option's drugs.")
    regimen = serializers.SerializerMethodField(help_text="A drug option's regimen for this patient; null otherwise.")
    interactions = OptionInteractionSerializer(many=True, help_text="With the current medications.")
    sources = SourceRefSerializer(many=True)

    @extend_schema_field(RegimenSerializer(allow_null=True))
    def get_regimen(self, option):
        if option.kind != explorer.KIND_DRUG or not option.regimens:
            return None
        return self._regimen.to_representation(option.regimens[0])

    @cached_property
    def _regimen(self):
        return RegimenSerializer()  # once per serializer, not per option (it reads no context)


class WorkupSerializer(serializers.Serializer):
    diagnostic = serializers.CharField(source="slug", help_text="Diagnostic slug.")
    name = serializers.CharField()
    priority = serializers.ChoiceField(choices=m.WorkupPriority.choices)
    rationale = serializers.CharField()
    sources = SourceRefSerializer(many=True)


class ExploreSerializer(serializers.Serializer):
    condition = ConditionSerializer()
    patient = PatientSerializer()
    total = serializers.IntegerField(help_text="Options before the option filters.")
    options = OptionSerializer(many=True, help_text="In the explorer's order; contraindicated options last.")
    workup = WorkupSerializer(many=True)


# --- plan check and patient summary (treatments.plan dataclasses) --------------------------------------


class PlanItemSerializer(serializers.Serializer):
    drug = serializers.CharField(source="drug.slug")
    name = serializers.CharField(source="drug.name")
    status = serializers.ChoiceField(choices=list(explorer.STATUS_LABELS.items()), help_text="For this patient.")
    flags = FlagSerializer(many=True)
    benefits = FlagSerializer(many=True)
    notices = FlagSerializer(many=True)
    max_daily_dose = MaxDailyDoseSerializer(source="dose_limit", allow_null=True)
    regimen = RegimenSerializer(allow_null=True)


class PairSerializer(serializers.Serializer):
    a = serializers.CharField(help_text="Drug slug.")
    b = serializers.CharField(help_text="Drug slug.")
    a_name = serializers.CharField()
    b_name = serializers.CharField()
    key = serializers.CharField(source="interaction.key")
    severity = serializers.ChoiceField(choices=m.Severity.choices)
    effect = serializers.CharField(source="interaction.effect")
    mechanism = serializers.CharField(source="interaction.mechanism")
    management = serializers.CharField(source="interaction.management")
    origin = serializers.CharField(source="interaction.origin", help_text="curated (a reviewed pair) or mechanism.")
    rule_name = serializers.CharField(source="interaction.rule_name", help_text="A mechanism rule's name.")
    basis = serializers.CharField(source="interaction.basis", help_text="A mechanism rule's matching properties.")
    sources = SourceRefSerializer(many=True, source="interaction.sources")


class PlanCheckItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    severity = serializers.ChoiceField(choices=m.Severity.choices)
    text = serializers.CharField()
    drugs = StringListField()
    sources = SourceRefSerializer(many=True)


class ComplementSerializer(serializers.Serializer):
    a = serializers.CharField()
    b = serializers.CharField()
    a_name = serializers.CharField()
    b_name = serializers.CharField()
    different_site = serializers.BooleanField()
    different_mechanism = serializers.BooleanField()
    supported = serializers.BooleanField(help_text="A beneficial-combination row supports the pair.")
    sites = StringListField()
    sources = SourceRefSerializer(many=True)


class PlanCheckSerializer(serializers.Serializer):
    patient = PatientSerializer(source="criteria.patient")
    worst_severity = serializers.CharField(help_text="The most severe pair or check, or empty.")
    items = PlanItemSerializer(many=True, help_text="Each plan drug for this patient.")
    pairs = PairSerializer(many=True, help_text="Interactions between plan drugs and current medicines.")
    checks = PlanCheckItemSerializer(many=True, help_text="Checks of the plan as a whole.")
    complementarity = ComplementSerializer(many=True)


class CalendarSegmentSerializer(serializers.Serializer):
    first_day = serializers.IntegerField()
    last_day = serializers.IntegerField()
    words = serializers.CharField(help_text="What to take, in the summary's language.")


class CalendarWeekSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    first_day = serializers.IntegerField()
    last_day = serializers.IntegerField()
    segments = CalendarSegmentSerializer(many=True)


class SummaryItemSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    brand_names = StringListField()
    start = serializers.CharField(help_text="This patient's starting dose, in words.")
    never_more = serializers.CharField(help_text="This patient's maximum, in words.")
    calendar = CalendarWeekSerializer(many=True, allow_null=True, help_text="The titration, week by week.")
    regimen = RegimenSerializer(allow_null=True)
    what_for = serializers.CharField()
    how_to_take = serializers.CharField()
    time_to_effect = serializers.CharField()
    side_effects = serializers.CharField()
    when_to_call = serializers.CharField()
    alcohol_driving = serializers.CharField()
    others = StringListField(help_text="The patient's own medicines that interact with this one, in words.")
    avoid_with = StringListField()
    untranslated = serializers.BooleanField(help_text="Some text is in English: its Spanish is missing or out of date.")


class SummaryProcedureSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    text = serializers.CharField()


class SummarySerializer(serializers.Serializer):
    lang = serializers.CharField()
    spanish_reviewed = serializers.DateField(allow_null=True, help_text="When the Spanish texts shown were reviewed.")
    untranslated = serializers.BooleanField()
    condition_name = serializers.CharField()
    condition_text = serializers.CharField()
    items = SummaryItemSerializer(many=True)
    procedures = SummaryProcedureSerializer(many=True)
    next_steps = StringListField()
    avoid_intro = serializers.CharField()


_trees = threading.local()


def represent(serializer_class, instance, context=None):
    """``serializer_class(instance, context=context).data``, from a serializer tree built once per thread.

    A serializer copies its declared fields, nested serializers included, on first use (DRF's ``get_fields``
    deep-copies them): for the explore response, some 25 nested serializers per request, about a third of its
    time. The tree is kept and given each request's context; nested serializers read the context from the root
    (``Field.context``), so no request sees another's. Only for serializers that keep no state of their own
    between calls (the read-only ones here)."""
    trees = _trees.__dict__
    root = trees.get(serializer_class)
    if root is None:
        root = trees[serializer_class] = serializer_class()
    root._context = context or {}
    try:
        return serializers.ReturnDict(root.to_representation(instance), serializer=root)
    finally:
        root._context = {}
