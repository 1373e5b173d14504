"""The performance benchmark (`make bench`; `make bench-short` in CI). It reports figures; it is not a test.

For the explorer, a drug page, the plan check, the patient summary and the API explore endpoint, at
the real knowledge base (1×) and a synthetic one SCALE times larger (bench/synth.py, in temporary
SQLite files), it reports: SQL queries per request (cold and warm cache); median server time (cold
and warm); throughput under gunicorn with 2 workers with the cache off (cold: bench/nocache_settings.py)
and on (warm: the default local-memory cache); each as a ratio to the trivial view /healthz,
measured in the same run. Then it checks the targets and, with --write, rewrites docs/benchmarks.md.

Then the traffic mode (bench/traffic.py, bench/wrk_traffic.lua): every request a different patient or plan,
for the explorer, the API explore endpoint, the plan check and the patient summary, against a warmed
gunicorn (2 workers, default cache), each wrk run paired with a trivial-view run just before it: req/s,
p50 and p99, SQL queries per request (an in-process sample), resident memory per worker after the runs;
and Datasette (the benchmark's own virtualenv, bench/common.py) serving the recommendations table of the
same SQLite file filtered to one condition with facets on line, strength and guideline. The full run
does this at 1× and SCALE× and checks the issue-18 targets (pass/fail lines); --short does it briefly at
1× only, without Datasette, and only reports.

    python bench/run.py [--short] [--write] [--traffic-only] [--databases DIR]
"""

import argparse
import datetime
import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    ENDPOINTS,
    PY,
    ROOT,
    check_ok,
    collectstatic,
    datasette,
    datasette_python,
    datasette_version,
    gunicorn,
    gunicorn_process,
    machine,
    prepare_sqlite,
    production_env,
    worker_memory,
    wrk,
    wrk_lines,
)
from bench.traffic import TRAFFIC

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


# Issue 18's targets for the traffic mode (every request a new patient or plan), at 1× and SCALE×.
TRAFFIC_TARGETS = {  # share of the trivial view's req/s, measured in the same round
    "explorer, new patient": 0.25,
    "API explore, new patient": 0.40,
    "plan check, new plan": 0.25,
    "summary, new plan": 0.25,
}
TARGET_P99_MS = 50  # at 8 connections
TARGET_WORKER_MB = 300  # resident memory per worker at SCALE×, after the traffic runs
TARGET_VS_DATASETTE = 10  # explorer new-patient req/s at least 10× Datasette's faceted table page
TRAFFIC_RPS_CEILING = 1500  # addresses made per second of measured traffic (wrk_traffic.lua wraps, and says so)
DATASETTE = "Datasette, faceted table"
DATASETTE_CONDITION = "painful-diabetic-neuropathy"

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
                settle(base)
                before = run(trivial)
                result = run(path)
                runs[TRIVIAL].append(before)
                runs[name].append(result)
                ratios[name].append(ratio(result, before))
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


def warm_up(base, directory):
    """Send every warm-up address (each condition several times, a new patient each) over 4 connections, so every
    worker has loaded every condition, as long-running workers have. Every one must answer 200."""

    def get(path):
        request = urllib.request.Request(base + path, headers={"Accept-Encoding": "gzip"})
        try:
            with urllib.request.urlopen(request, timeout=600) as response:
                response.read()
                return response.status, path
        except urllib.error.HTTPError as error:
            return error.code, path
        except OSError as error:  # a timeout, or a worker killed by gunicorn's timeout
            return repr(error), path

    paths = [p for kind in TRAFFIC.values() for p in (directory / f"{kind}-warmup.txt").read_text().split()]
    with ThreadPoolExecutor(4) as pool:
        bad = [(status, path) for status, path in pool.map(get, paths) if status != 200]
    assert not bad, f"{len(bad)} warm-up addresses did not answer 200, e.g. {bad[:3]}"
    return len(paths)


def settle(base, limit=120.0):
    """Wait until the server is idle: wrk stops with requests still queued in gunicorn (one per connection), and a
    trivial-view run started at once would wait behind them (with slow pages, for longer than the whole run).
    Two quick /healthz answers in a row, or ``limit`` s."""
    deadline, quick = time.monotonic() + limit, 0
    while quick < 2 and time.monotonic() < deadline:
        start = time.monotonic()
        with urllib.request.urlopen(base + ENDPOINTS[TRIVIAL], timeout=limit) as response:
            response.read()
        quick = quick + 1 if time.monotonic() - start < 0.1 else 0
        time.sleep(0.05)


