"""CDS Hooks 2.0 services: the explorer's checks as cards when a neuropathic-pain medicine is ordered.

- ``GET /cds-services``: discovery, with the prefetch templates each service wants.
- ``POST /cds-services/<id>``: ``order-select`` and ``order-sign`` (cards for the ordered medicines of the
  knowledge base: this patient's maximum dose, interactions with the active medicines, Beers 2023, pharmacogenomic
  rules, plan checks and the guideline line for the recorded condition) and ``patient-view`` (the first-line
  options for a recorded neuropathic-pain condition).
- ``POST /cds-services/<id>/feedback``: accepted and checked, nothing kept.

Every call must carry a JWT signed by a trusted client (``settings.CDS_HOOKS_CLIENTS``; ES384 or RS384) whose
``aud`` is the URL called, with ``iss``, ``exp``, ``iat`` and a ``jti`` never seen before within its lifetime;
otherwise 401 and no card. The patient's data come from the prefetch or, when a template was not prefetched,
from ``fhirServer`` with ``fhirAuthorization``; with neither, 412. Nothing from the request is logged or stored
(only a jti's hash is kept, until the token expires, to refuse a replay).

The checks are the explorer's own: the ordered medicine and the record's patient are bound to the plan and
explorer forms exactly as a clinician's page address would be (``_bind``), so a card says what the page says.
"""

import datetime
import hashlib
import json
import threading
import time
import uuid
from decimal import Decimal
from functools import wraps
from urllib.parse import urlencode, urlsplit

import httpx
import jwt
from django.conf import settings
from django.core.cache import cache as shared_cache
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse, QueryDict
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from . import cache, explorer, fhir, forms, smart
from . import models as m

ALGORITHMS = ["ES384", "RS384"]
LEEWAY = 30  # seconds of clock difference allowed on exp and iat
MAX_TOKEN_AGE = 5 * 60  # an iat older than this is refused (the spec asks for short-lived tokens)
JWKS_SECONDS = 10 * 60  # a jwks_url's keys are kept this long in this process (keys, not patient data)

PATIENT = "{{context.patientId}}"
PREFETCH = {
    "patient": f"Patient/{PATIENT}",
    "observations": "Observation?"
    + urlencode(
        {"patient": PATIENT, "code": ",".join(f"{fhir.LOINC}|{c}" for c in smart.OBSERVATION_CODES)}, safe="{}|,/:"
    ),
    "conditions": f"Condition?patient={PATIENT}",
    "medications": f"MedicationRequest?patient={PATIENT}&status=active&_include=MedicationRequest:medication",
}
SERVICES = {
    "neuropathic-pain-order-select": {
        "hook": "order-select",
        "title": "Neuropathic pain medicines: checks for this patient",
        "description": "When a neuropathic-pain medicine of the knowledge base is selected: this patient's maximum "
        "dose for their kidney function, interactions with their active medicines, Beers 2023, pharmacogenomic "
        "rules and the guideline line for the recorded condition.",
    },
    "neuropathic-pain-order-sign": {
        "hook": "order-sign",
        "title": "Neuropathic pain medicines: checks before signing",
        "description": "The same checks as at selection, on every draft medicine order before it is signed.",
    },
    "neuropathic-pain-patient-view": {
        "hook": "patient-view",
        "title": "Neuropathic pain: first-line options for this patient",
        "description": "For a patient with a recorded neuropathic-pain condition: the first-line options with this "
        "patient's verdict, and a link to the explorer.",
    },
}
INDICATORS = {  # explorer status or interaction severity -> card indicator
    explorer.CONTRAINDICATED: "critical",
    m.Severity.CONTRAINDICATED: "critical",
    explorer.AVOID: "warning",
    m.Severity.MAJOR: "warning",
    explorer.CAUTION: "info",
    m.Severity.MODERATE: "info",
    m.Severity.MINOR: "info",
}
INDICATOR_RANK = {"critical": 0, "warning": 1, "info": 2}
SUMMARY_LIMIT = 139  # the spec: a summary under 140 characters
SERVICE_SOURCE = {"label": "Neuropathy treatment explorer"}


class CallError(Exception):
    def __init__(self, message, status=400):
        super().__init__(message)
        self.message, self.status = message, status


