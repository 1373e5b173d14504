"""The knowledge-base cache: an edit is visible on the very next request (treatments/cache.py)."""

import gzip
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.cache import cache as django_cache
from django.db import transaction
from django.http import HttpResponse
from django.middleware.csp import ContentSecurityPolicyMiddleware, get_nonce
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
    client.get(condition_url, {"age": 72, "crcl": 25})
    with django_assert_num_queries(1):  # a new query string: the version only; the condition is in this process
        assert "Gabapentinoids" in client.get(condition_url, {"age": 73}).text
    with django_assert_num_queries(1):  # the same query, parameters in another order: version only
        assert "Gabapentinoids" in client.get(condition_url + "?crcl=25&age=72").text


def nonce_request(rf, path="/styled/", **headers):
    """A request as the CSP middleware leaves it: with its own lazy nonce."""
    request = rf.get(path, **headers)
    ContentSecurityPolicyMiddleware(lambda r: None).process_request(request)
    return request


def styled_view(request):
    """A page with an inline style allowed by the nonce (as the API docs page has)."""
    return HttpResponse(f'<style nonce="{get_nonce(request)}">p {{}}</style>' + "<p>Body text.</p>" * 50)


def test_a_cached_page_that_uses_a_nonce_carries_its_own_nonce_matching_its_header(rf, db):
    view = cache.cached_page(styled_view)
    middleware = ContentSecurityPolicyMiddleware(lambda r: None)
    nonces = []
    for _ in range(2):
        request = nonce_request(rf, HTTP_ACCEPT_ENCODING="gzip")
        response = middleware.process_response(request, view(request))
        nonce = re.search(r'<style nonce="([^"]+)">', response.content.decode()).group(1)
        assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
        assert not response.has_header("Content-Encoding")  # per-visitor bytes are never pre-compressed
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_a_page_without_a_nonce_is_sent_gzipped_to_clients_that_accept_it(client, world, condition_url):
    plain = client.get(condition_url, {"age": 70})
    assert not plain.has_header("Content-Encoding")
    for _ in range(2):  # stored on the first request, served from the cache on the second
        packed = client.get(condition_url, {"age": 70}, HTTP_ACCEPT_ENCODING="br, gzip, deflate")
        assert packed["Content-Encoding"] == "gzip"
        assert int(packed["Content-Length"]) == len(packed.content) < len(plain.content) / 3
        assert gzip.decompress(packed.content) == plain.content
        assert "Accept-Encoding" in packed["Vary"]
    assert "Accept-Encoding" in client.get(condition_url, {"age": 70})["Vary"]


def test_the_first_response_of_a_page_is_gzipped_too(client, world, condition_url):
    packed = client.get(condition_url, {"age": 71}, HTTP_ACCEPT_ENCODING="gzip")
    assert packed["Content-Encoding"] == "gzip"
    assert "Gabapentinoids" in gzip.decompress(packed.content).decode()


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        ("gzip", True),
        ("gzip, deflate, br, zstd", True),
        ("GZIP;q=0.5", True),
        ("*", True),
        ("", False),
        ("br", False),
        ("identity", False),
        ("gzip;q=0", False),
        ("gzip; q=0.0, br", False),
        ("*;q=0", False),
        ("gzip;q=0, *", False),
        ("gzip;q=nonsense", False),
        ("xgzip, gzipx", False),
    ],
)
def test_accept_encoding_is_read_with_its_quality_values(rf, header, accepted):
    assert cache.accepts_gzip(rf.get("/", HTTP_ACCEPT_ENCODING=header)) is accepted


def test_tiny_pages_are_not_compressed(rf, db):
    view = cache.cached_page(lambda request: HttpResponse("short"))
    for _ in range(2):
        response = view(rf.get("/tiny/", HTTP_ACCEPT_ENCODING="gzip"))
        assert response.content == b"short" and not response.has_header("Content-Encoding")


@pytest.mark.parametrize(
    ("status", "cookie", "stored"), [(200, False, True), (400, False, False), (404, False, False), (200, True, False)]
)
def test_only_successful_pages_without_cookies_are_stored(rf, world, status, cookie, stored):
    def view(request):
        response = HttpResponse("page", status=status)
        if cookie:
            response.set_cookie("visitor", "1")
        return response

    request = rf.get("/somewhere/", {"b": "2", "a": "1"})
    cache.cached_page(view)(request)
    assert (django_cache.get(cache.page_key(request)) is not None) is stored


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


def test_every_history_record_raises_the_version_in_the_writers_transaction(world):
    before = m.KnowledgeBaseVersion.objects.get().number
    drug = world["drugs"]["gabapentin"]
    drug.formulations = "Capsules."
    drug.save()
    drug.sources.add(m.Source.objects.first())  # a change of cited sources is a history record too
    assert m.KnowledgeBaseVersion.objects.get().number == before + 2
    assert cache.version().startswith(f"{before + 2}-")


def test_an_edit_that_rolls_back_leaves_the_version_unchanged(world):
    before = cache.version()
    with pytest.raises(RuntimeError), transaction.atomic():
        drug = world["drugs"]["gabapentin"]
        drug.formulations = "Capsules."
        drug.save()
        raise RuntimeError("the editor's transaction fails")
    assert cache.version() == before


def test_the_version_is_one_primary_key_lookup_however_large_the_history(world, django_assert_num_queries):
    from .conftest import grow

    grow(world, 5)
    with django_assert_num_queries(1) as captured:
        cache.version()
    assert "COUNT" not in captured.captured_queries[0]["sql"].upper()


def test_a_flushed_version_row_is_made_again_by_the_next_edit(world):
    m.KnowledgeBaseVersion.objects.all().delete()
    assert cache.version() == "0-"
    world["drugs"]["gabapentin"].save()
    assert cache.version().startswith("1-")


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
        == "treatments.resilient_cache.ResilientRedisCache"  # Django's RedisCache, with errors as misses
    )


@pytest.mark.parametrize(
    ("one", "other", "same"),
    [
        ("a=1&b=2", "b=2&a=1", True),
        ("drugs=x&age=70&drugs=y", "age=70&drugs=x&drugs=y", True),
        ("a=1&&b=2&", "b=2&a=1", True),
        ("a=1&a=2", "a=2&a=1", False),  # the order of one name's values can matter (plan drugs)
        ("age=1&%61ge=2", "%61ge=2&age=1", False),  # one name spelt two ways keeps its values' order
        ("a+b=1&c=2", "c=2&a%20b=1", False),  # spelt differently: stored twice, never confused
        ("a=1", "a=1&b=", False),
    ],
)
def test_query_strings_are_normalised_without_confusing_two_pages(rf, one, other, same):
    assert (cache.normalised_query(one) == cache.normalised_query(other)) is same
    if same:
        assert sorted(rf.get("/?" + one).GET.lists()) == sorted(rf.get("/?" + other).GET.lists())


def test_each_process_keeps_only_its_most_recent_pages(rf, world, settings):
    settings.PAGES_IN_PROCESS = 3
    view = cache.cached_page(lambda request: HttpResponse(request.GET["n"]))
    keys = []
    for n in range(5):
        request = rf.get("/page/", {"n": n})
        keys.append(cache.page_key(request))
        assert view(request).content == str(n).encode()
    assert list(cache._recent) == keys[2:]
    # A page this process forgot still comes from the shared cache.
    assert view(rf.get("/page/", {"n": 0})).content == b"0"
