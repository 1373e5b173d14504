"""Nothing from the record is kept: after SMART launches and CDS Hooks calls for every test patient, no table,
cache entry, log line or file written holds any of their identifiers, names, birth dates or medication texts."""

import gzip
import json
import logging
import os
import pickle
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from treatments import cache as kb_cache
from treatments import smart

from .ehr import ISS, FakeRecordSystem, Signer, resources, searchset

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("real_kb")]

PATIENTS = ("older-woman-pdn", "trigeminal-hla", "haemodialysis", "text-only-medicines")


def secrets_of(name):
    """What must never be kept: identifiers, names, birth dates, record ids and the medicines as written."""
    found = set()
    for resource in resources(name):
        if resource["resourceType"] == "Patient":
            found |= {resource["id"], resource["birthDate"], *(i["value"] for i in resource["identifier"])}
            for human in resource["name"]:
                found |= {human["family"], *human["given"]}
        if resource["resourceType"] == "MedicationRequest":
            text = resource.get("medicationCodeableConcept", {}).get("text")
            if text and " " in text:  # a full text, not a bare ingredient name the knowledge base has anyway
                found.add(text)
    return found


def database_text():
    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 (table names from Django)
            rows.extend(map(str, cursor.fetchall()))
    return "\n".join(rows)


def readable(value):
    """Every string in a cached value: pickled values unpickled, gzip bodies (stored pages) decompressed."""
    if isinstance(value, bytes):
        for undo in (pickle.loads, gzip.decompress):
            try:
                return readable(undo(value))
            except Exception:  # noqa: BLE001 - not that kind of bytes
                continue
        return value.decode(errors="ignore")
    if isinstance(value, dict):
        return "\n".join(readable(k) + readable(v) for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return "\n".join(readable(v) for v in value)
    return repr(value)


def cache_text():
    """The shared cache (local memory, or every key and value in Redis) and this process's own stores."""
    if hasattr(cache, "_cache") and isinstance(cache._cache, dict):  # local memory: every stored value, pickled
        values = [readable(k) + readable(v) for k, v in cache._cache.items()]
    else:
        client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
        values = [readable(k) + readable(client.get(k)) for k in client.scan_iter(f"{REDIS_PREFIX}*")]
        assert values, "nothing reached Redis: the test would prove nothing"
    values += [readable(k) + readable(v) for k, v in kb_cache._recent.items()]
    for store in (kb_cache._in_process, kb_cache._plan_parts, kb_cache.fragments):
        values += [readable(k) + readable(v) for k, v in store._items.items()]
    return "\n".join(values)


def files_written_since(start):
    """Files under the project changed during the test (the app writes none; sources and tests are skipped, as
    an editor may be changing them)."""
    skip = {".venv", ".git", "node_modules", "staticfiles", "test-artifacts", "tests", "__pycache__"}
    found = []
    for folder, subfolders, files in os.walk(settings.BASE_DIR):
        subfolders[:] = [d for d in subfolders if d not in skip]
        for name in files:
            path = Path(folder) / name
            if path.suffix not in {".py", ".md", ".html", ".json", ".css", ".js"} and path.stat().st_mtime >= start:
                found.append(path)
    return found


def of(items, kind):
    return [r for r in items if r["resourceType"] == kind]


REDIS_PREFIX = f"no-record-{uuid.uuid4().hex[:8]}"


def redis_available():
    try:
        return redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        return False


@pytest.fixture(params=["local memory", "redis"])
def shared_cache(request, settings):
    """The test runs with each cache the README describes: local memory, and Redis (skipped without a server at
    127.0.0.1:6379, required under CI)."""
    if request.param == "redis":
        if not redis_available():
            if os.environ.get("CI") == "true":
                pytest.fail("Redis is not running at 127.0.0.1:6379")
            pytest.skip("no Redis at 127.0.0.1:6379")
        settings.CACHES = {
            "default": {
                "BACKEND": "treatments.resilient_cache.ResilientRedisCache",
                "LOCATION": "redis://127.0.0.1:6379/0",
                "KEY_PREFIX": REDIS_PREFIX,
            }
        }
    kb_cache.clear()
    yield request.param
    if request.param == "redis":
        client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
        for key in client.scan_iter(f"{REDIS_PREFIX}*"):
            client.delete(key)
    kb_cache.clear()


def test_nothing_from_the_record_is_kept(client, settings, monkeypatch, caplog, shared_cache):
    caplog.set_level(logging.DEBUG)
    start = time.time() - 1
    signer = Signer()
    settings.SMART_CLIENTS = {ISS: {"client_id": "explorer"}}
    settings.CDS_HOOKS_CLIENTS = {signer.iss: signer.jwks}
    secrets = set()
    for name in PATIENTS:
        secrets |= secrets_of(name)
        system = FakeRecordSystem(name)
        monkeypatch.setattr(smart, "TRANSPORT", system.transport)
        launched = client.get("/smart/launch", {"iss": ISS, "launch": "x"})
        params, code = system.authorize(launched["Location"])
        landing = client.get("/smart/callback", {"code": code, "state": params["state"]})
        assert landing.status_code == 302
        assert client.get(landing["Location"]).status_code == 200
        items = resources(name)
        for service, hook in (
            ("neuropathic-pain-order-sign", "order-sign"),
            ("neuropathic-pain-patient-view", "patient-view"),
        ):
            url = f"http://testserver/cds-services/{service}"
            context = {"userId": "Practitioner/1", "patientId": system.patient_id}
            if hook == "order-sign":
                draft = {
                    "resourceType": "MedicationRequest",
                    "id": "d1",
                    "status": "draft",
                    "intent": "order",
                    "subject": {"reference": f"Patient/{system.patient_id}"},
                    "medicationCodeableConcept": {"text": "carbamazepine 200 MG Oral Tablet"},
                }
                context["draftOrders"] = {
                    "resourceType": "Bundle",
                    "type": "collection",
                    "entry": [{"resource": draft}],
                }
            body = {
                "hook": hook,
                "hookInstance": str(uuid.uuid4()),
                "context": context,
                "prefetch": {
                    "patient": of(items, "Patient")[0],
                    "observations": searchset(of(items, "Observation")),
                    "conditions": searchset(of(items, "Condition")),
                    "medications": searchset(of(items, "MedicationRequest")),
                },
            }
            response = client.post(
                url, json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {signer.token(url)}"
            )
            assert response.status_code == 200
        client.get("/smart/end")
    assert len(secrets) > 15
    stores = {"database": database_text(), "cache": cache_text(), "logs": caplog.text}
    stores["files"] = "\n".join(p.read_text(errors="ignore") for p in files_written_since(start))
    leaks = sorted((where, secret) for where, text in stores.items() for secret in secrets if secret in text)
    assert leaks == []
