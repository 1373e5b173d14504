"""Faults: a Redis outage is only cache misses, a database outage is a clean 503, and two real app processes
sharing one Redis agree after edits published in the admin (issue 19; the runs under load are bench/faults.py).

The two-process test starts real processes (its own redis-server, two gunicorn servers, wrk) against a database
of its own (PostgreSQL when the tests run on PostgreSQL, else a SQLite file); it is skipped when redis-server,
gunicorn or wrk is missing, and fails instead under CI=true. It takes about 40 s.
"""

import logging
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import OperationalError

from bench.common import GUNICORN, free_port, gunicorn_process, prepare_postgres, prepare_sqlite, production_env
from bench.faults import consistency, create_editor, drop_database, ensure_static, own_redis
from treatments import cache as kb_cache
from treatments import db_unavailable
from treatments.resilient_cache import ResilientRedisCache

PAGE = "/conditions/painful-diabetic-neuropathy/?age=72&crcl=25&factors=depression"


def unreachable_cache():
    return ResilientRedisCache(f"redis://127.0.0.1:{free_port()}/0", {})  # a port nothing listens on


def test_a_redis_outage_is_a_cache_miss_logged_once_and_costs_no_wait(caplog):
    cache = unreachable_cache()
    with caplog.at_level(logging.WARNING, logger="treatments.resilient_cache"):
        started = time.monotonic()
        for _ in range(50):
            assert cache.get("kb:1:page", "missing") == "missing"
            cache.set("kb:1:page", "page")
            assert cache.get_many(["a", "b"]) == {}
            assert cache.set_many({"a": 1}) == []
            assert cache.has_key("a") is False
            assert cache.delete("a") is False
        assert time.monotonic() - started < 2  # one refused connection, then no retry for RETRY_SECONDS
    messages = [record.getMessage() for record in caplog.records]
    assert messages == ["Redis cache unavailable (ConnectionError); serving without it."]


def test_while_redis_is_down_add_fails_closed_and_incr_counts_from_zero():
    cache = unreachable_cache()
    assert cache.add("cds-jti:abc", 1, 60) is False  # a JWT replay check refuses rather than accepts
    assert cache.incr("report-problem:abc", 1) == 1


@pytest.mark.skipif(not shutil.which("redis-server"), reason="redis-server not installed")
def test_the_cache_is_used_again_once_redis_is_back(monkeypatch):
    monkeypatch.setattr("treatments.resilient_cache.RETRY_SECONDS", 0.2)
    with own_redis() as redis:
        cache = ResilientRedisCache(redis.url, {})
        cache.set("k", "before")
        redis.stop()
        assert cache.get("k") is None
        redis.start()  # empty: no persistence
        time.sleep(0.3)
        cache.set("k", "after")
        assert cache.get("k") == "after"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "content_type", "text"),
    [(PAGE, "text/html", "Briefly unavailable"), ("/api/v1/explore/?age=72&crcl=25", "application/json", "detail")],
)
def test_a_database_outage_is_a_clean_503_logged_without_the_query_string(
    client, monkeypatch, caplog, path, content_type, text
):
    def down(*args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")

    monkeypatch.setattr(kb_cache, "version", down)
    with caplog.at_level(logging.ERROR):
        response = client.get(path)
    assert response.status_code == 503
    assert response["Retry-After"] == str(db_unavailable.RETRY_AFTER)
    assert response["Content-Type"].startswith(content_type)
    assert text in response.content.decode()
    assert "Traceback" not in response.content.decode()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Database unavailable (OperationalError): GET " + path.split("?")[0] in logged
    assert "crcl" not in logged and "age=" not in logged


# --- two real processes sharing one Redis ---------------------------------------------------------------------

TOOLS = {"redis-server": shutil.which("redis-server"), "gunicorn": Path(GUNICORN).exists(), "wrk": shutil.which("wrk")}
MISSING = [name for name, found in TOOLS.items() if not found]


@pytest.fixture
def two_servers(monkeypatch):
    if MISSING:
        if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
            pytest.fail(f"missing under CI: {', '.join(MISSING)}")
        pytest.skip(f"needs {', '.join(MISSING)}")
    ensure_static()
    postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    if postgres and not os.environ.get("BENCH_POSTGRES"):  # the server the tests run on
        db = settings.DATABASES["default"]
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        monkeypatch.setenv("BENCH_POSTGRES", f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}")
    name = f"neuro_fault_pytest_{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="neuro-fault-test-") as tmp:
        try:
            url = prepare_postgres(name) if postgres else prepare_sqlite(Path(tmp) / "kb.sqlite3", 1)
            with own_redis() as redis:
                env = production_env(url, REDIS_URL=redis.url, SECURE_COOKIES="0", ADMIN_URL="admin/")
                editor = create_editor(env)
                with gunicorn_process(env, workers=1) as one, gunicorn_process(env, workers=1) as other:
                    yield [one, other], env, editor
        finally:
            if postgres:
                drop_database(name)


def test_edits_published_in_the_admin_are_seen_by_both_processes_and_lose_nothing_under_load(two_servers):
    servers, env, editor = two_servers
    result = consistency(servers, env, editor, seconds=6, connections=4)
    assert result["problems"] == [], "\n".join(result["notes"])
