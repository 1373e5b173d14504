"""A small cast of clinical records built with the plain ORM (see make_* helpers).

Clinical values here are test data shaped like the real knowledge base; the real fixtures are
loaded in their own tests (test_knowledge_base.py, test_content.py).
"""

import datetime
import itertools
import re
from decimal import Decimal

import pytest

from treatments import cache as kb_cache
from treatments import models as m

PUBLISHED = m.ReviewStatus.PUBLISHED
_counter = itertools.count()


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache (the loaded knowledge base, pages, API throttle counts)."""
    kb_cache.clear()
    yield
    kb_cache.clear()


def _review(**overrides):
    return {"status": PUBLISHED, "last_reviewed": datetime.date(2026, 11, 1), **overrides}


def make_source(key=None, **overrides):
    key = key or f"source-{next(_counter)}"
    fields = {
        "kind": m.Source.Kind.GUIDELINE,
        "short_name": key.upper(),
        "title": f"Title of {key}",
        "year": 2020,
        "url": f"https://example.org/{key}",
    }
    return m.Source.objects.create(key=key, **_review(**{**fields, **overrides}))


def make_factors():
    return {
        slug: m.PatientFactor.objects.get_or_create(
            slug=slug, defaults=_review(name=slug.replace("-", " ").capitalize(), display_order=i)
        )[0]
        for i, slug in enumerate(m.PatientFactor.SLUGS)
    }


def make_condition(slug=None, **overrides):
    slug = slug or f"condition-{next(_counter)}"
    fields = {
        "name": slug.replace("-", " ").capitalize(),
        "icd10_codes": ["E11.42"],
        "category": m.ConditionCategory.METABOLIC,
        "pain_mechanism": m.PainMechanism.PERIPHERAL,
        "description": "Clinician description.",
        "patient_description": "Your nerves hurt.",
        "symptoms": ["burning"],
    }
    return m.Condition.objects.create(slug=slug, **_review(**{**fields, **overrides}))


def make_class(slug=None, **overrides):
    slug = slug or f"class-{next(_counter)}"
    fields = {"name": slug.capitalize(), "mechanism": "Mechanism.", "site_of_action": m.SiteOfAction.CENTRAL}
    return m.DrugClass.objects.create(slug=slug, **_review(**{**fields, **overrides}))


def make_drug(
    slug=None, drug_class=None, *, cns_active=False, serotonergic=False, anticholinergic_burden=0, **overrides
):
    """A published drug. Its mechanisms (``cns_active``, ``serotonergic``, ``anticholinergic_burden``) become
    properties of its medicine, as in the knowledge base."""
    slug = slug or f"drug-{next(_counter)}"
    fields = {"generic_name": slug.capitalize(), "routes": ["oral"]}
    drug = m.Drug.objects.create(slug=slug, drug_class=drug_class or make_class(), **_review(**{**fields, **overrides}))
    properties = {}
    if cns_active:
        properties["beers-cns-active"] = ""
    if serotonergic:
        properties["serotonergic"] = ""
    if anticholinergic_burden:
        properties["anticholinergic"] = anticholinergic_burden
    make_medicine(slug, drug.generic_name, drug=drug, brand_names_us=list(drug.brand_names), properties=properties)
    return drug


def make_medicine(slug, name=None, *, properties=None, drug=None, profiled=True, ingredients=(), **overrides):
    """A published vocabulary medicine with properties {property: level (or the ACB score for
    'anticholinergic')}."""
    medicine = m.Medicine.objects.create(
        slug=slug,
        name=name or slug.capitalize(),
        drug=drug,
        drug_class=overrides.pop("drug_class", drug.drug_class if drug else None),
        profiled=profiled,
        **_review(**overrides),
    )
    if ingredients:
        medicine.ingredients.set(ingredients)
    for prop, level in (properties or {}).items():
        score = level if prop == "anticholinergic" else None
        m.MedicineProperty.objects.create(
            medicine=medicine, property=prop, level="" if score else level, score=score, **_review()
        )
    return medicine


def cite(obj, *sources):
    obj.sources.add(*sources)
    return obj


def make_dose(drug, source, max_dose, **overrides):
    fields = {"region": "US", "context": "Neuropathic pain", "max_daily_dose": Decimal(max_dose), "is_default": True}
    return cite(m.DoseGuidance.objects.create(drug=drug, **_review(**{**fields, **overrides})), source)


def make_band(drug, source, crcl_min, crcl_max, max_dose=None, avoid=False, **overrides):
    band = m.RenalDoseBand.objects.create(
        drug=drug,
        crcl_min=crcl_min,
        crcl_max=crcl_max,
        max_daily_dose=None if max_dose is None else Decimal(max_dose),
        avoid=avoid,
        **_review(**overrides),
    )
    return cite(band, source)


def make_caution(factor, source, level, drug=None, drug_class=None, text="Reason.", **overrides):
    """A rule on a yes/no factor (or None) and/or thresholds given as overrides (crcl_max=30, age_min=65…)."""
    key = overrides.pop("key", f"{(drug or drug_class).slug}--rule-{next(_counter)}")
    caution = m.Caution.objects.create(
        key=key, factor=factor, drug=drug, drug_class=drug_class, level=level, text=text, **_review(**overrides)
    )
    return cite(caution, source)


def make_recommendation(condition, guideline, line, drug=None, drug_class=None, **overrides):
    fields = {"strength": m.Strength.STRONG_FOR, "quality": m.Quality.HIGH, "wording": "Recommended."}
    return m.Recommendation.objects.create(
        condition=condition,
        guideline=guideline,
        line=line,
        drug=drug,
        drug_class=drug_class,
        **_review(**{**fields, **overrides}),
    )


def make_interaction(key, source, severity, drug_a=None, class_a=None, drug_b=None, class_b=None, **overrides):
    interaction = m.Interaction.objects.create(
        key=key,
        drug_a=drug_a,
        class_a=class_a,
        drug_b=drug_b,
        class_b=class_b,
        severity=severity,
        **_review(**{"effect": "Effect.", **overrides}),
    )
    return cite(interaction, source)


@pytest.fixture
def world(db):
    """A painful-diabetic-neuropathy world with the cases the explorer must get right."""
    factors = make_factors()
    neupsig = make_source("neupsig", short_name="NeuPSIG 2015")
    nice = make_source("nice", short_name="NICE CG173")
    label = make_source("label", kind=m.Source.Kind.LABEL, short_name="US label")
    beers = make_source("beers", short_name="Beers 2023")
    pdn = make_condition("painful-diabetic-neuropathy", name="Painful diabetic neuropathy", synonyms=["PDN", "DPN"])

    gabapentinoids = make_class("gabapentinoids", name="Gabapentinoids", site_of_action=m.SiteOfAction.CENTRAL)
    snris = make_class("snris", name="SNRIs", abbreviation="SNRI")
    tcas = make_class("tricyclic-antidepressants", name="Tricyclic antidepressants", abbreviation="TCA")
    opioids = make_class("dual-action-opioids", name="Dual-action opioids")
    scbs = make_class("sodium-channel-blockers", name="Sodium-channel blockers")
    aeds = make_class("other-antiepileptics", name="Other antiepileptics")

    pregabalin = make_drug(
        "pregabalin", gabapentinoids, generic_name="Pregabalin", brand_names=["Lyrica"], cns_active=True
    )
    make_drug("gabapentin", gabapentinoids, generic_name="Gabapentin", brand_names=["Neurontin"], cns_active=True)
    duloxetine = make_drug(
        "duloxetine", snris, generic_name="Duloxetine", brand_names=["Cymbalta"], serotonergic=True, cns_active=True
    )
    amitriptyline = make_drug(
        "amitriptyline",
        tcas,
        generic_name="Amitriptyline",
        serotonergic=True,
        cns_active=True,
        anticholinergic_burden=3,
    )
    tramadol = make_drug("tramadol", opioids, generic_name="Tramadol", serotonergic=True, cns_active=True)
    carbamazepine = make_drug("carbamazepine", scbs, generic_name="Carbamazepine", brand_names=["Tegretol"])
    oxcarbazepine = make_drug("oxcarbazepine", scbs, generic_name="Oxcarbazepine")
    valproate = make_drug("valproate", aeds, generic_name="Valproate")

    make_dose(pregabalin, label, "600", unit="mg/day")
    make_band(pregabalin, label, 60, None, "600")
    make_band(pregabalin, label, 30, 60, "300")
    make_band(pregabalin, label, 15, 30, "150")
    make_band(pregabalin, label, 0, 15, "75")
    make_dose(duloxetine, label, "120")
    make_band(duloxetine, label, 0, 30, avoid=True, note="Avoid in severe renal impairment.")

    make_caution(None, beers, m.CautionLevel.AVOID, drug_class=tcas, text="Strongly anticholinergic.", age_min=65)
    hla_positive = {"gene": m.Gene.HLA_B1502, "phenotypes": ["positive"]}
    make_caution(
        None,
        label,
        m.CautionLevel.CONTRAINDICATED,
        drug=carbamazepine,
        text="SJS/TEN.",
        test_first=True,
        **hla_positive,
    )
    make_caution(None, label, m.CautionLevel.CONTRAINDICATED, drug=oxcarbazepine, text="SJS/TEN.", **hla_positive)
    make_caution(factors["pregnancy"], label, m.CautionLevel.CONTRAINDICATED, drug=valproate, text="Teratogenic.")
    make_caution(factors["epilepsy"], label, m.CautionLevel.CAUTION, drug=tramadol, text="Lowers seizure threshold.")
    make_caution(factors["depression"], neupsig, m.CautionLevel.MAY_BENEFIT, drug_class=snris, text="Antidepressant.")
    make_caution(None, label, m.CautionLevel.ADJUST_DOSE, drug=pregabalin, text="Reduce dose.", crcl_max=60)

    for target in (gabapentinoids, snris, tcas):
        make_recommendation(pdn, neupsig, m.Line.FIRST, drug_class=target, nnt=Decimal("6.4"))
    make_recommendation(pdn, nice, m.Line.FIRST, drug=pregabalin)
    make_recommendation(pdn, nice, m.Line.FIRST, drug=amitriptyline)
    make_recommendation(pdn, nice, m.Line.FIRST, drug=duloxetine)
    make_recommendation(pdn, neupsig, m.Line.SECOND, drug=tramadol, strength=m.Strength.WEAK_FOR)
    make_recommendation(pdn, nice, m.Line.SPECIALIST, drug=tramadol, strength=m.Strength.NOT_GRADED)
    make_recommendation(pdn, neupsig, m.Line.INCONCLUSIVE, drug_class=scbs, strength=m.Strength.NOT_GRADED)
    make_recommendation(pdn, neupsig, m.Line.NOT_RECOMMENDED, drug=valproate, strength=m.Strength.WEAK_AGAINST)
    make_recommendation(pdn, nice, m.Line.FIRST, drug=carbamazepine, strength=m.Strength.LEVEL_B)

    make_interaction("tramadol--snris", label, m.Severity.MAJOR, drug_a=tramadol, class_b=snris)
    make_interaction("gabapentinoids--snris", neupsig, m.Severity.BENEFICIAL, class_a=gabapentinoids, class_b=snris)

    scs = m.Procedure.objects.create(
        slug="spinal-cord-stimulation",
        name="Spinal cord stimulation",
        category=m.Procedure.Category.NEUROMODULATION,
        invasiveness=m.Procedure.Invasiveness.INVASIVE,
        route=m.Route.DEVICE,
        description="Implanted stimulator.",
        **_review(),
    )
    cite(
        m.ProcedureIndication.objects.create(
            condition=pdn, procedure=scs, role=m.ProcedureRole.REFRACTORY, evidence="For refractory pain.", **_review()
        ),
        label,
    )
    hba1c = m.Diagnostic.objects.create(
        slug="hba1c", name="HbA1c", category=m.Diagnostic.Category.BLOOD, detects="Diabetes.", **_review()
    )
    cite(
        m.WorkupItem.objects.create(
            condition=pdn, diagnostic=hba1c, priority=m.WorkupPriority.INITIAL, rationale="Diabetes.", **_review()
        ),
        beers,
    )
    return {
        "condition": pdn,
        "factors": factors,
        "sources": {"neupsig": neupsig, "nice": nice, "label": label, "beers": beers},
        "drugs": {d.slug: d for d in m.Drug.objects.all()},
        "classes": {c.slug: c for c in m.DrugClass.objects.all()},
        "procedure": scs,
        "diagnostic": hba1c,
    }


def without_nonce(html):
    """A page with its CSP nonces blanked: each response has its own nonce, the rest must match."""
    return re.sub(r'nonce="[^"]*"', 'nonce=""', html)


def grow(world, n=5):
    """Add n more recommended drugs with cautions, bands and interactions (for query-count tests)."""
    label = world["sources"]["label"]
    for i in range(n):
        cls = make_class(f"extra-class-{i}")
        drug = make_drug(f"extra-drug-{i}", cls)
        make_dose(drug, label, "100")
        make_band(drug, label, 0, 30, "50")
        make_caution(None, label, m.CautionLevel.CAUTION, drug=drug, age_min=65)
        make_recommendation(world["condition"], label, m.Line.SECOND, drug=drug)
        make_recommendation(world["condition"], label, m.Line.THIRD, drug_class=cls)
        make_interaction(f"extra-{i}", label, m.Severity.MODERATE, drug_a=drug, drug_b=world["drugs"]["pregabalin"])


def make_staff(username, group):
    """A staff user in the "Editors" or "Reviewers" group (the groups come from a data migration)."""
    from django.contrib.auth.models import Group, User

    user = User.objects.create_user(username, f"{username}@example.org", "a-long-test-password", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


def admin_form_data(response):
    """POST data that resubmits an admin change form (and its inlines) exactly as it was rendered."""
    data = {}

    def add(form):
        for name, field in form.fields.items():
            value = form[name].value()
            if value is None or value is False:
                continue
            keys = [form.add_prefix(name)]
            if field.show_hidden_initial:  # the hidden "initial-" input a browser sends too
                keys.append(form.add_initial_prefix(name))
            for key in keys:
                if value is True:
                    data[key] = "on"
                elif isinstance(value, list | tuple):
                    data[key] = [str(v) for v in value]
                else:
                    data[key] = str(value)

    add(response.context["adminform"].form)
    for inline in response.context.get("inline_admin_formsets", []):
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data
