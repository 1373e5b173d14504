"""Property-based tests: hostile input on the EHR surface (issue 19) — the SMART launch and callback and the CDS
Hooks services, with the in-process record system and a trusted signer (tests/ehr.py), so that hostile bodies
get past the signature check and reach the parsing code.

- ``/smart/launch``: ``iss`` and ``launch``; ``/smart/callback``: ``code``, ``state`` and ``error`` garbage, and
  the replay of a state (with and without the old launch cookie); ``/smart/end``.
- ``/cds-services/<id>``: malformed and non-object JSON, a hook name for another service, keys removed or
  replaced by any JSON value, wrong resource types in the context and the prefetch, huge bundles, hostile
  draft orders (doses of 1e30, NaN, names with markup), a ``fhirServer`` that is not a URL; hostile JWTs;
  ``/cds-services/<id>/feedback`` bodies.

Asserted for every draw: never a 5xx; the SMART pages never reflect a drawn marker unescaped; a CDS answer is
JSON, 200 with cards valid by the spec (and no drawn markup in their markdown) or an error object; a launch
goes on only with the launch's own state and a code the record system issued; and a record value the explorer
refuses (a weight of 1e30 kg, a creatinine in an unknown unit…) changes no card: the cards are those of the same
record without that value.
"""

import copy
import datetime
import json
import time
import uuid
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from treatments import fhir, smart

from .ehr import AUTHORIZE, ISS, Signer, install, resources
from .test_cds_hooks import BASE, SELECT, SIGN, VIEW, assert_valid_card, order, post, request_body
from .test_hostile_input import MARKER, SQL, markup

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("real_kb")]


def fuzz(examples):
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


PATIENT = "older-woman-pdn"
SERVICES = {SELECT: "order-select", SIGN: "order-sign", VIEW: "patient-view"}


@pytest.fixture(scope="module")
def signer():
    return Signer()


@pytest.fixture
def ehr(settings, monkeypatch, signer):
    """The record system trusted for SMART launches and CDS Hooks calls; every HTTP call the app makes (to the
    SMART server or to a ``fhirServer``) goes to it, so nothing leaves the machine."""
    settings.CDS_HOOKS_CLIENTS = {signer.iss: signer.jwks}
    return install(settings, monkeypatch, PATIENT)


def assert_not_reflected(response, *values):
    body = response.content.decode(errors="replace")
    for value in values:
        if isinstance(value, str) and MARKER.search(value) and ("<" in value or '"' in value):
            assert value not in body, value


# --- SMART launch and callback ------------------------------------------------------------------------------

text = st.one_of(
    markup,
    st.sampled_from(SQL),
    st.text(max_size=60),
    st.sampled_from(["", " ", "\x00", "%00", "a\r\nSet-Cookie: x=1", "ÿ", "😀", "../../etc/passwd"]),
    st.integers(1, 6000).map(lambda n: "k" * n),
)


@fuzz(40)
@given(
    iss=st.one_of(
        st.sampled_from([ISS, ISS + "/", f" {ISS} ", ISS.upper(), ISS + "/x", "http://ehr.example.org/fhir", ""]),
        text,
    ),
    launch=st.one_of(st.none(), text),
)
def test_launch_goes_to_the_registered_server_only(client, ehr, iss, launch):
    params = {"iss": iss, **({"launch": launch} if launch is not None else {})}
    response = client.get("/smart/launch", params)
    assert response.status_code in (302, 400, 403), (params, response.status_code)
    assert_not_reflected(response, iss, launch)
    if response.status_code == 302:
        assert iss.strip().rstrip("/") == ISS and len(launch or "") <= 2000
        assert response["Location"].startswith(AUTHORIZE + "?")
        sent = parse_qs(urlsplit(response["Location"]).query, keep_blank_values=True)
        assert sent.get("launch", [""]) == [launch or ""] or (not launch and "launch" not in sent)
        assert "\n" not in response["Location"] and "\r" not in response["Location"]
    else:
        assert smart.COOKIE not in response.cookies or not response.cookies[smart.COOKIE].value


