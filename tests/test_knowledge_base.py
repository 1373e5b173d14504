"""The loader: validation, all-or-nothing loading, idempotence, and the export round trip.

The first load of the real fixtures into an empty database is the session's ``real_kb`` load
(tests/conftest.py, ``manage.py load_knowledge_base``); the tests here that start from it ask for ``real_kb``.
Tests that load edited copies of the fixtures start from an empty database."""

import json
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from treatments import knowledge_base
from treatments import models as m

FIXTURES = Path(knowledge_base.FIXTURES_DIR)


@pytest.fixture
def fixture_dir(tmp_path):
    target = tmp_path / "fixtures"
    target.mkdir()
    for name, _models in knowledge_base.FAMILIES:
        shutil.copy(FIXTURES / name, target / name)
    return target


def edit(directory, filename, change):
    path = directory / filename
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False))


def counts():
    return {model._meta.label: model.objects.count() for _f, models in knowledge_base.FAMILIES for model in models}


def test_real_fixtures_load_cleanly_and_idempotently(real_kb, capsys):
    # The first load (into the empty test database) is the session's: real_kb.load_output is what it printed.
    assert "Knowledge base loaded:" in real_kb.load_output.splitlines()[-1]
    assert " 0 created" not in real_kb.load_output.splitlines()[-1]
    first = counts()
    history = m.Drug.history.count()
    assert first["treatments.Drug"] > 0
    call_command("load_knowledge_base")
    out = capsys.readouterr().out
    assert "0 created, 0 updated" in out.splitlines()[-1]
    assert counts() == first
    assert m.Drug.history.count() == history  # a second run writes no history either


def test_export_reproduces_the_committed_files_byte_for_byte(real_kb, tmp_path):
    knowledge_base.export(tmp_path)
    for name, _models in knowledge_base.FAMILIES:
        assert (tmp_path / name).read_bytes() == (FIXTURES / name).read_bytes(), name


@pytest.mark.django_db
def test_a_missing_reference_names_file_and_record_and_leaves_the_database_unchanged(fixture_dir):
    def break_it(data):
        data[0]["fields"]["drug_class"] = ["no-such-class"]

    edit(fixture_dir, "drugs.json", break_it)
    with pytest.raises(CommandError) as exc:
        call_command("load_knowledge_base", directory=str(fixture_dir))
    message = str(exc.value)
    assert "drugs.json" in message and "record 1" in message and "database is unchanged" in message
    assert all(v == 0 for v in counts().values())


@pytest.mark.django_db
def test_a_dose_rule_violation_is_reported_with_the_field(fixture_dir):
    def break_it(data):
        dose = next(d for d in data if d["model"] == "treatments.doseguidance" and d["fields"]["max_daily_dose"])
        dose["fields"]["starting_dose"] = str(float(dose["fields"]["max_daily_dose"]) * 10)

    edit(fixture_dir, "drugs.json", break_it)
    with pytest.raises(knowledge_base.KnowledgeBaseError) as exc:
        knowledge_base.load(fixture_dir)
    assert exc.value.file == "drugs.json"
    assert "treatments.DoseGuidance" in exc.value.record
    assert "maximum" in exc.value.problem
    assert m.Source.objects.count() == 0


@pytest.mark.django_db
def test_an_uncited_caution_fails_validation(fixture_dir):
    def break_it(data):
        data[0]["fields"]["sources"] = []

    edit(fixture_dir, "cautions.json", break_it)
    with pytest.raises(knowledge_base.KnowledgeBaseError) as exc:
        knowledge_base.load(fixture_dir)
    assert exc.value.file == "cautions.json"
    assert "Cites no source" in exc.value.problem
    assert m.Caution.objects.count() == 0


def _rule(data, key):
    return next(row["fields"] for row in data if row["fields"]["key"] == key)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"crcl_min": 40, "crcl_max": 30}, "The CrCl range is empty"),
        ({"crcl_max": None}, "Say when the rule applies"),
        ({"factor": ["renal-impairment"]}, "'renal-impairment' is a stand-in for a measured input"),
        ({"crcl_max": None, "dialysis": "hd", "crcl_min": 10}, "A dialysis rule has no CrCl range"),
        ({"child_pugh": ["d"]}, "Child–Pugh classes are a list"),
        ({"gene": "cyp2d6", "phenotypes": ["positive"]}, "CYP2D6 results are"),
    ],
)
def test_a_rule_whose_condition_of_use_matches_nobody_is_a_load_error_naming_it(fixture_dir, change, problem):
    edit(fixture_dir, "cautions.json", lambda data: _rule(data, "duloxetine--crcl-below-30").update(change))
    with pytest.raises(knowledge_base.KnowledgeBaseError) as exc:
        knowledge_base.load(fixture_dir)
    assert exc.value.file == "cautions.json"
    assert "duloxetine--crcl-below-30" in exc.value.record
    assert problem in exc.value.problem
    assert m.Caution.objects.count() == 0


@pytest.mark.django_db
def test_an_indication_below_the_renal_tables_maximum_needs_its_own_column(fixture_dir):
    def drop_dpn_column(data):
        data[:] = [
            row
            for row in data
            if not (row["model"] == "treatments.renaldoseband" and row["fields"]["condition"] is not None)
        ]

    edit(fixture_dir, "drugs.json", drop_dpn_column)
    with pytest.raises(knowledge_base.KnowledgeBaseError) as exc:
        knowledge_base.load(fixture_dir)
    assert "pregabalin" in exc.value.record
    assert "add that indication's column of the label's renal table" in exc.value.problem


@pytest.mark.django_db
def test_invalid_json_is_reported(fixture_dir):
    (fixture_dir / "conditions.json").write_text("[{not json")
    with pytest.raises(knowledge_base.KnowledgeBaseError) as exc:
        knowledge_base.load(fixture_dir)
    assert exc.value.file == "conditions.json"


@pytest.mark.django_db
def test_an_unreadable_patient_text_fails_validation(fixture_dir):
    def break_it(data):
        data[0]["fields"]["patient_description"] = data[0]["fields"]["patient_description_en"] = (
            "Polyneuropathic manifestations characteristically demonstrate electrophysiological "
            "abnormalities necessitating comprehensive multidisciplinary investigational evaluation."
        )

    edit(fixture_dir, "conditions.json", break_it)
    with pytest.raises(knowledge_base.KnowledgeBaseError) as exc:
        knowledge_base.load(fixture_dir)
    assert "reads at grade" in exc.value.problem


def test_backup_and_restore_round_trip_the_whole_knowledge_base_without_loss(real_kb, tmp_path):
    """load (real_kb) → export (backup) → empty the database → load the backup (restore) → export again: identical."""
    before = counts()
    backup, again = tmp_path / "backup", tmp_path / "again"
    knowledge_base.export(backup)
    for _file, models in reversed(knowledge_base.FAMILIES):
        for model in reversed(models):
            model.objects.all().delete()
    assert sum(counts().values()) == 0
    knowledge_base.load(backup)
    knowledge_base.export(again)
    assert counts() == before
    for name, _models in knowledge_base.FAMILIES:
        assert (again / name).read_bytes() == (backup / name).read_bytes(), name
