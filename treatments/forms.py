"""Forms: parse and validate the query string, the one place that does.

The explorer's whole state lives in the URL. ``PatientForm`` reads the patient (age, sex, weight, height,
creatinine, CrCl, dialysis, Child–Pugh, gene results, yes/no factors, current medicines) and builds one
``explorer.Patient``; the condition page, its CSV, the API, the plan, the compare page and the printed
summaries all bind a subclass of it, so there is no second parser. A bad value is a form error next to
its field (naming the range), never silently ignored; a plausible but suspicious value is a warning on a
result that is still shown (``Patient.warnings``).

Medicines are entered by generic name, brand name or slug (``DrugNamesField``), not picked from a list of
every drug: one lookup resolves all the names in a form, so a page costs the same however many drugs the
knowledge base holds.

``bind_explorer`` and ``bind_plan`` bind a request to its form and run the evaluation; the HTML views and
the API call them.
"""

from decimal import Decimal

from django import forms
from django.db.models import Q
from django.db.models.functions import Lower

from . import cache, explorer, plan
from . import models as m

MAX_CURRENT_MEDICATIONS = 20
MAX_NAME_LENGTH = 80
AGE_MIN, AGE_MAX = 18, 120  # adult guidance only
CRCL_MIN, CRCL_MAX = 0, 200  # mL/min
WEIGHT_MIN, WEIGHT_MAX = 25, 350  # kg
HEIGHT_MIN, HEIGHT_MAX = 120, 250  # cm
SCR_MIN, SCR_MAX = Decimal("0.1"), 30  # mg/dL
SCR_UMOL_MIN, SCR_UMOL_MAX = 9, 2650  # µmol/L (0.1–30 mg/dL)
GENE_FIELDS = {
    "hla_b1502": m.Gene.HLA_B1502,
    "hla_a3101": m.Gene.HLA_A3101,
    "cyp2d6": m.Gene.CYP2D6,
    "cyp2c19": m.Gene.CYP2C19,
    "cyp2c9": m.Gene.CYP2C9,
}
# The patient's parameters, in the order the page and the API list them.
PATIENT_PARAMETERS = (
    "age",
    "sex",
    "weight",
    "height",
    "scr",
    "scr_umol",
    "crcl",
    "dialysis",
    "child_pugh",
    *GENE_FIELDS,
    "factors",
    "current",
)


class CommaCheckboxSelectMultiple(forms.CheckboxSelectMultiple):
    """Check boxes that read comma lists (?f=a,b) as well as repeated parameters, so the boxes of an address
    written either way come back ticked."""

    def value_from_datadict(self, data, files, name):
        values = super().value_from_datadict(data, files, name) or []
        return [part.strip() for value in values for part in value.split(",") if part.strip()]


class MultiValueField(forms.MultipleChoiceField):
    """Accepts repeated parameters (?f=a&f=b, as an HTML form sends) and comma lists (?f=a,b): its check
    boxes split them (``CommaCheckboxSelectMultiple``)."""

    widget = CommaCheckboxSelectMultiple


class DrugNamesField(forms.Field):
    """Medicines by generic name, brand name or slug, repeated (?current=a&current=b) or comma-separated. Empty
    entries (an empty "add a medicine" box) are dropped. The names are checked by the form
    (``DrugNamesFormMixin``), all fields at once."""

    widget = forms.MultipleHiddenInput

    def __init__(self, *, max_items=MAX_CURRENT_MEDICATIONS, lenient=False, others_to="", **kwargs):
        """``lenient``: any medicine of the vocabulary (``medicines.Vocabulary``); a name it does not know is
        listed back as not recognised (with suggestions), not an error — a patient's medication list never
        blanks the results. Otherwise the names are knowledge-base drugs; with ``others_to`` (a lenient
        field's name), a recognised medicine that is not one is checked as a co-medication in that field."""
        self.max_items = max_items
        self.lenient = lenient
        self.others_to = others_to
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        names = list(dict.fromkeys(part.strip() for item in value for part in str(item).split(",") if part.strip()))
        for name in names:
            if any(ord(char) < 32 or ord(char) == 127 for char in name):  # e.g. NUL, which PostgreSQL refuses
                raise forms.ValidationError("A name cannot contain control characters.")
            if len(name) > MAX_NAME_LENGTH:
                raise forms.ValidationError(f"A name has at most {MAX_NAME_LENGTH} characters.")
        if len(names) > self.max_items:
            raise forms.ValidationError(f"Enter at most {self.max_items} names.")
        return names


