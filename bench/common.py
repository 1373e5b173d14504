"""Shared helpers for bench/run.py (benchmark) and bench/load.py (load test): databases, gunicorn, wrk.

Everything runs on the loopback interface with production settings (DEBUG off, a random
SECRET_KEY, collected static files served by whitenoise).
"""

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(Path(sys.executable))
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
WRK_SCRIPT = str(ROOT / "bench" / "wrk.lua")
WRK_TRAFFIC_SCRIPT = str(ROOT / "bench" / "wrk_traffic.lua")

# The pages measured: a 72-year-old with CrCl 25 and depression, taking tramadol.
ENDPOINTS = {
    "explorer": "/conditions/painful-diabetic-neuropathy/?age=72&crcl=25&factors=depression&current=tramadol",
    "drug page": "/drugs/pregabalin/",
    "plan check": "/plan/?drugs=pregabalin&drugs=duloxetine&age=72&crcl=25&current=tramadol",
    "summary": "/plan/summary/?condition=painful-diabetic-neuropathy&drugs=pregabalin&drugs=duloxetine",
    "API explore": "/api/v1/explore/?condition=painful-diabetic-neuropathy&age=72&crcl=25&current=tramadol",
    "trivial view": "/healthz",
}


def production_env(database_url, **extra):
    """Environment for a production-like process: DEBUG off, a random secret key, no local-run shortcuts."""
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(
        DEBUG="0",
        LOCAL_RUN="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url,
        # One client address makes every request: lift the per-address API throttle for the measurement.
        API_ANON_RATE="100000000/minute",
        LOG_LEVEL="ERROR",
    )
    env.update(extra)
    return env


def manage(env, *args):
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True)


def prepare_sqlite(path, scale, env_extra=None):
    """A fresh SQLite database at ``path`` holding the knowledge base ``scale`` times over."""
    path = Path(path)
    path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    env = production_env(url, **(env_extra or {}))
    manage(env, "migrate", "--noinput", "-v0")
    subprocess.run([PY, "bench/synth.py", str(scale)], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return url


def prepare_postgres(name, scale=1):
    """Drop and create a dedicated PostgreSQL database (never `test`), migrate and fill it."""
    assert name not in ("test", "postgres"), "use a dedicated database"
    base = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    for sql in (f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", f"{base}/postgres", "-q", "-c", sql], check=True)
    url = f"{base}/{name}"
    env = production_env(url)
    manage(env, "migrate", "--noinput", "-v0")
    subprocess.run([PY, "bench/synth.py", str(scale)], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return url


def collectstatic():
    manage(production_env("sqlite:///:memory:"), "collectstatic", "--noinput", "-v0")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url, name, tries=300):
    """Return once ``url`` answers 200 (polled every 0.1 s); RuntimeError when ``name`` never comes up."""
    for _ in range(tries):
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{name} did not start")


@contextmanager
def gunicorn(env, workers=2):
    """gunicorn serving the app on a free loopback port; yields the base URL."""
    with gunicorn_process(env, workers) as (base, _process):
        yield base


@contextmanager
def gunicorn_process(env, workers=2):
    """gunicorn serving the app on a free loopback port; yields the base URL and the master's Popen."""
    port = free_port()
    process = subprocess.Popen(
        [
            GUNICORN,
            "neuro.wsgi",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "600",
            "--graceful-timeout",
            "5",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/healthz", "gunicorn")
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a worker still busy with a slow request
            process.kill()
            process.wait()


def check_ok(base, paths):
    """Every path answers 200 before it is measured (a load test of error pages proves nothing)."""
    for path in paths:
        with urllib.request.urlopen(base + path, timeout=600) as response:
            assert response.status == 200, (path, response.status)


def worker_memory(master_pid):
    """Resident memory of each gunicorn worker (the master's children), in MB: VmRSS now and VmHWM (peak)."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    workers = []
    for pid in children:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:  # a worker that just exited
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        workers.append(
            {
                "pid": int(pid),
                "rss_mb": int(fields["VmRSS"].split()[0]) / 1024,
                "peak_mb": int(fields["VmHWM"].split()[0]) / 1024,
            }
        )
    return workers


def wrk_lines(base, file, start, seconds, connections, threads=1, accept_encoding="gzip"):
    """Run wrk sending one line of ``file`` per request, from line ``start`` on (bench/wrk_traffic.lua), so every
    request is a different address; returns wrk's JSON summary plus requests/s, error count, and ``next_start``:
    the first line no request can have used, for the next run."""
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "--latency"]
    command += ["-s", WRK_TRAFFIC_SCRIPT, base, "--", str(file), str(start), str(threads)]
    env = {**os.environ, "WRK_ACCEPT_ENCODING": accept_encoding}
    out = subprocess.run(command, capture_output=True, text=True, check=True, env=env).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["errors"] = sum(result[k] for k in ("connect", "read", "write", "status", "timeout"))
    # Requests still in flight when wrk stopped took lines too (at most one per connection).
    result["next_start"] = start + result["requests"] + connections + threads
    return result


def datasette_python():
    """The Python of the benchmark's own virtualenv with Datasette from the package registry (never the app's
    .venv, never requirements*.txt); made on first use. Set BENCH_DATASETTE_VENV to put it elsewhere."""
    venv = Path(os.environ.get("BENCH_DATASETTE_VENV", "/tmp/bench-datasette-venv"))
    python = venv / "bin" / "python"
    if not (venv / "bin" / "datasette").exists():
        base = Path(sys.base_prefix) / "bin" / "python3"
        subprocess.run([str(base), "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "datasette"], check=True)
    return python


def datasette_version(python):
    return subprocess.run(
        [str(python), "-c", "import datasette.version as v; print(v.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@contextmanager
def datasette(database_path):
    """Datasette (default settings) serving the SQLite file on a free loopback port; yields the base URL."""
    python = datasette_python()
    port = free_port()
    process = subprocess.Popen(
        [str(python), "-m", "datasette", "serve", str(database_path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/-/versions.json", "datasette")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wrk(base, paths, seconds, connections, threads=1, accept_encoding="gzip"):
    """Run wrk against the paths (cycled); returns its JSON summary plus requests/s and error count.

    Requests say ``Accept-Encoding: gzip``, as every browser's do; ``accept_encoding=""`` sends none."""
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "-s", WRK_SCRIPT, base]
    env = {**os.environ, "WRK_ACCEPT_ENCODING": accept_encoding}
    out = subprocess.run([*command, "--", *paths], capture_output=True, text=True, check=True, env=env).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["errors"] = sum(result[k] for k in ("connect", "read", "write", "status", "timeout"))
    return result


def machine():
    """One line describing this machine, from /proc/cpuinfo and /proc/meminfo."""
    cpuinfo = Path("/proc/cpuinfo").read_text()
    models = [line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")]
    mhz = [line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("cpu MHz")]
    mem = next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    memory_gb = int(mem.split()[1]) / 1024 / 1024
    model = models[0] if models else "unknown CPU"
    speed = f" at {float(mhz[0]):.0f} MHz" if mhz else ""
    return f"{len(models)} × {model}{speed}, {memory_gb:.0f} GB RAM, Python {sys.version.split()[0]}"
