"""Loading that starts with the server, so the first call waits only for what is still loading.

At 50k services, parsing the catalog, building the identity index and the graph takes seconds;
100k alerts in snapshot files take seconds more. A server that loads nothing until the first
call makes that call pay all of it. :func:`preload` runs in the background from the server's
start and reads the sources that declare :class:`Preloadable` (local files whose parse outlives
the call): the catalog and topology first, then the world assembled from them (what every tool
needs), then the rest. A call arriving meanwhile joins the load in flight (file sources and
:class:`~opscontext.world.WorldBuilder` run each load once) instead of starting its own.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from opscontext.app import App
    from opscontext.registry import Instance

log = logging.getLogger(__name__)


@runtime_checkable
class Preloadable(Protocol):
    """A source whose data is worth reading before anyone asks (files parsed once, kept)."""

    async def preload(self) -> None:
        """Read and parse what later calls will use; raise as a call would (the hub reports it then)."""


async def preload(app: App) -> None:
    """The world's file sources and then the world itself, then the other file sources.

    Only :class:`Preloadable` (local file) sources are read: an HTTP source read at start would
    spend rate limit, and a failing one would count toward its circuit breaker before anyone
    asked. The world is assembled ahead only when every catalog and topology source is local.
    Failures are left for the calls to report.
    """
    start = time.monotonic()
    world = [i for cap in ("catalog", "topology") for i in app.registry.of(cap)]
    local = {i.name: i for i in world if isinstance(i.connector, Preloadable)}
    await _preload(local.values())
    if world and len(local) == len({i.name for i in world}):
        try:
            built = await app.worlds.build()
        except Exception as exc:  # a call will meet the same failure and report it per source
            log.warning("assembling the catalog ahead failed: %s", type(exc).__name__)
        else:
            log.info("catalog and graph ready in %.1f s: %d services", time.monotonic() - start, len(built.graph))
    await _preload(i for i in app.registry.instances if isinstance(i.connector, Preloadable) and i.name not in local)
    log.info("local sources loaded in %.1f s", time.monotonic() - start)


async def _preload(instances: Iterable[Instance]) -> None:
    sources = list(instances)
    done = await asyncio.gather(*(i.connector.preload() for i in sources), return_exceptions=True)  # type: ignore[attr-defined]
    failed = [i.name for i, d in zip(sources, done, strict=True) if isinstance(d, BaseException)]
    if failed:
        log.warning("preloading %s failed; calls will report why", ", ".join(failed))
