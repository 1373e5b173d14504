"""Faults under load (`make faults`; `make faults-short` in CI): does the app survive Redis, PostgreSQL and a
worker failing while it serves, and do two app processes sharing one Redis agree after an edit?

Two gunicorn masters (two "app servers", each with its own workers) on two loopback ports share one Redis
(this script's own redis-server on a free port, never the shared one) and one PostgreSQL database
(`neuro_fault`, dropped and re-created, dropped again at the end). One wrk per server (16 connections each,
32 in all) sends a mix of cached pages and new patients (bench/wrk_faults.lua) while a probe requests the
explorer page from each server every 0.1 s, to time the outage and the recovery. Each run is 60 s (20 s with
--short) with one fault:

- Redis stopped for 20 s (5 s), then started again, empty: pages must keep being served (errors are cache
  misses, treatments/resilient_cache.py), no 5xx, and the cache used again without restarting the app;
- PostgreSQL stopped for 5 s (3 s) with `pg_ctlcluster stop -m fast`, then started (always, in a
  `finally`): while it is down, a clean 503 page with Retry-After (treatments/db_unavailable.py), no other
  5xx, and every server answering again afterwards;
- one worker of the first server killed with SIGKILL: the others keep serving, the master replaces it.

After each run every worker must have worked in the run's last seconds (none stuck) and each master must have
its full count of workers. Then the consistency check: an edit published in the admin (a real login as a
superuser made for the run) is on both servers' pages on the very next request, and edits published while
wrk loads both servers lose nothing: the drug's last history row, the knowledge-base version (raised once per
history row), the API's Last-Modified and both servers' pages agree. The error log (captured) must not hold
a query string.

It prints one markdown table per fault (requests, responses by status, socket errors, time to recover) and,
with --write, puts them in docs/benchmarks.md under "## Faults under load" (the file's last section). It fails
on a 5xx other than the database outage's 503, a 503 that is not the clean page, no recovery, a stuck or
missing worker, or a consistency mismatch. Everything it starts is stopped on exit, failure or Ctrl-C.

    python bench/faults.py [--short] [--write] [--only redis,postgres,worker,consistency]
"""

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from contextlib import ExitStack, contextmanager
from datetime import datetime
from email.utils import format_datetime
from html.parser import HTMLParser
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    PY,
    ROOT,
    check_ok,
    collectstatic,
    free_port,
    gunicorn_process,
    machine,
    prepare_postgres,
    production_env,
)
from bench.load import PAGES

DATABASE = "neuro_fault"
WRK_FAULTS_SCRIPT = str(ROOT / "bench" / "wrk_faults.lua")
PATIENT = "/conditions/painful-diabetic-neuropathy/?age=%d&crcl=%d&factors=depression"
PROBE = "/conditions/painful-diabetic-neuropathy/?age=72&crcl=25&factors=depression&current=tramadol"
DRUG = "pregabalin"
DRUG_PAGE = f"/drugs/{DRUG}/"
DRUG_API = f"/api/v1/drugs/{DRUG}/"
EDITED_FIELD = "formulations"
CLEAN_503 = b"Briefly unavailable"
DOCUMENTED = {"postgres": {503}}  # the 5xx a fault may cause: the database outage's page
RECOVERY_LIMIT = 15.0  # seconds after a fault ends by which every server must answer 200 again
SECTION = "## Faults under load"
FAULTS = ("redis", "postgres", "worker", "consistency")


# --- processes this script owns -----------------------------------------------------------------------------


class RedisServer:
    """This script's own redis-server (no persistence) on a free loopback port: stopping it disturbs nobody."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        if not shutil.which("redis-server"):
            sys.exit("redis-server is not installed: apt-get install redis-server")
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
        command += ["no", "--maxmemory", "256mb", "--maxmemory-policy", "allkeys-lru"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                if self.dbsize() is not None:
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def dbsize(self):
        """The number of keys (RESP over a plain socket); OSError while it is down."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
            conn.sendall(b"DBSIZE\r\n")
            reply = conn.recv(64)
        if not reply.startswith(b":"):
            raise OSError(f"unexpected reply {reply!r}")
        return int(reply[1:].split(b"\r\n")[0])