class DrugNamesFormMixin:
    """Resolves the form's medicine fields (``drug_fields``). Knowledge-base drugs (plan drugs) are looked up
    in one query (``drug_lookup``: names -> ``explorer.NameLookup``); a lenient field (current medicines) is
    recognised against the medicine vocabulary (``vocabulary``: () -> ``medicines.Vocabulary``).

    After cleaning: the fields hold slugs (a lenient field: the ingredient slugs to check); ``self.found`` is
    the drug lookup; ``self.chosen[field]`` lists (slug, name) for the page; ``self.unknown[field]`` the names
    not recognised (a field error for a strict field); ``self.medicines[field]`` an ``explorer.Medicine`` per
    name as typed (lenient fields); ``self.current_medicines`` the ``MedicineRef`` of every ingredient slug."""

    drug_lookup = None
    vocabulary = None
    chosen = unknown = medicines = current_medicines = {}  # until cleaned
    found = explorer.NameLookup({}, {})

    def clean(self):
        cleaned = super().clean()
        self.chosen, self.unknown, self.medicines, self.current_medicines = {}, {}, {}, {}
        fields = self.drug_fields()
        names = {name: list(cleaned.get(name) or []) for name in fields if name in cleaned}
        strict = [value for name, values in names.items() if not fields[name].lenient for value in values]
        self.found = self.drug_lookup(strict) if strict else explorer.NameLookup({}, {})
        for name, values in list(names.items()):  # strict fields first: their co-medications join a lenient field
            if fields[name].lenient:
                continue
            slugs, unknown = self.found.resolve(values)
            target = fields[name].others_to
            if target and unknown:
                others = [text for text in unknown if self._vocabulary().recognise(text)]
                unknown = [text for text in unknown if text not in others]
                if others and target not in cleaned and target not in self._errors:
                    cleaned[target] = []
                names[target] = list(dict.fromkeys([*names.get(target, []), *others]))
            cleaned[name] = slugs
            self.chosen[name] = [(slug, self.found.items[slug].name) for slug in slugs]
            self.unknown[name] = ", ".join(unknown)
            if unknown:
                self.add_error(
                    name,
                    "No published medicine is called " + _quoted(unknown) + ". "
                    "Enter a generic or brand name, for example pregabalin or Lyrica.",
                )
        for name, values in names.items():
            if not fields[name].lenient or name not in cleaned:
                continue
            if not values:
                cleaned[name], self.medicines[name], self.chosen[name], self.unknown[name] = [], (), [], ""
                continue
            entries = self._medicines(values)
            self.medicines[name] = entries
            cleaned[name] = list(dict.fromkeys(slug for entry in entries for slug in entry.slugs))
            self.chosen[name] = [(entry.slug, entry.name) for entry in entries if entry.recognised]
            self.unknown[name] = ", ".join(entry.text for entry in entries if not entry.recognised)
            vocabulary = self._vocabulary()
            for slug in cleaned[name]:
                self.current_medicines[slug] = vocabulary.get(slug)
        return cleaned

    def _vocabulary(self):
        if not hasattr(self, "_vocabulary_cache"):
            self._vocabulary_cache = (self.vocabulary or cache.vocabulary)()
        return self._vocabulary_cache

    def _medicines(self, values):
        """``explorer.Medicine`` for each name as typed, in order, one per record (a name joined by "/" that no
        product record has gives one per part); suggestions for the names not recognised."""
        vocabulary = self._vocabulary()
        entries, seen = [], set()
        for text in values:
            slugs = vocabulary.recognise(text)
            if not slugs:
                entries.append(explorer.Medicine(text, suggestions=vocabulary.suggest(text)))
                continue
            for slug in slugs:
                if slug in seen:
                    continue
                seen.add(slug)
                record = vocabulary.get(slug)
                ingredients = vocabulary.ingredients(slug)
                profiled = all(vocabulary.get(i).profiled for i in ingredients)
                entries.append(explorer.Medicine(text, slug, record.name, slugs=ingredients, profiled=profiled))
        return tuple(entries)

    def drug_fields(self):
        return {name: f for name, f in self.fields.items() if isinstance(f, DrugNamesField)}


