"""Cache the loaded knowledge base, keyed by a knowledge-base version so an edit shows at once.

The knowledge base changes rarely and is read on every page, so the immutable data that
``explorer.load_condition``, ``explorer.interaction_refs`` and ``plan.load`` build is cached in the
cache from settings (local memory, or Redis when ``REDIS_URL`` is set, so several app servers share
it). Every key carries ``version()``; a published change produces a new version, so the very next
request loads afresh and old entries simply expire. Views and the API call the functions here
instead of the loaders; each costs one query (the version) when warm.

Why this version, and not a counter bumped on save: every clinical model keeps its history with
django-simple-history, and every write path (admin, loader, shell) that goes through ``save()``
or ``delete()`` adds a history row in the same transaction, including source (M2M) changes. So
the history tables already are a change log; reading them needs no hook in ``save()``, signals or
the admin, and no new table. The version is, in one query, the number of history rows and the
latest ``history_date`` over all history tables:

- the latest date alone would miss an edit whose transaction saved its rows before another
  transaction's latest row but committed after it (PostgreSQL lets writers overlap); the row
  count catches that, because any committed history row raises it;
- the count alone would miss a history clean-up that deletes as many rows as a new edit adds;
  the latest date catches that.

Writes that bypass ``save()`` (``QuerySet.update()``, ``bulk_create``, raw SQL) leave no history and
are therefore not seen: use the admin or ``manage.py load_knowledge_base``, as the README says.
"""

from django.apps import apps
from django.core.cache import cache
from django.db import connection

from . import explorer, plan

TIMEOUT = 24 * 60 * 60  # seconds; entries of old versions are never read again and age out.


def _history_tables():
    return [
        model._meta.db_table
        for model in apps.get_app_config("treatments").get_models()
        if any(field.name == "history_date" for field in model._meta.fields)
    ]


def version():
    """The knowledge-base version: '<history rows>-<latest history_date>', in one query."""
    quote = connection.ops.quote_name
    parts = " UNION ALL ".join(
        f"SELECT COUNT(*) AS n, MAX(history_date) AS latest FROM {quote(table)}" for table in _history_tables()
    )
    with connection.cursor() as cursor:
        # Only table names from the models are interpolated; there are no parameters.
        cursor.execute(f"SELECT SUM(n), MAX(latest) FROM ({parts}) AS history")
        count, latest = cursor.fetchone()
    return f"{count or 0}-{latest or ''}".replace(" ", "T")


def _cached(key, build, kb_version=None):
    key = f"kb:{kb_version or version()}:{key}"
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, TIMEOUT)
    return value


def condition_data(condition, kb_version=None):
    """``explorer.load_condition(condition)``, cached per condition and knowledge-base version."""
    return _cached(f"condition:{condition.slug}", lambda: explorer.load_condition(condition), kb_version)


def interactions(kb_version=None):
    """``explorer.interaction_refs()``, cached per knowledge-base version."""
    return _cached("interactions", explorer.interaction_refs, kb_version)


def plan_data(criteria, kb_version=None):
    """``plan.load(criteria)``, cached per requested procedures and knowledge-base version (the rest of
    a plan's data does not depend on the criteria)."""
    procedures = ",".join(sorted(set(criteria.procedures)))
    return _cached(f"plan:{procedures}", lambda: plan.load(criteria), kb_version)