@contextmanager
def own_redis():
    redis = RedisServer()
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


def postgres_cluster(url):
    """(version, name) of the local cluster serving ``url``'s port, from pg_lsclusters; None when this machine
    cannot restart it (no Debian cluster tools, not root, or a remote server)."""
    host_port = url.split("@", 1)[-1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    if host not in ("127.0.0.1", "localhost") or not shutil.which("pg_ctlcluster") or os.geteuid() != 0:
        return None
    lines = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True, check=True).stdout.splitlines()
    for line in lines:
        fields = line.split()
        if len(fields) >= 4 and fields[2] == (port or "5432") and fields[3] == "online":
            return fields[0], fields[1]
    return None


def postgres_ready(url):
    return subprocess.run(["pg_isready", "-q", "-d", url.rsplit("/", 1)[0] + "/postgres"]).returncode == 0


@contextmanager
def postgres_stopped(cluster, url):
    """PostgreSQL stopped (fast: sessions are ended) for the body of the with-block, and always started again.

    The server is shared: Ctrl-C and SIGTERM are held while it stops and while it starts, and a signal that
    came while it stopped is raised only inside the ``try``, so the ``finally`` starts it again whatever came."""
    signals = {signal.SIGINT, signal.SIGTERM}
    held = signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    try:
        subprocess.run(["pg_ctlcluster", *cluster, "stop", "-m", "fast"], check=True)
        signal.pthread_sigmask(signal.SIG_SETMASK, held)  # a signal held meanwhile is raised here, in the try
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_BLOCK, signals)
        try:
            start_postgres(cluster, url)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)


def start_postgres(cluster, url):
    for _ in range(3):
        subprocess.run(["pg_ctlcluster", *cluster, "start"], check=False)
        if seconds_until(lambda: postgres_ready(url), 10, interval=0.1) is not None:
            return
    raise RuntimeError(f"PostgreSQL did not start again: run pg_ctlcluster {' '.join(cluster)} start")


def ensure_static():
    """collectstatic, unless staticfiles/ is newer than the app's static files and the virtualenv (whose packages
    bring the rest): it takes a minute on a busy machine, and `make load-short` has just done it in CI."""
    manifest = ROOT / "staticfiles" / "staticfiles.json"
    sources = [path for path in (ROOT / "static").rglob("*") if path.is_file()]
    sources += [path for path in (ROOT / ".venv" / ".installed", ROOT / "requirements.txt") if path.exists()]
    if manifest.exists() and manifest.stat().st_mtime > max(path.stat().st_mtime for path in sources):
        return
    collectstatic()


def drop_database(name):
    base = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    sql = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    subprocess.run(["psql", f"{base}/postgres", "-q", "-c", sql], check=False)


