"""Cache the knowledge base and the pages built from it, keyed by a knowledge-base version.

The knowledge base changes rarely and is read on every page. Two layers sit in the cache from
settings (local memory, or Redis when ``REDIS_URL`` is set, so several app servers share it):

- data: what ``explorer.load_condition`` builds, one entry per condition (and the condition's row), so an
  entry's size never grows with the rest of the knowledge base;
- pages: ``cached_page`` keeps whole public GET responses keyed by the normalised query string (see
  ``page_key``), with the per-response CSP nonce put back on every hit (a page that uses one), and a
  gzip copy made once, at store time, for clients that accept it.

Every key carries ``version()``; a published change produces a new version, so the very next request
loads afresh and old entries simply expire.

Each process also keeps the newest version's values in its own memory (``InProcess``): the data above, and
the parts plans and name lookups are assembled from — per drug, per drug's or class's interactions, per
procedure, per name typed — so a new patient or plan costs one query (the version) once those were read.

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

    def get_many(self, kb_version, keys, build_many):
        """{key: value} for each of ``keys`` that has a value: those held, and the others from one call of
        ``build_many(missing keys)`` -> {key: value}; a key it leaves out is remembered as having none."""
        found, missing = {}, []
        with self._lock:
            if self._version != kb_version:
                self._items.clear()
                self._version = kb_version
            for key in keys:
                if key in self._items:
                    self._items.move_to_end(key)
                    found[key] = self._items[key]
                else:
                    missing.append(key)
        if missing:
            built = build_many(missing)
            with self._lock:
                for key in missing:
                    found[key] = built.get(key, ABSENT)
                    if self._version == kb_version:
                        self._items[key] = found[key]
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        return {key: value for key, value in found.items() if value is not ABSENT}

    def clear(self):
        with self._lock:
            self._items.clear()
            self._version = None


ABSENT = object()  # InProcess.get_many: a key known to have no value


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


def condition_named(text, kb_version, find):
    """``find(text)``: the condition a plan names by slug or name (any case), kept per text typed."""
    return _cached(f"condition-named:{_digest([text.strip().lower()])}", lambda: find(text), kb_version)


def condition_data(condition, kb_version=None):
    """``explorer.load_condition(condition)``, cached per condition and knowledge-base version."""
    return _cached(f"condition:{condition.slug}", lambda: explorer.load_condition(condition), kb_version)


def drugs(names, kb_version=None):
    """``explorer.load_drugs(names)``, kept per name and knowledge-base version."""
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
    """``explorer.load_procedures(names)``, kept per name and knowledge-base version."""
    return _lookup("procedures", explorer.load_procedures, names, kb_version)


def _lookup(kind, load, names, kb_version):
    """A NameLookup of ``names``, from what each name was found to name (kept per name in this process, with
    the names that name nothing), so a new combination of known names costs no query."""
    names = sorted({n.strip().lower() for n in names if n.strip()})
    if not names:
        return explorer.NameLookup({}, {})

    def load_each(missing):
        found = load(missing)
        return {name: (slug, found.items[slug]) for name in missing if (slug := found.names.get(name))}

    named = _parts(f"{kind}-name", names, load_each, kb_version or version())
    return explorer.NameLookup(dict(named.values()), {n: slug for n, (slug, _) in named.items()})


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


def _parts(kind, keys, load, kb_version):
    """{key: part} from this process's store, one ``load(missing keys)`` for the rest (see InProcess.get_many)."""
    found = _plan_parts.get_many(
        kb_version, [(kind, key) for key in keys], lambda missing: _by_kind(kind, missing, load)
    )
    return {key: value for (_kind, key), value in found.items()}


def _by_kind(kind, missing, load):
    return {(kind, key): value for key, value in load([key for _kind, key in missing]).items()}


def _touching(sides):
    """load([(kind, slug)…]) -> {(kind, slug): InteractionRefs touching that drug or class on either side}, in
    one query for all of them."""
    drugs = [slug for kind, slug in sides if kind == explorer.KIND_DRUG]
    classes = [slug for kind, slug in sides if kind == explorer.KIND_DRUG_CLASS]
    found = {side: [] for side in sides}
    for ref in explorer.interaction_refs_by_slug(drugs, classes):
        for side in {(ref.a_kind, ref.a_slug), (ref.b_kind, ref.b_slug)}:
            if side in found:
                found[side].append(ref)
    return {side: tuple(refs) for side, refs in found.items()}


# Parts kept one by one: each drug's, class's and procedure's plan parts, and what each typed name names.
_plan_parts = InProcess(4 * settings.KB_VALUES_IN_PROCESS)


def plan_data(criteria, kb_version=None):
    """The same as ``plan.load(criteria)``, assembled from parts kept in this process per drug, class and
    procedure (``plan.load_drug_parts``…): once each has been read, a plan check or summary for any plan and
    patient reads nothing from the database but the version. Current medicines outside the knowledge base
    count through their class (from the medicine vocabulary)."""
    kb_version = kb_version or version()
    words = vocabulary(kb_version)
    # Current medicines the vocabulary knows are not knowledge-base drugs have no drug part to look for.
    current = [slug for slug in criteria.current if getattr(words.get(slug), "is_drug", True)]
    parts = _parts("drug", sorted({*criteria.drugs, *current}), plan.load_drug_parts, kb_version)
    others = {words.get(slug) for slug in criteria.current if slug not in parts}
    classes = {part.info.class_slug for part in parts.values()} | {w.class_slug for w in others if w and w.class_slug}
    sides = [(explorer.KIND_DRUG, slug) for slug in sorted(parts)]
    sides += [(explorer.KIND_DRUG_CLASS, slug) for slug in sorted(classes)]
    touching = [ref for refs in _parts("interactions", sides, _touching, kb_version).values() for ref in refs]
    procedures = _parts("procedure", sorted(set(criteria.procedures)), plan.load_procedure_parts, kb_version)
    check_sources = _cached("check-sources", plan.load_check_sources, kb_version)
    return plan.assemble(criteria, parts, procedures, touching, check_sources)


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
    _plan_parts.clear()
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
