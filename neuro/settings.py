"""Settings for the neuropathy treatment-options explorer.

One file, driven by environment variables. Defaults are safe for a local run: SQLite, DEBUG off,
hosts limited to the loopback interface. See the README for every variable.
"""

import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
TESTING = "pytest" in sys.modules or (len(sys.argv) > 1 and sys.argv[1] == "test")


def env(name, default=""):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not (DEBUG or TESTING or env_bool("LOCAL_RUN")):
        raise ImproperlyConfigured("Set SECRET_KEY (a long random string) in the environment.")
    # Local runs and tests only: a throwaway key that is never used in production.
    SECRET_KEY = "insecure-local-only-" + "x" * 40

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # Before the admin, as django-modeltranslation asks: it adds the Spanish columns of patient-facing fields.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_filters",
    "simple_history",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "treatments",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "treatments.middleware.permissions_policy",
    "simple_history.middleware.HistoryRequestMiddleware",
    # A database outage answers 503 with Retry-After (templates/503.html), not a 500.
    "treatments.db_unavailable.DatabaseUnavailableMiddleware",
    # Last, as the django-axes docs ask: turns a locked-out login into a 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "neuro.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "neuro.wsgi.application"
# Django's plainest widgets written in Python with their templates' markup (treatments/widgets.py).
FORM_RENDERER = "treatments.widgets.FastWidgetRenderer"

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        # Tests close connections after each request: the live server's per-request threads would
        # otherwise keep PostgreSQL sessions open and block dropping the test database.
        conn_max_age=0 if TESTING else int(env("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The loaded knowledge base is cached (treatments/cache.py). Several app servers must share one cache:
# set REDIS_URL (e.g. redis://127.0.0.1:6379/0). Without it each process keeps its own local memory.
CACHES = {
    "default": (
        # A Redis outage only slows pages down: its errors are cache misses (treatments/resilient_cache.py).
        {"BACKEND": "treatments.resilient_cache.ResilientRedisCache", "LOCATION": env("REDIS_URL")}
        if env("REDIS_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 1000}}
    )
}
# Each app process also keeps its most recently served pages in memory (treatments/cache.py), so a
# page hit needs no round trip to Redis; 0 turns that off.
PAGES_IN_PROCESS = int(env("PAGES_IN_PROCESS", "64"))
# ... and the knowledge-base values it reads most (condition snapshots, name lookups, plan data: treatments/cache.py).
KB_VALUES_IN_PROCESS = int(env("KB_VALUES_IN_PROCESS", "256"))
# ... and the parts of pages that depend on the knowledge base only ({% kb_fragment %}, treatments/templatetags).
KB_FRAGMENTS = env_bool("KB_FRAGMENTS", True)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
# Patient-facing text in English (the source of truth) and Spanish; the clinician interface is English.
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
MODELTRANSLATION_LANGUAGES = ("en", "es")
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
# A Spanish text is shown only when it is reviewed and current (treatments.translation); never by fallback magic.
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if TESTING or DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Tests and DEBUG serve static files straight from the app folders (no collectstatic needed).
WHITENOISE_USE_FINDERS = TESTING or DEBUG
WHITENOISE_AUTOREFRESH = TESTING or DEBUG

# Shown on printed summaries with the content's "as of" date; bump when the knowledge base is released.
CONTENT_VERSION = env("CONTENT_VERSION", "2026.11")

ADMIN_URL = (env("ADMIN_URL").strip("/") or "admin") + "/"  # unset or empty: admin/

# --- security -------------------------------------------------------------------------------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Sent as "Permissions-Policy: camera=(), ..." by treatments.middleware: the app needs none of these.
PERMISSIONS_POLICY_DISABLED = [
    "accelerometer",
    "autoplay",
    "camera",
    "display-capture",
    "encrypted-media",
    "fullscreen",
    "geolocation",
    "gyroscope",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "publickey-credentials-get",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
]
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG and not env_bool("LOCAL_RUN"))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS")
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD")
if env_bool("BEHIND_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- admin login: django-axes locks out password guessing ------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out attempts before checking a password
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
# The client address for lockouts and problem-report rate limits (X-Forwarded-For only behind a proxy).
AXES_CLIENT_IP_CALLABLE = "treatments.feedback.client_ip"
BEHIND_PROXY = env_bool("BEHIND_PROXY")

# --- API (treatments/api/): read-only, anonymous, throttled; see the README's API section -------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer", "treatments.api.responses.CSVRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "treatments.api.responses.ContentNegotiation",
    "DEFAULT_PAGINATION_CLASS": "treatments.api.responses.Pagination",
    "DEFAULT_FILTER_BACKENDS": ["treatments.api.filters.StrictFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"],
    # Tests make many requests from one address; the throttle test lowers the rate itself.
    "DEFAULT_THROTTLE_RATES": {"anon": env("API_ANON_RATE", "100000/minute" if TESTING else "120/minute")},
    # Count clients by the socket address, or by the proxy's X-Forwarded-For entry (never a spoofable one).
    "NUM_PROXIES": 1 if env_bool("BEHIND_PROXY") else 0,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "treatments.api.responses.exception_handler",
    "COERCE_DECIMAL_TO_STRING": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Neuropathy treatment explorer API",
    "DESCRIPTION": "Read-only access to the published knowledge base and the explorer. Decision support for "
    "qualified clinicians, not a substitute for clinical judgement.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "treatments.api.schema.add_error_responses",
    ],
}

# --- logging: never log query strings (they carry clinical patient factors) -------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
    "loggers": {
        # django.request logs the full path (with the query string) on 4xx/5xx.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "django.server": {"handlers": [], "level": "CRITICAL", "propagate": False},
        # httpx logs every request's URL at INFO; calls to a record system's FHIR server carry a patient id.
        "httpx": {"handlers": [], "level": "WARNING", "propagate": False},
        "httpcore": {"handlers": [], "level": "WARNING", "propagate": False},
    },
}


