"""In-process measurements for bench/run.py: SQL queries and median server time per endpoint.

Run in a process whose DATABASE_URL points at a prepared database; prints JSON. "Server time" is
the time Django takes to answer one request through the whole middleware stack (test client, no
network). Cold: the cache is emptied before each request. Warm: the cache already holds the data.
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "neuro.settings")


def main(repeats):
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.common import ENDPOINTS
    from treatments import cache as kb_cache

    client = Client(HTTP_HOST="127.0.0.1")

    def one(path):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(path)
            elapsed = time.perf_counter() - start
        assert response.status_code == 200, (path, response.status_code)
        return len(queries), elapsed * 1000

    results = {}
    for name, path in ENDPOINTS.items():
        one(path)  # import and template warm-up, not measured
        cold = []
        for _ in range(repeats):
            kb_cache.clear()  # the shared cache and this process's recent pages
            cold.append(one(path))
        warm = [one(path) for _ in range(repeats)]
        results[name] = {
            "queries_cold": cold[0][0],
            "queries_warm": warm[0][0],
            "median_ms_cold": statistics.median(t for _q, t in cold),
            "median_ms_warm": statistics.median(t for _q, t in warm),
        }
    return results


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)))
