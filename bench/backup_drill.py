"""Backup drill (`make backup-drill`; .ci/run runs it after the PostgreSQL tests): what README "Backup and
restore" says to do, done, and the restored database shown to serve the very same site.

1. A fresh PostgreSQL database (`neuro_backup_source`) gets the knowledge base (fixtures/), two edits made
   through the ORM so simple-history records them (and the knowledge-base version rises), an editor account
   in the Editors group and a problem report.
2. `pg_dump -Fc` of it, `pg_restore` into another fresh database (`neuro_backup_restored`), then ANALYZE
   (pg_restore brings no planner statistics).
3. Each database is served by its own gunicorn with production settings (its own local-memory cache), and
   every page on the list — home, every published condition and drug page, the API's condition and drug lists
   and its explore endpoint for a few patients — must answer 200 with byte-for-byte the same body (and the
   same ETag and Last-Modified) from both; the knowledge-base version, the history row counts of every model,
   the editor account (password hash and groups) and the problem reports must be the same.

Both databases are dropped at the end, whatever happens.

    python bench/backup_drill.py
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PY, ROOT, gunicorn, prepare_postgres, production_env
from bench.faults import drop_database, ensure_static, get

SOURCE, RESTORED = "neuro_backup_source", "neuro_backup_restored"
PATIENTS = [
    "age=72&crcl=25&current=tramadol",
    "age=45&crcl=90&factors=depression",
    "age=88&crcl=12&current=sertraline&current=amitriptyline",
]

MAKE_HISTORY = """
from django.contrib.auth.models import Group, User
from treatments import models as m
drug = m.Drug.objects.get(slug="pregabalin")
drug.formulations = (drug.formulations + " (backup drill)").strip()
drug._change_reason = "Backup drill: an edit kept in the history."
drug.save()
condition = m.Condition.objects.filter(status=m.ReviewStatus.PUBLISHED).order_by("slug").first()
condition._change_reason = "Backup drill: a second edit."
condition.save()
editor = User.objects.create_user("drill-editor", "editor@example.org", "a-long-drill-password", is_staff=True)
editor.groups.add(Group.objects.get(name="Editors"))
m.ProblemReport.objects.create(text="Backup drill: the dose table needs a source.", email="reader@example.org")
"""

STATE = """
import json
from django.apps import apps
from django.contrib.auth.models import User
from treatments import cache
from treatments import models as m
published = m.ReviewStatus.PUBLISHED
print(json.dumps({
    "version": cache.version(),
    "history": {model.__name__: model.objects.count() for model in apps.get_app_config("treatments").get_models()
                if model.__name__.startswith("Historical")},
    "users": [[u.username, u.password, u.is_staff, u.is_superuser, sorted(g.name for g in u.groups.all())]
              for u in User.objects.order_by("username")],
    "reports": list(m.ProblemReport.objects.order_by("pk").values_list("text", "email")),
    "conditions": list(m.Condition.objects.filter(status=published).order_by("slug").values_list("slug", flat=True)),
    "drugs": list(m.Drug.objects.filter(status=published).order_by("slug").values_list("slug", flat=True)),
}))
"""


def shell(env, code):
    command = [PY, "manage.py", "shell", "-v", "0", "-c", code]
    out = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    return out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""


def pages(state):
    listed = ["/", "/api/v1/conditions/", "/api/v1/drugs/"]
    listed += [f"/conditions/{slug}/" for slug in state["conditions"]]
    listed += [f"/drugs/{slug}/" for slug in state["drugs"]]
    for slug in state["conditions"][:3]:
        listed += [f"/api/v1/explore/?condition={slug}&{patient}" for patient in PATIENTS]
    return listed


def fetch(base, path):
    # One Host header for both servers (on two ports): the API's absolute links are then the same.
    status, body, headers = get(base + path, binary=True, headers={"Host": "127.0.0.1"})
    return status, body, {k: headers.get(k) for k in ("Content-Type", "ETag", "Last-Modified")}


def difference(a, b):
    """Where two (status, body, headers) answers first differ, in a few words."""
    if a[2] != b[2]:
        return f"headers: {a[2]} != {b[2]}"
    at = next(i for i, (x, y) in enumerate(zip(a[1], b[1], strict=False)) if x != y) if a[1] != b[1] else 0
    return f"bytes from {at}: {a[1][max(0, at - 80) : at + 80]!r} != {b[1][max(0, at - 80) : at + 80]!r}"


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # drop the databases on a polite kill too
    started = time.monotonic()
    problems = []
    postgres = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    ensure_static()
    try:
        source = prepare_postgres(SOURCE)
        source_env = production_env(source)
        shell(source_env, MAKE_HISTORY)
        before = json.loads(shell(source_env, STATE))
        with tempfile.TemporaryDirectory(prefix="neuro-backup-") as tmp:
            dump = Path(tmp) / "neuro.dump"
            subprocess.run(["pg_dump", "-Fc", "-f", str(dump), source], check=True)
            drop_database(RESTORED)
            subprocess.run(["psql", f"{postgres}/postgres", "-q", "-c", f'CREATE DATABASE "{RESTORED}"'], check=True)
            restored = f"{postgres}/{RESTORED}"
            subprocess.run(["pg_restore", "--exit-on-error", "--no-owner", "-d", restored, str(dump)], check=True)
            print(f"pg_dump -Fc: {dump.stat().st_size / 1e6:.1f} MB; restored into {RESTORED}", flush=True)
        # pg_restore brings no planner statistics: ANALYZE, as PostgreSQL's documentation asks after a restore
        # (and the source too, so both plan alike: rows that tie on a page's sort order come in plan order).
        for url in (source, restored):
            subprocess.run(["vacuumdb", "--quiet", "--analyze-only", "--dbname", url], check=True)
        restored_env = production_env(restored)
        after = json.loads(shell(restored_env, STATE))
        for key in before:
            if before[key] != after[key]:
                problems.append(f"{key} differs after the restore: {before[key]!r} != {after[key]!r}")
        if not any(user[0] == "drill-editor" and user[4] == ["Editors"] for user in after["users"]):
            problems.append("the editor account did not survive")
        listed = pages(before)
        with gunicorn(source_env) as one, gunicorn(restored_env) as other:
            for path in listed:
                a, b = fetch(one, path), fetch(other, path)
                if a[0] != 200:
                    problems.append(f"{path}: {a[0]} from the source database")
                elif a != b:
                    problems.append(f"{path}: the restored database serves different {difference(a, b)}")
        print(
            f"{len(listed)} pages compared; version {before['version']}; "
            f"{sum(before['history'].values())} history rows; {len(before['users'])} user(s)",
            flush=True,
        )
    finally:
        drop_database(SOURCE)
        drop_database(RESTORED)
    print(f"Backup drill: {time.monotonic() - started:.0f} s", flush=True)
    if problems:
        print("\n".join(problems))
        sys.exit("Backup drill FAILED.")
    print("Backup drill passed: the restored database serves the same pages, byte for byte.")


if __name__ == "__main__":
    main()
