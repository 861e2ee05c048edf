"""Fan-out: ask every instance of a capability at once, under a deadline, through the cache.

Every call returns the merged items and one :class:`SourceStatus` per instance: ok (fresh or
cached, with the data's age), degraded (partial data: files or entries left out, named in the
detail, also when served from cache), stale (the source failed, cached data of that age was
served) or failed (with the reason). One failing source degrades an answer; it never fails the call.

What to call, how long to cache it and which items to keep come from the capability table
(``opscontext.capabilities``); nothing here names a capability except the typed shorthands.
Cache policy per data family: bulk families (catalog, topology, runbooks, escalation, slos) are
served from cache until their TTL, then served stale while one background refresh runs; windowed
families (alerts, changes, on-call, health, sli) are cached for seconds and keyed by their arguments.
When a source fails, its last good answer is served as stale up to ``ttl.stale_max``.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

from opscontext import deadline
from opscontext.breaker import Breaker
from opscontext.cache import Cache, Entry
from opscontext.capabilities import (
    ALERTS,
    CATALOG,
    CHANGES,
    ESCALATION,
    HEALTH,
    ONCALL,
    RUNBOOKS,
    SLI,
    SLOS,
    TOPOLOGY,
)
from opscontext.capability import Capability
from opscontext.fanout import Gathered, Question, config_digest, count, key_part, reason_for
from opscontext.flight import SharedCache, single_flight
from opscontext.gcpause import long_lived
from opscontext.memo import LruDict
from opscontext.models import (
    Alert,
    CatalogSnapshot,
    Change,
    DependencyEdge,
    EscalationPolicy,
    OnCallShift,
    Runbook,
    ServiceHealth,
    SliReading,
    SliRequest,
    Slo,
    SourceState,
    SourceStatus,
    TimeWindow,
)
from opscontext.problems import attach, settle
from opscontext.registry import Instance, Registry, utcnow
from opscontext.sanitize import Sanitizer
from opscontext.settings import Settings
from opscontext.snapshots import THREAD_ABOVE, Prepared, Snapshots, snapshot_of

T = TypeVar("T")
P = ParamSpec("P")

MAX_REMEMBERED = 4096  # answers kept in memory in front of the cache
__all__ = ["MAX_REMEMBERED", "Gathered", "Hub", "config_digest"]


class Hub:
    """Asks every configured instance of a capability at once and merges what they say.

    One per application (``opscontext.app``); tools reach it through the queries. ``clock`` is
    "now" for the tools, ``monotonic`` the circuit breakers' clock (tests set both).
    """

    def __init__(
        self,
        registry: Registry,
        settings: Settings,
        cache: Cache,
        *,
        clock: Callable[[], datetime] = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.registry = registry
        self.settings = settings
        self.cache = cache
        self.clock = clock
        self.monotonic = monotonic  # the breakers' clock
        # Bounded: windowed keys carry their time bucket, so a long-running server meets new ones forever.
        self._memory: LruDict[str, Entry] = LruDict(MAX_REMEMBERED)
        self._inflight: dict[str, asyncio.Task[object]] = {}
        self._failures: LruDict[str, str] = LruDict(MAX_REMEMBERED)  # cache key -> why its last fetch failed
        self._config_digests: dict[str, str] = {}
        self._clean = Sanitizer()
        # Bulk answers and snapshots are kept cleaned whole (by identity), not model by model.
        self._clean_whole = self._clean.unremembered()
        self._snapshots = Snapshots(self._clean_whole)  # windowed sources held whole in memory
        self._last_bulk: dict[tuple[str, str], tuple[object, object]] = {}  # (raw, sanitised) per source
        self._breakers: dict[str, Breaker] = {}
        self._counted: weakref.WeakSet[asyncio.Task[object]] = weakref.WeakSet()  # fetches already blamed

    def now(self) -> datetime:
        """The current time as the tools see it."""
        return self.clock()

    # -- typed shorthands for the built-in capabilities; any capability is gather(ENTRY, ...) --

    async def catalog(self) -> Gathered[CatalogSnapshot]:
        """Every catalog's snapshot."""
        return await self.gather(CATALOG)

    async def edges(self) -> Gathered[list[DependencyEdge]]:
        """Every topology source's dependency edges."""
        return await self.gather(TOPOLOGY)

    async def runbooks(self) -> Gathered[list[Runbook]]:
        """Every runbook source's runbooks."""
        return await self.gather(RUNBOOKS)

    async def escalation_policies(self) -> Gathered[list[EscalationPolicy]]:
        """Every escalation source's policies."""
        return await self.gather(ESCALATION)

    async def alerts(self, window: TimeWindow) -> Gathered[list[Alert]]:
        """Alerts active at some point in ``window``."""
        return await self.gather(ALERTS, window)

    def held_outside(
        self, capability: Capability[..., Any], statuses: Sequence[SourceStatus],
    ) -> list[tuple[str, tuple[int, datetime, datetime, datetime | None]]]:
        """Sources of ``capability`` held whole in memory (files) that just answered a window with
        nothing although they hold items: (source, (items, earliest start, latest start, latest
        end or None)) each. A recorded run replays at its own times, so "nothing in the last two
        hours" there is rarely the answer its user wanted."""
        out = []
        for st in statuses:
            if st.capability != capability.name or st.items or st.state is SourceState.FAILED:
                continue
            prepared = self._snapshots.latest(st.source, capability)
            extent = prepared.extent() if prepared is not None else None
            if extent is not None:
                out.append((st.source, extent))
        return out

    async def changes(self, window: TimeWindow) -> Gathered[list[Change]]:
        """Changes that happened in ``window``."""
        return await self.gather(CHANGES, window)

    async def on_call(self, at: datetime) -> Gathered[list[OnCallShift]]:
        """Shifts on call at ``at``."""
        return await self.gather(ONCALL, at)

    async def health(self, services: Sequence[str], at: datetime) -> Gathered[list[ServiceHealth]]:
        """Health of ``services`` at ``at``; asked in one canonical order so the cache key is stable."""
        return await self.gather(HEALTH, tuple(sorted(frozenset(services))), at)

    async def slos(self) -> Gathered[list[Slo]]:
        """Every SLO source's objectives."""
        return await self.gather(SLOS)

    async def sli_ratios(self, requests: Sequence[SliRequest], at: datetime) -> Gathered[list[SliReading]]:
        """Error ratios of ``requests`` per window ending at ``at``, from the evaluators they name."""
        return await self.gather(SLI, tuple(requests), at)

    # -- mechanism ------------------------------------------------------------------------

    async def gather(self, capability: Capability[P, T], *args: P.args, **kwargs: P.kwargs) -> Gathered[T]:
        """Ask every instance of ``capability`` at once, with the arguments of its Protocol method.

        Answers pass the capability's ``keep`` filter (items outside the window asked about, or
        health of services not asked about, are dropped), so every source answers the same question.
        """
        asked = capability.positional(args, kwargs)
        instances = list(self.registry.of(capability.name))
        outcomes = await asyncio.gather(*(self._one(i, capability, asked) for i in instances))
        result: Gathered[T] = Gathered()
        for inst, outcome in zip(instances, outcomes, strict=True):
            value, status = settle(*outcome)  # a partial load is served, and reported degraded
            result.statuses.append(status)
            if value is not None:
                # A snapshot's window passed ``keep`` for these very arguments already (a stale
                # answer may be another window's): 95k alerts filtered twice cost 0.1 s a call.
                kept = status.state is not SourceState.STALE and snapshot_of(inst.connector, capability) is not None
                result.results.append((inst, value if kept else capability.trim(value, asked)))
        return result

    def _question(self, inst: Instance, capability: Capability[..., Any], args: tuple[object, ...]) -> Question:
        ttl = self._ttl(capability)
        return Question(
            inst=inst,
            capability=capability,
            args=args,
            key=self._key(inst, capability.name, args, ttl),
            last_key=f"{self._prefix(inst)}|{capability.name}|last",
            cacheable=inst.spec.cacheable and ttl > 0,
        )

    def _ttl(self, capability: Capability[..., Any]) -> float:
        return self.settings.cache.ttl.seconds(capability.name)

    async def _one(
        self, inst: Instance, capability: Capability[..., Any], args: tuple[object, ...]
    ) -> tuple[object, SourceStatus]:
        q = self._question(inst, capability, args)
        ttl = self._ttl(capability)
        entry = self._get(q.key, ttl) if q.cacheable else None
        if entry is not None and entry.age() <= ttl:
            return entry.value, self._status(q, SourceState.OK, entry)
        skip = self._skip(inst)
        if skip is not None:  # not asked at all: the breaker is open, or it already timed out in this call
            return self._fallback(q, skip)
        servable = entry is not None and entry.age() <= self.settings.cache.ttl.stale_max
        if entry is not None and servable and capability.bulk and q.key not in self._failures:
            self._refresh_in_background(q)
            return entry.value, self._status(q, SourceState.OK, entry)
        # After a failed refresh, ask in the foreground: a recovery shows at once, and a
        # continuing failure is reported as stale with its reason instead of hiding as ok.
        budget = deadline.current()
        limit = self.settings.limits.source_timeout_seconds
        timeout = budget.wait_for(limit) if budget is not None else limit
        try:
            value = await asyncio.wait_for(self._fetch(q), timeout=timeout)
        except Exception as exc:  # SourceError, TimeoutError, or a connector bug: all become a status
            reason = reason_for(inst, exc, timeout)
            if isinstance(exc, TimeoutError):
                self._timed_out(inst, q.key, budget, reason)
            return self._fallback(q, reason)
        return value, SourceStatus(
            source=inst.name,
            type=inst.spec.type,
            capability=capability.name,
            state=SourceState.OK,
            age_seconds=0.0,
            items=count(value),
        )

    def _fallback(self, q: Question, reason: str) -> tuple[object, SourceStatus]:
        """The source was not asked or did not answer: its last good answer as stale, or failed."""
        stale = self._get(q.last_key) if q.cacheable else None
        if stale is not None and stale.age() <= self.settings.cache.ttl.stale_max:
            return stale.value, self._status(q, SourceState.STALE, stale, reason)
        return None, SourceStatus(
            source=q.inst.name,
            type=q.inst.spec.type,
            capability=q.capability.name,
            state=SourceState.FAILED,
            detail=reason,
        )

    def breaker(self, inst: Instance) -> Breaker:
        """The circuit breaker of one connector instance (created closed on first use)."""
        found = self._breakers.get(inst.name)
        if found is None:
            limits = self.settings.limits
            found = self._breakers[inst.name] = Breaker(
                limits.breaker_failures,
                limits.breaker_cooldown_seconds,
                limits.breaker_max_cooldown_seconds,
                probe_timeout=limits.source_timeout_seconds,
                clock=self.monotonic,
            )
        return found

    def _skip(self, inst: Instance) -> str | None:
        """Why ``inst`` is not to be asked now, or None to ask it."""
        budget = deadline.current()
        if budget is not None and inst.name in budget.timed_out:
            return f"{budget.timed_out[inst.name]}; not asked again in this call"
        return self.breaker(inst).admit()

    def _timed_out(self, inst: Instance, key: str, budget: deadline.CallBudget | None, reason: str) -> None:
        if budget is not None:
            budget.timed_out[inst.name] = reason
        task = self._inflight.get(key)
        # One fetch is one failure for the breaker, however many callers gave up waiting on it.
        if task is not None and task not in self._counted:
            self._counted.add(task)
            self.breaker(inst).failure(reason)

    async def _fetch(self, q: Question) -> object:
        # One fetch per key at a time: concurrent identical questions share the answer, and a
        # slow bulk load keeps running after a caller's deadline so the next call finds it done.
        task = self._inflight.get(q.key)
        if task is None:
            task = self._start(q)
        return await asyncio.shield(task)

    def _start(self, q: Question) -> asyncio.Task[object]:
        task = asyncio.ensure_future(self._load(q))
        self._inflight[q.key] = task
        task.add_done_callback(lambda t: self._landed(t, q.inst, q.key))
        return task

    async def _load(self, q: Question) -> object:
        """Ask the source and remember its answer; with a cache shared by several replicas, only
        one of them asks and the others take its stored answer."""

        def store(value: object) -> None:
            if q.cacheable:
                self._store(q.key, q.last_key, Entry(value, time.time()), shared=True)

        if not (q.cacheable and isinstance(self.cache, SharedCache)):
            value = await self._reported(q)
            store(value)
            return value
        entry = await single_flight(
            self.cache,
            q.key,
            fresh_for=self._ttl(q.capability),
            lease=self.settings.limits.source_timeout_seconds,
            fetch=lambda: self._reported(q),
            store=store,
        )
        self._store(q.key, q.last_key, entry, shared=False)  # a peer's answer keeps its own age
        return entry.value

    def _store(self, key: str, last_key: str, entry: Entry, *, shared: bool) -> None:
        for k in (key, last_key):
            if shared:
                self.cache.set(k, entry.value, keep_seconds=self.settings.cache.ttl.stale_max)
            self._memory[k] = entry

    def _landed(self, task: asyncio.Task[object], inst: Instance, key: str) -> None:
        self._inflight.pop(key, None)
        if task.cancelled():
            return
        exc = task.exception()  # retrieving it also marks it handled
        if exc is not None:
            # Remembered so a background refresh that failed is reported, not hidden behind "ok".
            self._failures[key] = reason_for(inst, exc, self.settings.limits.source_timeout_seconds)
            if task not in self._counted:
                self.breaker(inst).failure(self._failures[key])
            return
        # An answer, even one that came after its callers stopped waiting: the source is alive.
        self.breaker(inst).success()
        self._failures.pop(key, None)

    async def _reported(self, q: Question) -> object:
        # The value travels (and is cached) with the problems of the load that produced it.
        whole = snapshot_of(q.inst.connector, q.capability)
        if whole is not None:  # sanitised once per version of its data, then windowed
            prepared = await self._snapshots.prepared(q.inst.name, q.capability, await whole())
            return attach(q.inst.connector, prepared.window(q.capability.keep, q.args))
        answer = await q.capability.call(q.inst.connector, q.args)
        # Secrets masked, text fenced: once, where data enters (a bulk walk: see gcpause).
        return attach(q.inst.connector, await self._cleaned(q, answer))

    async def _cleaned(self, q: Question, answer: object) -> object:
        """``answer`` sanitised; a bulk answer that is the very object the source handed over last
        time (a file source's parse, kept until the files change) is not walked again: at 50k
        services that walk was 0.2-0.5 s of look-ups on every call. A large bulk answer is walked
        off the event loop (250k edges: ~1 s, during which progress and other calls would stall)."""
        if not q.capability.bulk:
            return long_lived(self._clean)(answer)
        key = (q.inst.name, q.capability.name)
        last = self._last_bulk.get(key)
        if last is not None and last[0] is answer:
            return last[1]
        clean_whole = long_lived(self._clean_whole)
        big = (count(answer) or 0) > THREAD_ABOVE
        clean = await asyncio.to_thread(clean_whole, answer) if big else clean_whole(answer)
        self._last_bulk[key] = (answer, clean)  # strong references: identity stays meaningful
        return clean

    def _refresh_in_background(self, q: Question) -> None:
        if q.key not in self._inflight:
            self._start(q)

    def _prefix(self, inst: Instance) -> str:
        """Cache namespace of one instance: another config, URL or account never shares entries."""
        digest = self._config_digests.get(inst.name)
        if digest is None:
            digest = self._config_digests[inst.name] = config_digest(inst.config)
        return f"{self.settings.world.name}|{inst.name}|{digest}"

    def _get(self, key: str, ttl: float | None = None) -> Entry | None:
        """The newest entry for ``key``: from memory, else the cache. With a cache shared by other
        replicas, an entry older than ``ttl`` in memory is checked against the cache, where a
        peer may have stored a newer one."""
        entry = self._memory.get(key)
        recheck = ttl is not None and entry is not None and entry.age() > ttl and isinstance(self.cache, SharedCache)
        if entry is None or recheck:
            stored = self.cache.get(key)
            if stored is not None and (entry is None or stored.stored_at > entry.stored_at):
                self._memory[key] = entry = stored
        return entry

    async def prepare(self) -> list[Prepared]:
        """Sanitise and index every snapshot source's data now (the server's background load does
        this before the first call). A source that fails is skipped: its first call reports it."""
        return await self._snapshots.prepare_all(self.registry)

    def memo_sizes(self) -> dict[str, int]:
        """How much the hub remembers between calls (bounded; for soak tests and debugging)."""
        return {"memory": len(self._memory), "failures": len(self._failures), "inflight": len(self._inflight)}

    def _key(self, inst: Instance, capability: str, args: tuple[object, ...], ttl: float) -> str:
        base = f"{self._prefix(inst)}|{capability}"
        bucket = max(ttl, 1.0)  # calls inside one TTL bucket share a window key
        return "|".join([base, *(key_part(a, bucket) for a in args)])

    def _status(self, q: Question, state: SourceState, entry: Entry, detail: str | None = None) -> SourceStatus:
        return SourceStatus(
            source=q.inst.name,
            type=q.inst.spec.type,
            capability=q.capability.name,
            state=state,
            age_seconds=round(entry.age(), 1),
            detail=detail,
            items=count(entry.value),
        )

    async def aclose(self) -> None:
        """Cancel the fetches still running (the application is closing)."""
        for task in list(self._inflight.values()):
            task.cancel()
        self._inflight.clear()

