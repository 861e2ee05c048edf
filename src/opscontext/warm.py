"""Loading that starts with the server, so the first call waits only for what is still loading.

At 50k services, parsing the catalog, building the identity index and the graph takes seconds;
100k alerts in snapshot files take seconds more. A server that loads nothing until the first
call makes that call pay all of it. :func:`preload` runs in the background from the server's
start: the world first (catalog and topology: what every tool needs), then the sources that
declare :class:`Preloadable` (file sources whose parse outlives the call). A call arriving
meanwhile joins the load in flight (the hub and :class:`~opscontext.world.WorldBuilder` run each
load once) instead of starting its own. Sources that answer per window over HTTP are not
preloaded: their answers are cached for seconds, so a fetch at start would only spend rate limit.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from opscontext.app import App

log = logging.getLogger(__name__)


@runtime_checkable
class Preloadable(Protocol):
    """A source whose data is worth reading before anyone asks (files parsed once, kept)."""

    async def preload(self) -> None:
        """Read and parse what later calls will use; raise as a call would (the hub reports it then)."""


async def preload(app: App) -> None:
    """The world, then every :class:`Preloadable` source; failures are left for the calls to report."""
    start = time.monotonic()
    try:
        world = await app.worlds.build()
    except Exception as exc:  # a call will meet the same failure and report it per source
        log.warning("preloading the catalog failed: %s", type(exc).__name__)
        return
    log.info("catalog and graph ready in %.1f s: %d services", time.monotonic() - start, len(world.graph))
    sources = [i for i in app.registry.instances if isinstance(i.connector, Preloadable)]
    done = await asyncio.gather(*(i.connector.preload() for i in sources), return_exceptions=True)  # type: ignore[attr-defined]
    failed = [i.name for i, d in zip(sources, done, strict=True) if isinstance(d, BaseException)]
    if failed:
        log.warning("preloading %s failed; calls will report why", ", ".join(failed))
    log.info("sources preloaded in %.1f s", time.monotonic() - start)