def worker_pids(master_pid):
    try:
        return [int(pid) for pid in Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def cpu_ticks(pid):
    """User + system CPU time of a process in clock ticks (None once it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return None
    return int(fields[11]) + int(fields[12])


def start_wrk(base, seconds, connections, extra_paths=()):
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{round(seconds)}s",
        "--timeout",
        "10s",
        "-s",
        WRK_FAULTS_SCRIPT,
        base,
    ]
    command += ["--", PATIENT, *PAGES, *extra_paths]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@contextmanager
def load_on(bases, seconds, connections, extra_paths=()):
    """One wrk per server, ``connections`` in all; yields their processes, killed on the way out if still running."""
    processes = [start_wrk(base, seconds, connections // len(bases), extra_paths) for base in bases]
    try:
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()


def wrk_results(processes, seconds):
    results = []
    for process in processes:
        out, err = process.communicate(timeout=seconds + 60)
        if process.returncode != 0:
            raise RuntimeError(f"wrk failed: {err.strip()}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    total = {"requests": 0, "statuses": {}, "socket": dict.fromkeys(("connect", "read", "write", "timeout"), 0)}
    for result in results:
        total["requests"] += result["requests"]
        for status, count in result["statuses"].items():
            total["statuses"][status] = total["statuses"].get(status, 0) + count
        for key in total["socket"]:
            total["socket"][key] += result[key]
    total["p99_ms"] = max(result["p99_ms"] for result in results)
    return total


class Probe(threading.Thread):
    """Requests one page from each server every ``interval`` seconds: (time, base, status, clean 503, seconds
    taken). The page is cached, so it answers as soon as the server can read the knowledge-base version."""

    def __init__(self, bases, interval=0.1):
        super().__init__(daemon=True)
        self.bases, self.interval, self.samples = bases, interval, []
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            for base in self.bases:
                url = base + PROBE
                started = time.monotonic()
                try:
                    with urllib.request.urlopen(url, timeout=10) as response:
                        status, body = response.status, response.read()
                except urllib.error.HTTPError as error:
                    status, body = error.code, error.read()
                except OSError as error:
                    status, body = type(error).__name__, b""
                clean = status == 503 and CLEAN_503 in body and b"Traceback" not in body
                self.samples.append((started, base, status, clean, time.monotonic() - started))
            self.done.wait(self.interval)

    def stop(self):
        self.done.set()
        self.join(timeout=15)

    def recovery(self, fault_end):
        """Seconds from ``fault_end`` to the first 200 after it from every server (the slowest), or None."""
        times = []
        for base in self.bases:
            good = [t for t, b, status, *_ in self.samples if b == base and t >= fault_end and status == 200]
            if not good:
                return None
            times.append(good[0] - fault_end)
        return max(times)


# --- one run with one fault ---------------------------------------------------------------------------------


def run_under_load(name, servers, seconds, fault, workers):
    """wrk on every server and the probe for ``seconds``, with ``fault(t0)`` run in between (it returns
    (fault start, fault end, notes)); then the figures and what went wrong."""
    bases = [base for base, _ in servers]
    probe = Probe(bases)
    probe.start()
    try:
        with load_on(bases, seconds, 32) as processes:
            t0 = time.monotonic()
            fault_start, fault_end, notes = fault(t0)
            # Every worker must work again after the fault: CPU time between two late snapshots.
            wait_until(max(fault_end + 3, t0 + seconds * 0.6))
            first = {pid: cpu_ticks(pid) for _, master in servers for pid in worker_pids(master.pid)}
            wait_until(t0 + seconds - 0.5)
            last = {pid: cpu_ticks(pid) for pid in first}
            load = wrk_results(processes, seconds)
    finally:
        probe.stop()
    problems = []
    stuck = [pid for pid, ticks in first.items() if ticks is None or last[pid] is None or last[pid] <= ticks]
    if stuck:
        problems.append(f"workers stuck (no CPU time after the fault): {stuck}")
    for base, master in servers:
        if len(worker_pids(master.pid)) != workers:
            problems.append(f"{base} has {len(worker_pids(master.pid))} workers, not {workers}")
    allowed = DOCUMENTED.get(name, set())
    bad = {s: c for s, c in load["statuses"].items() if s.startswith("5") and int(s) not in allowed}
    if bad:
        problems.append(f"5xx not documented for this fault: {bad}")
    probe_statuses = {}
    for _, _, status, *_ in probe.samples:
        probe_statuses[str(status)] = probe_statuses.get(str(status), 0) + 1
    unclean = [s for s in probe.samples if s[2] == 503 and not s[3]]
    if unclean:
        problems.append(f"{len(unclean)} 503 responses that are not the clean 'Briefly unavailable' page")
    during = [s for s in probe.samples if fault_start <= s[0] < fault_end]
    recovery = probe.recovery(fault_end)
    phases = {
        "before": [s for s in probe.samples if s[0] < fault_start],
        "during": during,
        "after": [s for s in probe.samples if s[0] >= fault_end],
    }
    medians = [
        f"{phase} the fault {statistics.median(s[4] for s in samples) * 1000:.0f} ms"
        for phase, samples in phases.items()
        if samples
    ]
    notes = [*notes, "the probe's median answer time: " + ", ".join(medians)]
    if recovery is None or recovery > RECOVERY_LIMIT:
        problems.append(f"no recovery within {RECOVERY_LIMIT:.0f} s of the fault's end (got {recovery})")
    return {
        "fault": name,
        "seconds": seconds,
        "outage": fault_end - fault_start,
        "load": load,
        "probe": probe_statuses,
        "probe_during": sum(1 for s in during if s[2] == 200),
        "probe_during_total": len(during),
        "recovery": recovery,
        "notes": notes,
        "problems": problems,
    }


def wait_until(t):
    time.sleep(max(0, t - time.monotonic()))


def seconds_until(condition, limit, interval=0.02):
    """How long until ``condition()`` is true (polled), or None if it is not within ``limit`` seconds."""
    started = time.monotonic()
    while time.monotonic() < started + limit:
        if condition():
            return time.monotonic() - started
        time.sleep(interval)
    return None


def redis_fault(redis, start, outage):
    def fault(t0):
        wait_until(t0 + start)
        began = time.monotonic()
        redis.stop()
        wait_until(began + outage)
        redis.start()
        ended = time.monotonic()
        cache_back = seconds_until(redis.dbsize, 10)
        back = f"{cache_back:.2f} s" if cache_back is not None else "not within 10 s"
        return began, ended, [f"Redis (empty) used again by the app {back} after it started"]

    return fault


def postgres_fault(cluster, url, start, outage):
    def fault(t0):
        wait_until(t0 + start)
        began = time.monotonic()
        with postgres_stopped(cluster, url):
            wait_until(began + outage)
        ended = time.monotonic()
        return began, ended, [f"PostgreSQL stopped (fast) and started again: {ended - began:.1f} s without it"]

    return fault


def worker_fault(master, start, workers):
    def fault(t0):
        wait_until(t0 + start)
        before = worker_pids(master.pid)
        victim = before[0]
        os.kill(victim, signal.SIGKILL)
        killed = time.monotonic()

        def replaced_it():
            now = worker_pids(master.pid)
            return len(now) == workers and victim not in now

        replaced = seconds_until(replaced_it, 15)
        back = f"in {replaced:.2f} s" if replaced is not None else "NOT within 15 s"
        return killed, killed, [f"worker {victim} of the first server killed (SIGKILL); the master replaced it {back}"]

    return fault


# --- consistency across processes: edits published in the admin ----------------------------------------------


class FormParser(HTMLParser):
    """The name/value pairs a browser would submit for the form with id ``form_id`` (as rendered)."""

    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.pairs = form_id, False, []
        self.select = self.option = self.textarea = None

    def feed_pairs(self, text):
        self.feed(text)
        self.close()
        return self.pairs

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside or not a.get("name") and tag != "option" or "disabled" in a:
            return
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.pairs.append((a["name"], a.get("value") or "on"))
                return
            self.pairs.append((a["name"], a.get("value") or ""))
        elif tag == "select":
            self.select = {"name": a["name"], "multiple": "multiple" in a, "options": []}
        elif tag == "option" and self.select is not None:
            self.option = [a.get("value"), "selected" in a, ""]
            self.select["options"].append(self.option)
        elif tag == "textarea":
            self.textarea = [a["name"], ""]

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data
        elif self.option is not None:
            self.option[2] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "option":
            self.option = None
        elif tag == "textarea" and self.textarea is not None:
            name, text = self.textarea
            self.pairs.append((name, text[1:] if text.startswith("\n") else text))  # a browser drops that newline
            self.textarea = None
        elif tag == "select" and self.select is not None:
            options = self.select["options"]
            chosen = [o for o in options if o[1]] or ([] if self.select["multiple"] else options[:1])
            self.pairs += [(self.select["name"], o[0] if o[0] is not None else o[2].strip()) for o in chosen]
            self.select = self.option = None


class Admin:
    """An editor's browser session in the admin of one server: log in, resubmit a change form with one change."""

    def __init__(self, base, username, password):
        self.client = httpx.Client(base_url=base, follow_redirects=False, timeout=60)
        page = self.client.get("/admin/login/")
        data = dict(FormParser("login-form").feed_pairs(page.text))
        data.update(username=username, password=password, next="/admin/")
        response = self.client.post("/admin/login/?next=/admin/", data=data)
        if response.status_code != 302:
            raise RuntimeError(f"admin login failed on {base}: {response.status_code}")

    def publish_edit(self, model, pk, field, value, reason):
        url = f"/admin/treatments/{model}/{pk}/change/"
        pairs = FormParser(f"{model}_form").feed_pairs(self.client.get(url).text)
        names = {name for name, _ in pairs}
        target = field if field in names else f"{field}_en"
        data = {}
        for name, old in pairs:
            data.setdefault(name, []).append(value if name == target else old)
        data["change_reason"] = [reason]
        data["_save"] = ["Save"]
        response = self.client.post(url, data=data)
        if response.status_code != 302:
            raise RuntimeError(f"the admin refused the edit ({response.status_code}): {response.text[:2000]}")

    def close(self):
        self.client.close()


STATE_CODE = f"""
import json
from django.apps import apps
from treatments import models as m
version = m.KnowledgeBaseVersion.objects.get(pk=1)
drug = m.Drug.objects.get(slug={DRUG!r})
last = drug.history.order_by("-history_id").first()
# History records (each raises the version once), not the rows that snapshot a record's cited sources.
records = [model for model in apps.get_app_config("treatments").get_models() if model.__name__.startswith("Historical")
           and any(field.name == "history_change_reason" for field in model._meta.fields)]
rows = sum(model.objects.count() for model in records)
print(json.dumps({{"version": version.number, "changed_at": version.changed_at.isoformat(), "history_rows": rows,
    "drug_pk": drug.pk, "drug_history": drug.history.count(), "value": drug.{EDITED_FIELD},
    "last_history_value": last.{EDITED_FIELD}, "last_history_reason": last.history_change_reason}}))
"""


def kb_state(env):
    """The database's own account of the edited drug and the knowledge-base version (a separate process)."""
    out = subprocess.run(
        [PY, "manage.py", "shell", "-c", STATE_CODE], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def create_editor(env):
    """A superuser for the run (a random password, in this process only); returns (username, password)."""
    username = "fault-drill-editor"
    password = secrets.token_urlsafe(24)
    subprocess.run(
        [PY, "manage.py", "createsuperuser", "--noinput", "--username", username, "--email", "drill@example.org"],
        cwd=ROOT,
        env={**env, "DJANGO_SUPERUSER_PASSWORD": password},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return username, password


def get(url, binary=False, headers=None):
    """(status, body, headers) of a GET; the body as text unless ``binary``."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=60) as response:
            status, body, headers = response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        status, body, headers = error.code, error.read(), error.headers
    return status, body if binary else body.decode(), dict(headers)


def consistency(servers, env, editor, seconds, connections=32):
    """Edits published in the admin of one server, seen by both; edits under load lose nothing."""
    bases = [base for base, _ in servers]
    problems, notes = [], []
    before = kb_state(env)
    for base in bases:  # both servers have the page cached (in Redis and in process) before the edit
        get(base + DRUG_PAGE)
        get(base + DRUG_PAGE)
    admins = [Admin(base, *editor) for base in bases]
    edits = []
    try:
        token = secrets.token_hex(4)
        edits.append(f"Capsules (fault drill {token}, edit 1)")
        admins[0].publish_edit("drug", before["drug_pk"], EDITED_FIELD, edits[-1], "Fault drill: edit 1.")
        seen = {base: edits[-1] in get(base + DRUG_PAGE)[1] for base in bases}
        notes.append(
            "edit 1 published in the first server's admin; on the next request: "
            + ", ".join(f"{'seen' if ok else 'NOT seen'} by server {i + 1}" for i, ok in enumerate(seen.values()))
        )
        if not all(seen.values()):
            problems.append(f"edit 1 not visible on every server's next request: {seen}")
        # Edits while both servers are under load (the drug page among the pages wrk requests).
        with load_on(bases, seconds, connections, (DRUG_PAGE, DRUG_API)) as processes:
            t0 = time.monotonic()
            for n in (2, 3, 4):
                wait_until(t0 + seconds * (n - 1) / 4)
                edits.append(f"Capsules (fault drill {token}, edit {n})")
                admins[n % 2].publish_edit("drug", before["drug_pk"], EDITED_FIELD, edits[-1], f"Fault drill: {n}.")
            load = wrk_results(processes, seconds)
    finally:
        for admin in admins:
            admin.close()
    after = kb_state(env)
    new_rows = after["history_rows"] - before["history_rows"]
    raised = after["version"] - before["version"]
    pages = {base: edits[-1] in get(base + DRUG_PAGE)[1] for base in bases}
    api = [get(base + DRUG_API) for base in bases]
    changed_at = format_datetime(datetime.fromisoformat(after["changed_at"]), usegmt=True)
    checks = {
        f"{len(edits)} edits, {after['drug_history'] - before['drug_history']} new history rows of the drug": (
            after["drug_history"] - before["drug_history"] == len(edits)
        ),
        f"version raised {raised} times for {new_rows} new history rows": raised == new_rows > 0,
        "the drug's last history row holds the last edit": after["last_history_value"] == edits[-1],
        "the database holds the last edit": after["value"] == edits[-1],
        "both servers' pages show the last edit": all(pages.values()),
        "both servers' API answers show the last edit": all(edits[-1] in body for _, body, _ in api),
        "both servers' API Last-Modified is the version's time": all(
            headers.get("Last-Modified") == changed_at for _, _, headers in api
        ),
    }
    for check, ok in checks.items():
        notes.append(f"{check}: {'yes' if ok else 'NO'}")
        if not ok:
            problems.append(check)
    bad = {s: c for s, c in load["statuses"].items() if not s.startswith(("2", "3"))}
    if bad or any(load["socket"].values()):
        problems.append(f"errors under load while editing: {bad} {load['socket']}")
    return {"fault": "consistency", "seconds": seconds, "load": load, "notes": notes, "problems": problems}


# --- report ---------------------------------------------------------------------------------------------------

TITLES = {
    "redis": "Redis stopped",
    "postgres": "PostgreSQL restarted",
    "worker": "A worker killed",
    "consistency": "Edits published in the admin under load",
}


def table(results):
    lines = [
        "| Fault | Run | Requests | Responses by status | Socket errors | p99 | Probe during the fault "
        "| Time to recover |",
        "|---|---|---:|---|---|---:|---|---:|",
    ]
    for r in results:
        load = r["load"]
        statuses = " · ".join(f"{s}: {c:,}" for s, c in sorted(load["statuses"].items()))
        socket_errors = ", ".join(f"{k} {v}" for k, v in load["socket"].items() if v) or "none"
        if "outage" in r:
            run = f"{r['seconds']} s, {r['outage']:.1f} s fault" if r["outage"] else f"{r['seconds']} s"
            probe = f"{r['probe_during']}/{r['probe_during_total']} answered 200" if r["probe_during_total"] else "—"
            recovery = f"{r['recovery']:.2f} s" if r["recovery"] is not None else "none"
        else:
            run, probe, recovery = f"{r['seconds']} s", "—", "—"
        lines.append(
            f"| {TITLES[r['fault']]} | {run} | {load['requests']:,} | {statuses} | {socket_errors} | "
            f"{load['p99_ms']:.0f} ms | {probe} | {recovery} |"
        )
    return "\n".join(lines)


def report(results, mode):
    parts = [table(results), ""]
    for r in results:
        for note in r["notes"]:
            parts.append(f"- {TITLES[r['fault']]}: {note}.")
        for problem in r["problems"]:
            parts.append(f"- {TITLES[r['fault']]}: **FAILED**: {problem}.")
    return "\n".join(parts)


def write_docs(text, header):
    path = ROOT / "docs" / "benchmarks.md"
    current = path.read_text()
    if SECTION in current:  # this script's section is the file's last: replace it
        current = current[: current.index(SECTION)].rstrip() + "\n"
    path.write_text(f"{current.rstrip()}\n\n{SECTION}\n\n{header}\n\n{text}\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--short", action="store_true", help="20 s runs with 5 s outages (CI)")
    parser.add_argument("--write", action="store_true", help="write the tables into docs/benchmarks.md")
    parser.add_argument("--only", default=",".join(FAULTS), help="comma-separated: " + ",".join(FAULTS))
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server")
    args = parser.parse_args()
    only = [f for f in args.only.split(",") if f]
    if set(only) - set(FAULTS):
        parser.error(f"unknown fault in --only: {args.only}")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run every `finally` on a polite kill too
    seconds = 20 if args.short else 60
    redis_outage, pg_outage = (5, 3) if args.short else (20, 5)
    started = time.monotonic()
    header = (
        f"`make faults{'-short' if args.short else ''}` on {machine()}: PostgreSQL, Redis, two gunicorn servers "
        f"of {args.workers} workers each, one wrk per server (16 connections each, 32 in all), one request in eight "
        "a new patient; a probe asks each server for the explorer page every 0.1 s. Time to recover: from the "
        "fault's end to the first 200 from every server. The only 5xx allowed is the database outage's 503 page "
        "(treatments/db_unavailable.py); a killed worker's requests in flight end in socket read errors. Load "
        f"average at the start: {' '.join(Path('/proc/loadavg').read_text().split()[:3])} (a shared machine)."
    )
    print(header, flush=True)

    def step(what):
        print(f"[{time.monotonic() - started:5.0f} s] {what}", flush=True)

    ensure_static()
    step("static files collected")
    results = []
    with ExitStack() as stack:
        url = prepare_postgres(DATABASE)
        step(f"database {DATABASE} loaded")
        stack.callback(drop_database, DATABASE)
        redis = stack.enter_context(own_redis())
        logs = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="neuro-faults-")))
        env = production_env(
            url,
            REDIS_URL=redis.url,
            SECURE_COOKIES="0",  # plain HTTP on loopback: the admin session cookie must travel
            ADMIN_URL="admin/",
            GUNICORN_CMD_ARGS=f"--error-logfile {logs / 'error.log'} --capture-output",
        )
        editor = create_editor(env)
        servers = [stack.enter_context(gunicorn_process(env, args.workers)) for _ in range(2)]
        for base, _ in servers:
            check_ok(base, [*PAGES, DRUG_PAGE])
        step("two servers up")
        cluster = postgres_cluster(url)
        for name in only:
            step(TITLES[name])
            if name == "redis":
                fault = redis_fault(redis, seconds / 4, redis_outage)
            elif name == "postgres":
                if cluster is None:
                    print("PostgreSQL fault skipped: cannot restart this server (needs root and pg_ctlcluster)")
                    continue
                fault = postgres_fault(cluster, url, seconds / 4, pg_outage)
            elif name == "worker":
                fault = worker_fault(servers[0][1], seconds / 3, args.workers)
            if name == "consistency":
                results.append(consistency(servers, env, editor, seconds / 2))
            else:
                results.append(run_under_load(name, servers, seconds, fault, args.workers))
            print(table(results[-1:]), flush=True)
        log = (logs / "error.log").read_text(errors="replace")
    leaked = [line for line in log.splitlines() if "crcl=" in line or "?age=" in line or "&age=" in line]
    if leaked:
        results[-1]["problems"].append(f"{len(leaked)} log lines hold a query string, e.g. {leaked[0][:200]}")
    tracebacks = log.split("Traceback (most recent call last):")[1:]
    if tracebacks:  # server errors (a 503 is not one): show the last, for whoever must fix it
        print(f"\n{len(tracebacks)} tracebacks in the servers' log; the last:\nTraceback{tracebacks[-1][:6000]}")
    text = report(results, "short" if args.short else "full")
    print(f"\n{text}\n\nTotal time {time.monotonic() - started:.0f} s", flush=True)
    if args.write:
        write_docs(text, header)
    if any(r["problems"] for r in results):
        sys.exit("Faults under load FAILED (see above).")


if __name__ == "__main__":
    main()