# --- record systems (README "Inside the record system"; docs/EHR.md) -------------------------
def env_json(name):
    """A JSON object from the environment ({} when unset); a clear error at start-up when it is not one."""
    import json

    raw = env(name).strip()
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ImproperlyConfigured(f"{name} is not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise ImproperlyConfigured(f"{name} must be a JSON object.")
    return value


# SMART App Launch: each trusted FHIR base URL (iss) -> {"client_id": "...", "client_secret": "..." (confidential)}.
SMART_CLIENTS = {iss.rstrip("/"): client for iss, client in env_json("SMART_CLIENTS").items()}
for _iss, _client in SMART_CLIENTS.items():
    if not isinstance(_client, dict) or not isinstance(_client.get("client_id"), str) or not _client["client_id"]:
        raise ImproperlyConfigured(f"SMART_CLIENTS[{_iss!r}] needs a client_id.")
# How long a launch lasts (seconds; at most an hour): the record's values live in its signed cookie until then.
SMART_LAUNCH_SECONDS = min(int(env("SMART_LAUNCH_SECONDS", "3600")), 3600)
# CDS Hooks: each trusted issuer of the clients' JWTs -> {"keys": [...]} (a JWKS) or {"jwks_url": "https://..."}.
CDS_HOOKS_CLIENTS = env_json("CDS_HOOKS_CLIENTS")
for _iss, _keys in CDS_HOOKS_CLIENTS.items():
    if not isinstance(_keys, dict) or not (
        isinstance(_keys.get("keys"), list) or isinstance(_keys.get("jwks_url"), str)
    ):
        raise ImproperlyConfigured(f'CDS_HOOKS_CLIENTS[{_iss!r}] needs "keys" (a JWKS) or "jwks_url".')
# Calls to record systems (discovery, token, FHIR reads, JWKS) give up after this many seconds.
EHR_HTTP_TIMEOUT = float(env("EHR_HTTP_TIMEOUT", "10"))