def start(client, ehr):
    response = client.get("/smart/launch", {"iss": ISS})
    sent, code = ehr.authorize(response["Location"])
    return sent["state"], code, client.cookies[smart.COOKIE].value


@fuzz(40)
@given(
    spoil=st.sampled_from(["nothing", "nothing", "state", "code", "error", "all"]),
    state=st.one_of(st.sampled_from(["right+x", "RIGHT", "", "prefix"]), text),
    code=st.one_of(st.sampled_from(["", "made-up"]), text),
    error=st.one_of(st.sampled_from(["access_denied", "server_error"]), markup, text.filter(bool)),
    repeat=st.booleans(),
    twice=st.booleans(),
)
def test_callback_goes_on_only_with_its_state_and_an_issued_code(client, ehr, spoil, state, code, error, repeat, twice):
    """A launch with its own state and code goes on; any one of them spoilt (or an error) stops it cleanly."""
    right, issued, _cookie = start(client, ehr)
    state_value = {"right+x": right + "x", "RIGHT": right.upper(), "prefix": right[:-1]}.get(state, state)
    code_value = {"made-up": "not-issued-code"}.get(code, code)
    pairs = [
        ("state", state_value if spoil in ("state", "all") else right),
        ("code", code_value if spoil in ("code", "all") else issued),
    ]
    if repeat:  # a repeated key: the last one counts
        pairs = [("state", "first"), ("code", "first"), *pairs]
    if spoil in ("error", "all"):
        pairs.append(("error", error))
    response = client.get(f"/smart/callback?{urlencode(pairs)}")
    assert response.status_code in (302, 400, 403), (pairs, response.status_code, response.content[:300])
    assert_not_reflected(response, state_value, code_value, error)
    assert (response.status_code == 302) == (spoil == "nothing"), (pairs, response.status_code)
    if spoil == "nothing":
        assert "record" in (smart_cookie(client) or {})
        if twice:  # the same callback again: the launch is over
            again = client.get(f"/smart/callback?{urlencode(pairs)}")
            assert again.status_code == 400 and "expired" in again.content.decode()
    else:
        assert smart_cookie(client) is None  # the pending launch is forgotten


def smart_cookie(client):
    from django.core import signing

    raw = client.cookies[smart.COOKIE].value if smart.COOKIE in client.cookies else ""
    try:
        return signing.loads(raw, salt=smart.SALT) if raw else None
    except signing.BadSignature:
        return None


def test_a_replayed_state_with_the_old_launch_cookie_is_refused_cleanly(client, ehr):
    """The browser's launch cookie copied back after the launch completed: the code is used, so the record
    system refuses it, and the explorer says so with a 400 (not a 502) and keeps nothing."""
    state, code, cookie = start(client, ehr)
    first = client.get("/smart/callback", {"state": state, "code": code})
    assert first.status_code == 302
    client.cookies[smart.COOKIE] = cookie
    replay = client.get("/smart/callback", {"state": state, "code": code})
    assert replay.status_code == 400 and "did not accept" in replay.content.decode()
    assert not replay.cookies[smart.COOKIE].value  # the launch cookie is deleted


def test_a_made_up_code_is_a_400_not_a_gateway_error(client, ehr):
    state, _code, _cookie = start(client, ehr)
    response = client.get("/smart/callback", {"state": state, "code": "made-up"})
    assert response.status_code == 400 and "did not accept" in response.content.decode()


@fuzz(15)
@given(
    cookie=st.one_of(st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=300), markup),
    params=st.dictionaries(st.sampled_from(["iss", "x"]), text, max_size=2),
)
def test_a_forged_launch_cookie_is_ignored(client, ehr, cookie, params):
    client.cookies[smart.COOKIE] = cookie
    for path in ("/smart/callback", "/smart/end", "/", "/conditions/painful-diabetic-neuropathy/"):
        response = client.get(path, params)
        assert response.status_code in (200, 302, 400), (path, response.status_code)
        assert_not_reflected(response, cookie, *params.values())


