"""Cache the knowledge base and the pages built from it, keyed by a knowledge-base version.

The knowledge base changes rarely and is read on every page. Two layers sit in the cache from
settings (local memory, or Redis when ``REDIS_URL`` is set, so several app servers share it):

- data: what ``explorer.load_condition``, ``explorer.load_drugs`` and ``plan.load`` build, one entry
  per condition, per set of named drugs and per plan, so an entry's size never grows with the rest
  of the knowledge base;
- pages: ``cached_page`` keeps whole public GET responses keyed by the normalised query string (see
  ``page_key``), with the per-response CSP nonce put back on every hit (a page that uses one), and a
  gzip copy made once, at store time, for clients that accept it.

Every key carries ``version()``; a published change produces a new version, so the very next request
loads afresh and old entries simply expire.

The version is one row (``KnowledgeBaseVersion``) whose number rises with every history record.
Every clinical model keeps its history with django-simple-history, and every write path (admin,
loader, shell) that goes through ``save()``, ``delete()`` or a change of cited sources creates a
history record in the writer's transaction; ``bump_version`` (connected in ``apps.py`` to
simple-history's ``post_create_historical_record``) raises the number in that same transaction. So:

- reading the version is one primary-key lookup, whatever the size of the knowledge base;
- an edit that rolls back leaves the version as it was;
- concurrent editors queue on the row's lock, so the version a reader sees always includes every
  committed edit before it (a latest-date or highest-id check could miss an edit whose transaction
  began first and committed last).

Writes that bypass ``save()`` (``QuerySet.update()``, ``bulk_create``, raw SQL) leave no history and
are therefore not seen: use the admin or ``manage.py load_knowledge_base``, as the README says.
"""

import datetime
import hashlib
import threading
from collections import OrderedDict
from functools import wraps
from urllib.parse import unquote_plus

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import F, Max
from django.http import HttpResponse
from django.middleware.csp import get_nonce
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.text import compress_string

from . import explorer, medicines, plan
from . import models as m

_VERSION_TABLE = connection.ops.quote_name(m.KnowledgeBaseVersion._meta.db_table)
VERSION_SQL = f"SELECT number, changed_at FROM {_VERSION_TABLE} WHERE id = 1"
TIMEOUT = 24 * 60 * 60  # seconds; entries of old versions are never read again and age out.
LAUNCH_COOKIE = "smart_launch"  # smart.COOKIE: a SMART launch's signed record values
PAGE_TIMEOUT = 10 * 60  # seconds; pages are cheap to rebuild, and one per query string adds up.


def version():
    """The knowledge-base version, '<number>-<ISO time of the last change>', in one query.

    Every request reads it, so it is plain SQL: building the same query with the ORM costs more
    than answering a cached page does."""
    with connection.cursor() as cursor:
        cursor.execute(VERSION_SQL)
        row = cursor.fetchone()
    number, changed_at = row or (0, None)
    if isinstance(changed_at, str):  # SQLite without type detection
        changed_at = datetime.datetime.fromisoformat(changed_at)
    return f"{number}-{changed_at.isoformat() if changed_at else ''}"


def request_version(request):
    """``version()``, read once per request."""
    if not hasattr(request, "knowledge_base_version"):
        request.knowledge_base_version = version()
    return request.knowledge_base_version


def bump_version(sender, history_instance, **kwargs):
    """Raise the version in the transaction that wrote a history record of a clinical model."""
    if sender._meta.app_label != m.KnowledgeBaseVersion._meta.app_label:
        return
    changed = history_instance.history_date
    updated = m.KnowledgeBaseVersion.objects.filter(pk=1).update(number=F("number") + 1, changed_at=changed)
    if not updated:  # the row is made by a migration; a flushed test database has lost it
        m.KnowledgeBaseVersion.objects.create(pk=1, number=1, changed_at=changed)


class InProcess:
    """Values built from one knowledge-base version, kept in this process's memory: the newest version's only,
    at most ``size`` of them, least recently used out first.

    A value read from the shared cache costs a round trip and unpickling on every request (a condition's
    snapshot: about 400 kB and 2 ms); kept here, it costs a dictionary lookup. The values are immutable (frozen
    dataclasses and tuples), so requests can share them. A request that reads another version than the one held
    (an edit was just published) empties the store, so nothing of an older version is ever served."""

    def __init__(self, size):
        self.size = size
        self._version = None
        self._items = OrderedDict()
        self._lock = threading.Lock()

    def get(self, kb_version, key, build):
        with self._lock:
            if self._version != kb_version:
                self._items.clear()
                self._version = kb_version
            elif key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = build()  # outside the lock: a slow build must not hold up other threads' lookups
        with self._lock:
            if self._version == kb_version:
                self._items[key] = value
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        return value

    def clear(self):
        with self._lock:
            self._items.clear()
            self._version = None


