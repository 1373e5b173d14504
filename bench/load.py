"""Load test (`make load`; `make load-short` in CI): gunicorn with production settings on loopback.

wrk cycles through the explorer, a drug page, the plan check, the patient summary and the API
explore endpoint at 32 connections for 60 s (10 s in short mode), on SQLite and on PostgreSQL
(a dedicated database, `neuro_load`, dropped and re-created), with the cache in Redis when
REDIS_URL is set. It reports throughput and p50/p95/p99 latency and fails on any error
(connection error, timeout, or a status other than 2xx/3xx).

    python bench/load.py [--short] [--sqlite-only]
"""

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    ENDPOINTS,
    check_ok,
    collectstatic,
    gunicorn,
    machine,
    prepare_postgres,
    prepare_sqlite,
    production_env,
    wrk,
)

PAGES = [path for name, path in ENDPOINTS.items() if name != "trivial view"]


def run(label, url, seconds, workers):
    # Several app servers share one Redis cache in production: use it when REDIS_URL is set.
    redis = {"REDIS_URL": os.environ["REDIS_URL"]} if os.environ.get("REDIS_URL") else {}
    label += " + Redis cache" if redis else " + local-memory cache"
    with gunicorn(production_env(url, **redis), workers=workers) as base:
        check_ok(base, PAGES)
        wrk(base, PAGES, 2, connections=32, threads=2)  # warm-up, not counted
        result = wrk(base, PAGES, seconds, connections=32, threads=2)
    print(
        f"{label}: {result['requests']} requests in {result['duration_us'] / 1e6:.1f} s, "
        f"{result['rps']:.1f} req/s, p50 {result['p50_ms']:.0f} ms, p95 {result['p95_ms']:.0f} ms, "
        f"p99 {result['p99_ms']:.0f} ms, max {result['max_ms']:.0f} ms, errors {result['errors']} "
        f"(connect {result['connect']}, read {result['read']}, write {result['write']}, "
        f"status {result['status']}, timeout {result['timeout']})",
        flush=True,
    )
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--short", action="store_true", help="10 s instead of 60 s")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args()
    seconds = 10 if args.short else 60
    print(f"Machine: {machine()}; load average {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    print(f"gunicorn {args.workers} workers; wrk 2 threads, 32 connections, {seconds} s; pages: {', '.join(PAGES)}")
    collectstatic()
    results = []
    with tempfile.TemporaryDirectory(prefix="neuro-load-") as tmp:
        results.append(run("SQLite", prepare_sqlite(Path(tmp) / "load.sqlite3", 1), seconds, args.workers))
    if not args.sqlite_only:
        results.append(run("PostgreSQL", prepare_postgres("neuro_load"), seconds, args.workers))
    if any(r["errors"] for r in results):
        sys.exit("Load test FAILED: errors under load (see above).")


if __name__ == "__main__":
    main()