# --- CDS Hooks: bodies -----------------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**30), max_value=10**30),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=20),
        markup,
        st.sampled_from(
            [
                {"resourceType": "Patient", "id": "x"},
                {"resourceType": "Observation"},
                {"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Patient", "id": "y"}}]},
                {"resourceType": "Bundle", "entry": "not a list"},
                {"resourceType": "Bundle", "entry": [None, 1, "x", {"resource": None}]},
                {"resourceType": "Quantity", "value": 1},
                {"resourceType": "MedicationRequest", "status": "draft"},
                {"resourceType": 7},
            ]
        ),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=10,
)

# Where a value can be removed or replaced in a valid body.
PATHS = [
    ("hook",),
    ("hookInstance",),
    ("context",),
    ("context", "patientId"),
    ("context", "userId"),
    ("context", "draftOrders"),
    ("context", "draftOrders", "resourceType"),
    ("context", "draftOrders", "entry"),
    ("context", "draftOrders", "entry", 0),
    ("context", "draftOrders", "entry", 0, "resource"),
    ("context", "draftOrders", "entry", 0, "resource", "resourceType"),
    ("context", "draftOrders", "entry", 0, "resource", "id"),
    ("context", "draftOrders", "entry", 0, "resource", "medicationCodeableConcept"),
    ("context", "draftOrders", "entry", 0, "resource", "dosageInstruction"),
    ("context", "selections"),
    ("context", "selections", 0),
    ("prefetch",),
    ("prefetch", "patient"),
    ("prefetch", "patient", "birthDate"),
    ("prefetch", "patient", "resourceType"),
    ("prefetch", "observations"),
    ("prefetch", "observations", "entry"),
    ("prefetch", "conditions"),
    ("prefetch", "medications"),
    ("prefetch", "medications", "entry", 0, "resource"),
    ("fhirServer",),
    ("fhirAuthorization",),
]


def mutate(body, path, value, remove):
    body = copy.deepcopy(body)
    target = body
    for key in path[:-1]:
        try:
            target = target[key]
        except (KeyError, IndexError, TypeError):
            return body
    last = path[-1]
    if isinstance(target, dict) or (isinstance(target, list) and isinstance(last, int) and last < len(target)):
        if remove:
            target.pop(last, None) if isinstance(target, dict) else target.pop(last)
        else:
            target[last] = value
    return body


def base_body(hook):
    orders = [order("pregabalin", "187832", dose=300, per_day=3), order("tramadol", rid="draft-2")]
    return request_body(hook, PATIENT, orders if hook != "patient-view" else ())


def check_answer(response, drawn=()):
    assert response.status_code < 500, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    answer = json.loads(response.content)
    assert isinstance(answer, dict)
    if response.status_code == 200 and "cards" in answer:
        for card in answer["cards"]:
            assert_valid_card(card)
            for value in drawn:  # markdown is rendered by the EHR: no drawn markup in it
                if isinstance(value, str) and MARKER.search(value):
                    assert value not in card["summary"] + card["detail"], (value, card)
    else:
        assert response.status_code in (400, 401, 404, 412, 413), (response.status_code, answer)
        assert isinstance(answer.get("error"), str) or response.status_code == 200, answer
    return answer


