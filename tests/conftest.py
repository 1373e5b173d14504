"""Test data: a small cast of clinical records built with the plain ORM (the make_* helpers and ``world``),
and the real knowledge base (fixtures/, ``real_kb``), each built once per test session.

Clinical values in the make_* helpers are test data shaped like the real knowledge base. A test that uses
``db`` (or the ``django_db`` mark) without ``real_kb`` or ``world`` starts from an empty, migrated database.

The real knowledge base
-----------------------
A test that needs the real knowledge base requests ``real_kb``; a module whose tests all need it says
``pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("real_kb")]``::

    def test_pregabalin_is_first_line(real_kb, client):
        assert client.get("/conditions/painful-diabetic-neuropathy/").status_code == 200

fixtures/ is loaded once per session (with ``manage.py load_knowledge_base``; about 20 s) into a second test
database, a twin of the empty one made right after migrating (SQLite: an in-memory copy; PostgreSQL: a copy
made with CREATE DATABASE … TEMPLATE, named after the test database with ``_real_kb``). Each test that
requests ``real_kb`` runs on that database inside its own transaction, rolled back afterwards like any
``db`` test, so it may write freely and the next test still sees the knowledge base as loaded; every other
test keeps the empty database. The fixture's value is a ``RealKnowledgeBase``: ``load_output`` is what the
loader printed.

The world
---------
``world`` works the same way: its records (``build_world``) are made once per session in a twin database of
their own (``_world``), and each test that asks for ``world`` runs there in its own transaction and gets
fresh instances of them. A test asks for ``real_kb`` or ``world``, not both.

Both are for ordinary (transaction-wrapped) tests; a transactional test (``transactional_db``,
``live_server``, ``django_db(transaction=True)``) would flush the shared copy, so asking for both is an
error. The browser tests copy the loaded knowledge base into the test database instead
(tests/e2e/conftest.py, ``RealKnowledgeBase.copy_to_test_database``). Module-scoped fixtures that read the
knowledge base once for a module (tests/test_regimens.py) request ``real_kb_database`` and read inside
``with real_kb_database.active(), django_db_blocker.unblock():``.

Under pytest-xdist (pyproject.toml) each worker has its own test database and twins.
"""

import datetime
import functools
import io
import itertools
import re
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import load_backend

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


# --- twin databases: the real knowledge base and the world, each built once per session ------------------------


class TwinDatabase:
    """A second test database, copied from the empty migrated one right after migrating, and filled once (by
    ``fill``, on first use). A test runs on it by asking for the fixture named ``FIXTURE``, inside its own
    transaction like any ``db`` test; every other test keeps the empty test database."""

    SUFFIX = FIXTURE = None

    def __init__(self):
        default = connections[DEFAULT_DB_ALIAS]
        self.vendor = default.vendor
        if self.vendor == "sqlite":
            settings = {
                **default.settings_dict,
                "NAME": f"file:memorydb_{DEFAULT_DB_ALIAS}_{self.SUFFIX}?mode=memory&cache=shared",
            }
        elif self.vendor == "postgresql":
            default.creation.clone_test_db(suffix=self.SUFFIX, verbosity=0, keepdb=False)  # closes `default`
            settings = default.creation.get_test_db_clone_settings(self.SUFFIX)
        else:
            raise NotImplementedError(f"{self.FIXTURE} supports SQLite and PostgreSQL, not {self.vendor}")
        self.connection = load_backend(settings["ENGINE"]).DatabaseWrapper(settings, DEFAULT_DB_ALIAS)
        if self.vendor == "sqlite":
            # The connection keeps the in-memory database alive until the session ends.
            default.ensure_connection()
            self.connection.ensure_connection()
            default.connection.backup(self.connection.connection)
        self.filled = False

    @contextmanager
    def active(self):
        """Make this database the thread's default connection for the block."""
        previous = connections[DEFAULT_DB_ALIAS]
        if previous is self.connection:
            yield self
            return
        if previous.in_atomic_block:
            raise RuntimeError(f"{self.FIXTURE}: cannot switch databases inside a transaction")
        connections[DEFAULT_DB_ALIAS] = self.connection
        try:
            yield self
        finally:
            connections[DEFAULT_DB_ALIAS] = previous

    def fill(self):
        raise NotImplementedError

    def ready(self):
        if not self.filled:
            with self.active():
                self.fill()
            self.filled = True
        return self

    def destroy(self):
        if self.vendor == "sqlite":
            if self.connection.connection is not None:
                self.connection.connection.close()
            return
        self.connection.close()
        connections[DEFAULT_DB_ALIAS].creation.destroy_test_db(suffix=self.SUFFIX, verbosity=0)


