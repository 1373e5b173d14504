"""The benchmark's traffic mode: every request a different patient (or plan), as real clinicians send.

Run in a process whose DATABASE_URL points at a prepared database (bench/run.py does this):

    python bench/traffic.py DIR LINES SAMPLE

writes DIR/<endpoint>.txt, LINES addresses each, for bench/wrk_traffic.lua (one address per request,
none sent twice), then requests SAMPLE addresses of each endpoint in-process through the whole Django
stack (test client) and prints JSON: per endpoint the SQL queries per request (min, median, max over the
sample) and the median server time. Every sampled address must answer 200, or it exits non-zero: a
benchmark of form errors proves nothing.

Each patient: a published condition, age 18–100, kidney function as CrCl (5–150 mL/min) or as serum
creatinine (0.5–6 mg/dL, a quarter of them in µmol/L) with weight (40–150 kg) and sex, 0–3 yes/no
patient factors (never the stand-ins that measured inputs replaced), sometimes a gene result, and one to
eight current medicines by name from the published vocabulary. Plans (plan check and patient summary)
add one to three published knowledge-base drugs and a condition. Conditions, drugs and factors are the
real knowledge base's (the synthetic copies' slugs, ``-c<n>`` from bench/synth.py, are left out) and medicine
names are the same at every size, so with the same seed the 1× and 100× runs send the very same patients:
the figures compare the same work against a larger knowledge base, which must not make it grow.

Besides DIR/<endpoint>.txt it writes DIR/<endpoint>-warmup.txt: every condition several times (each a new
patient), and for the plan pages every drug twice, which bench/run.py sends before measuring so that every
worker has read every condition and drug once, as long-running workers have; then the measured requests are
new patients against a warm knowledge base.
"""

import faulthandler
import json
import os
import random
import re
import signal
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "neuro.settings")

# The endpoints of the traffic mode, each a file of addresses in the run's directory.
TRAFFIC = {
    "explorer, new patient": "explorer",
    "API explore, new patient": "api-explore",
    "plan check, new plan": "plan",
    "summary, new plan": "summary",
}
WARM_UP = 5  # sampled addresses requested before the counted ones (imports, templates, first cache fills)
# Warm-up addresses per condition: the explorer and the API share each condition's cached data, so the explorer's
# several per condition (each of 2 workers then very likely loads every condition) warm both.
WARM_UP_PER_CONDITION = {"explorer": 4, "api-explore": 1, "plan": 1, "summary": 1}
COPY = re.compile(r"-c\d+$")  # the slug suffix of bench/synth.py's copies


def _real(slugs):
    return sorted(slug for slug in slugs if not COPY.search(slug))


def vocabulary():
    """What addresses are drawn from: published conditions, factors, medicine names and drugs."""
    from treatments import models as m

    factors = [
        slug
        for slug in _real(m.PatientFactor.objects.published().values_list("slug", flat=True))
        if slug not in m.PatientFactor.REPLACED_BY_INPUTS
    ]
    names = sorted(
        {name for name in m.Medicine.objects.published().values_list("name", flat=True) if name and "," not in name}
    )
    return {
        "conditions": _real(m.Condition.objects.published().values_list("slug", flat=True)),
        "factors": sorted(factors),
        "medicines": names,
        "drugs": _real(m.Drug.objects.published().values_list("slug", flat=True)),
        "genes": {str(gene): [str(r) for r in results] for gene, results in m.GENE_RESULTS.items()},
        "sexes": [str(value) for value in m.Sex.values],
    }


def patient(rng, v):
    """One random patient as (parameter, value) pairs."""
    pairs = [("age", rng.randint(18, 100))]
    if rng.random() < 0.5:
        pairs.append(("crcl", f"{rng.uniform(5, 150):.1f}"))
    else:
        if rng.random() < 0.25:
            pairs.append(("scr_umol", f"{rng.uniform(0.5, 6) * 88.42:.1f}"))
        else:
            pairs.append(("scr", f"{rng.uniform(0.5, 6):.2f}"))
        pairs += [("weight", f"{rng.uniform(40, 150):.1f}"), ("sex", rng.choice(v["sexes"]))]
    pairs += [("factors", slug) for slug in rng.sample(v["factors"], rng.randint(0, min(3, len(v["factors"]))))]
    if rng.random() < 0.3:
        gene = rng.choice(sorted(v["genes"]))
        pairs.append((gene, rng.choice(v["genes"][gene])))
    pairs += [("current", name) for name in rng.sample(v["medicines"], rng.randint(1, min(8, len(v["medicines"]))))]
    return pairs


