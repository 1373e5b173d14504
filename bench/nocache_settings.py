"""Benchmark only: the production settings with caching off, to measure cold-cache throughput."""

from neuro.settings import *  # noqa: F403

CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
PAGES_IN_PROCESS = 0
