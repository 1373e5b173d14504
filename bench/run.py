"""The performance benchmark (`make bench`; `make bench-short` in CI). It reports figures; it is not a test.

For the explorer, a drug page, the plan check, the patient summary and the API explore endpoint, at
the real knowledge base (1×) and a synthetic one SCALE times larger (bench/synth.py, in temporary
SQLite files), it reports: SQL queries per request (cold and warm cache); median server time (cold
and warm); throughput under gunicorn with 2 workers with the cache off (cold: bench/nocache_settings.py)
and on (warm: the default local-memory cache); each as a ratio to the trivial view /healthz,
measured in the same run. Then it checks the targets and, with --write, rewrites docs/benchmarks.md.

    python bench/run.py [--short] [--write]
"""

import argparse
import datetime
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    ENDPOINTS,
    PY,
    ROOT,
    check_ok,
    collectstatic,
    gunicorn,
    machine,
    prepare_sqlite,
    production_env,
    wrk,
)

TRIVIAL = "trivial view"
LOAD_MARKER = "<!-- load test: kept by bench/run.py --write -->"
TARGET_TIME_RATIO = 2.0  # median server time at SCALE× at most 2× that at 1×
TARGET_THROUGHPUT = 0.70  # warm-cache explorer throughput at least 70% of the trivial view's