def address(kind, rng, v, condition=None, drug=None):
    condition = condition or rng.choice(v["conditions"])
    query = patient(rng, v)
    if kind == "explorer":
        return f"/conditions/{condition}/?" + urlencode(query, quote_via=quote)
    if kind == "api-explore":
        return "/api/v1/explore/?" + urlencode([("condition", condition), *query], quote_via=quote)
    chosen = [drug] if drug else rng.sample(v["drugs"], rng.randint(1, min(3, len(v["drugs"]))))
    drugs = [("drugs", slug) for slug in chosen]
    path = {"plan": "/plan/", "summary": "/plan/summary/"}[kind]
    return path + "?" + urlencode([("condition", condition), *drugs, *query], quote_via=quote)


def generate(directory, lines, seed=18):
    """DIR/<kind>.txt for each endpoint: ``lines`` addresses, all different."""
    v = vocabulary()
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for kind in TRAFFIC.values():
        rng = random.Random(f"{seed}-{kind}")
        seen = {}  # in order made, so one seed gives one file at every size
        while len(seen) < lines:
            seen[address(kind, rng, v)] = None
        (directory / f"{kind}.txt").write_text("\n".join(seen) + "\n")
        warm = [address(kind, rng, v, c) for c in v["conditions"] for _ in range(WARM_UP_PER_CONDITION[kind])]
        if kind in ("plan", "summary"):  # and every drug once, as long-running workers have read each
            warm += [address(kind, rng, v, drug=d) for d in v["drugs"] for _ in range(2)]
        rng.shuffle(warm)
        (directory / f"{kind}-warmup.txt").write_text("\n".join(warm) + "\n")
    return {key: len(value) for key, value in v.items()}


def sample(directory, count):
    """Request the last WARM_UP + count addresses of each file in-process; queries and server time per request.

    First every condition is loaded once, as in the server's workers after their warm-up. The last lines are
    used: wrk starts from the top, and the in-process cache is this process's own anyway."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_ENCODING="gzip")
    results, failures = {}, []
    # As the server's workers are before measuring: every condition loaded once (one address per condition).
    first = {}
    for path in (Path(directory) / "explorer-warmup.txt").read_text().split():
        first.setdefault(path.partition("?")[0], path)
    for kind in ("plan", "summary"):  # every drug once (see generate)
        for path in (Path(directory) / f"{kind}-warmup.txt").read_text().split():
            first.setdefault(path, path)
    start = time.perf_counter()
    for path in first.values():
        response = client.get(path)
        if response.status_code != 200:
            failures.append(("warm-up", path, response.status_code, response.content[:300].decode(errors="replace")))
    print(f"in-process warm-up: {len(first)} conditions in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    for name, kind in TRAFFIC.items():
        began = time.perf_counter()
        paths = (Path(directory) / f"{kind}.txt").read_text().split()[-(WARM_UP + count) :]
        queries, times = [], []
        for i, path in enumerate(paths):
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                response = client.get(path)
                elapsed = (time.perf_counter() - start) * 1000
            if response.status_code != 200:
                failures.append((name, path, response.status_code, response.content[:300].decode(errors="replace")))
            elif i >= WARM_UP:
                queries.append(len(captured))
                times.append(elapsed)
        results[name] = {
            "sampled": len(queries),
            "queries_min": min(queries, default=0),
            "queries_median": statistics.median(queries) if queries else 0,
            "queries_max": max(queries, default=0),
            "median_ms": statistics.median(times) if times else 0.0,
        }
        print(f"in-process sample: {name} in {time.perf_counter() - began:.0f} s", file=sys.stderr)
    return results, failures


def main(directory, lines, count):
    import django

    faulthandler.register(signal.SIGUSR1)  # kill -USR1 <pid> prints where a slow sample is (stderr)

    django.setup()
    sizes = generate(directory, lines)
    results, failures = sample(directory, count)
    for name, path, status, body in failures[:10]:
        print(f"{name}: {status} for {path}\n{body}", file=sys.stderr)
    if failures:
        sys.exit(f"{len(failures)} sampled addresses did not answer 200 (first ones above)")
    print(json.dumps({"vocabulary": sizes, "sample": results}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