def ratio(result, before):
    """A run's req/s over the trivial run's before it (NaN if that trivial run completed nothing)."""
    return result["rps"] / before["rps"] if before["rps"] else float("nan")


def datasette_path(db_path):
    """The recommendations table filtered to one condition, faceted by line, strength and guideline."""
    with sqlite3.connect(db_path) as db:
        (condition_id,) = db.execute(
            "SELECT id FROM treatments_condition WHERE slug = ?", (DATASETTE_CONDITION,)
        ).fetchone()
    return (
        f"/{Path(db_path).stem}/treatments_recommendation?condition_id={condition_id}"
        "&_facet=line&_facet=strength&_facet=guideline_id"
    )


def datasette_check(base, path):
    """The page answers 200 and its JSON twin carries the three facets (none timed out)."""
    check_ok(base, [path])
    table, _, query = path.partition("?")
    with urllib.request.urlopen(f"{base}{table}.json?{query}", timeout=600) as response:
        body = json.load(response)
    facets = body.get("facet_results", {})
    facets = facets.get("results", facets)  # Datasette 1.0 nests them
    return {"rows": len(body.get("rows", [])), "facets": sorted(facets), "timed_out": body.get("facets_timed_out", [])}


def traffic(url, db_path, directory, seconds, rounds, sample, with_datasette):
    """The traffic mode against one database: see the module docstring."""
    lines = int(TRAFFIC_RPS_CEILING * (rounds * seconds + 5))
    made = subprocess.run(
        [PY, "bench/traffic.py", str(directory), str(lines), str(sample)],
        cwd=ROOT,
        env=production_env(url),
        check=True,
        stdout=subprocess.PIPE,  # progress and failures go to stderr, shown as they come
        text=True,
    ).stdout
    inprocess = json.loads(made.strip().splitlines()[-1])
    print(json.dumps(inprocess), flush=True)
    runs = {name: [] for name in [*TRAFFIC, TRIVIAL, *([DATASETTE] if with_datasette else [])]}
    ratios = {name: [] for name in runs}
    starts = dict.fromkeys(TRAFFIC, 0)
    wrapped = set()
    load = Path("/proc/loadavg").read_text().split()[:3]
    with (
        gunicorn_process(production_env(url), workers=2) as (base, process),
        datasette(db_path) if with_datasette else nullcontext() as datasette_base,
    ):
        warmed = warm_up(base, directory)
        wrk(base, [ENDPOINTS[TRIVIAL]], 2, connections=8)  # warm-up of the trivial view
        ds_path = ds_check = None
        if with_datasette:
            ds_path = datasette_path(db_path)
            ds_check = datasette_check(datasette_base, ds_path)
            wrk(datasette_base, [ds_path], 2, connections=8)  # warm-up
        for _round in range(rounds):
            for name, kind in TRAFFIC.items():
                settle(base)
                before = wrk(base, [ENDPOINTS[TRIVIAL]], seconds, connections=8)
                result = wrk_lines(base, directory / f"{kind}.txt", starts[name], seconds, connections=8)
                starts[name] = result["next_start"]
                if result["wrapped"]:
                    wrapped.add(name)
                runs[TRIVIAL].append(before)
                runs[name].append(result)
                ratios[name].append(ratio(result, before))
                ratios[TRIVIAL].append(1.0)
            if with_datasette:
                settle(base)
                before = wrk(base, [ENDPOINTS[TRIVIAL]], seconds, connections=8)
                result = wrk(datasette_base, [ds_path], seconds, connections=8)
                runs[TRIVIAL].append(before)
                runs[DATASETTE].append(result)
                ratios[DATASETTE].append(ratio(result, before))
        settle(base)
        memory = worker_memory(process.pid)
    figures = {
        name: {
            "rps": statistics.median(r["rps"] for r in results),
            "vs_trivial": statistics.median(ratios[name]),
            "p50_ms": statistics.median(r["p50_ms"] for r in results),
            "p99_ms": statistics.median(r["p99_ms"] for r in results),
            "errors": sum(r["errors"] for r in results),
            "requests": sum(r["requests"] for r in results),
        }
        for name, results in runs.items()
    }
    return {
        "figures": figures,
        "inprocess": inprocess["sample"],
        "vocabulary": inprocess["vocabulary"],
        "memory": memory,
        "wrapped": sorted(wrapped),
        "warm_up_requests": warmed,
        "lines": lines,
        "load": load,
        "datasette": {"path": ds_path, "check": ds_check} if with_datasette else None,
    }


