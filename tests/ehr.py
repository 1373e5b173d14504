"""An in-process record system for the EHR tests: a SMART authorisation server and a FHIR server (R4) answering
through ``httpx.MockTransport``, serving one of the project's test patients (tests/fhir/), and signing CDS Hooks
calls as a record system would (ES384 and RS384 keys made per test run)."""

import base64
import hashlib
import json
import secrets
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

FHIR_DIR = Path(__file__).parent / "fhir"
ISS = "https://ehr.example.org/fhir"
AUTHORIZE = "https://ehr.example.org/auth/authorize"
TOKEN = "https://ehr.example.org/auth/token"


def patient_bundle(name):
    return json.loads((FHIR_DIR / f"{name}.json").read_text())


def resources(name):
    return [entry["resource"] for entry in patient_bundle(name)["entry"]]


def searchset(items, next_url=None):
    bundle = {"resourceType": "Bundle", "type": "searchset", "total": len(items)}
    bundle["entry"] = [{"resource": r, "search": {"mode": "match"}} for r in items]
    if next_url:
        bundle["link"] = [{"relation": "next", "url": next_url}]
    return bundle


class FakeRecordSystem:
    """``transport`` answers discovery, the token endpoint and FHIR reads for the patient ``name``."""

    def __init__(self, name="older-woman-pdn", *, client_secret=None, s256=True, patient_in_token=True):
        self.items = resources(name)
        self.patient_id = next(r["id"] for r in self.items if r["resourceType"] == "Patient")
        self.client_secret = client_secret
        self.s256 = s256
        self.patient_in_token = patient_in_token
        self.codes = {}  # code -> (code_challenge, redirect_uri, client_id)
        self.tokens = set()
        self.requests = []
        self.fail_fhir = False
        self.transport = httpx.MockTransport(self.handle)

    # what the browser does at the authorisation endpoint
    def authorize(self, location):
        params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        code = secrets.token_urlsafe(16)
        self.codes[code] = (params["code_challenge"], params["redirect_uri"], params["client_id"])
        return params, code

    def handle(self, request):
        self.requests.append(request)
        url = str(request.url)
        if url == f"{ISS}/.well-known/smart-configuration":
            config = {"authorization_endpoint": AUTHORIZE, "token_endpoint": TOKEN, "capabilities": ["launch-ehr"]}
            config["code_challenge_methods_supported"] = ["S256"] if self.s256 else ["plain"]
            return httpx.Response(200, json=config)
        if url == TOKEN and request.method == "POST":
            return self.token(request)
        if url.startswith(f"{ISS}/"):
            return self.fhir(request)
        return httpx.Response(404)

    def token(self, request):
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        entry = self.codes.pop(form.get("code"), None)
        if entry is None or form.get("grant_type") != "authorization_code":
            return httpx.Response(400, json={"error": "invalid_grant"})
        challenge, redirect_uri, client_id = entry
        digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != challenge or form["redirect_uri"] != redirect_uri:
            return httpx.Response(400, json={"error": "invalid_grant"})
        if self.client_secret:
            expected = base64.b64encode(f"{client_id}:{self.client_secret}".encode()).decode()
            if request.headers.get("Authorization") != f"Basic {expected}" or "client_id" in form:
                return httpx.Response(401, json={"error": "invalid_client"})
        elif form.get("client_id") != client_id:
            return httpx.Response(401, json={"error": "invalid_client"})
        token = secrets.token_urlsafe(16)
        self.tokens.add(token)
        body = {"access_token": token, "token_type": "Bearer", "expires_in": 3600, "scope": "launch patient/*.rs"}
        if self.patient_in_token:
            body["patient"] = self.patient_id
        return httpx.Response(200, json=body)

    def fhir(self, request):
        if request.headers.get("Authorization", "").removeprefix("Bearer ") not in self.tokens:
            return httpx.Response(401)
        if self.fail_fhir:
            return httpx.Response(500)
        path = request.url.path.removeprefix(urlsplit(ISS).path).strip("/")
        params = {k: v[0] for k, v in parse_qs(request.url.query.decode()).items()}
        kind, _, rid = path.partition("/")
        if rid:
            found = [r for r in self.items if r["resourceType"] == kind and r["id"] == rid]
            return httpx.Response(200, json=found[0]) if found else httpx.Response(404)
        if params.get("patient") != self.patient_id:
            return httpx.Response(200, json=searchset([]))
        matches = [r for r in self.items if r["resourceType"] == kind]
        if kind == "Observation" and "code" in params:
            wanted = {c.split("|")[-1] for c in params["code"].split(",")}
            matches = [r for r in matches if {c["code"] for c in r["code"].get("coding", [])} & wanted]
            # Two pages, as servers paginate.
            page = int(params.get("page", "0"))
            if page == 0 and len(matches) > 2:
                return httpx.Response(200, json=searchset(matches[:2], f"{request.url.copy_set_param('page', '1')}"))
            matches = matches[2:] if page == 1 else matches
        if kind == "MedicationRequest":
            matches = [r for r in matches if r.get("status") == params.get("status", r.get("status"))]
            included = [r for r in self.items if r["resourceType"] == "Medication"]
            return httpx.Response(200, json=searchset(matches + included))
        return httpx.Response(200, json=searchset(matches))


def install(
    settings, monkeypatch, name="older-woman-pdn", *, client_id="explorer-public", client_secret=None, **kwargs
):
    """Trust the fake record system (``SMART_CLIENTS``) and send the app's calls to it; returns it."""
    from treatments import smart

    registered = {"client_id": client_id, **({"client_secret": client_secret} if client_secret else {})}
    settings.SMART_CLIENTS = {ISS: registered}
    system = FakeRecordSystem(name, client_secret=client_secret, **kwargs)
    monkeypatch.setattr(smart, "TRANSPORT", system.transport)
    return system


class Signer:
    """A record system's signing keys, its JWKS and the JWTs it sends with each CDS Hooks call."""

    def __init__(self, iss="https://ehr.example.org"):
        self.iss = iss
        self.ec_key = ec.generate_private_key(ec.SECP384R1())
        self.rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.jwks = {"keys": [self._jwk(self.ec_key, "ec-1", "ES384"), self._jwk(self.rsa_key, "rsa-1", "RS384")]}

    @staticmethod
    def _jwk(key, kid, alg):
        algorithm = jwt.get_algorithm_by_name(alg)
        jwk = json.loads(algorithm.to_jwk(key.public_key()))
        return {**jwk, "kid": kid, "alg": alg, "use": "sig"}

    def token(self, aud, *, alg="ES384", iss=None, exp_in=300, iat_offset=0, jti=None, key=None, kid=None, **extra):
        now = int(time.time())
        claims = {"iss": iss or self.iss, "aud": aud, "exp": now + exp_in, "iat": now + iat_offset}
        claims["jti"] = jti or str(uuid.uuid4())
        claims.update(extra)
        if alg == "ES384":
            key, kid = key or self.ec_key, kid or "ec-1"
        else:
            key, kid = key or self.rsa_key, kid or "rsa-1"
        return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid, "typ": "JWT"})