# The condition snapshots, name lookups and plan data of the newest version (each at most a few hundred kB).
_in_process = InProcess(settings.KB_VALUES_IN_PROCESS)
# Parts of pages that depend on the knowledge base only ({% kb_fragment %}): about 3 kB each.
fragments = InProcess(4096)


def _cached(key, build, kb_version=None):
    """``build()``, kept in this process (``InProcess``) and in the shared cache, under the knowledge-base
    version: a process that has not built it yet takes it from the shared cache rather than the database."""
    kb_version = kb_version or version()

    def shared():
        shared_key = f"kb:{kb_version}:{key}"
        value = cache.get(shared_key)
        if value is None:
            value = build()
            cache.set(shared_key, value, TIMEOUT)
        return value

    return _in_process.get(kb_version, key, shared)


def _digest(values):
    return hashlib.sha256("\x1f".join(values).encode()).hexdigest()[:40]


def condition(slug, kb_version=None):
    """The published condition ``slug`` with its published sources (the page's header), or None."""

    def build():
        rows = m.Condition.objects.published().prefetch_related(explorer.published_sources()).filter(slug=slug)
        return next(iter(rows), None)

    return _cached(f"condition-row:{slug}", build, kb_version)


def condition_data(condition, kb_version=None):
    """``explorer.load_condition(condition)``, cached per condition and knowledge-base version."""
    return _cached(f"condition:{condition.slug}", lambda: explorer.load_condition(condition), kb_version)


def drugs(names, kb_version=None):
    """``explorer.load_drugs(names)``, cached per set of names and knowledge-base version."""
    return _lookup("drugs", explorer.load_drugs, names, kb_version)


_vocabularies = {}  # knowledge-base version -> medicines.Vocabulary, in this process only
_vocabulary_lock = threading.Lock()


def vocabulary(kb_version=None):
    """``medicines.load_vocabulary()``: every published medicine's names and properties and every mechanism
    rule, built once per process and knowledge-base version and kept in memory (it is read on every page with
    current medicines, and a shared-cache round trip with unpickling would cost more than the lookups). Only
    the newest version is kept: an edit published in the admin gives a new version, so the next request on
    every process builds afresh."""
    kb_version = kb_version or version()
    found = _vocabularies.get(kb_version)
    if found is None:
        with _vocabulary_lock:
            found = _vocabularies.get(kb_version)
            if found is None:
                found = medicines.load_vocabulary()
                _vocabularies.clear()
                _vocabularies[kb_version] = found
    return found


def procedures(names, kb_version=None):
    """``explorer.load_procedures(names)``, cached per set of names and knowledge-base version."""
    return _lookup("procedures", explorer.load_procedures, names, kb_version)


def _lookup(kind, load, names, kb_version):
    names = sorted({n.strip().lower() for n in names if n.strip()})
    if not names:
        return explorer.NameLookup({}, {})
    return _cached(f"{kind}:{_digest(names)}", lambda: load(names), kb_version)


def content_as_of(kb_version=None):
    """The latest last-reviewed date of published drugs, conditions and procedures (printed summaries)."""

    def build():
        dates = [
            model.objects.published().aggregate(latest=Max("last_reviewed"))["latest"]
            for model in (m.Drug, m.Condition, m.Procedure)
        ]
        return max((d for d in dates if d), default=None)

    return _cached("content-as-of", build, kb_version)


def patient_factors(kb_version=None):
    """Patient factors as (slug, name), in display order (a fixed vocabulary of 17)."""
    return _cached(
        "patient-factors", lambda: list(m.PatientFactor.objects.published().values_list("slug", "name")), kb_version
    )


def plan_data(criteria, kb_version=None):
    """``plan.load(criteria)``, cached per set of drugs, current medicines and procedures (nothing else of the
    patient: the check itself is computed per request)."""
    key = [",".join(sorted(set(part))) for part in (criteria.drugs, criteria.current, criteria.procedures)]
    return _cached(f"plan:{_digest(key)}", lambda: plan.load(criteria), kb_version)


# --- whole pages -------------------------------------------------------------------------------


PAGE_FORMAT = 2  # raised whenever the stored tuple changes, so servers of two releases never share an entry


def normalised_query(query_string):
    """The query string with its parameters sorted by (decoded) name, each name's values kept in the
    order given: ``b=2&a=1`` and ``a=1&b=2`` are one page, ``a=1&a=2`` and ``a=2&a=1`` are two.

    It works on the raw string, without decoding the values: two strings that normalise alike carry the
    same values in the same order for every name, so they are the same page. (The same page spelt
    differently, ``a=%31`` for ``a=1``, is merely stored twice.)"""
    pairs = [pair for pair in query_string.split("&") if pair]
    return "&".join(sorted(pairs, key=lambda pair: unquote_plus(pair.partition("=")[0])))


