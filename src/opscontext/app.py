"""The application: one object that owns the registry, cache, hub and world, opened once.

Both front ends (the MCP server and the terminal CLI) call the same methods here, so a tool
behaves identically whichever way it is reached.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from opscontext import warm
from opscontext.cache import Cache, DiskCache, MemoryCache, NullCache
from opscontext.hub import Hub
from opscontext.registry import ConnectorSpec, Registry, utcnow
from opscontext.replay import replay
from opscontext.settings import Settings
from opscontext.world import WorldBuilder

log = logging.getLogger(__name__)


def make_cache(settings: Settings) -> Cache:
    if settings.cache.backend == "memory":
        return MemoryCache()
    if settings.cache.backend == "none":
        return NullCache()
    if settings.cache.backend == "redis":
        from opscontext.redis_cache import RedisCache

        secret = settings.cache.password.get_secret_value() if settings.cache.password else None
        key = settings.cache.signing_key.get_secret_value().encode() if settings.cache.signing_key else None
        return RedisCache.from_url(settings.cache.url, password=secret, signing_key=key)
    path = settings.cache.path or _default_cache_dir()
    try:
        return DiskCache(path / settings.world.name)
    except OSError as exc:  # a read-only home must not stop the server; say so and go on
        log.warning("disk cache at %s unavailable (%s); using memory", path, exc.strerror)
        return MemoryCache()


def _default_cache_dir() -> Path:
    import os

    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "opscontext"


@dataclass
class App:
    settings: Settings
    registry: Registry
    cache: Cache
    hub: Hub
    worlds: WorldBuilder
    loading: asyncio.Task[None] | None = None  # the background preload of a server, if started
    load_progress: warm.LoadProgress | None = None  # how far it has got

    def now(self) -> datetime:
        return self.hub.now()


@asynccontextmanager
async def open_app(
    settings: Settings,
    *,
    cache: Cache | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Callable[[], datetime] = utcnow,
    preload: bool = False,
    specs: dict[str, ConnectorSpec[Any]] | None = None,
) -> AsyncIterator[App]:
    """Build everything once; close HTTP clients and the cache on exit. With ``preload`` (a
    long-running server), loading starts now in the background (``opscontext.warm``). ``specs``:
    the connector types to build from (default: every installed one)."""
    registry = Registry.build(settings.connectors, base_dir=settings.base_dir, transport=transport, now=clock,
                              specs=specs)
    anchor = settings.world.time_anchor
    if anchor is not None:
        # Fixed at load: the replayed incident starts "minutes ago" and then ages normally.
        # Whole seconds: a recording's timestamps keep their own precision instead of gaining
        # six digits of microseconds each (tokens in every answer, and noise to a reader).
        registry = replay(registry, timedelta(seconds=int((clock() - anchor).total_seconds())))
    cache = cache if cache is not None else make_cache(settings)
    hub = Hub(registry, settings, cache, clock=clock)
    app = App(settings=settings, registry=registry, cache=cache, hub=hub, worlds=WorldBuilder(hub))
    if preload:
        app.load_progress = warm.LoadProgress()
        app.loading = asyncio.create_task(warm.preload(app, app.load_progress))
    try:
        yield app
    finally:
        if app.loading is not None:
            app.loading.cancel()
            await asyncio.gather(app.loading, return_exceptions=True)
        await hub.aclose()
        await registry.aclose()
        cache.close()
