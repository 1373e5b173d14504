"""Benchmark only: the production settings with caching off, to measure cold-cache throughput."""

from neuro.settings import *  # noqa: F403

CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
PAGES_IN_PROCESS = 0
# ... and the app's own in-process stores of knowledge-base values and page fragments (treatments/cache.py).
KB_VALUES_IN_PROCESS = 0
KB_FRAGMENTS = False