def strings_in(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from strings_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings_in(v)


@fuzz(100)
@given(
    service=st.sampled_from(list(SERVICES)),
    hook=st.one_of(st.sampled_from(list(SERVICES.values())), st.sampled_from(["order-review", "", "ORDER-SIGN"])),
    mutations=st.lists(
        st.tuples(st.sampled_from(PATHS), JSON_VALUES, st.booleans()),
        max_size=3,
    ),
)
def test_cds_services_survive_any_json_body(client, ehr, signer, service, hook, mutations):
    body = base_body(SERVICES[service])
    body["hook"] = hook
    for path, value, remove in mutations:
        body = mutate(body, path, value, remove)
    response = post(client, service, body, signer=signer)
    answer = check_answer(response, list(strings_in(body)))
    if hook != SERVICES[service]:
        assert response.status_code == 400 and "hook" in answer["error"], answer


RAW_BODIES = [
    "",
    "{",
    "[]",
    "null",
    "42",
    '"a string"',
    "true",
    '{"hook": NaN}',
    '{"hook": Infinity}',
    "\ufeff{}",
    '{"a": "\\ud800"}',
    "[" * 100_000 + "]" * 100_000,  # nesting deeper than the JSON parser's recursion
    '{"x": ' * 50_000 + "1" + "}" * 50_000,
    '{"hook": "order-sign", "hook": "patient-view"}',
]


@pytest.mark.parametrize("service", list(SERVICES))
@pytest.mark.parametrize("raw", RAW_BODIES, ids=range(len(RAW_BODIES)))
def test_cds_services_refuse_a_malformed_or_non_object_body(client, ehr, signer, service, raw):
    check_answer(post(client, service, None, signer=signer, raw=raw))


@pytest.mark.parametrize("raw", [b"\xff\xfe\x00{", b"\x80abc", b'{"hook": "\xff"}'])
def test_cds_services_refuse_a_body_that_is_not_utf8(client, ehr, signer, raw):
    response = client.post(
        f"{BASE}/{VIEW}",
        raw,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {signer.token(f'{BASE}/{VIEW}')}",
    )
    assert check_answer(response) and response.status_code == 400


def test_a_body_over_the_upload_limit_is_a_413(client, ehr, signer, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
    body = base_body("order-sign")
    body["prefetch"]["conditions"]["entry"] *= 2000
    response = post(client, SIGN, body, signer=signer)
    assert response.status_code == 413 and check_answer(response)


@fuzz(6)
@given(
    kind=st.sampled_from(["medications", "conditions", "observations"]),
    copies=st.integers(100, 1500),
    service=st.sampled_from(list(SERVICES)),
)
def test_huge_bundles_are_read_within_the_limits(client, ehr, signer, kind, copies, service):
    body = base_body(SERVICES[service])
    bundle = body["prefetch"][kind]
    bundle["entry"] = (bundle["entry"] * (copies // max(1, len(bundle["entry"])) + 1))[:copies]
    if kind == "medications":  # many different active medicines: only the first 20 are checked
        for i, entry in enumerate(bundle["entry"]):
            if entry["resource"]["resourceType"] == "MedicationRequest":
                entry["resource"] = {
                    **entry["resource"],
                    "id": f"m{i}",
                    "medicationCodeableConcept": {"text": f"zz{i}"},
                }
                entry["resource"].pop("medicationReference", None)
    check_answer(post(client, service, body, signer=signer))


WRONG_TYPES = [
    resources(PATIENT)[0],  # a Patient
    {"resourceType": "Observation", "status": "final", "code": {"text": "x"}},
    {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": {"resourceType": "Patient", "id": "z"}}]},
    {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "processing"}]},
    {"resourceType": "Medication", "id": "x", "code": {"text": "<b>zq333333zq</b>"}},
    {"resourceType": "MedicationRequest", "id": "x", "status": "active", "intent": "order", "subject": {}},
]


@fuzz(40)
@given(
    service=st.sampled_from(list(SERVICES)),
    slot=st.sampled_from(["patient", "observations", "conditions", "medications", "draft", "draft-bundle"]),
    wrong=st.sampled_from(WRONG_TYPES),
)
def test_wrong_resource_types_in_context_and_prefetch(client, ehr, signer, service, slot, wrong):
    body = base_body(SERVICES[service])
    if slot.startswith("draft"):
        if "draftOrders" not in body["context"]:
            body["context"]["draftOrders"] = {"resourceType": "Bundle", "entry": []}
        if slot == "draft":
            body["context"]["draftOrders"]["entry"].append({"resource": wrong})
        else:
            body["context"]["draftOrders"] = wrong
    else:
        body["prefetch"][slot] = wrong
    check_answer(post(client, service, body, signer=signer), list(strings_in(wrong)))


# --- CDS Hooks: hostile draft orders ------------------------------------------------------------------------

NUMBERS = st.one_of(
    st.sampled_from([0, -1, -300, 1e30, 1e-30, 1e308, 2**63, 10**40, 0.1 + 0.2, 300.0000000001]),
    st.floats(min_value=-1e12, max_value=1e30, allow_nan=False, allow_infinity=False),
    st.integers(min_value=-(10**20), max_value=10**20),
)


@fuzz(60)
@given(
    service=st.sampled_from([SELECT, SIGN]),
    dose=st.one_of(NUMBERS, st.just("300"), st.none()),
    frequency=st.one_of(st.integers(-3, 10**12), st.just(0), st.none()),
    period=st.one_of(NUMBERS, st.none()),
    unit=st.sampled_from(["d", "h", "wk", "min", "mo", "", "D", "<b>zq444444zq</b>"]),
    dose_unit=st.sampled_from(["mg", "MG", "g", "mL", "", "mg/day"]),
    name=st.one_of(
        st.sampled_from(["pregabalin", "Lyrica", "gabapentin 300 MG Oral Capsule"]), markup, st.text(max_size=90)
    ),
)
def test_hostile_draft_doses_and_names(client, ehr, signer, service, dose, frequency, period, unit, dose_unit, name):
    draft = order(name, rid="draft-1")
    repeat = {k: v for k, v in (("frequency", frequency), ("period", period), ("periodUnit", unit)) if v is not None}
    quantity = {"value": dose, "unit": dose_unit, "code": dose_unit, "system": fhir.UCUM}
    draft["dosageInstruction"] = [{"timing": {"repeat": repeat}, "doseAndRate": [{"doseQuantity": quantity}]}]
    body = request_body(SERVICES[service], PATIENT, [draft])
    check_answer(post(client, service, body, signer=signer), [name, unit])


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e400", "-0"])
def test_a_non_finite_dose_in_raw_json(client, ehr, signer, value):
    body = request_body("order-sign", PATIENT, [order("pregabalin", "187832", dose=300, per_day=3)])
    raw = json.dumps(body).replace('"value": 300', f'"value": {value}')
    assert value in raw
    check_answer(post(client, SIGN, None, signer=signer, raw=raw))


@pytest.mark.parametrize("selections", [[{}], [[1]], 5, "MedicationRequest/draft-1", [None], {"a": 1}])
def test_order_sign_ignores_malformed_selections(client, ehr, signer, selections):
    """Regression: a non-hashable selection sent to order-sign (where selections mean nothing) was a 500."""
    body = base_body("order-sign")
    body["context"]["selections"] = selections
    body["context"]["draftOrders"]["entry"].append({"resource": {"resourceType": "MedicationRequest", "id": "bad"}})
    response = post(client, SIGN, body, signer=signer)
    assert response.status_code == 200 and check_answer(response)["cards"]


@pytest.mark.parametrize(
    "server", ["https://[bad", "http://[::1", "https://exa mple.org/\x00", "not a url", "", "ftp://x", "https://"]
)
@pytest.mark.parametrize("patient_id", ["p1", "a\x00b", "a b", "ä"])
def test_a_fhir_server_that_is_not_a_url_is_a_412(client, ehr, signer, server, patient_id):
    """Regression: "https://[bad" (urlsplit's ValueError) and a control character in the address (httpx's
    InvalidURL) were 500s."""
    body = base_body("patient-view")
    del body["prefetch"]
    body["context"]["patientId"] = patient_id
    body["fhirServer"] = server
    body["fhirAuthorization"] = {"access_token": "t", "token_type": "Bearer"}
    response = post(client, VIEW, body, signer=signer)
    assert response.status_code in (400, 412), response.content
    check_answer(response)


# --- a refused record value changes no card ----------------------------------------------------------------

ACCEPTED = {fhir.WEIGHT: (25, 350), fhir.HEIGHT: (120, 250), fhir.CREATININE: (0.1, 30)}  # in MEASURES' units
MEASURES = {  # LOINC code -> (unit, out-of-range values)
    fhir.WEIGHT: ("kg", [0, 1, 24.9, 350.1, 10**6, 1e30, -70]),
    fhir.HEIGHT: ("cm", [0, 50, 119.9, 250.1, 1e30, -160]),
    fhir.CREATININE: ("mg/dL", [0, 0.01, 30.1, 1e6, 1e30, -1]),
}


@fuzz(40)
@given(
    code=st.sampled_from(list(MEASURES)),
    choice=st.data(),
    # Not "": an empty code is not valid FHIR, and one invalid entry drops the whole searchset Bundle
    # (tests/test_fhir.py::test_a_bundle_entry_that_does_not_validate_invalidates_the_bundle).
    unit=st.one_of(st.none(), st.sampled_from(["mmol/L", "lb", "stone", "<b>zq555555zq</b>"])),
    service=st.sampled_from(list(SERVICES)),
)
def test_a_refused_record_value_changes_no_card(client, ehr, signer, code, choice, unit, service):
    """The record's own weight, height or creatinine replaced by a value the explorer refuses (out of range, or in
    a unit it does not read): the cards are those of the record without that observation."""
    default_unit, values = MEASURES[code]
    value = choice.draw(st.one_of(st.sampled_from(values), st.floats(min_value=-1e30, max_value=1e30)))
    low, high = ACCEPTED[code]
    if unit is None and low - 0.05 <= value <= high + 0.05:  # weight and height are rounded to 0.1 first
        value = high + 1.0
    body = base_body(SERVICES[service])
    observations = body["prefetch"]["observations"]
    others = [e for e in observations["entry"] if code not in {c.get("code") for c in e["resource"]["code"]["coding"]}]
    recorded_unit = default_unit if unit is None else unit
    hostile = {
        "resourceType": "Observation",
        "id": "hostile",
        "status": "final",
        "code": {"coding": [{"system": fhir.LOINC, "code": code}]},
        "subject": {"reference": f"Patient/{body['context']['patientId']}"},
        "effectiveDateTime": "2026-12-01",
        "valueQuantity": {
            "value": value,
            "unit": recorded_unit,
            "system": fhir.UCUM,
            "code": recorded_unit,
        },
    }
    without = copy.deepcopy(body)
    without["prefetch"]["observations"]["entry"] = others
    body["prefetch"]["observations"]["entry"] = [*others, {"resource": hostile}]
    got = check_answer(post(client, service, body, signer=signer), [recorded_unit])
    expected = check_answer(post(client, service, without, signer=signer))
    assert cards_without_ids(got) == cards_without_ids(expected), (code, value, unit)


def cards_without_ids(answer):
    cards = copy.deepcopy(answer.get("cards", []))
    for card in cards:
        card.pop("uuid", None)
        for suggestion in card.get("suggestions", []):
            suggestion.pop("uuid", None)
    return cards


# --- CDS Hooks: tokens and feedback -----------------------------------------------------------------------


@fuzz(40)
@given(
    header=st.one_of(
        st.sampled_from(["", "Bearer", "Bearer ", "Basic abc", "bearer x.y.z", "Bearer a.b", "Bearer ..."]),
        text.map(lambda t: "Bearer " + t.replace("\n", "").replace("\r", "").replace("\x00", "")),
    ),
    service=st.sampled_from([*SERVICES, "no-such-service", "<b>zq666666zq</b>"]),
)
def test_a_hostile_authorization_header_is_a_401(client, ehr, service, header):
    body = base_body("patient-view")
    response = client.post(
        f"{BASE}/{service}", json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=header
    )
    if service not in SERVICES:
        assert response.status_code == 404
    else:
        assert response.status_code == 401 and check_answer(response)


@fuzz(20)
@given(
    claims=st.dictionaries(st.sampled_from(["iat", "exp", "jti", "nbf", "aud", "iss", "sub"]), JSON_VALUES, max_size=3)
)
def test_hostile_claims_in_a_signed_token_are_a_401_or_accepted(client, ehr, signer, claims):
    url = f"{BASE}/{VIEW}"
    now = int(time.time())
    payload = {"iss": signer.iss, "aud": url, "exp": now + 300, "iat": now, "jti": str(uuid.uuid4()), **claims}
    # Signed as is (jwt.encode would check the claims' types first).
    token = jwt.api_jws.PyJWS().encode(
        json.dumps(payload).encode(), signer.ec_key, algorithm="ES384", headers={"kid": "ec-1", "typ": "JWT"}
    )
    response = post(client, VIEW, base_body("patient-view"), token)
    check_answer(response)
    assert response.status_code in (200, 401)


def test_a_replayed_token_is_refused(client, ehr, signer):
    token = signer.token(f"{BASE}/{VIEW}")
    assert post(client, VIEW, base_body("patient-view"), token).status_code == 200
    again = post(client, VIEW, base_body("patient-view"), token)
    assert again.status_code == 401 and "already used" in again.json()["error"]


@fuzz(40)
@given(
    body=st.one_of(
        JSON_VALUES,
        st.fixed_dictionaries({"feedback": JSON_VALUES}),
        st.fixed_dictionaries(
            {
                "feedback": st.lists(
                    st.fixed_dictionaries(
                        {},
                        optional={
                            "card": JSON_VALUES,
                            "outcome": st.one_of(st.sampled_from(["accepted", "overridden", "ignored"]), JSON_VALUES),
                            "acceptedSuggestions": JSON_VALUES,
                            "overrideReason": JSON_VALUES,
                            "outcomeTimestamp": JSON_VALUES,
                        },
                    ),
                    max_size=3,
                )
            }
        ),
    ),
    service=st.sampled_from(list(SERVICES)),
)
def test_feedback_survives_any_body(client, ehr, signer, body, service):
    url = f"{BASE}/{service}/feedback"
    response = client.post(
        url, json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {signer.token(url)}"
    )
    answer = check_answer(response)
    assert response.status_code in (200, 400), answer
    assert response.status_code == 400 or answer == {}


@pytest.mark.parametrize("code", [fhir.WEIGHT, fhir.HEIGHT])
@pytest.mark.parametrize("value", [1e30, 10**40, -1e30, 123456789.123])
def test_a_huge_measure_in_the_record_is_a_notice_not_a_500(code, value):
    """Regression: a weight or height too large to round to 0.1 (Decimal's precision) raised InvalidOperation in
    the record reader (SMART callback and CDS Hooks alike)."""
    unit = "kg" if code == fhir.WEIGHT else "cm"
    observation = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": fhir.LOINC, "code": code}]},
        "valueQuantity": {"value": value, "unit": unit, "system": fhir.UCUM, "code": unit},
    }
    record = fhir.read_json([observation], today=datetime.date(2026, 12, 4), conditions={}, rxcuis={})
    assert not record.facts and any("outside the accepted range" in notice for notice in record.notices)


@pytest.mark.parametrize("query", ["", "?x=<b>zq777777zq</b>", "?hook=order-sign&hook=", "?%ff=%00"])
def test_discovery_ignores_its_query_and_wrong_methods_are_405(client, ehr, signer, query):
    response = client.get(f"/cds-services{query}")
    assert response.status_code == 200 and {s["id"] for s in response.json()["services"]} == set(SERVICES)
    assert "zq777777zq" not in response.content.decode()
    assert client.post(f"/cds-services{query}", "{}", content_type="application/json").status_code == 405
    for service in SERVICES:
        assert client.get(f"{BASE}/{service}{query}").status_code == 405
        assert client.put(f"{BASE}/{service}", "{}", content_type="application/json").status_code == 405
        assert client.get(f"{BASE}/{service}/feedback").status_code == 405
