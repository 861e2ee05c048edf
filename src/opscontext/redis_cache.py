"""A cache several replicas share: Redis, with a cross-process single flight per key.

``get``/``set`` keep the Cache contract (a miss, never an error: a Redis outage degrades every
replica to fetching for itself, it never fails a call). ``claim``/``release`` are a short lease
per cache key (``SET lock NX PX``): the replica holding it fetches the upstream, the others wait
for its answer in the cache instead of fetching too (see ``flight.py``). Entries are JSON through
``cache_codec`` (never pickle), signed when a signing key is configured.
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any

from opscontext.cache import Entry
from opscontext.cache_codec import CodecError, decode, encode

log = logging.getLogger(__name__)

PREFIX = "opscontext:"
# Deletes the lock only if it still holds our token (a lease that expired may belong to another).
RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
QUIET_SECONDS = 60.0  # one warning a minute while Redis is unreachable


class RedisCache:
    """Redis-backed cache; ``client`` is a ``redis.Redis`` (injected in tests)."""

    def __init__(self, client: Any, *, signing_key: bytes | None = None):
        self._redis = client
        self._key = signing_key
        self._warned = 0.0

    @classmethod
    def from_url(cls, url: str, *, password: str | None = None, signing_key: bytes | None = None) -> RedisCache:
        """A client with short timeouts: a slow Redis must not hold a call up."""
        import redis

        client = redis.Redis.from_url(url, password=password, socket_timeout=0.5, socket_connect_timeout=0.5)
        return cls(client, signing_key=signing_key)

    def get(self, key: str) -> Entry | None:
        """The entry stored under ``key``, or None (missing, unreadable, unsigned, or Redis down)."""
        try:
            raw = self._redis.get(PREFIX + key)
        except Exception as exc:
            self._down(exc)
            return None
        if raw is None:
            return None
        try:
            return decode(raw, self._key)
        except CodecError as exc:
            log.warning("ignoring cache entry %s: %s", key, exc)
            return None

    def set(self, key: str, value: Any, *, keep_seconds: float) -> None:
        """Store ``value`` for ``keep_seconds`` (the stale horizon); errors are logged, not raised."""
        try:
            payload = encode(Entry(value, time.time()), self._key)
        except CodecError as exc:
            log.warning("not caching %s in Redis: %s", key, exc)
            return
        try:
            self._redis.set(PREFIX + key, payload, px=max(1, int(keep_seconds * 1000)))
        except Exception as exc:
            self._down(exc)

    def claim(self, key: str, lease_seconds: float) -> str | None:
        """A token when this replica may fetch ``key`` now (the lease is ours, or Redis is down
        and every replica fends for itself); None while another replica holds the lease."""
        token = secrets.token_hex(8)
        try:
            won = self._redis.set(f"{PREFIX}lock:{key}", token, nx=True, px=max(1, int(lease_seconds * 1000)))
        except Exception as exc:
            self._down(exc)
            return token
        return token if won else None

    def release(self, key: str, token: str) -> None:
        """Give the lease back early (it expires by itself otherwise)."""
        try:
            self._redis.eval(RELEASE, 1, f"{PREFIX}lock:{key}", token)
        except Exception as exc:
            self._down(exc)

    def close(self) -> None:
        """Close the connection pool."""
        try:
            self._redis.close()
        except Exception:
            return None

    def _down(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._warned > QUIET_SECONDS:
            self._warned = now
            log.warning("Redis cache unavailable (%s); each replica fetches for itself meanwhile", exc)