def _quoted(names):
    return ", ".join(f"“{name}”" for name in names)


def _number(label, low, high, unit, *, decimals, help_text="", integer=False):
    """A number field whose range errors name the field and the range."""
    messages = {
        "min_value": f"{label} must be between {low} and {high} {unit}.",
        "max_value": f"{label} must be between {low} and {high} {unit}.",
        "invalid": f"Enter {label.lower()} as a number" + (" of whole years." if integer else "."),
        "max_decimal_places": f"Enter {label.lower()} with at most {decimals} decimal places.",
        "max_digits": f"{label} must be between {low} and {high} {unit}.",
        "max_whole_digits": f"{label} must be between {low} and {high} {unit}.",
    }
    label_text = f"{label} ({unit})"
    if integer:
        return forms.IntegerField(
            label=label_text,
            min_value=low,
            max_value=high,
            required=False,
            help_text=help_text,
            error_messages=messages,
        )
    return forms.DecimalField(
        label=label_text,
        min_value=low,
        max_value=high,
        max_digits=6 + decimals,
        decimal_places=decimals,
        required=False,
        help_text=help_text,
        error_messages=messages,
    )


def _gene_field(gene):
    labels = dict(m.GeneResult.choices)
    return forms.ChoiceField(
        label=m.Gene(gene).label,
        choices=[("", "Not tested"), *((r, labels[r]) for r in m.GENE_RESULTS[gene])],
        required=False,
    )