def measure(url, repeats):
    out = subprocess.run(
        [PY, "bench/measure.py", str(repeats)],
        cwd=ROOT,
        env=production_env(url),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


ROUNDS = 3  # pages are measured in turn, ROUNDS times, so a burst of other load hits every page alike


def throughput(url, seconds, settings_module=None, accept_encoding="gzip"):
    """Per page: the median requests/s and p50 over ROUNDS wrk runs, and the median of its ratios to the
    trivial view measured just before it in the same round; errors summed.

    Each page's run is paired with a trivial-view run right before it, so a burst of other load on the
    machine moves both sides of a ratio alike (pages measured minutes apart can differ by 2× here).
    Requests accept gzip, as browsers' do, unless ``accept_encoding`` says otherwise."""
    extra = {"DJANGO_SETTINGS_MODULE": settings_module} if settings_module else {}
    runs = {name: [] for name in ENDPOINTS}
    ratios = {name: [] for name in ENDPOINTS}
    trivial = ENDPOINTS[TRIVIAL]

    def run(path):  # errors are reported, not hidden
        return wrk(base, [path], seconds, connections=8, accept_encoding=accept_encoding)

    with gunicorn(production_env(url, **extra), workers=2) as base:
        check_ok(base, ENDPOINTS.values())
        for path in ENDPOINTS.values():
            wrk(base, [path], 2, connections=8, accept_encoding=accept_encoding)  # warm-up: every worker loads
        for _round in range(ROUNDS):
            for name, path in ENDPOINTS.items():
                if name == TRIVIAL:
                    continue
                before = run(trivial)
                result = run(path)
                runs[TRIVIAL].append(before)
                runs[name].append(result)
                ratios[name].append(result["rps"] / before["rps"])
                ratios[TRIVIAL].append(1.0)
    return {
        name: {
            "rps": statistics.median(r["rps"] for r in results),
            "vs_trivial": statistics.median(ratios[name]),
            "p50_ms": statistics.median(r["p50_ms"] for r in results),
            "errors": sum(r["errors"] for r in results),
        }
        for name, results in runs.items()
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--short", action="store_true", help="CI mode: 10× data, 3 s per wrk run")
    parser.add_argument("--write", action="store_true", help="rewrite docs/benchmarks.md with the results")
    args = parser.parse_args()
    scale = 10 if args.short else 100
    seconds = 3 if args.short else 10
    repeats = 5 if args.short else 7

    collectstatic()
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    data = {}
    with tempfile.TemporaryDirectory(prefix="neuro-bench-") as tmp:
        for factor in (1, scale):
            print(f"== {factor}×: building the knowledge base", flush=True)
            url = prepare_sqlite(Path(tmp) / f"kb-{factor}x.sqlite3", factor)
            print(f"== {factor}×: queries and server time", flush=True)
            inprocess = measure(url, repeats if factor == 1 else max(3, repeats // 2))
            print(json.dumps(inprocess), flush=True)
            print(f"== {factor}×: gunicorn throughput, cold then warm cache", flush=True)
            cold = throughput(url, seconds, "bench.nocache_settings")
            warm = throughput(url, seconds)
            data[factor] = {"inprocess": inprocess, "cold": cold, "warm": warm}
            if factor == 1:
                print("== 1×: warm cache again, for clients that do not accept gzip", flush=True)
                data[factor]["warm_identity"] = throughput(url, seconds, accept_encoding="")
            print(json.dumps(data[factor]), flush=True)  # raw figures, in case a later step fails
    load = (
        f"load average {' '.join(load_before)} before, {' '.join(Path('/proc/loadavg').read_text().split()[:3])} after"
    )
    report = render(data, scale, seconds, args.short, load)
    print(report)
    if args.write:
        path = ROOT / "docs" / "benchmarks.md"
        # The load test's figures (bench/load.py, written up by hand) follow LOAD_MARKER and are kept.
        kept = path.read_text().partition(LOAD_MARKER)[2] if path.exists() else ""
        path.write_text(report + (f"\n{LOAD_MARKER}{kept}" if kept else ""))


def render(data, scale, seconds, short, load):
    small, big = data[1], data[scale]
    lines = [
        "# Benchmarks",
        "",
        f"Run: `make bench{'-short' if short else ''}` on {datetime.date.today().isoformat()}. "
        f"Machine: {machine()}; {load} (other work on the machine shares the 2 cores).",
        "",
        f"Knowledge base: the real fixtures (1×) and a synthetic copy {scale}× larger with the same shapes "
        "(`bench/synth.py`), each in a temporary SQLite file. Server time: median of one request through the "
        "whole Django stack in-process (cold: cache emptied before each request). Throughput: gunicorn, 2 sync "
        f"workers, production settings, wrk 1 thread × 8 connections × {seconds} s per page, pages in turn, "
        f"{ROUNDS} rounds, median, requests sending `Accept-Encoding: gzip` as browsers do; cold = "
        "cache disabled (`bench/nocache_settings.py`), warm = the default local-memory cache. Each page's wrk run "
        "follows a run of the trivial view `/healthz`; a ratio is the median over the rounds of the page's req/s "
        "over that trivial run's. wrk errors (timeouts over 30 s, non-2xx) are listed below.",
        "",
        f"| Page | Queries 1× (cold/warm) | Queries {scale}× (cold/warm) | Median ms 1× (cold/warm) | "
        f"Median ms {scale}× (cold/warm) | {scale}×/1× cold/warm | req/s 1× cold/warm | req/s {scale}× cold/warm | "
        f"warm req/s vs trivial (1×, {scale}×) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    verdicts = []
    for name in ENDPOINTS:
        a, b = small["inprocess"][name], big["inprocess"][name]
        ratio = b["median_ms_warm"] / a["median_ms_warm"]
        cold_ratio = b["median_ms_cold"] / a["median_ms_cold"]
        vs_small, vs_big = small["warm"][name]["vs_trivial"], big["warm"][name]["vs_trivial"]
        lines.append(
            f"| {name} | {a['queries_cold']}/{a['queries_warm']} | {b['queries_cold']}/{b['queries_warm']} | "
            f"{a['median_ms_cold']:.1f}/{a['median_ms_warm']:.1f} | {b['median_ms_cold']:.1f}/{b['median_ms_warm']:.1f}"
            f" | {cold_ratio:.2f}/{ratio:.2f} | {small['cold'][name]['rps']:.0f}/{small['warm'][name]['rps']:.0f} | "
            f"{big['cold'][name]['rps']:.0f}/{big['warm'][name]['rps']:.0f} | {vs_small:.0%}, {vs_big:.0%} |"
        )
        if name == TRIVIAL:
            continue
        same = (a["queries_cold"], a["queries_warm"]) == (b["queries_cold"], b["queries_warm"])
        verdicts.append(f"- {name}: identical query counts at 1× and {scale}×: {'met' if same else 'MISSED'}.")
        for label, value in (("cold", cold_ratio), ("warm", ratio)):
            verdicts.append(
                f"- {name}: {label} median at {scale}× ≤ {TARGET_TIME_RATIO:g}× that at 1×: "
                f"{'met' if value <= TARGET_TIME_RATIO else 'MISSED'} ({value:.2f}×)."
            )
    explorer = small["warm"]["explorer"]["vs_trivial"]
    verdicts.append(
        f"- explorer warm-cache throughput ≥ {TARGET_THROUGHPUT:.0%} of the trivial view's (1×): "
        f"{'met' if explorer >= TARGET_THROUGHPUT else 'MISSED'} ({explorer:.0%})."
    )
    identity = small["warm_identity"]
    lines += [
        "",
        "Warm cache at 1× for a client that does not accept gzip (no `Accept-Encoding`), same settings: "
        + "; ".join(
            f"{name} {identity[name]['rps']:.0f} req/s ({identity[name]['vs_trivial']:.0%})" for name in ENDPOINTS
        )
        + ". Percentages are of the trivial view run just before each page, as above. Such a client gets the"
        " uncompressed page, so gunicorn and wrk move several times more bytes per request (the explorer page:"
        " about 135 kB instead of about 18 kB) on the same 2 cores.",
    ]
    errors = [
        f"- {name} at {factor}× ({kind} cache): {run[kind][name]['errors']} errors"
        for factor, run in data.items()
        for kind in ("cold", "warm", "warm_identity")
        for name in ENDPOINTS
        if kind in run and run[kind][name]["errors"]
    ]
    lines += ["", "## Targets", "", *verdicts, "", "## wrk errors", "", *(errors or ["- none"]), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
