"""Load the knowledge base from ``fixtures/`` and write it back, in one fixed format and order.

``load`` validates and loads every family file in dependency order inside one transaction. It is
idempotent: a record whose fields already match is not saved again, so a second run changes nothing
(not even history). ``export`` writes the database back in exactly the committed format, so an
editor's admin work can be reviewed as a diff.
"""

from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core import serializers
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.serializers.base import DeserializationError
from django.db import DatabaseError, IntegrityError, connection, transaction

from . import models as m
from .validation import validate_knowledge_base

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"

# One file per model family, in load order (a file only refers to records in earlier files or itself).
FAMILIES = [
    ("sources.json", [m.Source]),
    ("patient_factors.json", [m.PatientFactor]),
    ("conditions.json", [m.Condition]),
    ("drug_classes.json", [m.DrugClass]),
    (
        "drugs.json",
        [
            m.Drug,
            m.DoseGuidance,
            m.TitrationStep,
            m.RenalDoseBand,
            m.DoseAdjustment,
            m.ControlledSchedule,
            m.RegulatoryApproval,
            m.MonitoringItem,
        ],
    ),
    ("medicines.json", [m.Medicine, m.MedicineProperty]),
    ("procedures.json", [m.Procedure]),
    ("diagnostics.json", [m.Diagnostic]),
    ("recommendations.json", [m.Recommendation]),
    ("procedure_indications.json", [m.ProcedureIndication]),
    ("workup.json", [m.WorkupItem]),
    ("cautions.json", [m.Caution]),
    ("mechanism_rules.json", [m.MechanismRule]),
    ("interactions.json", [m.Interaction]),
]


class KnowledgeBaseError(Exception):
    """Bad fixture data: names the file, the record and the problem."""

    def __init__(self, file, record, problem):
        self.file, self.record, self.problem = file, record, problem
        super().__init__(f"{file}: {record}: {problem}")


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    per_file: dict = field(default_factory=dict)


def _record_label(index, obj):
    instance = obj.object
    try:
        key = ", ".join(str(v) for v in instance.natural_key() if v != "")
    except (ObjectDoesNotExist, AttributeError):
        key = "?"
    return f"record {index + 1} ({instance._meta.label} {key})"


def _relation_fields(model):
    return [f.name for f in model._meta.get_fields() if f.is_relation and f.concrete]


def _stored(instance):
    """The row a deserialized object will update (found by natural key), or None for a new one."""
    if instance.pk is None:
        return None
    return type(instance).objects.filter(pk=instance.pk).first()


def _unchanged(obj, stored):
    """True if the deserialized object matches the stored row, including its M2M links."""
    instance = obj.object
    for f in type(instance)._meta.concrete_fields:
        if f.primary_key:
            continue
        if f.value_from_object(instance) != f.value_from_object(stored):
            return False
    for name, pks in (obj.m2m_data or {}).items():
        if {int(pk) for pk in pks} != set(getattr(stored, name).values_list("pk", flat=True)):
            return False
    return True


def _load_file(path, report):
    label = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KnowledgeBaseError(label, "file", f"cannot be read: {exc}") from exc
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    try:
        objects = serializers.deserialize("json", text, ignorenonexistent=False)
    except DeserializationError as exc:
        raise KnowledgeBaseError(label, "file", f"is not valid fixture JSON: {exc.__cause__ or exc}") from exc
    index = 0
    while True:
        try:
            obj = next(objects)
        except StopIteration:
            break
        except DeserializationError as exc:
            cause = exc.__cause__ or exc
            raise KnowledgeBaseError(label, f"record {index + 1}", str(cause).splitlines()[0]) from exc
        instance = obj.object
        stored = _stored(instance)
        # An existing row is an update, so uniqueness checks must not count the row itself.
        instance._state.adding = stored is None
        try:
            # Field rules and each model's clean(); foreign keys were already resolved by natural key, and
            # uniqueness and check constraints are enforced by the database on save (reported below).
            instance.full_clean(
                exclude=_relation_fields(type(instance)), validate_unique=False, validate_constraints=False
            )
        except ValidationError as exc:
            raise KnowledgeBaseError(label, _record_label(index, obj), "; ".join(exc.messages)) from exc
        if stored is not None and _unchanged(obj, stored):
            counts["unchanged"] += 1
        else:
            counts["created" if stored is None else "updated"] += 1
            instance._change_reason = f"Loaded from fixtures/{label}"
            try:
                with transaction.atomic():
                    instance.save()
                    for name, pks in (obj.m2m_data or {}).items():
                        getattr(instance, name).set(pks)
            except (IntegrityError, DatabaseError) as exc:
                raise KnowledgeBaseError(label, _record_label(index, obj), str(exc).splitlines()[0]) from exc
        index += 1
    report.per_file[label] = counts
    for key, value in counts.items():
        setattr(report, key, getattr(report, key) + value)


def load(directory=None):
    """Validate and load every family file, all or nothing. Raises KnowledgeBaseError."""
    directory = Path(directory or FIXTURES_DIR)
    report = LoadReport()
    remembered = m.NATURAL_KEYS.set({})  # for this load only: a rolled-back load forgets what it found
    try:
        return _load_all(directory, report)
    finally:
        m.NATURAL_KEYS.reset(remembered)


def _load_all(directory, report):
    with transaction.atomic():
        for filename, _models in FAMILIES:
            path = directory / filename
            if not path.exists():
                raise KnowledgeBaseError(filename, "file", f"is missing from {directory}")
            _load_file(path, report)
        problems = validate_knowledge_base()
        if problems:
            file_of = {model._meta.label: name for name, models in FAMILIES for model in models}
            first = problems[0]
            more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
            raise KnowledgeBaseError(
                file_of.get(first.model, "?"), f"{first.model} '{first.record}'", first.message + more
            )
    refresh_planner_statistics()
    return report


def refresh_planner_statistics():
    """ANALYZE, so the database plans queries with the loaded data's real sizes. SQLite never gathers
    statistics by itself: without them it may scan a whole table (e.g. every published source) where an
    index on the page's own rows is far cheaper. PostgreSQL's autovacuum would get there later."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _sorted(model):
    """By natural key; combination medicines after every single ingredient, which they refer to."""
    if model is m.Medicine:
        objects = model.objects.prefetch_related("ingredients")
        return sorted(objects, key=lambda obj: (bool(obj.ingredients.all()), obj.slug))
    return sorted(model.objects.all(), key=lambda obj: tuple(str(v) for v in obj.natural_key()))


def export(directory=None):
    """Write every family file from the database; returns the paths written."""
    directory = Path(directory or FIXTURES_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, models in FAMILIES:
        objects = [obj for model in models for obj in _sorted(model)]
        text = serializers.serialize(
            "json", objects, indent=1, use_natural_foreign_keys=True, use_natural_primary_keys=True
        )
        path = directory / filename
        path.write_text(text + "\n", encoding="utf-8")
        written.append(path)
    return written
