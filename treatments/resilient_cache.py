"""A Redis cache that an outage of Redis only slows down: errors are misses, never a failed page.

Django's ``RedisCache`` raises ``redis.ConnectionError`` from every cache call while Redis is down, so every
page would fail with a 500 although the cache holds nothing that cannot be rebuilt from the database
(README, Deploying: "Losing Redis loses nothing but speed"). ``ResilientRedisCache`` (settings.CACHES when
``REDIS_URL`` is set) treats a Redis error as:

- a miss for reads (``get``, ``get_many``, ``has_key``): the page is built from the database;
- nothing done for writes (``set``, ``set_many``, ``delete``, ``touch``, ``clear``);
- "not added" for ``add``, so a check that relies on it fails closed (the CDS Hooks JWT replay check refuses
  the call rather than accepting a replay); ``incr`` returns ``delta`` (counts restart at zero, so the problem-
  report rate limit is lifted while Redis is away).

After an error the cache is not tried again for ``RETRY_SECONDS``, so an unreachable Redis costs each request
nothing (not a connect timeout per cache call); connections time out after ``CONNECT_TIMEOUT`` /
``SOCKET_TIMEOUT`` seconds (OPTIONS ``socket_connect_timeout`` and ``socket_timeout`` override them). The outage is
logged once when it starts and once when Redis answers again, per process.
"""

import logging
import threading
import time

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT = 0.5  # seconds
SOCKET_TIMEOUT = 0.5
RETRY_SECONDS = 1.0

_MISS = object()


class ResilientRedisCacheClient(RedisCacheClient):
    def __init__(self, servers, **options):
        options.setdefault("socket_connect_timeout", CONNECT_TIMEOUT)
        options.setdefault("socket_timeout", SOCKET_TIMEOUT)
        super().__init__(servers, **options)
        self._down_until = 0.0  # monotonic time before which Redis is not tried
        self._down = False
        self._lock = threading.Lock()

    def _call(self, method, fallback, *args):
        if self._down and time.monotonic() < self._down_until:
            return fallback
        try:
            result = method(*args)
        except RedisError as error:
            with self._lock:
                self._down_until = time.monotonic() + RETRY_SECONDS
                if not self._down:
                    self._down = True
                    logger.error("Redis cache unavailable (%s); serving without it.", type(error).__name__)
            return fallback
        if self._down:
            with self._lock:
                if self._down:
                    self._down = False
                    logger.warning("Redis cache reachable again.")
        return result

    def add(self, key, value, timeout):
        return self._call(super().add, False, key, value, timeout)

    def get(self, key, default):
        return self._call(super().get, default, key, default)

    def set(self, key, value, timeout):
        return self._call(super().set, None, key, value, timeout)

    def touch(self, key, timeout):
        return self._call(super().touch, False, key, timeout)

    def delete(self, key):
        return self._call(super().delete, False, key)

    def get_many(self, keys):
        return self._call(super().get_many, {}, keys)

    def has_key(self, key):
        return self._call(super().has_key, False, key)

    def incr(self, key, delta):
        return self._call(super().incr, delta, key, delta)

    def set_many(self, data, timeout):
        return self._call(super().set_many, None, data, timeout)

    def delete_many(self, keys):
        return self._call(super().delete_many, None, keys)

    def clear(self):
        return self._call(super().clear, False)


class ResilientRedisCache(RedisCache):
    """``RedisCache`` with ``ResilientRedisCacheClient``: see the module's docstring."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ResilientRedisCacheClient