def page_key(request):
    """The cache key of a page: knowledge-base version, scheme, host, path, HTMX or not, and the query
    string normalised (``normalised_query``)."""
    query = normalised_query(request.META.get("QUERY_STRING", ""))
    parts = [
        request.scheme,
        request.get_host(),
        request.path,
        query,
        request.headers.get("HX-Request", ""),
    ]
    return f"kb:{request_version(request)}:page{PAGE_FORMAT}:{_digest(parts)}"


def cached_page(view):
    """Serve a public GET page from the cache; store successful responses.

    Only 200 responses without cookies are stored (a page that sets a cookie is per visitor). A page
    whose CSP nonce was used is stored split at its nonce and joined with this response's own nonce
    when served, so the header and the page always agree. A page without a nonce (every public page:
    their scripts are external files, allowed by ``'self'``) is the same bytes for every visitor, so it
    is also stored gzip-compressed once and sent as is to clients that accept gzip (every browser):
    the 135 kB explorer page is then about 18 kB on the wire, with no compression per request.
    These pages carry no secret (no cookie, no CSRF token), so compressing them next to reflected query
    values leaks nothing (BREACH needs a secret in the body).

    Each process also keeps the last ``settings.PAGES_IN_PROCESS`` pages it served in memory, so a hit
    skips the shared cache's round trip and unpickling; their keys carry the knowledge-base version, so
    they can never be stale.
    """

    @wraps(view)
    def inner(request, *args, **kwargs):
        if LAUNCH_COOKIE in request.COOKIES:
            # A page opened from a record system shows what was read from the record (smart.record_panel): it
            # is this browser's alone, never stored here and never kept by a shared cache on the way.
            response = view(request, *args, **kwargs)
            patch_cache_control(response, private=True, no_store=True)
            patch_vary_headers(response, ["Cookie"])
            return response
        key = page_key(request)
        stored = _recent.get(key)
        if stored is None:
            stored = cache.get(key)
            if stored is not None:
                _remember(key, stored)
        if stored is not None:
            return _from_cache(request, stored)
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming and not response.cookies:
            stored = _to_cache(request, response)
            cache.set(key, stored, PAGE_TIMEOUT)
            _remember(key, stored)
            _encode(request, response, stored)
        return response

    return inner


_recent = {}  # page key -> stored page, oldest first
_recent_lock = threading.Lock()


def _remember(key, stored):
    limit = settings.PAGES_IN_PROCESS
    with _recent_lock:
        _recent[key] = stored
        while len(_recent) > limit:
            del _recent[next(iter(_recent))]


def clear():
    """Empty the shared cache and this process's recent pages (tests and the benchmark's cold runs)."""
    cache.clear()
    with _recent_lock:
        _recent.clear()
    with _vocabulary_lock:
        _vocabularies.clear()
    _in_process.clear()
    fragments.clear()


MIN_COMPRESSED_LENGTH = 200  # bytes; below this gzip's own header outweighs the saving (as GZipMiddleware)


def _to_cache(request, response):
    """(content split at the CSP nonce, headers, gzip body or None)."""
    nonce = get_nonce(request)
    content = response.content
    parts = content.split(str(nonce).encode()) if nonce else [content]  # a LazyNonce is true once used
    compressed = None
    if len(parts) == 1 and len(content) >= MIN_COMPRESSED_LENGTH and not response.has_header("Content-Encoding"):
        compressed = compress_string(content)  # gzip with a fixed mtime: the same page, the same bytes
        if len(compressed) >= len(content):
            compressed = None
    return (tuple(parts), tuple(response.headers.items()), compressed)


def _from_cache(request, stored):
    parts, headers, _ = stored
    content = str(get_nonce(request)).encode().join(parts) if len(parts) > 1 else parts[0]
    response = HttpResponse(content)
    for name, value in headers:
        response.headers[name] = value
    _encode(request, response, stored)
    return response


def accepts_gzip(request):
    """Whether the request's Accept-Encoding allows gzip: named, or ``*``, with a quality above 0
    (``gzip;q=0`` refuses it; a named coding outranks ``*``)."""
    qualities = {}
    for coding in request.headers.get("Accept-Encoding", "").split(","):
        name, _, params = coding.partition(";")
        name = name.strip().lower()
        if name in ("gzip", "*") and name not in qualities:
            params = params.strip().lower().replace(" ", "")
            try:
                qualities[name] = float(params.removeprefix("q=")) if params.startswith("q=") else 1.0
            except ValueError:
                qualities[name] = 0.0
    return qualities.get("gzip", qualities.get("*", 0.0)) > 0


def _encode(request, response, stored):
    """Send the stored gzip body to a client that accepts it; either way the page varies on it."""
    compressed = stored[2]
    if compressed is None:
        return
    patch_vary_headers(response, ("Accept-Encoding",))
    if accepts_gzip(request):
        response.content = compressed
        response.headers["Content-Encoding"] = "gzip"
        if response.has_header("ETag"):  # a strong validator names one representation (RFC 9110 8.8.3)
            response.headers["ETag"] = response.headers["ETag"].removesuffix('"') + '-gzip"'
