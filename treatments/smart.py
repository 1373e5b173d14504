"""SMART App Launch 2 (EHR launch and standalone launch): the explorer opened from a record system, filled in.

``GET /smart/launch?iss=…&launch=…`` (EHR launch) or ``GET /smart/launch?iss=…`` (standalone) reads the server's
``{iss}/.well-known/smart-configuration``, and sends the browser to its authorisation endpoint with PKCE (S256
only), a fresh ``state`` and read-only scopes. ``GET /smart/callback`` checks the state, exchanges the code for an
access token (HTTP Basic for a confidential client), reads the launch patient's record once (``fhir.py``) and
forgets the token. The record systems trusted are ``settings.SMART_CLIENTS``; any other ``iss`` is refused.

No patient data is kept (README, Privacy): the pending launch and then the values read from the record live
only in one signed, HttpOnly cookie (``COOKIE``) that expires with the launch (``settings.SMART_LAUNCH_SECONDS``,
at most an hour). Nothing from the record is written to the database, the cache or the logs; pages shown while
the cookie is present are never cached (``cache.cached_page``). The page address carries only the clinical
inputs, as when a clinician types them.
"""

import base64
import datetime
import hashlib
import secrets
import time
from urllib.parse import urlencode, urlsplit

import httpx
from django.conf import settings
from django.core import signing
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import cache, fhir
from . import models as m

COOKIE = cache.LAUNCH_COOKIE
SALT = "treatments.smart.launch"
SCOPES = (
    "openid fhirUser patient/Patient.rs patient/Observation.rs patient/Condition.rs "
    "patient/MedicationRequest.rs patient/Medication.rs"
)
# Observations read: kidney function and size (fhir.CREATININE…) and pharmacogenomic results (docs/EHR.md).
OBSERVATION_CODES = (
    fhir.CREATININE,
    fhir.WEIGHT,
    fhir.HEIGHT,
    fhir.EGFR,
    *sorted(fhir.GENOTYPE_CODES),
    "53040-2",  # genetic variation's effect on drug metabolism (metaboliser phenotype)
    "83009-1",  # genetic variation's effect on high-risk allele (HLA)
)
MAX_PAGES = 5  # of one search's results, following the Bundle's next links on the same server
TRANSPORT = None  # an httpx transport; tests put an in-process record system here


class LaunchError(Exception):
    """A launch that cannot go on; ``message`` is shown to the clinician (it never holds record data)."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.message, self.status = message, status


def client(**kwargs):
    """An HTTP client for calls to record systems (``TRANSPORT`` in tests)."""
    return httpx.Client(
        transport=TRANSPORT,
        timeout=settings.EHR_HTTP_TIMEOUT,
        follow_redirects=False,
        headers=kwargs.pop("headers", {}),
    )


def _error(request, error, title="The launch from the record system did not work"):
    response = render(
        request, "treatments/smart_error.html", {"title": title, "message": error.message}, status=error.status
    )
    response.delete_cookie(COOKIE, samesite="Lax")
    return response


def _set_cookie(response, value):
    response.set_cookie(
        COOKIE,
        signing.dumps(value, salt=SALT, compress=True),
        max_age=settings.SMART_LAUNCH_SECONDS,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def read_cookie(request):
    """The launch cookie's content, or None when absent, tampered with or expired."""
    raw = request.COOKIES.get(COOKIE)
    if not raw:
        return None
    try:
        value = signing.loads(raw, salt=SALT, max_age=settings.SMART_LAUNCH_SECONDS)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    return value if isinstance(value, dict) else None


def _same_scheme(url, iss):
    """An endpoint the server names must be HTTPS, unless the trusted iss itself is plain HTTP (a local test)."""
    scheme = urlsplit(url).scheme
    return scheme == "https" or (scheme == "http" and urlsplit(iss).scheme == "http")


def discover(iss):
    """The server's SMART configuration (authorisation and token endpoints); LaunchError when unusable."""
    try:
        with client() as http:
            response = http.get(f"{iss}/.well-known/smart-configuration", headers={"Accept": "application/json"})
        config = response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        config = None
    if not isinstance(config, dict):
        raise LaunchError("The record system's SMART configuration could not be read. Try again later.", 502)
    endpoints = config.get("authorization_endpoint"), config.get("token_endpoint")
    if not all(isinstance(e, str) and _same_scheme(e, iss) for e in endpoints):
        raise LaunchError("The record system's SMART configuration has no usable endpoints.", 502)
    if "S256" not in (config.get("code_challenge_methods_supported") or ()):
        raise LaunchError("The record system does not offer PKCE with S256, which this app requires.", 502)
    return config


