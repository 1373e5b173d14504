"""Production security headers, secure cookies, the admin URL, secrets and what gets logged."""

import io
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import path

# What the README's "Deploying" section sets in production (see also `make check-deploy`).
PRODUCTION = override_settings(
    DEBUG=False,
    SECURE_SSL_REDIRECT=True,
    SECURE_HSTS_SECONDS=31536000,
    SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
    SECURE_HSTS_PRELOAD=True,
    SESSION_COOKIE_SECURE=True,
    CSRF_COOKIE_SECURE=True,
    ALLOWED_HOSTS=["explorer.example.org"],
)


@pytest.fixture
def production(world):
    with PRODUCTION:
        yield Client(HTTP_HOST="explorer.example.org")


def test_production_pages_send_every_security_header(production):
    response = production.get("/conditions/painful-diabetic-neuropathy/", {"age": 70}, secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in policy


def test_the_content_security_policy_is_strict(production):
    csp = production.get("/", secure=True)["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert not re.search(r"https?:|\*", csp)  # no external origins, no wildcards
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert directives["script-src"] == "'self'"  # pages load only their own script files


def test_plain_http_is_redirected_to_https(production):
    response = production.get("/plan/", {"drugs": "pregabalin"})
    assert response.status_code == 301
    assert response["Location"] == "https://explorer.example.org/plan/?drugs=pregabalin"


def test_session_and_csrf_cookies_are_secure(production, django_user_model):
    login_page = production.get(f"/{settings.ADMIN_URL}login/", secure=True)
    csrf = login_page.cookies["csrftoken"]
    assert csrf["secure"]
    django_user_model.objects.create_superuser("admin", "a@example.org", "a-long-test-password")
    response = production.post(
        f"/{settings.ADMIN_URL}login/",
        {"username": "admin", "password": "a-long-test-password", "csrfmiddlewaretoken": csrf.value},
        secure=True,
    )
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"]


def settings_value(expression, **environ):
    """A value from settings in a fresh process with these environment variables."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "neuro.settings", "LOCAL_RUN": "1", **environ}
    code = f"import django; django.setup(); from django.urls import reverse; print({expression})"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=settings.BASE_DIR
    )
    return out.stdout.strip()


def test_the_admin_url_comes_from_the_environment():
    assert settings_value("reverse('admin:index')", ADMIN_URL="/editors-desk-7f3a/") == "/editors-desk-7f3a/"
    assert settings_value("reverse('admin:index')", ADMIN_URL="") == "/admin/"


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    env.update(LOCAL_RUN="0", DJANGO_SETTINGS_MODULE="neuro.settings")
    out = subprocess.run(
        [sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True, cwd=settings.BASE_DIR
    )
    assert out.returncode != 0 and "Set SECRET_KEY" in out.stderr


SECRET_PATTERNS = [
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"AKIA[0-9A-Z]{16}"),  # AWS access key id
    re.compile(r"SECRET_KEY\s*=\s*['\"][^'\"]{30,}['\"]"),
    re.compile(r"(?i)password\s*=\s*['\"][^'\"]{8,}['\"]"),
    re.compile(r"postgres(?:ql)?://[^:/\s]+:[^@/\s]+@"),  # a database URL with a password
]


def test_no_secrets_in_the_repository():
    root = Path(settings.BASE_DIR)
    skip = {".venv", ".git", "staticfiles", "node_modules", "test-artifacts", ".pytest_cache", ".ruff_cache", "tests"}
    found = []
    for file in root.rglob("*"):
        if not file.is_file() or skip & set(file.relative_to(root).parts) or file.suffix in {".sqlite3", ".pdf"}:
            continue
        if file.stat().st_size > 2_000_000:
            continue
        text = file.read_text(encoding="utf-8", errors="ignore")
        found += [f"{file.relative_to(root)}: {p.pattern}" for p in SECRET_PATTERNS if p.search(text)]
    assert found == []


# --- logging: query strings carry patient factors and must never reach a log ----------------------


def boom(request):
    raise RuntimeError("simulated failure")


urlpatterns = [path("boom/", boom)]
PATIENT_QUERY = "age=72&crcl=25&factors=pregnancy&current=tramadol"


@pytest.fixture
def log_output():
    """Everything the handlers configured in settings.LOGGING write, for the duration of a test."""
    stream = io.StringIO()
    handlers = {
        h for name in ("", "django", "django.request", "django.server") for h in logging.getLogger(name).handlers
    }
    handlers = [h for h in handlers if isinstance(h, logging.StreamHandler)]
    assert handlers, "settings.LOGGING configures a console handler"
    old = [h.setStream(stream) for h in handlers]
    yield stream
    for handler, previous in zip(handlers, old, strict=True):
        handler.setStream(previous)


@override_settings(ROOT_URLCONF="tests.test_security")
def test_a_server_error_is_logged_without_the_query_string(log_output, db):
    response = Client(raise_request_exception=False).get(f"/boom/?{PATIENT_QUERY}")
    assert response.status_code == 500
    logged = log_output.getvalue()
    assert "Internal Server Error: /boom/" in logged  # the error is logged...
    assert "age=" not in logged and "72" not in logged and "pregnancy" not in logged  # ...without the patient


def test_client_errors_log_nothing_with_the_query_string(log_output, world):
    client = Client()
    assert client.get(f"/conditions/no-such-condition/?{PATIENT_QUERY}").status_code == 404
    assert (
        "Age must be between 18 and 120"
        in client.get("/conditions/painful-diabetic-neuropathy/?age=7200&factors=pregnancy").text
    )
    assert client.get(f"/api/v1/explore/?condition=nope&{PATIENT_QUERY}").status_code in (400, 404)
    logged = log_output.getvalue()
    assert "pregnancy" not in logged and "age=" not in logged


def test_the_development_server_log_is_off():
    assert settings.LOGGING["loggers"]["django.server"]["handlers"] == []


def test_the_health_check_answers_plain_http_for_load_balancers(production, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = production.get("/healthz")
    assert response.status_code == 200 and response.text == "ok\n"
