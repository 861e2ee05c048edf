"""Single flight across replicas: of several processes sharing a cache, one fetches a key.

Within one process the hub already shares one in-flight fetch per key. Across processes a cache
that can ``claim`` a key (Redis: ``SET NX PX``) decides who fetches; the others poll the cache for
that answer and use it, stored time and all, instead of asking the upstream too. A lease that
ends without an answer (its holder failed or died) lets the next replica claim it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, runtime_checkable

from opscontext.cache import Cache, Entry

POLL_SECONDS = 0.05


@runtime_checkable
class SharedCache(Cache, Protocol):
    """A cache shared by several processes, with a lease per key (see ``RedisCache``)."""

    def claim(self, key: str, lease_seconds: float) -> str | None: ...

    def release(self, key: str, token: str) -> None: ...


async def single_flight(
    cache: SharedCache,
    key: str,
    *,
    fresh_for: float,
    lease: float,
    fetch: Callable[[], Awaitable[Any]],
    store: Callable[[Any], None],
) -> Entry:
    """The answer for ``key``: fetched here (and stored before the lease is released, so waiting
    replicas find it), or a peer's entry younger than ``fresh_for`` seconds."""
    while True:
        token = cache.claim(key, lease)
        if token is not None:
            try:
                done = _fresh(cache, key, fresh_for)  # a peer may have finished just before we claimed
                if done is not None:
                    return done
                value = await fetch()
                store(value)
                return Entry(value, time.time())
            finally:
                cache.release(key, token)
        entry = await _peer_answer(cache, key, fresh_for, lease)
        if entry is not None:
            return entry


async def _peer_answer(cache: SharedCache, key: str, fresh_for: float, lease: float) -> Entry | None:
    """Poll until a peer stores a fresh entry, or its lease could have ended (then None)."""
    give_up = time.monotonic() + lease
    while time.monotonic() < give_up:
        entry = _fresh(cache, key, fresh_for)
        if entry is not None:
            return entry
        await asyncio.sleep(POLL_SECONDS)
        probe = cache.claim(key, POLL_SECONDS)
        if probe is not None:  # the lease is gone: the holder stored its answer first, or failed
            cache.release(key, probe)
            return _fresh(cache, key, fresh_for)
    return None


def _fresh(cache: SharedCache, key: str, fresh_for: float) -> Entry | None:
    entry = cache.get(key)
    return entry if entry is not None and entry.age() <= fresh_for else None