def _challenge(verifier):
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@require_GET
@never_cache
def launch(request):
    iss = (request.GET.get("iss") or "").strip().rstrip("/")
    launch_token = request.GET.get("launch") or ""
    if not iss:
        return _error(request, LaunchError("The launch address has no iss (the record system's FHIR address)."))
    registered = settings.SMART_CLIENTS.get(iss)
    if registered is None:
        return _error(
            request,
            LaunchError("This record system is not registered with the explorer, so it cannot launch it.", 403),
            "Record system not registered",
        )
    if len(launch_token) > 2000:
        return _error(request, LaunchError("The launch parameter is too long."))
    try:
        config = discover(iss)
    except LaunchError as error:
        return _error(request, error)
    state, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(64)
    scope = f"{'launch' if launch_token else 'launch/patient'} {SCOPES}"
    params = {
        "response_type": "code",
        "client_id": registered["client_id"],
        "redirect_uri": request.build_absolute_uri(reverse("smart_callback")),
        "scope": scope,
        "state": state,
        "aud": iss,
        "code_challenge": _challenge(verifier),
        "code_challenge_method": "S256",
    }
    if launch_token:
        params["launch"] = launch_token
    endpoint = config["authorization_endpoint"]
    response = redirect(f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(params)}")
    _set_cookie(
        response,
        {"pending": {"iss": iss, "state": state, "verifier": verifier, "token": config["token_endpoint"]}},
    )
    return response


def _token(pending, code, redirect_uri):
    registered = settings.SMART_CLIENTS.get(pending["iss"])
    if registered is None:
        raise LaunchError("This record system is no longer registered with the explorer.", 403)
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    data["code_verifier"] = pending["verifier"]
    auth = None
    if registered.get("client_secret"):
        auth = (registered["client_id"], registered["client_secret"])
    else:
        data["client_id"] = registered["client_id"]
    status = None
    try:
        with client() as http:
            response = http.post(pending["token"], data=data, auth=auth, headers={"Accept": "application/json"})
        status = response.status_code
        token = response.json() if status in (200, 400) else None
    except (httpx.HTTPError, ValueError):
        token = None
    if status == 400 and isinstance(token, dict) and token.get("error") == "invalid_grant":
        # The code the browser brought back was refused (made up, used already or expired): not a server fault.
        raise LaunchError(
            "The record system did not accept this authorisation (used already or expired). Launch again."
        )
    if status != 200 or not isinstance(token, dict) or not isinstance(token.get("access_token"), str):
        raise LaunchError("The record system did not give access to the record. Launch again.", 502)
    if str(token.get("token_type", "")).lower() != "bearer":
        raise LaunchError("The record system gave an access token of an unknown type.", 502)
    patient = token.get("patient")
    if not isinstance(patient, str) or not patient or "/" in patient:
        raise LaunchError("The record system did not say which patient was launched.", 502)
    return token["access_token"], patient


def fetch_record(iss, access_token, patient_id):
    """Read the patient's record from the FHIR server: JSON resources (Bundles of searches). LaunchError when the
    server does not answer; the token is used for these reads only."""
    searches = [
        f"Patient/{patient_id}",
        "Observation?"
        + urlencode({"patient": patient_id, "code": ",".join(f"{fhir.LOINC}|{c}" for c in OBSERVATION_CODES)}),
        "Condition?" + urlencode({"patient": patient_id}),
        "MedicationRequest?"
        + urlencode({"patient": patient_id, "status": "active", "_include": "MedicationRequest:medication"}),
    ]
    headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/fhir+json"}
    found = []
    with client(headers=headers) as http:
        for search in searches:
            found.extend(_search(http, iss, f"{iss}/{search}"))
    return found


