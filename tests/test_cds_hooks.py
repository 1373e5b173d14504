"""CDS Hooks services on the real knowledge base: discovery, authentication as the spec requires, prefetch and
FHIR fallback, the cards for the project's test patients (tests/fhir/) and the spec's own example requests
(tests/fhir/cds/, from HL7/cds-hooks, Apache-2.0). Every card is checked against the spec's rules."""

import copy
import json
import logging
import uuid
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from treatments import cds_hooks, fhir, smart

from .ehr import Signer, resources, searchset

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("real_kb")]

CDS_DIR = Path(__file__).parent / "fhir" / "cds"
BASE = "http://testserver/cds-services"
SELECT, SIGN, VIEW = (
    "neuropathic-pain-order-select",
    "neuropathic-pain-order-sign",
    "neuropathic-pain-patient-view",
)
RXNORM = fhir.RXNORM


@pytest.fixture(scope="module")
def signer():
    return Signer()


@pytest.fixture(autouse=True)
def trusted(settings, signer):
    settings.CDS_HOOKS_CLIENTS = {signer.iss: signer.jwks}


def prefetch_for(name):
    items = resources(name)
    by = lambda kind: [r for r in items if r["resourceType"] == kind]  # noqa: E731
    return {
        "patient": by("Patient")[0],
        "observations": searchset(by("Observation")),
        "conditions": searchset(by("Condition")),
        "medications": searchset(by("MedicationRequest") + by("Medication")),
    }