class RealKnowledgeBase(TwinDatabase):
    """fixtures/, loaded once with ``manage.py load_knowledge_base`` (``load_output`` is what it printed)."""

    SUFFIX = FIXTURE = "real_kb"

    def __init__(self):
        # What the migrations put in the empty database (groups, permissions, the version row), to put back
        # after the browser tests (``empty_test_database``).
        self.migrated_data = connections[DEFAULT_DB_ALIAS].creation.serialize_db_to_string()
        super().__init__()
        self.load_output = None

    def fill(self):
        out = io.StringIO()
        call_command("load_knowledge_base", stdout=out)
        self.load_output = out.getvalue()

    def copy_to_test_database(self):
        """Replace the contents of the (default) test database with the loaded knowledge base, committed
        (for the browser tests, whose live server needs committed data)."""
        self.ready()
        default = connections[DEFAULT_DB_ALIAS]
        if self.vendor == "sqlite":
            default.ensure_connection()
            self.connection.ensure_connection()
            self.connection.connection.backup(default.connection)
            return
        self.connection.close()
        default.close()
        creation = default.creation
        name, template = (
            creation._quote_name(n) for n in (default.settings_dict["NAME"], self.connection.settings_dict["NAME"])
        )
        with creation._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE {name} WITH (FORCE)")
            cursor.execute(f"CREATE DATABASE {name} WITH TEMPLATE {template}")

    def empty_test_database(self):
        """Empty the (default) test database again after ``copy_to_test_database``: flush it, then restore what
        the migrations had put in it, so later tests find it as they would have."""
        # As TransactionTestCase does with serialized_rollback: the restored rows include the content types and
        # permissions that post_migrate would otherwise recreate under new primary keys.
        call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
        connections[DEFAULT_DB_ALIAS].creation.deserialize_db_from_string(self.migrated_data)


class World(TwinDatabase):
    """The ``world`` cast (build_world), built once."""

    SUFFIX = FIXTURE = "world"

    def fill(self):
        build_world()


_twins = {}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database, plus its twins for the real knowledge base and the world, copied while
    all are freshly migrated (cheap; each twin is filled only when a test first needs it)."""
    with django_db_blocker.unblock():
        for twin in (RealKnowledgeBase, World):
            _twins[twin.FIXTURE] = twin()
    yield
    with django_db_blocker.unblock():
        while _twins:
            _twins.popitem()[1].destroy()


@pytest.fixture(scope="session")
def real_kb_database(django_db_setup, django_db_blocker):
    """The twin database with fixtures/ loaded (once per session). Tests request ``real_kb`` instead."""
    with django_db_blocker.unblock():
        return _twins["real_kb"].ready()


@pytest.fixture(scope="session")
def world_database(django_db_setup, django_db_blocker):
    """The twin database with the world built (once per session). Tests request ``world`` instead."""
    with django_db_blocker.unblock():
        return _twins["world"].ready()


def _transactional(request):
    marker = request.node.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return True
    return bool({"transactional_db", "live_server", "django_db_reset_sequences"} & set(request.fixturenames))


@pytest.fixture
def _twin_switch(request):
    """Run the test's database setup (and the test) on a twin database if it asks for ``real_kb`` or ``world``."""
    wanted = [name for name in ("real_kb", "world") if name in request.fixturenames]
    if not wanted:
        yield
        return
    if len(wanted) > 1:
        pytest.fail("a test runs on the real knowledge base or on the world, not both", pytrace=False)
    if _transactional(request):
        pytest.fail(f"{wanted[0]} is shared by the whole session; a transactional test would flush it", pytrace=False)
    twin = request.getfixturevalue(f"{wanted[0]}_database")
    with twin.active():
        yield


@pytest.fixture
def _django_db_helper(_twin_switch, _django_db_helper):
    """pytest-django's per-test database setup (a transaction rolled back afterwards), entered after
    ``_twin_switch`` has chosen the database."""
    yield


@pytest.fixture
def real_kb(db, real_kb_database):
    """This test runs on the real knowledge base (fixtures/, loaded once per session); see the module docstring."""
    assert connections[DEFAULT_DB_ALIAS] is real_kb_database.connection
    return real_kb_database


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
def world(db, world_database):
    """A painful-diabetic-neuropathy world with the cases the explorer must get right: built once per session
    (``build_world``) in its own twin database; each test that asks for it runs there, in a transaction rolled
    back afterwards, and gets fresh instances of its records."""
    assert connections[DEFAULT_DB_ALIAS] is world_database.connection
    sources = {s.key: s for s in m.Source.objects.filter(key__in=WORLD_SOURCES)}
    factors = {f.slug: f for f in m.PatientFactor.objects.all()}
    return {
        "condition": m.Condition.objects.get(slug=WORLD_CONDITION),
        "factors": {slug: factors[slug] for slug in m.PatientFactor.SLUGS},
        "sources": {key: sources[key] for key in WORLD_SOURCES},
        "drugs": {d.slug: d for d in m.Drug.objects.all()},
        "classes": {c.slug: c for c in m.DrugClass.objects.all()},
        "procedure": m.Procedure.objects.get(slug="spinal-cord-stimulation"),
        "diagnostic": m.Diagnostic.objects.get(slug="hba1c"),
    }


WORLD_CONDITION = "painful-diabetic-neuropathy"
WORLD_SOURCES = ("neupsig", "nice", "label", "beers")


def build_world():
    """The world's records (see ``world``), made with the make_* helpers."""
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


TEST_PASSWORD = "a-long-test-password"


@functools.cache
def password_hash(password):
    """The password hashed by the project's own hasher, once per session: the hasher is slow by design (about
    0.5 s), and every user given the same password may share one hash."""
    return make_password(password)


def _with_password(user, password):
    user.password = password_hash(password)
    user.save(update_fields=["password"])
    return user


def make_staff(username, group, password=TEST_PASSWORD):
    """A staff user in the "Editors" or "Reviewers" group (the groups come from a data migration)."""
    from django.contrib.auth.models import Group, User

    user = _with_password(User.objects.create_user(username, f"{username}@example.org", None, is_staff=True), password)
    user.groups.add(Group.objects.get(name=group))
    return user


def make_superuser(username, password=TEST_PASSWORD):
    """A superuser (email username@example.org) with this password."""
    from django.contrib.auth.models import User

    return _with_password(User.objects.create_superuser(username, f"{username}@example.org", None), password)


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