def _json_error(message, status):
    response = JsonResponse({"error": message}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="cds-services"'
    return response


# --- discovery ---------------------------------------------------------------------------


def _cors(response):
    """CDS clients may run in a browser (the spec's CORS note): any origin may call, since every service call
    is authorised by its JWT, never by a cookie."""
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
    response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    response["Access-Control-Max-Age"] = "600"
    return response


def cors(view):
    """Answer a browser's preflight, and add the CORS headers to every answer."""

    @wraps(view)
    def inner(request, *args, **kwargs):
        if request.method == "OPTIONS":
            return _cors(HttpResponse(status=204))
        return _cors(view(request, *args, **kwargs))

    return inner


@cors
@require_GET
def discovery(request):
    services = [{"id": key, **spec, "prefetch": PREFETCH} for key, spec in SERVICES.items()]
    return JsonResponse({"services": services})


# --- authentication ------------------------------------------------------------------------

_jwks = {}  # jwks_url -> (fetched at, JWKS dict)
_jwks_lock = threading.Lock()


def _keys_for(iss):
    trusted = settings.CDS_HOOKS_CLIENTS.get(iss)
    if trusted is None:
        raise CallError("unknown issuer", 401)
    if "keys" in trusted:
        return trusted
    url = trusted["jwks_url"]
    with _jwks_lock:
        fetched = _jwks.get(url)
    if fetched and time.monotonic() - fetched[0] < JWKS_SECONDS:
        return fetched[1]
    try:
        with smart.client() as http:
            response = http.get(url, headers={"Accept": "application/json"})
        keys = response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        keys = None
    if not isinstance(keys, dict) or not isinstance(keys.get("keys"), list):
        raise CallError("the issuer's keys could not be read", 401)
    with _jwks_lock:
        _jwks[url] = (time.monotonic(), keys)
    return keys


def authenticate(request, audience):
    """The verified claims of the call's JWT; CallError(401) otherwise."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise CallError("a signed JWT is required", 401)
    try:
        unverified_header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise CallError("the JWT is malformed", 401) from None
    if unverified_header.get("alg") not in ALGORITHMS:
        raise CallError("the JWT must be signed with ES384 or RS384", 401)
    iss = unverified.get("iss")
    if not isinstance(iss, str):
        raise CallError("the JWT has no issuer", 401)
    keys = _keys_for(iss)
    try:
        key_set = jwt.PyJWKSet.from_dict(keys)
    except jwt.PyJWTError:
        raise CallError("the issuer's keys are not usable", 401) from None
    kid = unverified_header.get("kid")
    candidates = [k for k in key_set.keys if kid is None or k.key_id == kid]
    claims = None
    for candidate in candidates:
        try:
            claims = jwt.decode(
                token,
                candidate.key,
                algorithms=ALGORITHMS,
                audience=audience,
                issuer=iss,
                leeway=LEEWAY,
                options={"require": ["iss", "aud", "exp", "iat", "jti"]},
            )
            break
        except (jwt.InvalidSignatureError, jwt.InvalidAlgorithmError, jwt.InvalidKeyError):
            continue
        except jwt.PyJWTError as error:
            raise CallError(f"the JWT was refused ({type(error).__name__})", 401) from None
    if claims is None:
        raise CallError("the JWT's signature does not match the issuer's keys", 401)
    now = time.time()
    if claims["iat"] > now + LEEWAY or claims["iat"] < now - MAX_TOKEN_AGE:
        raise CallError("the JWT was not issued just now", 401)
    if not isinstance(claims["jti"], str) or not claims["jti"]:
        raise CallError("the JWT has no jti", 401)
    digest = hashlib.sha256(f"{iss}\x1f{claims['jti']}".encode()).hexdigest()
    lifetime = max(1, int(claims["exp"] - now) + LEEWAY)
    if not shared_cache.add(f"cds-jti:{digest}", 1, timeout=lifetime):
        raise CallError("the JWT was already used", 401)
    return claims


# --- the call ------------------------------------------------------------------------------


def _body(request):
    try:
        raw = request.body
    except RequestDataTooBig:
        raise CallError("the request is too large", 413) from None
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested deeper than the parser goes
        raise CallError("the request body is not JSON") from None
    if not isinstance(body, dict):
        raise CallError("the request body must be a JSON object")
    return body


def _prefetched(body):
    """JSON resources for each prefetch template: from the prefetch, else read from fhirServer."""
    prefetch = body.get("prefetch") or {}
    if not isinstance(prefetch, dict):
        raise CallError("prefetch must be an object")
    patient_id = body["context"]["patientId"]
    missing = [key for key in PREFETCH if key not in prefetch]
    items = [prefetch[key] for key in PREFETCH if key in prefetch and prefetch[key] is not None]
    if any(not isinstance(item, dict) for item in items):
        raise CallError("each prefetch value must be a FHIR resource or null")
    if not missing:
        return items
    server, authorization = body.get("fhirServer"), body.get("fhirAuthorization")
    token = authorization.get("access_token") if isinstance(authorization, dict) else None
    if not isinstance(server, str) or not isinstance(token, str) or not token:
        raise CallError("prefetch is missing and no fhirServer with fhirAuthorization was given", 412)
    server = server.rstrip("/")
    try:
        scheme = urlsplit(server).scheme
    except ValueError:  # e.g. "https://[x": not a URL
        raise CallError("fhirServer is not a URL", 412) from None
    if scheme != "https" and not (settings.DEBUG or settings.TESTING):
        raise CallError("fhirServer must be https", 412)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"}
    try:
        with smart.client(headers=headers) as http:
            for key in missing:
                query = PREFETCH[key].replace(PATIENT, patient_id)
                items.extend(smart._search(http, server, f"{server}/{query}"))
    except smart.LaunchError:
        raise CallError("the FHIR server did not answer", 412) from None
    return items


def _validate(body, hook):
    if body.get("hook") != hook:
        raise CallError(f"this service answers the {hook} hook")
    if not isinstance(body.get("hookInstance"), str) or not body["hookInstance"]:
        raise CallError("hookInstance is required")
    context = body.get("context")
    if not isinstance(context, dict) or not isinstance(context.get("patientId"), str) or not context["patientId"]:
        raise CallError("context.patientId is required")
    if "/" in context["patientId"] or len(context["patientId"]) > 64:
        raise CallError("context.patientId is not a FHIR id")
    if hook in ("order-select", "order-sign"):
        draft = context.get("draftOrders")
        if not isinstance(draft, dict) or draft.get("resourceType") != "Bundle":
            raise CallError("context.draftOrders must be a FHIR Bundle")
        if not isinstance(draft.get("entry", []), list):
            raise CallError("context.draftOrders.entry must be a list")
        # Each draft is validated on its own: one the client sent malformed is reported, not fatal to the rest.
        drafts, unreadable = [], []
        for entry in draft.get("entry", []):
            data = entry.get("resource") if isinstance(entry, dict) else None
            try:
                drafts.append(fhir.parse(data))
            except fhir.RecordError:
                unreadable.append(data if isinstance(data, dict) else {})
        context["drafts"], context["unreadable"] = drafts, unreadable
        selections = context.get("selections", [])
        if hook == "order-select" and (
            not isinstance(selections, list) or not all(isinstance(s, str) for s in selections)
        ):
            raise CallError("context.selections must be a list of references")
    return context


@csrf_exempt
@cors
@require_POST
def call(request, service):
    spec = SERVICES.get(service)
    if spec is None:
        return _json_error("no such service", 404)
    audience = request.build_absolute_uri(reverse("cds_service", args=[service]))
    try:
        authenticate(request, audience)
        body = _body(request)
        context = _validate(body, spec["hook"])
        items = _prefetched(body)
    except CallError as error:
        return _json_error(error.message, error.status)
    conditions, rxcuis = fhir.knowledge_base_codes()
    record = fhir.read_json(items, today=datetime.date.today(), conditions=conditions, rxcuis=rxcuis)
    if spec["hook"] == "patient-view":
        cards = patient_view_cards(request, record)
    else:
        orders = _orders(context, spec["hook"])
        cards = order_cards(request, record, orders, rxcuis)
        unread = _unread_orders(context, spec["hook"])
        if unread:
            cards.append(
                _card(
                    f"{unread} draft medicine order(s) could not be read (not valid FHIR R4) and were not checked.",
                    "info",
                    (),
                    ["Check these orders against the explorer yourself, or ask for the record system to be fixed."],
                    link=_smart_link(request),
                )
            )
    cards.sort(key=lambda card: INDICATOR_RANK[card["indicator"]])
    return JsonResponse({"cards": cards})


@csrf_exempt
@cors
@require_POST
def feedback(request, service):
    if service not in SERVICES:
        return _json_error("no such service", 404)
    audience = request.build_absolute_uri(reverse("cds_feedback", args=[service]))
    try:
        authenticate(request, audience)
        body = _body(request)
    except CallError as error:
        return _json_error(error.message, error.status)
    entries = body.get("feedback")
    if not isinstance(entries, list) or not entries:
        return _json_error("feedback must be a non-empty list", 400)
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("card"), str):
            return _json_error("each feedback needs the card's uuid", 400)
        if entry.get("outcome") not in ("accepted", "overridden"):
            return _json_error("outcome must be accepted or overridden", 400)
        if entry["outcome"] == "accepted" and not entry.get("acceptedSuggestions"):
            return _json_error("an accepted card needs acceptedSuggestions", 400)
        if not isinstance(entry.get("outcomeTimestamp"), str):
            return _json_error("outcomeTimestamp is required", 400)
    # Nothing is kept: the cards were this patient's, and the explorer stores no patient data.
    return JsonResponse({}, status=200)


# --- orders --------------------------------------------------------------------------------


def _orders(context, hook):
    """The draft MedicationRequests to check: the selected ones (order-select) or every draft (order-sign)."""
    requests = [r for draft in context["drafts"] for r in fhir.entries(draft)]
    requests = [r for r in requests if r.get_resource_type() == "MedicationRequest"]
    if hook == "order-select":
        selected = set(context.get("selections") or ())
        requests = [r for r in requests if f"MedicationRequest/{r.id}" in selected]
    return requests


def _unread_orders(context, hook):
    """How many draft MedicationRequests to check (selected, for order-select) were not valid FHIR R4."""
    selected = set(context.get("selections") or ()) if hook == "order-select" else set()  # checked for order-select
    return sum(
        1
        for data in context["unreadable"]
        if data.get("resourceType") == "MedicationRequest"
        and (hook != "order-select" or f"MedicationRequest/{data.get('id')}" in selected)
    )


def _ordered_slug(request, rxcuis, vocabulary):
    """The knowledge-base drug an order is for (read as a recorded medicine is: fhir.read_medicine), or None."""
    reading = fhir.read_medicine(request, rxcuis)
    if reading is None:
        return None
    value = reading[0]
    slugs = (value,) if vocabulary.get(value) else vocabulary.recognise(value)
    drugs = [
        s for slug in slugs for s in vocabulary.ingredients(slug) if vocabulary.get(s) and vocabulary.get(s).is_drug
    ]
    return drugs[0] if len(drugs) == 1 else None


PER_DAY = {"d": Decimal(1), "h": Decimal(24), "wk": Decimal(1) / 7, "min": Decimal(1440)}


def ordered_daily_mg(request):
    """The ordered daily dose in mg when the order states it plainly (one dosage, a dose in mg, a frequency per
    period), else None: never a guess."""
    dosages = request.dosageInstruction or []
    if len(dosages) != 1:
        return None
    dosage = dosages[0]
    rates = dosage.doseAndRate or []
    quantity = rates[0].doseQuantity if len(rates) == 1 else None
    repeat = dosage.timing.repeat if dosage.timing else None
    if quantity is None or quantity.value is None or repeat is None:
        return None
    if (quantity.code or quantity.unit or "").lower() != "mg":
        return None
    if not repeat.frequency or not repeat.period or repeat.periodUnit not in PER_DAY or repeat.frequencyMax:
        return None
    return Decimal(quantity.value) * repeat.frequency * PER_DAY[repeat.periodUnit] / Decimal(repeat.period)


def _bind(request, pairs):
    """A copy of the request whose query string is ``pairs``: the forms read it as they read a page address."""
    bound = type(request).__new__(type(request))
    bound.__dict__.update(request.__dict__)
    query = QueryDict(mutable=True)
    for name, values in pairs:
        query.setlist(name, list(values))
    bound.GET = query
    return bound


def _source(sources):
    if not sources:
        return dict(SERVICE_SOURCE)
    first = sources[0]
    source = {"label": f"{first.short_name} ({first.year})"[:100]}
    if first.link:
        source["url"] = first.link
    return source


def _summary(text):
    text = " ".join(str(text).split())
    return text if len(text) <= SUMMARY_LIMIT else text[: SUMMARY_LIMIT - 1].rstrip() + "…"


def _detail(lines, sources):
    cited = "; ".join(f"{s.short_name} ({s.year})" for s in sources)
    body = "\n\n".join(line for line in lines if line)
    return f"{body}\n\nSources: {cited}" if cited else body


def _card(summary, indicator, sources, detail_lines=(), suggestions=(), link=None):
    card = {
        "uuid": str(uuid.uuid4()),
        "summary": _summary(summary),
        "indicator": indicator,
        "source": _source(sources),
        "detail": _detail(detail_lines, sources),
    }
    suggestions = [s for s in suggestions if s]
    if suggestions:
        card["suggestions"] = suggestions
        card["selectionBehavior"] = "at-most-one"
    if link:
        card["links"] = [link]
    return card


def _smart_link(request):
    return {
        "label": "Open the neuropathic pain explorer for this patient",
        "url": request.build_absolute_uri(reverse("smart_launch")),
        "type": "smart",
    }


def _remove(order, why):
    if not order.id:  # a delete names the draft it removes
        return None
    return {
        "label": f"Remove this order ({why})"[:120],
        "uuid": str(uuid.uuid4()),
        "actions": [
            {
                "type": "delete",
                "description": f"Remove the draft order: {why}",
                "resourceId": f"MedicationRequest/{order.id}",
            }
        ],
    }


def _start_instead(order, regimen):
    """A suggestion to order this patient's starting dose instead, when the regimen states it per dose."""
    start = regimen.start if regimen else None
    if not start or not start.times or start.per_dose is None or start.unit != "mg/day" or not order.id:
        return None
    updated = json.loads(order.model_dump_json())
    dose = {"value": float(start.per_dose), "unit": "mg", "system": fhir.UCUM, "code": "mg"}
    updated["dosageInstruction"] = [
        {
            "text": f"{explorer.format_number(start.per_dose)} mg {start.times} times a day",
            "timing": {"repeat": {"frequency": start.times, "period": 1, "periodUnit": "d"}},
            "doseAndRate": [{"doseQuantity": dose}],
        }
    ]
    fhir.parse(updated, "MedicationRequest")  # the suggested resource is valid FHIR R4
    return {
        "label": f"Order this patient's start: {start.text}"[:120],
        "uuid": str(uuid.uuid4()),
        "isRecommended": True,
        "actions": [{"type": "update", "description": f"Change the dose to {start.text}", "resource": updated}],
    }


def order_cards(request, record, orders, rxcuis):
    kb_version = cache.request_version(request)
    vocabulary = cache.vocabulary(kb_version)
    pairs = record.query()
    current = dict(pairs).get("current", [])
    condition = record.conditions[0] if len(record.conditions) == 1 else ""
    cards = []
    ordered = [(order, _ordered_slug(order, rxcuis, vocabulary)) for order in orders]
    drafts = [slug for _, slug in ordered if slug]
    for order, slug in ordered:
        if not slug:
            continue
        others = [c for c in current if c != slug] + [d for d in drafts if d != slug]
        patient = [(n, v) for n, v in pairs if n != "current"]
        query = [("drugs", [slug]), *patient, ("current", list(dict.fromkeys(others))[: forms.MAX_CURRENT_MEDICATIONS])]
        if condition:
            query.append(("condition", [condition]))
        form, _data, result, _ = forms.bind_plan(_bind(request, query))
        if result is None:
            cards.append(
                _card(
                    "The record's values could not all be read for this check: open the explorer.",
                    "info",
                    (),
                    [f"{name}: {'; '.join(map(str, errors))}" for name, errors in form.errors.items()],
                    link=_smart_link(request),
                )
            )
            continue
        cards.extend(_item_cards(request, order, result))
        if condition:
            cards.extend(_line_cards(request, condition, slug, result.items[0].drug.name, patient))
    return cards


def _item_cards(request, order, result):
    cards = []
    link = _smart_link(request)
    for item in result.items:
        name = item.drug.name
        limit, regimen = item.dose_limit, item.regimen
        ordered = ordered_daily_mg(order)
        if limit and limit.avoid:
            cards.append(
                _card(
                    f"{name}: avoid at this patient's kidney function ({limit.band_label}).",
                    "critical",
                    limit.sources,
                    [limit.text],
                    [_remove(order, "avoid at this kidney function")],
                    link,
                )
            )
        elif limit and limit.value is not None and limit.unit == "mg/day":
            over = ordered is not None and ordered > limit.value
            maximum = f"{explorer.format_number(limit.value)} mg/day"
            if over:
                suggestion = _start_instead(order, regimen) or _remove(order, f"re-order within {maximum}")
                cards.append(
                    _card(
                        f"{name}: ordered {explorer.format_number(ordered)} mg/day, above this patient's maximum of "
                        f"{maximum}.",
                        "critical" if limit.renal else "warning",
                        limit.sources,
                        [limit.text, regimen.how if regimen else ""],
                        [s for s in (suggestion,) if s],
                        link,
                    )
                )
            elif limit.renal:
                cards.append(
                    _card(
                        f"{name}: at this patient's kidney function the maximum is {maximum} ({limit.band_label}).",
                        "warning" if ordered is None else "info",
                        limit.sources,
                        [limit.text, regimen.how if regimen else ""],
                        link=link,
                    )
                )
        for flag in item.flags:
            indicator = INDICATORS.get(flag.status)
            if not indicator:
                continue
            suggestions = [_remove(order, flag.level_label.lower())] if flag.status == explorer.CONTRAINDICATED else []
            cards.append(
                _card(
                    f"{name}: {flag.level_label.lower()} — {flag.applies_when}.",
                    indicator,
                    flag.sources,
                    [flag.text],
                    suggestions,
                    link,
                )
            )
    ordered_slugs = {item.drug.slug for item in result.items}
    seen = set()
    for pair in result.pairs:  # most severe first: one card per pair of medicines, with every source
        indicator = INDICATORS.get(pair.severity)
        key = frozenset((pair.a, pair.b))
        if not indicator or key in seen or not key & ordered_slugs:
            continue
        seen.add(key)
        same = [p.interaction for p in result.pairs if frozenset((p.a, p.b)) == key and p.severity == pair.severity]
        sources = tuple(dict.fromkeys(s for i in same for s in i.sources))
        lines = [text for i in same for text in (i.effect, i.management)]
        summary = f"{pair.a_name} with {pair.b_name}: {m.Severity(pair.severity).label.lower()} interaction."
        cards.append(_card(summary, indicator, sources, list(dict.fromkeys(lines)), link=link))
    for check in result.checks:  # the plan checks that involve the ordered medicine
        indicator = INDICATORS.get(check.severity)
        if indicator and set(check.drugs) & ordered_slugs:
            cards.append(_card(check.text, indicator, check.sources, [check.text], link=link))
    return cards


def _line_cards(request, condition_slug, drug_slug, drug_name, patient):
    condition = m.Condition.objects.published().filter(slug=condition_slug).first()
    if condition is None:
        return []
    _data, _form, result = forms.bind_explorer(_bind(request, patient), condition)
    if result is None:
        return []
    for option in result.options:
        members = {d.slug for d in option.members}
        if option.slug == drug_slug or drug_slug in members:
            positions = [
                f"{p.source.short_name} {p.source.year}: {p.line_label} ({p.strength_label})" for p in option.positions
            ]
            return [
                _card(
                    f"{condition.name}: {option.name} — {dict(m.Line.choices).get(option.line, option.line).lower()}.",
                    "info",
                    option.sources,
                    positions,
                    link=_smart_link(request),
                )
            ]
    return [
        _card(
            f"{condition.name}: {drug_name} is not among the guideline options in the explorer.",
            "info",
            (),
            ["No guideline in the knowledge base recommends it for this condition."],
            link=_smart_link(request),
        )
    ]


def patient_view_cards(request, record):
    if not record.conditions:
        return []
    patient = [(n, v) for n, v in record.query()]
    cards = []
    for slug in record.conditions[:3]:
        condition = m.Condition.objects.published().filter(slug=slug).first()
        if condition is None:
            continue
        _data, _form, result = forms.bind_explorer(_bind(request, patient), condition)
        if result is None:
            continue
        first = [o for o in result.options if o.line == m.Line.FIRST and o.status != explorer.CONTRAINDICATED]
        if not first:
            continue
        lines = [f"- {o.name}: {explorer.STATUS_LABELS[o.status].lower()}" for o in first]
        sources = tuple(dict.fromkeys(s for o in first for s in o.sources))
        cards.append(
            _card(
                f"{condition.name}: {len(first)} first-line option(s) for this patient.",
                "info",
                sources,
                ["First-line options with this patient's verdict:", "\n".join(lines)],
                link=_smart_link(request),
            )
        )
    return cards