class PatientForm(DrugNamesFormMixin, forms.Form):
    """The patient's inputs (``PATIENT_PARAMETERS``). ``patient()`` gives the ``explorer.Patient`` of a valid form.

    ``factors`` accepts the yes/no factors and, for old addresses, the stand-ins that measured inputs
    replaced (older adult, kidney impairment, liver impairment, HLA-B*15:02 positive), which
    ``explorer.make_patient`` maps onto those inputs."""

    age = _number("Age", AGE_MIN, AGE_MAX, "years", decimals=0, integer=True)
    sex = forms.ChoiceField(label="Sex", choices=[("", "Not given"), *m.Sex.choices], required=False)
    weight = _number("Weight", WEIGHT_MIN, WEIGHT_MAX, "kg", decimals=1)
    height = _number("Height", HEIGHT_MIN, HEIGHT_MAX, "cm", decimals=1, help_text="For the obesity weight rule.")
    scr = _number("Serum creatinine", SCR_MIN, SCR_MAX, "mg/dL", decimals=2)
    scr_umol = _number("Serum creatinine", SCR_UMOL_MIN, SCR_UMOL_MAX, "µmol/L", decimals=1)
    crcl = _number(
        "Creatinine clearance",
        CRCL_MIN,
        CRCL_MAX,
        "mL/min",
        decimals=1,
        help_text="Measured or already calculated; overrides the Cockcroft–Gault estimate.",
    )
    dialysis = forms.ChoiceField(label="Dialysis", choices=[("", "None"), *m.Dialysis.choices], required=False)
    child_pugh = forms.ChoiceField(
        label="Liver function (Child–Pugh)", choices=[("", "No known impairment"), *m.ChildPugh.choices], required=False
    )
    hla_b1502 = _gene_field(m.Gene.HLA_B1502)
    hla_a3101 = _gene_field(m.Gene.HLA_A3101)
    cyp2d6 = _gene_field(m.Gene.CYP2D6)
    cyp2c19 = _gene_field(m.Gene.CYP2C19)
    cyp2c9 = _gene_field(m.Gene.CYP2C9)
    factors = MultiValueField(label="Patient factors", required=False)
    current = DrugNamesField(label="Current medicines", lenient=True)

    def __init__(self, data=None, *, drug_lookup, factors=(), vocabulary=None):
        super().__init__(data)
        self.drug_lookup = drug_lookup
        self.vocabulary = vocabulary
        self.fields["factors"].choices = list(factors) or [(slug, slug) for slug in m.PatientFactor.SLUGS]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("scr") is not None and cleaned.get("scr_umol") is not None:
            self.add_error("scr_umol", "Enter serum creatinine once: in mg/dL (scr) or in µmol/L (scr_umol), not both.")
        return cleaned

    def number_fields(self):
        return [self[name] for name in ("age", "weight", "height", "scr", "scr_umol", "crcl")]

    def choice_fields(self):
        return [self[name] for name in ("sex", "dialysis", "child_pugh")]

    def gene_fields(self):
        return [self[name] for name in GENE_FIELDS]

    def genes_entered(self):
        return any(self[name].value() or self[name].errors for name in GENE_FIELDS)

    def visible_factors(self):
        """The factor checkboxes to show: the yes/no factors, and a stand-in only when an old address ticked it."""
        ticked = set(self["factors"].value() or ())
        return [
            box
            for box in self["factors"]
            if box.data["value"] not in m.PatientFactor.REPLACED_BY_INPUTS or box.data["value"] in ticked
        ]

    def patient(self):
        c = self.cleaned_data
        return explorer.make_patient(
            age=c.get("age"),
            sex=c.get("sex") or "",
            weight=c.get("weight"),
            height=c.get("height"),
            scr=c.get("scr"),
            scr_umol=c.get("scr_umol"),
            crcl=c.get("crcl"),
            dialysis=c.get("dialysis") or "",
            child_pugh=c.get("child_pugh") or "",
            genotypes={gene: c[name] for name, gene in GENE_FIELDS.items() if c.get(name)},
            factors=c.get("factors") or (),
            current=tuple(dict.fromkeys(c.get("current") or []))[:MAX_CURRENT_MEDICATIONS],
            medicines=self.medicines.get("current", ()),
        )

    def patient_query(self):
        """The valid patient inputs as (name, values) pairs, medicines as slugs, for links that keep the patient."""
        c = self.cleaned_data
        pairs = []
        for name in PATIENT_PARAMETERS:
            value = c.get(name)
            if name == "current" and name in self.medicines:  # unrecognised names stay, as typed
                value = [med.slug or med.text for med in self.medicines[name]]
            values = value if isinstance(value, list) else [value]
            values = [explorer.format_number(v) if not isinstance(v, str) else v for v in values if v not in (None, "")]
            if values:
                pairs.append((name, values))
        return pairs


YES_NO = [("yes", "Controlled drugs only"), ("no", "Not controlled")]
STRENGTH_CHOICES = [
    (m.Strength.LEVEL_C, "At least Level C or equivalent"),
    (m.Strength.WEAK_FOR, "At least weak / Level B"),
    (m.Strength.STRONG_FOR, "Strong / Level A only"),
]
QUALITY_CHOICES = [
    (m.Quality.LOW, "At least low"),
    (m.Quality.MODERATE, "At least moderate"),
    (m.Quality.HIGH, "High only"),
]
SITE_CHOICES = [(m.SiteOfAction.PERIPHERAL, "Peripheral"), (m.SiteOfAction.CENTRAL, "Central")]
ROUTE_CHOICES = [
    (m.Route.ORAL, "Oral"),
    (m.Route.TOPICAL, "Topical"),
    (m.Route.INJECTION, "Injection or infusion"),
    (m.Route.INTRATHECAL, "Intrathecal"),
    (m.Route.DEVICE, "Device"),
    (m.Route.OROMUCOSAL, "Oromucosal spray"),
    (m.Route.SURGERY, "Surgery"),
    (m.Route.NON_DRUG, "Non-drug therapy"),
]
KIND_CHOICES = list(explorer.KIND_LABELS.items())