def fixed_addresses(data, factor, url, seconds, repeats):
    """The fixed-address figures at one size: queries and server time in-process, then throughput cold and warm."""
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--short", action="store_true", help="CI mode: 3× data, 3 s per wrk run")
    parser.add_argument("--write", action="store_true", help="rewrite docs/benchmarks.md with the results")
    parser.add_argument(
        "--traffic-only",
        action="store_true",
        help="only the traffic mode (new patients, Datasette, the issue-18 targets); not with --write",
    )
    parser.add_argument(
        "--databases",
        metavar="DIR",
        help="keep the prepared SQLite files (kb-<N>x.sqlite3) in DIR and reuse those already there, instead of "
        "building them afresh in a temporary directory (they are only read)",
    )
    args = parser.parse_args()
    if args.traffic_only and args.write:
        parser.error("--write needs the whole benchmark: drop --traffic-only")
    scale = 3 if args.short else 100  # the short mode still compares two sizes (constant queries), quickly
    seconds = 3 if args.short else 10
    repeats = 5 if args.short else 7

    traffic_factors = (1,) if args.short else (1, scale)
    with_datasette = not args.short
    ds_version = None
    if with_datasette:
        print("== Datasette: the benchmark's own virtualenv", flush=True)
        try:
            ds_version = datasette_version(datasette_python())
        except (OSError, subprocess.CalledProcessError) as error:  # e.g. no package registry: report, go on
            print(f"Datasette could not be installed, so it is not measured: {error}", flush=True)
            with_datasette, ds_version = False, f"not installed ({error})"

    collectstatic()
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    data, traffic_data = {}, {}
    with tempfile.TemporaryDirectory(prefix="neuro-bench-") as tmp:
        for factor in (1, scale):
            db_path = Path(args.databases or tmp) / f"kb-{factor}x.sqlite3"
            if args.databases and db_path.exists():
                print(f"== {factor}×: reusing {db_path}", flush=True)
                url = f"sqlite:///{db_path}"
            else:
                print(f"== {factor}×: building the knowledge base", flush=True)
                db_path.parent.mkdir(parents=True, exist_ok=True)
                url = prepare_sqlite(db_path, factor)
            if not args.traffic_only:
                fixed_addresses(data, factor, url, seconds, repeats)
            if factor in traffic_factors:
                print(f"== {factor}×: traffic mode, every request a new patient", flush=True)
                try:
                    traffic_data[factor] = traffic(
                        url,
                        db_path,
                        Path(tmp) / f"traffic-{factor}x",
                        seconds,
                        1 if args.short else ROUNDS,
                        10 if args.short else 40,
                        with_datasette,
                    )
                except (AssertionError, OSError, subprocess.CalledProcessError) as error:
                    # e.g. a sampled address that does not answer 200, or a warm-up request past its timeout:
                    # reported (and a failed target), and the rest of the run goes on.
                    print(f"traffic mode at {factor}× failed: {error!r}", flush=True)
                    traffic_data[factor] = {"error": repr(error)[:500]}
                print(json.dumps(traffic_data[factor]), flush=True)
    load_after = Path("/proc/loadavg").read_text().split()[:3]
    load = f"load average {' '.join(load_before)} before, {' '.join(load_after)} after"
    if args.traffic_only:
        report = f"# Traffic mode only\n\nMachine: {machine()}; {software()}; {load}.\n\n{shared_note(load_before)}\n"
    else:
        report = render(data, scale, seconds, args.short, load, load_before)
    report += render_traffic(traffic_data, scale, seconds, args.short, ds_version)
    print(report)
    if args.write:
        path = ROOT / "docs" / "benchmarks.md"
        # The load test's figures (bench/load.py, written up by hand) follow LOAD_MARKER and are kept.
        kept = path.read_text().partition(LOAD_MARKER)[2] if path.exists() else ""
        path.write_text(report + (f"\n{LOAD_MARKER}{kept}" if kept else ""))


BUSY_LOAD = 0.5  # a load average above this before the run means other work shared the machine