def _search(http, iss, url):
    pages = []
    for _ in range(MAX_PAGES):
        try:
            response = http.get(url)
            data = response.json() if response.status_code == 200 else None
        except (httpx.HTTPError, httpx.InvalidURL, ValueError):  # InvalidURL: e.g. a control character in an id
            data = None
        if not isinstance(data, dict):
            raise LaunchError("The record system's FHIR server did not answer. Launch again.", 502)
        pages.append(data)
        links = data.get("link") if data.get("resourceType") == "Bundle" else None
        following = [
            link.get("url")
            for link in links or ()
            if isinstance(link, dict) and link.get("relation") == "next" and isinstance(link.get("url"), str)
        ]
        if not following or not following[0].startswith(f"{iss}/"):
            break
        url = following[0]
    return pages


def _record_payload(record):
    return {
        "facts": [f.as_dict() for f in record.facts],
        "conditions": list(record.conditions),
        "notices": list(record.notices),
        "skipped": record.skipped,
        "query": _query(record.query()),
    }


def _query(pairs):
    return urlencode([(name, value) for name, values in pairs for value in values])


@require_GET
@never_cache
def callback(request):
    stored = read_cookie(request)
    pending = (stored or {}).get("pending")
    if not pending:
        return _error(
            request,
            LaunchError(
                "This launch has expired or was started in another browser. Open the explorer again from the record."
            ),
        )
    if request.GET.get("error"):
        return _error(request, LaunchError("The record system did not authorise the launch. Launch again.", 403))
    state, code = request.GET.get("state") or "", request.GET.get("code") or ""
    if not secrets.compare_digest(state.encode(), pending["state"].encode()):
        return _error(request, LaunchError("The launch could not be checked (its state does not match). Launch again."))
    if not code or len(code) > 4000:
        return _error(request, LaunchError("The record system sent no authorisation code. Launch again."))
    try:
        access_token, patient_id = _token(pending, code, request.build_absolute_uri(reverse("smart_callback")))
        items = fetch_record(pending["iss"], access_token, patient_id)
    except LaunchError as error:
        return _error(request, error)
    del access_token  # read once; never stored
    conditions, rxcuis = fhir.knowledge_base_codes()
    record = fhir.read_json(items, today=datetime.date.today(), conditions=conditions, rxcuis=rxcuis)
    query = _query(record.query())
    if len(record.conditions) == 1:
        target = reverse("treatments:condition", args=[record.conditions[0]])
    else:
        target = reverse("treatments:home")
    response = redirect(f"{target}?{query}" if query else target)
    _set_cookie(response, {"iss": pending["iss"], "record": _record_payload(record), "started": int(time.time())})
    return response


@require_GET
@never_cache
def end(request):
    """Forget the launch: the record's values are dropped with the cookie."""
    response = redirect(reverse("treatments:home"))
    response.delete_cookie(COOKIE, samesite="Lax")
    return response


def record_panel(request, condition=None):
    """What the page shows about the record this launch read: each value with its source and date, marked
    'changed' when the page's address no longer has it; None without a launch."""
    stored = read_cookie(request)
    record = (stored or {}).get("record")
    if not isinstance(record, dict):
        return None
    factor_names = dict(m.PatientFactor.objects.published().values_list("slug", "name"))
    condition_names = dict(m.Condition.objects.published().values_list("slug", "name"))
    rows = []
    for fact in record.get("facts", ()):
        name, value = fact.get("name"), fact.get("value")
        label = fact.get("label", "")
        if name == "factors":
            label = factor_names.get(value, value)
        elif name == "condition":
            label = condition_names.get(value, value)
        entered = request.GET.getlist(name) if name != "condition" else [condition.slug] if condition else []
        if name in {"factors", "current", "condition"}:
            changed = value not in _split(entered)
        else:
            changed = _split(entered) != [value]
        rows.append({**fact, "label": label, "changed": changed})
    query = record.get("query", "")
    choices = [
        {"name": condition_names[s], "url": reverse("treatments:condition", args=[s]) + (f"?{query}" if query else "")}
        for s in record.get("conditions", ())
        if s in condition_names
    ]
    return {
        "rows": rows,
        "notices": record.get("notices", ()),
        "skipped": record.get("skipped", 0),
        "choices": choices,
        "query": query,
    }


def _split(values):
    return [part.strip() for value in values for part in value.split(",") if part.strip()]
