"""SMART App Launch against an in-process authorisation and FHIR server (tests/ehr.py): EHR and standalone
launch, public and confidential clients, refused iss, bad state, expired launch, and what is (not) kept."""

import datetime
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing

from treatments import cache as kb_cache
from treatments import fhir, smart

from .ehr import AUTHORIZE, ISS, install

pytestmark = pytest.mark.django_db


@pytest.fixture
def ehr(settings, monkeypatch):
    return install(settings, monkeypatch)


def launch(client, ehr, **params):
    response = client.get("/smart/launch", {"iss": ISS, **params})
    assert response.status_code == 302, response.content
    location = response["Location"]
    assert location.startswith(AUTHORIZE + "?")
    sent, code = ehr.authorize(location)
    return response, sent, code


def complete(client, ehr, **params):
    _, sent, code = launch(client, ehr, **params)
    return client.get("/smart/callback", {"code": code, "state": sent["state"]}), sent


def test_ehr_launch_asks_for_read_only_scopes_with_pkce_s256(client, ehr, world):
    response, sent, _ = launch(client, ehr, launch="opaque-launch-123")
    assert sent["response_type"] == "code" and sent["client_id"] == "explorer-public"
    assert sent["redirect_uri"] == "http://testserver/smart/callback"
    assert sent["aud"] == ISS and sent["launch"] == "opaque-launch-123"
    assert sent["code_challenge_method"] == "S256" and len(sent["code_challenge"]) == 43
    scopes = set(sent["scope"].split())
    assert scopes == {
        "launch",
        "openid",
        "fhirUser",
        "patient/Patient.rs",
        "patient/Observation.rs",
        "patient/Condition.rs",
        "patient/MedicationRequest.rs",
        "patient/Medication.rs",
    }
    assert not any(s.endswith((".c", ".u", ".d", ".cruds", ".write", ".*")) for s in scopes)
    cookie = response.cookies[smart.COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and 0 < int(cookie["max-age"]) <= 3600
    # The verifier is not in the address the browser is sent to.
    pending = signing.loads(cookie.value, salt=smart.SALT)["pending"]
    assert pending["verifier"] not in response["Location"] and pending["state"] == sent["state"]


def test_two_launches_get_different_state_and_verifier(client, ehr):
    first, second = launch(client, ehr)[1], launch(client, ehr)[1]
    assert first["state"] != second["state"] and first["code_challenge"] != second["code_challenge"]


def test_standalone_launch_asks_for_the_patient(client, ehr):
    _, sent, _ = launch(client, ehr)
    assert "launch/patient" in sent["scope"].split() and "launch" not in sent["scope"].split()
    assert "launch" not in sent


def test_callback_fills_the_condition_page_with_where_each_value_came_from(client, ehr, world):
    response, _ = complete(client, ehr, launch="x")
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.path == "/conditions/painful-diabetic-neuropathy/"
    query = parse_qs(target.query)
    expected_age = fhir.age_on(datetime.date(1947, 5, 14), datetime.date.today())
    assert query["age"] == [str(expected_age)] and query["sex"] == ["female"] and query["scr"] == ["1.6"]
    assert query["weight"] == ["62"] and query["height"] == ["160"]
    assert sorted(query["factors"]) == ["depression", "falls-risk"]
    assert len(query["current"]) == 8
    # Only clinical inputs travel in the address: no name, identifier or birth date.
    for secret in ("Testpatient", "Maria", "MRN", "1947", ehr.patient_id):
        assert secret not in response["Location"]
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "From the record" in html and "Serum creatinine 1.6 mg/dL" in html and "2026-11-20" in html
    assert "Observation, LOINC 2160-0" in html and "Condition, ICD-10-CM E11.42" in html
    assert "eGFR 32" in html  # information only
    assert 'name="scr" value="1.6"' in html.replace("'", '"') or 'value="1.6"' in html
    assert "no-store" in page["Cache-Control"] and "private" in page["Cache-Control"]
    # Edited on the page: the panel says so.
    edited = client.get(response["Location"].replace("scr=1.6", "scr=1.9"))
    assert "changed here" in edited.content.decode()


def test_the_token_is_used_for_the_reads_only_and_never_stored(client, ehr, world):
    response, _ = complete(client, ehr, launch="x")
    tokens = set(ehr.tokens)
    reads = [r for r in ehr.requests if str(r.url).startswith(ISS + "/") and ".well-known" not in str(r.url)]
    assert reads and all(r.headers["Authorization"] == f"Bearer {next(iter(tokens))}" for r in reads)
    assert all(r.method == "GET" for r in reads)
    # The Observation search was followed to its second page (the creatinine of 2026-11-20 is on it).
    assert any("page=1" in str(r.url) for r in reads)
    cookie = response.cookies[smart.COOKIE].value
    stored = signing.loads(cookie, salt=smart.SALT)
    assert "pending" not in stored
    flat = str(stored)
    for secret in [*tokens, "Testpatient", "Maria", "MRN", "1947-05-14", ehr.patient_id]:
        assert secret not in flat


def test_confidential_client_authenticates_with_http_basic(client, settings, monkeypatch, world):
    system = install(settings, monkeypatch, client_id="explorer-confidential", client_secret="s3cret")
    response, _ = complete(client, system, launch="x")
    assert response.status_code == 302 and response["Location"].startswith("/conditions/")


def test_unregistered_iss_is_refused_with_a_clear_page(client, ehr):
    response = client.get("/smart/launch", {"iss": "https://evil.example.com/fhir", "launch": "x"})
    assert response.status_code == 403
    assert "not registered" in response.content.decode()
    assert not ehr.requests  # not even discovery


def test_missing_iss_is_a_clear_error(client, ehr):
    response = client.get("/smart/launch")
    assert response.status_code == 400 and "no iss" in response.content.decode()


def test_a_server_without_s256_is_refused(client, settings, monkeypatch):
    install(settings, monkeypatch, s256=False)
    response = client.get("/smart/launch", {"iss": ISS})
    assert response.status_code == 502 and "S256" in response.content.decode()


@pytest.mark.parametrize("state", ["", "wrong-state", "x" * 500])
def test_bad_state_is_refused_and_the_code_never_exchanged(client, ehr, state):
    _, sent, code = launch(client, ehr, launch="x")
    response = client.get("/smart/callback", {"code": code, "state": state})
    assert response.status_code == 400 and "state does not match" in response.content.decode()
    assert code in ehr.codes  # never sent to the token endpoint
    assert response.cookies[smart.COOKIE].value == ""  # the launch is forgotten


def test_callback_without_a_launch_is_refused(client, ehr):
    response = client.get("/smart/callback", {"code": "abc", "state": "abc"})
    assert response.status_code == 400 and "expired" in response.content.decode()


def test_expired_launch_is_refused(client, ehr, monkeypatch):
    _, sent, code = launch(client, ehr, launch="x")
    later = time.time() + 3601
    monkeypatch.setattr(signing.time, "time", lambda: later)
    response = client.get("/smart/callback", {"code": code, "state": sent["state"]})
    assert response.status_code == 400 and "expired" in response.content.decode()


def test_tampered_cookie_is_ignored(client, ehr, world):
    complete(client, ehr, launch="x")
    client.cookies[smart.COOKIE] = client.cookies[smart.COOKIE].value[:-3] + "abc"
    page = client.get("/conditions/painful-diabetic-neuropathy/")
    assert "From the record" not in page.content.decode()


def test_authorisation_refused_by_the_record_system(client, ehr):
    launch(client, ehr)
    response = client.get("/smart/callback", {"error": "access_denied", "state": "x"})
    assert response.status_code == 403 and "did not authorise" in response.content.decode()


def test_fhir_server_failure_is_a_clear_page_not_a_500(client, ehr, world):
    ehr.fail_fhir = True
    response, _ = complete(client, ehr, launch="x")
    assert response.status_code == 502 and "did not answer" in response.content.decode()


def test_token_without_a_patient_is_refused(client, settings, monkeypatch):
    system = install(settings, monkeypatch, patient_in_token=False)
    response, _ = complete(client, system)
    assert response.status_code == 502 and "which patient" in response.content.decode()


def test_no_recorded_condition_opens_the_condition_list_with_the_patient(client, settings, monkeypatch, world):
    system = install(settings, monkeypatch, "haemodialysis")  # postherpetic neuralgia: not in this test world
    response, _ = complete(client, system, launch="x")
    assert urlsplit(response["Location"]).path == "/"
    home = client.get(response["Location"]).content.decode()
    assert "From the record" in home and "No neuropathic-pain condition" in home
    assert "Z99.2" in home  # dialysis is reported for the clinician to choose
    assert "/conditions/painful-diabetic-neuropathy/?age=" in home  # condition links keep the record's values


def test_pages_with_a_launch_are_never_served_from_or_stored_in_the_page_cache(client, ehr, world):
    url = "/conditions/painful-diabetic-neuropathy/?age=70"
    public = client.get(url)
    assert "From the record" not in public.content.decode()
    complete(client, ehr, launch="x")
    launched = client.get(url)
    assert "From the record" in launched.content.decode()
    client.cookies.pop(smart.COOKIE)
    again = client.get(url)
    assert "From the record" not in again.content.decode()
    assert all("Testpatient" not in str(v) for v in kb_cache._recent.values())


def test_end_forgets_the_launch(client, ehr, world):
    complete(client, ehr, launch="x")
    response = client.get("/smart/end")
    assert response.status_code == 302 and response.cookies[smart.COOKIE].value == ""


def test_a_launched_page_costs_a_constant_number_of_queries(client, ehr, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    complete(client, ehr, launch="x")
    counts = []
    for query in ("age=70&scr=1.1&sex=male&weight=80", "age=85&crcl=20&factors=depression&current=tramadol"):
        client.get(f"/conditions/painful-diabetic-neuropathy/?{query}")  # warm the knowledge-base caches
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/conditions/painful-diabetic-neuropathy/?{query}").status_code == 200
        counts.append(len(captured))
    # The version and the record panel's factor and condition names (the page's own lookups are kept in the
    # process: treatments/cache.py).
    assert counts == [3, 3]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SMART_CLIENTS", "{not json", "SMART_CLIENTS is not valid JSON"),
        ("SMART_CLIENTS", "[1]", "SMART_CLIENTS must be a JSON object"),
        ("SMART_CLIENTS", '{"https://ehr.example.org/fhir": {}}', "needs a client_id"),
        ("CDS_HOOKS_CLIENTS", '{"https://ehr.example.org": {"kid": 1}}', 'needs "keys"'),
    ],
)
def test_bad_record_system_settings_stop_the_app_with_a_clear_message(name, value, message):
    import os
    import subprocess
    import sys

    env = {**os.environ, name: value, "DJANGO_SETTINGS_MODULE": "neuro.settings", "LOCAL_RUN": "1"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0 and message in result.stderr
