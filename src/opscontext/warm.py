"""Loading that starts with the server, so the first call waits only for what is still loading.

At 50k services, parsing the catalog, building the identity index and the graph takes seconds;
100k alerts in snapshot files take seconds more. A server that loads nothing until the first
call makes that call pay all of it. :func:`preload` runs in the background from the server's
start and reads the sources that declare :class:`Preloadable` (local files whose parse outlives
the call): the catalog and topology first, then the world assembled from them (what every tool
needs), then the rest. A call arriving meanwhile joins the load in flight (file sources and
:class:`~opscontext.world.WorldBuilder` run each load once) instead of starting its own, and
:class:`LoadProgress` tells it how far the load has got (``opscontext.call_progress`` sends that
to a client that asked for progress).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from opscontext.engine.correlation import onsets
from opscontext.engine.correlation.models import CorrelationOptions
from opscontext.engine.correlation.observed import observed_calls, with_observed
from opscontext.engine.correlation.ranking import ChangeIndex
from opscontext.engine.correlation.topology import adjacency, prepare, spelling
from opscontext.gcpause import long_lived
from opscontext.models import Alert, Change

if TYPE_CHECKING:
    from opscontext.app import App
    from opscontext.registry import Instance
    from opscontext.world import World

log = logging.getLogger(__name__)


@runtime_checkable
class Preloadable(Protocol):
    """A source whose data is worth reading before anyone asks (files parsed once, kept)."""

    async def preload(self) -> None:
        """Read and parse what later calls will use; raise as a call would (the hub reports it then)."""


Report = Callable[[float, float, str], Awaitable[None]]


class LoadProgress:
    """How far the background load has got: steps done of all (each file source read, and the
    service graph built), what it is doing now, and a wake-up for whoever follows it."""

    def __init__(self) -> None:
        self.done = 0
        self.total = 0
        self.stage = "starting"
        self.finished = False
        self._changed = asyncio.Event()

    def update(self, *, stage: str | None = None, done: int = 0, total: int | None = None,
               finished: bool = False) -> None:
        """Record a step (``done`` more), a new stage or the end, and wake the followers."""
        self.stage = stage or self.stage
        self.done += done
        self.total = self.total if total is None else total
        self.finished = self.finished or finished
        self._changed.set()
        self._changed = asyncio.Event()

    def message(self) -> str:
        """What a waiting caller is told, e.g. "waiting for the background load: reading catalog
        and topology files (1 of 6 steps)"."""
        if self.finished:
            return f"background load finished ({self.done} of {self.total} steps)"
        if not self.total:
            return "waiting for the background load to start"
        return f"waiting for the background load: {self.stage} ({self.done} of {self.total} steps)"

    async def follow(self, report: Report, stop: asyncio.Event) -> None:
        """``report`` the progress now and after each change, until the load ends or ``stop``."""
        while True:
            changed = self._changed
            await report(self.done, self.total, self.message())
            if self.finished or stop.is_set():
                return
            waits = [asyncio.ensure_future(changed.wait()), asyncio.ensure_future(stop.wait())]
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for w in waits:
                    w.cancel()
            if stop.is_set():
                return


async def preload(app: App, progress: LoadProgress | None = None) -> None:
    """The world's file sources and then the world itself, then the other file sources.

    Only :class:`Preloadable` (local file) sources are read: an HTTP source read at start would
    spend rate limit, and a failing one would count toward its circuit breaker before anyone
    asked. The world is assembled ahead only when every catalog and topology source is local.
    Failures are left for the calls to report. ``progress`` is kept up to date throughout.
    """
    progress = progress or LoadProgress()
    start = time.monotonic()
    world = [i for cap in ("catalog", "topology") for i in app.registry.of(cap)]
    local = {i.name: i for i in world if isinstance(i.connector, Preloadable)}
    ahead = bool(world) and len(local) == len({i.name for i in world})
    rest = [i for i in app.registry.instances if isinstance(i.connector, Preloadable) and i.name not in local]
    try:
        progress.update(stage="reading catalog and topology files", total=len(local) + ahead + len(rest))
        await _preload(local.values(), progress)
        if ahead:
            progress.update(stage="building the service graph")
            await _assemble(app, start)
            progress.update(done=1)
        progress.update(stage="reading the other file sources")
        await _preload(rest, progress)
        progress.update(stage="preparing alerts and changes")
        await _prepare(app)
        log.info("local sources loaded in %.1f s", time.monotonic() - start)
    finally:
        progress.update(finished=True)


async def _assemble(app: App, start: float) -> None:
    try:
        built = await app.worlds.build()
    except Exception as exc:  # a call will meet the same failure and report it per source
        log.warning("assembling the catalog ahead failed: %s", type(exc).__name__)
    else:
        log.info("catalog and graph ready in %.1f s: %d services", time.monotonic() - start, len(built.graph))


async def _prepare(app: App) -> None:
    """File sources' alerts and changes sanitised and indexed by time in the hub, and (with the
    world assembled ahead) resolved to catalog names: the first call only windows them. The
    correlation engine's per-graph indexes are built here too, not in the first call."""
    ready = await app.hub.prepare()
    world = app.worlds.current()
    if world is not None:
        await asyncio.to_thread(long_lived(prepare), world.graph, CorrelationOptions().hub_degree)
    if world is not None and ready:
        await asyncio.to_thread(long_lived(_resolve), world, [x for p in ready for x in p.items],
                                app.settings.identity.service_labels)


def _resolve(world: World, items: list[object], labels: Sequence[str]) -> None:
    # Remembered by the world's memo for as long as the items live (frozen like the rest of the load).
    alerts = world.resolve_alerts((x for x in items if isinstance(x, Alert)), labels)
    changes = world.resolve_changes(x for x in items if isinstance(x, Change))
    if changes:  # the services their summaries name, remembered by the graph's spelling index
        adj = adjacency(world.graph)
        ChangeIndex(changes, names=adj.succ.keys(), spelling=lambda: spelling(adj))
    if alerts:
        # The alerts in the order a window covering them all gathers them (sources in
        # configuration order): deduplicated, episodes and meeting index ready for the first
        # correlate_alerts over them (engine.correlation.onsets; ~1.3 s at 100k alerts).
        opts = CorrelationOptions()
        onsets.prepare(alerts, world.graph, opts)
        # Alerts naming calls the catalog lacks are correlated on a copy of the graph that has
        # them (engine.correlation.observed): a call over all of them gets that copy, ready too.
        observed = observed_calls(alerts, world.graph)
        if observed:
            graph = with_observed(world.graph, observed)
            prepare(graph, opts.hub_degree)
            onsets.prepare(alerts, graph, opts)


async def _preload(instances: Iterable[Instance], progress: LoadProgress) -> None:
    sources = list(instances)

    async def one(instance: Instance) -> None:
        try:
            await instance.connector.preload()  # type: ignore[attr-defined]
        finally:
            progress.update(done=1)  # failed is done too: the calls report why

    done = await asyncio.gather(*(one(i) for i in sources), return_exceptions=True)
    failed = [i.name for i, d in zip(sources, done, strict=True) if isinstance(d, BaseException)]
    if failed:
        log.warning("preloading %s failed; calls will report why", ", ".join(failed))