def _multi(label, choices=()):
    return MultiValueField(label=label, choices=choices, required=False)


class ExplorerForm(PatientForm):
    """The condition page's state: the patient, the drugs in the plan tray, and the option filters."""

    plan = DrugNamesField(label="Drugs in your plan")
    kind = _multi("Kind", KIND_CHOICES)
    line = _multi("Line of therapy", m.Line.choices)
    min_strength = forms.ChoiceField(
        label="Strength of recommendation", choices=[("", "Any"), *STRENGTH_CHOICES], required=False
    )
    min_quality = forms.ChoiceField(
        label="Quality of evidence", choices=[("", "Any"), *QUALITY_CHOICES], required=False
    )
    guideline = forms.ChoiceField(label="Guideline", choices=[("", "All side by side")], required=False)
    route = _multi("Route", ROUTE_CHOICES)
    site = _multi("Site of action", SITE_CHOICES)
    drug_class = _multi("Drug class")
    approved_in = forms.ChoiceField(
        label="Approved for this condition in", choices=[("", "Any region"), *m.Region.choices[:2]], required=False
    )
    controlled = forms.ChoiceField(label="Controlled substance", choices=[("", "Either"), *YES_NO], required=False)
    hide_contraindicated = forms.BooleanField(label="Hide contraindicated options", required=False)

    def __init__(self, data=None, *, drug_lookup, factors=(), classes=(), guidelines=(), vocabulary=None):
        super().__init__(data, drug_lookup=drug_lookup, factors=factors, vocabulary=vocabulary)
        self.fields["drug_class"].choices = list(classes)
        self.fields["guideline"].choices = [("", "All side by side"), *guidelines]

    def filters(self):
        c = self.cleaned_data
        controlled = c.get("controlled")
        return explorer.Filters(
            kinds=frozenset(c.get("kind") or ()),
            lines=frozenset(c.get("line") or ()),
            min_strength=c.get("min_strength") or "",
            min_quality=c.get("min_quality") or "",
            guideline=c.get("guideline") or "",
            routes=frozenset(c.get("route") or ()),
            sites=frozenset(c.get("site") or ()),
            drug_classes=frozenset(c.get("drug_class") or ()),
            approved_in=c.get("approved_in") or "",
            controlled=None if not controlled else controlled == "yes",
            hide_contraindicated=bool(c.get("hide_contraindicated")),
        )


class PlanForm(PatientForm):
    """The plan's URL state: chosen drugs and procedures, the condition, and the same patient as the explorer."""

    drugs = DrugNamesField(label="Drugs in the plan", others_to="current")
    procedures = DrugNamesField(label="Procedures in the plan")
    condition = forms.CharField(label="Condition (optional)", required=False, max_length=MAX_NAME_LENGTH)

    def __init__(self, data=None, *, drug_lookup, procedure_lookup, factors=(), vocabulary=None, condition_lookup=None):
        super().__init__(data, drug_lookup=drug_lookup, factors=factors, vocabulary=vocabulary)
        self.procedure_lookup = procedure_lookup
        self.condition_lookup = condition_lookup or find_condition
        self.condition = None

    def drug_fields(self):
        return {name: f for name, f in self.fields.items() if isinstance(f, DrugNamesField) and name != "procedures"}

    def clean_condition(self):
        """A condition by slug or name (any case); the form keeps the record for the summary."""
        text = self.cleaned_data["condition"].strip()
        if not text:
            return ""
        self.condition = self.condition_lookup(text)
        if self.condition is None:
            raise forms.ValidationError(f"No published condition is called “{text}”.")
        return self.condition.slug

    def clean(self):
        cleaned = super().clean()
        if "procedures" in cleaned:
            names = cleaned["procedures"]
            found = self.procedure_lookup(names)
            slugs, unknown = found.resolve(names)
            cleaned["procedures"] = slugs
            self.chosen["procedures"] = [(slug, found.items[slug].name) for slug in slugs]
            self.unknown["procedures"] = ", ".join(unknown)
            if unknown:
                self.add_error("procedures", "No published procedure is called " + _quoted(unknown) + ".")
        chosen = list(dict.fromkeys(cleaned.get("drugs") or [])) + list(dict.fromkeys(cleaned.get("procedures") or []))
        if len(chosen) > plan.MAX_ITEMS:
            raise forms.ValidationError(f"A plan can hold at most {plan.MAX_ITEMS} items.")
        return cleaned

    def plan_criteria(self):
        c = self.cleaned_data
        return plan.PlanCriteria(
            drugs=tuple(dict.fromkeys(c.get("drugs") or [])),
            procedures=tuple(dict.fromkeys(c.get("procedures") or [])),
            patient=self.patient(),
            condition=c.get("condition") or "",
            condition_name=self.condition.name if self.condition else "",
        )


