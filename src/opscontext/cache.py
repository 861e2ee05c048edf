"""A small cache contract with stale-if-error support.

Entries remember when they were stored; the hub decides freshness per data family (TTL) and may
serve an expired entry, with its age, when the source fails. ``DiskCache`` persists across
restarts (and can be shared by processes on one host); ``MemoryCache`` is for tests and
``backend = "none"``; ``RedisCache`` (redis_cache.py) is shared by replicas on many hosts and adds
a per-key lease so only one of them fetches (flight.py). Anything with the same three methods plugs in.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class Entry:
    value: Any
    stored_at: float  # unix seconds

    def age(self, now: float | None = None) -> float:
        return max(0.0, (time.time() if now is None else now) - self.stored_at)


class Cache(Protocol):
    """Called by the hub only. Values are domain models or lists of them (pickled on disk, JSON in
    Redis). Never raises on a miss."""

    def get(self, key: str) -> Entry | None: ...

    def set(self, key: str, value: Any, *, keep_seconds: float) -> None: ...

    def close(self) -> None: ...


class MemoryCache:
    def __init__(self) -> None:
        self._data: dict[str, tuple[Entry, float]] = {}

    def get(self, key: str) -> Entry | None:
        item = self._data.get(key)
        if item is None:
            return None
        entry, expires = item
        if time.time() > expires:
            del self._data[key]
            return None
        return entry

    def set(self, key: str, value: Any, *, keep_seconds: float) -> None:
        now = time.time()
        self._data[key] = (Entry(value, now), now + keep_seconds)

    def close(self) -> None:
        self._data.clear()


class NullCache:
    def get(self, key: str) -> Entry | None:
        return None

    def set(self, key: str, value: Any, *, keep_seconds: float) -> None:
        return None

    def close(self) -> None:
        return None


class DiskCache:
    """diskcache-backed; entries expire after ``keep_seconds`` (the stale horizon, not the TTL)."""

    def __init__(self, directory: Path, *, size_limit: int = 512 * 1024 * 1024):
        import diskcache

        directory.mkdir(parents=True, exist_ok=True)
        self._cache = diskcache.Cache(str(directory), size_limit=size_limit)

    def get(self, key: str) -> Entry | None:
        try:
            value = self._cache.get(key)
        except Exception:  # a corrupt or unreadable entry is a miss, never a failure
            return None
        return value if isinstance(value, Entry) else None

    def set(self, key: str, value: Any, *, keep_seconds: float) -> None:
        try:
            self._cache.set(key, Entry(value, time.time()), expire=keep_seconds)
        except Exception:
            return None

    def close(self) -> None:
        self._cache.close()