def software():
    """The versions that shape the figures: kernel, Django, gunicorn, SQLite, wrk."""
    import platform

    import django
    import gunicorn as gunicorn_package

    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split()
    return (
        f"Linux {platform.release()}, Django {django.get_version()}, gunicorn {gunicorn_package.__version__}, "
        f"SQLite {sqlite3.sqlite_version}, wrk {wrk_version[1] if len(wrk_version) > 1 else 'unknown'}"
    )


def shared_note(load_before):
    """Says whether other work loaded the machine when the run began (the benchmark's own load comes after)."""
    before = float(load_before[0])
    if before > BUSY_LOAD:
        return (
            f"**The machine was shared during this run**: a 1-minute load average of {before:.1f} before it began, "
            "from other work (test suites, other processes), so the absolute figures are lower and noisier than on "
            "an idle machine; the ratios pair each page with a trivial-view run made just before it to cancel part "
            "of that."
        )
    return f"The machine was otherwise idle when this run began (1-minute load average {before:.2f})."


def render(data, scale, seconds, short, load, load_before):
    small, big = data[1], data[scale]
    lines = [
        "# Benchmarks",
        "",
        f"Run: `make bench{'-short' if short else ''}` on {datetime.date.today().isoformat()}. "
        f"Machine: {machine()}; {software()}; {load}.",
        "",
        shared_note(load_before),
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


def _mb(memory):
    return ", ".join(f"{w['rss_mb']:.0f} MB (peak {w['peak_mb']:.0f})" for w in memory) or "no workers found"


def render_traffic(traffic_data, scale, seconds, short, ds_version):
    """The traffic mode's tables, notes and target lines (issue 18)."""
    if not traffic_data:
        return ""
    failed = {f: run["error"] for f, run in traffic_data.items() if "error" in run}
    traffic_data = {f: run for f, run in traffic_data.items() if "error" not in run}
    if not traffic_data:
        return "\n## Traffic mode: every request a new patient\n\n" + "".join(
            f"- FAIL: not measured at {f}×: {error}\n" for f, error in failed.items()
        )
    factors = sorted(traffic_data)
    rounds = 1 if short else ROUNDS
    any_run = traffic_data[factors[0]]
    vocabulary = any_run["vocabulary"]
    lines = [
        "",
        "## Traffic mode: every request a new patient",
        "",
        "Every request is a different address (`bench/traffic.py` makes them ahead of time; "
        "`bench/wrk_traffic.lua` sends each line once, so the page cache never answers): a random condition "
        f"(of the real {vocabulary['conditions']}), age 18–100, CrCl 5–150 mL/min or serum creatinine "
        "0.5–6 mg/dL (a quarter in µmol/L) with weight 40–150 kg and sex, 0–3 of the "
        f"{vocabulary['factors']} yes/no patient factors, a gene result in 30% of patients, and 1–8 current "
        f"medicines by name from the {vocabulary['medicines']} published names; plans add 1–3 of the "
        f"{vocabulary['drugs']} real knowledge-base drugs. The same seed gives the same patients at every size. "
        "gunicorn, 2 sync workers, production settings, default local-memory cache; before measuring, every "
        "condition is requested several times (new patients each) so that every worker has loaded it, as "
        f"long-running workers have. wrk 1 thread × 8 connections × {seconds} s per endpoint, endpoints in turn, "
        f"{rounds} round{'s' if rounds > 1 else ''}, median; each run follows a run of `/healthz` (the trivial "
        "view) and the ratio is to that run. Queries: an in-process sample of new addresses (test client, "
        "after 5 warm-up requests), min–max. Memory: VmRSS of each worker after the runs (peak: VmHWM).",
        "",
    ]
    header = "| Endpoint |"
    rule = "|---|"
    for f in factors:
        header += f" req/s {f}× | vs trivial {f}× | p50 / p99 ms {f}× | queries {f}× | in-process ms {f}× |"
        rule += "---|---|---|---|---|"
    lines += [header, rule]
    names = [*TRAFFIC, TRIVIAL] + ([DATASETTE] if any_run["datasette"] else [])
    for name in names:
        row = f"| {name} |"
        for f in factors:
            fig = traffic_data[f]["figures"].get(name)
            sample = traffic_data[f]["inprocess"].get(name)
            if fig is None:
                row += " – | – | – | – | – |"
                continue
            queries = "–"
            if sample:
                lo, hi = sample["queries_min"], sample["queries_max"]
                queries = f"{lo}" if lo == hi else f"{lo}–{hi} (median {sample['queries_median']:g})"
            elif name == TRIVIAL:
                queries = "0"
            in_ms = f"{sample['median_ms']:.1f}" if sample else "–"
            row += (
                f" {fig['rps']:.0f} | {fig['vs_trivial']:.0%} | {fig['p50_ms']:.1f} / {fig['p99_ms']:.1f} | "
                f"{queries} | {in_ms} |"
            )
        lines.append(row)
    lines.append("")
    for f in factors:
        run = traffic_data[f]
        lines.append(
            f"- {f}×: resident memory per worker after the runs: {_mb(run['memory'])}; "
            f"{run['warm_up_requests']} warm-up requests; {run['lines']} addresses per endpoint"
            + (f", wrapped around (addresses reused) for: {', '.join(run['wrapped'])}" if run["wrapped"] else "")
            + f"; load average {' '.join(run['load'])} at the start; wrk errors: "
            + (", ".join(f"{n} {fig['errors']}" for n, fig in run["figures"].items() if fig["errors"]) or "none")
            + "."
        )
    if any_run["datasette"]:
        ds = any_run["datasette"]
        lines.append(
            f"- {DATASETTE}: Datasette {ds_version} (default settings, installed from the package registry into the "
            "benchmark's own virtualenv, not the app's) serving the same SQLite file at "
            f"`{ds['path']}` ({DATASETTE_CONDITION}; facets {', '.join(ds['check']['facets']) or 'none'}"
            + (f", timed out: {', '.join(ds['check']['timed_out'])}" if ds["check"]["timed_out"] else "")
            + "), one address, wrk as above; measured in each round after the traffic endpoints."
        )
    lines += ["", "### Targets (issue 18)" + (" — reported only, not checked, in the short mode" if short else ""), ""]
    lines += [f"- FAIL: traffic mode not measured at {f}×: {error}" for f, error in failed.items()]
    lines += traffic_verdicts(traffic_data, scale, short, ds_version)
    lines.append("")
    return "\n".join(lines)


def traffic_verdicts(traffic_data, scale, short, ds_version):
    verdicts = []

    def line(ok, text):
        verdicts.append(f"- {'pass' if ok else 'FAIL'}: {text}")

    factors = sorted(traffic_data)
    for f in factors:
        figures = traffic_data[f]["figures"]
        for name, share in TRAFFIC_TARGETS.items():
            value = figures[name]["vs_trivial"]
            line(value >= share, f"{name} at {f}× ≥ {share:.0%} of the trivial view's req/s ({value:.0%}).")
        for name in TRAFFIC:
            p99 = figures[name]["p99_ms"]
            line(p99 < TARGET_P99_MS, f"{name} at {f}×: p99 < {TARGET_P99_MS} ms at 8 connections ({p99:.1f} ms).")
        if DATASETTE in figures:
            times = figures["explorer, new patient"]["rps"] / (figures[DATASETTE]["rps"] or float("nan"))
            line(
                times >= TARGET_VS_DATASETTE,
                f"explorer, new patient at {f}× ≥ {TARGET_VS_DATASETTE}× Datasette's faceted table ({times:.2f}×).",
            )
    if not short and not any(DATASETTE in traffic_data[f]["figures"] for f in factors):
        line(
            False, f"explorer, new patient ≥ {TARGET_VS_DATASETTE}× Datasette's faceted table: Datasette {ds_version}."
        )
    if scale in traffic_data:
        worst = max((w["rss_mb"] for w in traffic_data[scale]["memory"]), default=float("inf"))
        line(
            worst < TARGET_WORKER_MB, f"memory per worker at {scale}× < {TARGET_WORKER_MB} MB (largest {worst:.0f} MB)."
        )
    for name in TRAFFIC:
        counts = [traffic_data[f]["inprocess"][name] for f in factors]
        constant = len({(c["queries_min"], c["queries_max"]) for c in counts}) == 1 and all(
            c["queries_min"] == c["queries_max"] for c in counts
        )
        seen = ", ".join(f"{c['queries_min']}–{c['queries_max']} at {f}×" for c, f in zip(counts, factors, strict=True))
        line(constant, f"{name}: the same query count on every request at every size ({seen}).")
    return verdicts


if __name__ == "__main__":
    main()