def find_condition(text):
    """The published condition whose slug or name is ``text`` (any case), with what a summary shows, or None."""
    return (
        m.Condition.objects.published()
        .annotate(lower_name=Lower("name"))
        .filter(Q(slug=text.lower()) | Q(lower_name=text.lower()))
        .only("slug", "name", "patient_description_en", "patient_description_es", "spanish_reviewed", "spanish_source")
        .first()
    )


# --- binding a request ------------------------------------------------------------------------------


def drug_lookup(request):
    """Names -> ``explorer.NameLookup`` of drugs, cached under this request's knowledge-base version."""
    kb_version = cache.request_version(request)
    return lambda names: cache.drugs(names, kb_version)


def vocabulary(request):
    """() -> the medicine vocabulary and mechanism rules of this request's knowledge-base version."""
    kb_version = cache.request_version(request)
    return lambda: cache.vocabulary(kb_version)


def procedure_lookup(request):
    """Names -> ``explorer.NameLookup`` of procedures, cached under this request's knowledge-base version."""
    kb_version = cache.request_version(request)
    return lambda names: cache.procedures(names, kb_version)


def bind_explorer(request, condition):
    """Bind the explorer's form to the query string and evaluate the condition for its patient. Shared by the
    page, its CSV and the API. Returns (data, form, result); result is None when the form is invalid. The
    returned data carries the entered medicines (``current_drugs``) when the form is valid."""
    kb_version = cache.request_version(request)
    data = cache.condition_data(condition, kb_version)
    form = ExplorerForm(
        request.GET,
        drug_lookup=drug_lookup(request),
        vocabulary=vocabulary(request),
        factors=cache.patient_factors(kb_version),
        classes=data.drug_classes,
        guidelines=[(g.key, g.short_name) for g in data.guidelines],
    )
    result = None
    if form.is_valid():
        data = explorer.with_current(data, cache.vocabulary(kb_version), form.current_medicines)
        result = explorer.evaluate(data, form.patient(), form.filters())
    return data, form, result


def bind_plan(request):
    """Bind the plan form to the query string and check the plan. Shared by page, summaries, PDF and API.
    Returns (form, data, result, condition); data and result are None when the form is invalid."""
    kb_version = cache.request_version(request)
    form = PlanForm(
        request.GET,
        drug_lookup=drug_lookup(request),
        vocabulary=vocabulary(request),
        procedure_lookup=procedure_lookup(request),
        factors=cache.patient_factors(kb_version),
        condition_lookup=lambda text: cache.condition_named(text, kb_version, find_condition),
    )
    if not form.is_valid():
        return form, None, None, None
    criteria = form.plan_criteria()
    data = cache.plan_data(criteria, kb_version)
    return form, data, plan.check(data, criteria, cache.vocabulary(kb_version)), form.condition
