"""The knowledge-base cache: an edit is visible on the very next request (treatments/cache.py)."""

import datetime
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse

from tests.conftest import admin_form_data, make_staff
from treatments import cache
from treatments import models as m


@pytest.fixture
def condition_url(world):
    return reverse("treatments:condition", args=["painful-diabetic-neuropathy"])


def publish_edit(client, obj, **changes):
    """A reviewer saves the record's admin form with changes, keeping it published."""
    url = reverse(f"admin:treatments_{obj._meta.model_name}_change", args=[obj.pk])
    data = admin_form_data(client.get(url))
    data.update(changes, status=m.ReviewStatus.PUBLISHED, change_reason="Checked against the label.")
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""


def test_the_second_request_is_served_from_the_cache(client, world, condition_url, django_assert_num_queries):
    client.get(condition_url)
    with django_assert_num_queries(4):  # condition (+ sources), version, factors: no explorer load
        assert "Gabapentinoids" in client.get(condition_url).text


def test_a_published_admin_edit_is_visible_on_the_next_request(client, world, condition_url):
    assert "Gabapentinoids" in client.get(condition_url).text  # warms the cache
    reviewer = client.__class__()
    reviewer.force_login(make_staff("rory", "Reviewers"))
    publish_edit(reviewer, world["classes"]["gabapentinoids"], name="Gabapentinoid drugs")
    text = client.get(condition_url).text
    assert "Gabapentinoid drugs" in text


def test_a_renal_limit_edit_is_visible_on_the_next_explorer_and_plan_request(client, world, condition_url):
    params = {"crcl": 20}
    plan_params = {"drugs": ["pregabalin"], "crcl": 20}
    assert "at most 150 mg/day" in client.get(condition_url, params).text
    assert "150" in client.get(reverse("treatments:plan"), plan_params).text
    band = world["drugs"]["pregabalin"].renal_bands.get(crcl_min=15)
    band.max_daily_dose = 100
    band.save()  # any save through the ORM writes history, as the admin and the loader do
    assert "at most 100 mg/day" in client.get(condition_url, params).text
    plan_text = client.get(reverse("treatments:plan"), plan_params).text
    assert "100 mg/day" in plan_text and "150 mg/day" not in plan_text


def test_unpublishing_removes_an_option_on_the_next_request(client, world, condition_url):
    assert "/drugs/tramadol/" in client.get(condition_url).text
    tramadol = world["drugs"]["tramadol"]
    tramadol.status = m.ReviewStatus.IN_REVIEW
    tramadol.save()
    assert "/drugs/tramadol/" not in client.get(condition_url).text


def test_deleting_a_record_changes_the_version(world):
    before = cache.version()
    m.Interaction.objects.get(key="tramadol--snris").delete()
    assert cache.version() != before


def test_an_edit_committed_with_an_older_timestamp_still_changes_the_version(world):
    """Overlapping transactions (PostgreSQL) can commit a history row dated before the latest one:
    the latest date alone would not change, the row count does."""
    before = cache.version()
    drug = world["drugs"]["gabapentin"]
    drug.formulations = "Capsules."
    drug.save()
    history = drug.history.model.objects
    history.filter(pk=drug.history.latest().pk).update(history_date=datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC))
    assert cache.version().endswith(before.split("-", 1)[1])  # the latest date did not change
    assert cache.version() != before


def test_the_version_is_one_query(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        cache.version()


def cache_backend(**environ):
    """The cache backend that settings choose for these environment variables (a fresh process)."""
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"} | {"LOCAL_RUN": "1", **environ}
    code = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=settings.BASE_DIR
    )
    return out.stdout.strip()


def test_the_cache_is_local_memory_by_default_and_redis_when_redis_url_is_set():
    assert cache_backend(DJANGO_SETTINGS_MODULE="neuro.settings") == "django.core.cache.backends.locmem.LocMemCache"
    assert (
        cache_backend(DJANGO_SETTINGS_MODULE="neuro.settings", REDIS_URL="redis://127.0.0.1:6379/0")
        == "django.core.cache.backends.redis.RedisCache"
    )