def order(drug, rxcui=None, *, dose=None, per_day=None, rid="draft-1", text=None):
    concept = {"text": text or drug}
    if rxcui:
        concept["coding"] = [{"system": RXNORM, "code": rxcui, "display": drug}]
    resource = {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": "draft",
        "intent": "order",
        "subject": {"reference": "Patient/x"},
        "medicationCodeableConcept": concept,
    }
    if dose is not None:
        resource["dosageInstruction"] = [
            {
                "timing": {"repeat": {"frequency": per_day, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [{"doseQuantity": {"value": dose, "unit": "mg", "system": fhir.UCUM, "code": "mg"}}],
            }
        ]
    return resource


def request_body(hook, patient, orders=(), *, prefetch=True):
    pid = next(r["id"] for r in resources(patient) if r["resourceType"] == "Patient")
    context = {"userId": "Practitioner/example", "patientId": pid}
    if hook != "patient-view":
        context["draftOrders"] = {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": o} for o in orders],
        }
        if hook == "order-select":
            context["selections"] = [f"MedicationRequest/{o['id']}" for o in orders]
    body = {"hook": hook, "hookInstance": str(uuid.uuid4()), "context": context}
    if prefetch:
        body["prefetch"] = prefetch_for(patient)
    return body


def post(client, service, body, token=None, *, signer=None, raw=None):
    url = f"{BASE}/{service}"
    headers = {}
    if token is None and signer is not None:
        token = signer.token(url)
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    data = raw if raw is not None else json.dumps(body)
    return client.post(url, data, content_type="application/json", **headers)


def assert_valid_card(card):
    """The CDS Hooks 2.0 rules for a card (cds-resp-1…7 and the required fields)."""
    uuid.UUID(card["uuid"])
    assert isinstance(card["summary"], str) and 0 < len(card["summary"]) < 140
    assert card["indicator"] in {"info", "warning", "critical"}
    assert isinstance(card["source"]["label"], str) and card["source"]["label"]
    if "url" in card["source"]:
        assert card["source"]["url"].startswith("https://")
    suggestions = card.get("suggestions", [])
    if suggestions:
        assert card["selectionBehavior"] in {"at-most-one", "any"}
        if card["selectionBehavior"] == "at-most-one":
            assert sum(1 for s in suggestions if s.get("isRecommended")) <= 1
    for suggestion in suggestions:
        assert suggestion["label"] and uuid.UUID(suggestion["uuid"])
        for action in suggestion["actions"]:
            assert action["type"] in {"create", "update", "delete"} and action["description"]
            if action["type"] == "delete":
                assert action["resourceId"].startswith("MedicationRequest/") and "resource" not in action
            else:
                fhir.parse(action["resource"])  # valid FHIR R4
    for link in card.get("links", []):
        assert link["label"] and link["type"] in {"absolute", "smart"} and link["url"].startswith("http")
        assert "appContext" not in link or link["type"] == "smart"


def cards_of(response):
    assert response.status_code == 200, response.content
    cards = response.json()["cards"]
    for card in cards:
        assert_valid_card(card)
    return cards


# --- discovery ---------------------------------------------------------------------------


def test_discovery_lists_the_services_with_prefetch_templates(client):
    response = client.get("/cds-services")
    assert response.status_code == 200
    services = {s["id"]: s for s in response.json()["services"]}
    assert {services[s]["hook"] for s in (SELECT, SIGN, VIEW)} == {"order-select", "order-sign", "patient-view"}
    for service in services.values():
        assert service["title"] and service["description"]
        prefetch = service["prefetch"]
        assert prefetch["patient"] == "Patient/{{context.patientId}}"
        assert "{{context.patientId}}" in prefetch["observations"] and "2160-0" in prefetch["observations"]
        assert prefetch["conditions"].startswith("Condition?patient={{context.patientId}}")
        assert "status=active" in prefetch["medications"]


def test_browser_clients_get_cors_headers_and_a_preflight_answer(client, signer):
    preflight = client.options(
        f"{BASE}/{SELECT}", HTTP_ORIGIN="https://sandbox.example.org", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "*"
    assert "Authorization" in preflight["Access-Control-Allow-Headers"]
    unauthorised = post(client, SELECT, {}, "")
    assert unauthorised.status_code == 401 and unauthorised["Access-Control-Allow-Origin"] == "*"


# --- authentication ----------------------------------------------------------------------


def test_valid_es384_and_rs384_tokens_are_accepted(client, signer):
    body = request_body("patient-view", "older-woman-pdn")
    for alg in ("ES384", "RS384"):
        assert post(client, VIEW, body, signer.token(f"{BASE}/{VIEW}", alg=alg)).status_code == 200


def unsigned(aud, iss):
    return jwt.encode({"iss": iss, "aud": aud, "exp": 9999999999, "iat": 0, "jti": "x"}, None, algorithm="none")


@pytest.mark.parametrize(
    "make",
    [
        lambda s, url: None,  # no token
        lambda s, url: unsigned(url, s.iss),
        lambda s, url: jwt.encode({"iss": s.iss, "aud": url, "exp": 9999999999, "iat": 0, "jti": "x"}, "k" * 32),
        lambda s, url: s.token(url, exp_in=-120),  # expired
        lambda s, url: s.token(f"{BASE}/{SIGN}"),  # addressed to another service
        lambda s, url: s.token("https://other.example.org/cds-services/x"),
        lambda s, url: s.token(url, iss="https://unknown.example.org"),
        lambda s, url: s.token(url, iat_offset=600),  # issued in the future
        lambda s, url: s.token(url, key=ec.generate_private_key(ec.SECP384R1())),  # not the issuer's key
        lambda s, url: s.token(url, kid="no-such-key"),
        lambda s, url: "not.a.jwt",
    ],
    ids=[
        "none",
        "unsigned",
        "hs256",
        "expired",
        "wrong-service",
        "wrong-aud",
        "unknown-iss",
        "future-iat",
        "other-key",
        "unknown-kid",
        "garbage",
    ],
)
def test_bad_tokens_get_401_and_no_card(client, signer, make):
    url = f"{BASE}/{VIEW}"
    token = make(signer, url)
    response = post(client, VIEW, request_body("patient-view", "older-woman-pdn"), token or "")
    assert response.status_code == 401
    assert "cards" not in response.json()
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_replayed_jti_is_refused(client, signer):
    url = f"{BASE}/{VIEW}"
    token = signer.token(url, jti="once-only")
    body = request_body("patient-view", "older-woman-pdn")
    assert post(client, VIEW, body, token).status_code == 200
    assert post(client, VIEW, body, token).status_code == 401
    # Another token with the same jti is a replay too.
    assert post(client, VIEW, body, signer.token(url, jti="once-only")).status_code == 401


def test_keys_from_a_jwks_url(client, settings, signer, monkeypatch):
    settings.CDS_HOOKS_CLIENTS = {signer.iss: {"jwks_url": "https://ehr.example.org/jwks.json"}}
    calls = []

    def handler(request):
        calls.append(str(request.url))
        return httpx.Response(200, json=signer.jwks)

    monkeypatch.setattr(smart, "TRANSPORT", httpx.MockTransport(handler))
    cds_hooks._jwks.clear()
    body = request_body("patient-view", "older-woman-pdn")
    assert post(client, VIEW, body, signer=signer).status_code == 200
    assert post(client, VIEW, body, signer=signer).status_code == 200
    assert calls == ["https://ehr.example.org/jwks.json"]  # kept for a while, not fetched per call
    cds_hooks._jwks.clear()


# --- the request -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "status"),
    [("{not json", 400), ("[]", 400), ('{"hook": "order-select"}', 400), ('"x"', 400)],
)
def test_malformed_bodies_are_clear_errors(client, signer, raw, status):
    response = post(client, VIEW, None, signer=signer, raw=raw)
    assert response.status_code == status and "error" in response.json()


def test_wrong_hook_missing_fields_and_invalid_fhir(client, signer):
    body = request_body("patient-view", "older-woman-pdn")
    assert post(client, SELECT, body, signer=signer).status_code == 400  # a patient-view body to order-select
    broken = request_body("order-select", "older-woman-pdn", [order("duloxetine", "72625")])
    broken["context"]["draftOrders"]["entry"][0]["resource"]["status"] = 12
    cards = cards_of(post(client, SELECT, broken, signer=signer))
    assert [c["summary"][:35] for c in cards] == ["1 draft medicine order(s) could not"]
    broken["context"]["draftOrders"] = {"resourceType": "Patient"}
    response = post(client, SELECT, broken, signer=signer)
    assert response.status_code == 400 and "draftOrders" in response.json()["error"]
    missing = request_body("order-sign", "older-woman-pdn", [order("duloxetine", "72625")])
    del missing["context"]["patientId"]
    assert post(client, SIGN, missing, signer=signer).status_code == 400


def test_a_huge_body_is_refused(client, signer, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
    body = request_body("order-sign", "older-woman-pdn", [order(f"drug {i}", rid=f"d{i}") for i in range(2000)])
    assert post(client, SIGN, body, signer=signer).status_code == 413


def test_without_prefetch_or_fhir_server_the_answer_is_412(client, signer):
    body = request_body("patient-view", "older-woman-pdn", prefetch=False)
    assert post(client, VIEW, body, signer=signer).status_code == 412


def test_without_prefetch_the_service_reads_the_fhir_server(client, signer, monkeypatch):
    items = resources("older-woman-pdn")
    seen = []

    def handler(request):
        seen.append(request)
        assert request.headers["Authorization"] == "Bearer fhir-token"
        path = request.url.path.split("/fhir/")[-1]
        kind = path.split("/")[0]
        if kind == "Patient":
            return httpx.Response(200, json=next(r for r in items if r["resourceType"] == "Patient"))
        return httpx.Response(200, json=searchset([r for r in items if r["resourceType"] == kind]))

    monkeypatch.setattr(smart, "TRANSPORT", httpx.MockTransport(handler))
    body = request_body("patient-view", "older-woman-pdn", prefetch=False)
    body["fhirServer"] = "https://ehr.example.org/fhir"
    body["fhirAuthorization"] = {
        "access_token": "fhir-token",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/*.rs",
        "subject": "cds",
    }
    cards = cards_of(post(client, VIEW, body, signer=signer))
    assert len(seen) == 4 and all(r.method == "GET" for r in seen)
    assert cards and "Painful diabetic neuropathy" in cards[0]["summary"]


# --- cards -------------------------------------------------------------------------------


def by_text(cards, *words):
    return [c for c in cards if all(w.lower() in (c["summary"] + c.get("detail", "")).lower() for w in words)]


def test_older_woman_ordering_duloxetine(client, signer):
    # 79 years, 62 kg, creatinine 1.6 mg/dL: Cockcroft–Gault about 28 mL/min; tramadol and sertraline active.
    body = request_body("order-select", "older-woman-pdn", [order("duloxetine", "72625", dose=60, per_day=1)])
    cards = cards_of(post(client, SELECT, body, signer=signer))
    renal = by_text(cards, "duloxetine", "avoid", "kidney")
    assert renal and renal[0]["indicator"] == "critical"
    assert renal[0]["suggestions"][0]["actions"][0] == {
        "type": "delete",
        "description": "Remove the draft order: avoid at this kidney function",
        "resourceId": "MedicationRequest/draft-1",
    }
    tramadol = by_text(cards, "duloxetine with tramadol")
    assert len(tramadol) == 1 and tramadol[0]["indicator"] == "warning"  # one card per pair, all its sources
    assert by_text(cards, "sertraline") and by_text(cards, "Beers")
    assert not by_text(cards, "tramadol with sertraline")  # not about this order
    line = by_text(cards, "Painful diabetic neuropathy", "first line")
    assert line and line[0]["indicator"] == "info"
    assert all(
        c["links"][0]["type"] == "smart" and c["links"][0]["url"] == "http://testserver/smart/launch" for c in cards
    )
    assert [c["indicator"] for c in cards] == sorted((c["indicator"] for c in cards), key=cds_hooks.INDICATOR_RANK.get)


def test_trigeminal_neuralgia_hla_b1502_positive_ordering_carbamazepine(client, signer):
    body = request_body("order-sign", "trigeminal-hla", [order("carbamazepine", "2002", dose=200, per_day=2)])
    cards = cards_of(post(client, SIGN, body, signer=signer))
    hla = by_text(cards, "carbamazepine", "HLA-B*15:02")
    assert hla and hla[0]["indicator"] == "critical" and "CPIC" in hla[0]["source"]["label"]
    assert hla[0]["suggestions"][0]["actions"][0]["type"] == "delete"


def test_order_by_text_only_is_recognised(client, signer):
    body = request_body("order-sign", "trigeminal-hla", [order("Tegretol 200 mg tablets")])
    cards = cards_of(post(client, SIGN, body, signer=signer))
    assert by_text(cards, "carbamazepine", "HLA-B*15:02")


def test_haemodialysis_patient_ordering_gabapentin_above_the_renal_maximum(client, signer):
    body = request_body("order-select", "haemodialysis", [order("gabapentin", "25480", dose=900, per_day=3)])
    cards = cards_of(post(client, SELECT, body, signer=signer))
    over = by_text(cards, "ordered 2700 mg/day", "maximum of 300 mg/day")
    assert over and over[0]["indicator"] == "critical"
    assert over[0]["suggestions"]


@pytest.mark.parametrize(("dose", "over"), [(100, False), (150, True)])
def test_the_maximum_at_its_edge(client, signer, dose, over):
    # The CrCl < 15 maximum is 300 mg/day: 3 × 100 is at it, 3 × 150 above it.
    body = request_body("order-select", "haemodialysis", [order("gabapentin", "25480", dose=dose, per_day=3)])
    cards = cards_of(post(client, SELECT, body, signer=signer))
    assert bool(by_text(cards, "above this patient's maximum")) is over
    assert by_text(cards, "gabapentin", "300 mg/day")  # the renal maximum is always said


def test_normal_kidney_function_gets_no_renal_card(client, signer):
    body = request_body("order-select", "trigeminal-hla", [order("pregabalin", "187832", dose=150, per_day=2)])
    cards = cards_of(post(client, SELECT, body, signer=signer))
    assert not by_text(cards, "kidney") and not by_text(cards, "maximum")


def test_order_select_checks_only_the_selected_orders(client, signer):
    orders = [order("duloxetine", "72625", rid="a"), order("carbamazepine", "2002", rid="b")]
    body = request_body("order-select", "trigeminal-hla", orders)
    body["context"]["selections"] = ["MedicationRequest/a"]
    cards = cards_of(post(client, SELECT, body, signer=signer))
    assert not by_text(cards, "HLA-B*15:02")
    assert by_text(cards, "duloxetine")  # the selected order was checked, with the other draft as a medicine


def test_an_order_for_a_medicine_outside_the_knowledge_base_gets_no_card(client, signer):
    body = request_body("order-sign", "older-woman-pdn", [order("amoxicillin", "723")])
    assert cards_of(post(client, SIGN, body, signer=signer)) == []


def test_patient_view_first_line_options(client, signer):
    cards = cards_of(post(client, VIEW, request_body("patient-view", "older-woman-pdn"), signer=signer))
    assert len(cards) == 1 and cards[0]["indicator"] == "info"
    assert cards[0]["summary"].startswith("Painful diabetic neuropathy:")
    assert "avoid" in cards[0]["detail"].lower()  # duloxetine is avoided at this CrCl
    assert cards[0]["links"][0]["type"] == "smart"


def test_patient_view_without_a_neuropathic_condition_has_no_card(client, signer):
    body = request_body("patient-view", "older-woman-pdn")
    body["prefetch"]["conditions"] = searchset([])
    assert cards_of(post(client, VIEW, body, signer=signer)) == []


# --- the spec's own example requests ------------------------------------------------------


def spec(name):
    return json.loads((CDS_DIR / f"{name}.json").read_text())


@pytest.mark.parametrize(
    ("name", "service", "hook"),
    [("spec-order-select", SELECT, "order-select"), ("spec-order-sign", SIGN, "order-sign")],
)
def test_spec_examples(client, signer, name, service, hook):
    body = {"hook": hook, "hookInstance": str(uuid.uuid4()), **copy.deepcopy(spec(name))}
    # As published, the example has neither prefetch nor fhirServer.
    assert post(client, service, body, signer=signer).status_code == 412
    body["prefetch"] = prefetch_for("older-woman-pdn")
    # A NutritionOrder and amoxicillin–clavulanate, both as published not valid R4 (the NutritionOrder lacks its
    # intent; the MedicationRequest's dose is not in R4's doseAndRate list): the order is reported as not checked.
    cards = cards_of(post(client, service, body, signer=signer))
    assert [c["summary"] for c in cards] == [
        "1 draft medicine order(s) could not be read (not valid FHIR R4) and were not checked."
    ]
    # Made valid, amoxicillin–clavulanate is not a medicine of this knowledge base: nothing to say.
    fixed = copy.deepcopy(body)
    for entry in fixed["context"]["draftOrders"]["entry"]:
        resource = entry["resource"]
        resource.setdefault("intent", "order")
        for dosage in resource.get("dosageInstruction", []):
            if isinstance(dosage.get("doseAndRate"), dict):
                dosage["doseAndRate"] = [dosage["doseAndRate"]]
            if "doseQuantity" in dosage:  # the order-sign example's dose is in STU3's place
                dosage["doseAndRate"] = [{"doseQuantity": dosage.pop("doseQuantity")}]
    assert cards_of(post(client, service, fixed, signer=signer)) == []


def test_spec_patient_view_example_reads_the_fhir_server(client, signer, monkeypatch):
    body = spec("spec-patient-view")
    items = resources("older-woman-pdn")

    def handler(request):
        assert request.headers["Authorization"] == "Bearer some-opaque-fhir-access-token"
        kind = request.url.path.strip("/").split("/")[0]
        return httpx.Response(200, json=searchset([r for r in items if r["resourceType"] == kind]))

    monkeypatch.setattr(smart, "TRANSPORT", httpx.MockTransport(handler))
    cards = cards_of(post(client, VIEW, body, signer=signer))
    assert cards and "Painful diabetic neuropathy" in cards[0]["summary"]


# --- feedback and privacy ----------------------------------------------------------------


def test_feedback(client, signer):
    url = f"{BASE}/{SELECT}/feedback"
    good = {
        "feedback": [{"card": str(uuid.uuid4()), "outcome": "overridden", "outcomeTimestamp": "2026-12-04T10:00:00Z"}]
    }

    def post_(body, token):
        return client.post(
            url,
            json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    assert post_(good, signer.token(url)).status_code == 200
    accepted = {"feedback": [{"card": "c", "outcome": "accepted", "outcomeTimestamp": "2026-12-04T10:00:00Z"}]}
    assert post_(accepted, signer.token(url)).status_code == 400  # accepted needs acceptedSuggestions
    assert post_({"feedback": [{"card": "c"}]}, signer.token(url)).status_code == 400
    assert post_(good, signer.token(f"{BASE}/{SELECT}")).status_code == 401  # aud is the feedback URL


def test_nothing_from_the_request_is_logged(client, signer, caplog):
    caplog.set_level(logging.DEBUG)
    body = request_body("order-select", "older-woman-pdn", [order("duloxetine", "72625", dose=60, per_day=1)])
    post(client, SELECT, body, signer=signer)
    post(client, SELECT, body, signer.token(f"{BASE}/{SELECT}", exp_in=-100))
    logged = caplog.text
    for secret in ("Testpatient", "Maria", "MRN", "1947-05-14", "pt-7f3a91", "duloxetine"):
        assert secret not in logged
