"""Fan-out: ask every instance of a capability at once, under a deadline, through the cache.

Every call returns the merged items and one :class:`SourceStatus` per instance: ok (fresh or
cached, with the data's age), degraded (partial data: files or entries left out, named in the
detail, also when served from cache), stale (the source failed, cached data of that age was
served) or failed (with the reason). One failing source degrades an answer; it never fails the call.

Cache policy per data family: bulk families (catalog, topology, runbooks, escalation) are served
from cache until their TTL, then served stale while one background refresh runs; windowed
families (alerts, changes, on-call, health) are cached for seconds and keyed by their arguments.
When a source fails, its last good answer is served as stale up to ``ttl.stale_max``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, SecretStr

from opscontext import deadline
from opscontext.breaker import Breaker
from opscontext.cache import Cache, Entry
from opscontext.errors import SourceError
from opscontext.flight import SharedCache, single_flight
from opscontext.memo import LruDict
from opscontext.models import SourceState, SourceStatus, TimeWindow
from opscontext.problems import attach, settle
from opscontext.registry import Instance, Registry, utcnow
from opscontext.sanitize import Sanitizer
from opscontext.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

BULK = frozenset({"catalog", "topology", "runbooks", "escalation", "slos"})
MAX_REMEMBERED = 4096  # answers kept in memory in front of the cache


@dataclass
class Gathered(Generic[T]):
    """Results per instance (in configuration order) and the status of every instance asked."""

    results: list[tuple[Instance, T]] = field(default_factory=list)
    statuses: list[SourceStatus] = field(default_factory=list)

    def items(self) -> list[Any]:
        out: list[Any] = []
        for _inst, value in self.results:
            out.extend(value)  # type: ignore[call-overload, arg-type, unused-ignore]
        return out


class Hub:
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
        self._inflight: dict[str, asyncio.Task[Any]] = {}
        self._failures: LruDict[str, str] = LruDict(MAX_REMEMBERED)  # cache key -> why its last fetch failed
        self._config_digests: dict[str, str] = {}
        self._clean = Sanitizer()
        self._breakers: dict[str, Breaker] = {}
        self._counted: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()  # fetches already blamed

    def now(self) -> datetime:
        return self.clock()

    # -- public, one per capability -------------------------------------------------------

    async def catalog(self) -> Gathered[Any]:
        return await self.gather("catalog", "catalog")

    async def edges(self) -> Gathered[Any]:
        return await self.gather("topology", "edges")

    async def runbooks(self) -> Gathered[Any]:
        return await self.gather("runbooks", "runbooks")

    async def escalation_policies(self) -> Gathered[Any]:
        return await self.gather("escalation", "escalation_policies")

    async def alerts(self, window: TimeWindow) -> Gathered[Any]:
        got = await self.gather("alerts", "alerts", window)
        return _filter(got, lambda a: a.active_during(window))

    async def changes(self, window: TimeWindow) -> Gathered[Any]:
        got = await self.gather("changes", "changes", window)
        return _filter(got, lambda c: window.contains(c.at))

    async def on_call(self, at: datetime) -> Gathered[Any]:
        got = await self.gather("oncall", "on_call", at)
        return _filter(got, lambda s: s.start <= at < s.end)

    async def health(self, services: Sequence[str], at: datetime) -> Gathered[Any]:
        wanted = frozenset(services)
        got = await self.gather("health", "health", (tuple(sorted(wanted)), at))
        # A stale answer may be for another set of services: keep only the ones asked about.
        return _filter(got, lambda h: h.service in wanted)

    async def slos(self) -> Gathered[Any]:
        return await self.gather("slos", "slos")

    async def sli_ratios(self, requests: Sequence[Any], at: datetime) -> Gathered[Any]:
        wanted = frozenset(r.slo for r in requests)
        got = await self.gather("sli", "sli_ratios", (tuple(requests), at))
        return _filter(got, lambda r: r.slo in wanted)

    # -- mechanism ------------------------------------------------------------------------

    async def gather(self, capability: str, method: str, arg: Any = None) -> Gathered[Any]:
        instances = list(self.registry.of(capability))
        outcomes = await asyncio.gather(*(self._one(i, capability, method, arg) for i in instances))
        result: Gathered[Any] = Gathered()
        for inst, outcome in zip(instances, outcomes, strict=True):
            value, status = settle(*outcome)  # a partial load is served, and reported degraded
            result.statuses.append(status)
            if value is not None:
                result.results.append((inst, value))
        return result

    async def _one(self, inst: Instance, capability: str, method: str, arg: Any) -> tuple[Any, SourceStatus]:
        ttl = float(getattr(self.settings.cache.ttl, capability))
        key = self._key(inst, capability, arg, ttl)
        last_key = f"{self._prefix(inst)}|{capability}|last"
        cacheable = inst.spec.cacheable and ttl > 0
        entry = self._get(key, ttl) if cacheable else None
        if entry is not None and entry.age() <= ttl:
            return entry.value, self._status(inst, capability, SourceState.OK, entry)
        skip = self._skip(inst)
        if skip is not None:  # not asked at all: the breaker is open, or it already timed out in this call
            return self._fallback(inst, capability, last_key, cacheable, skip)
        servable = entry is not None and entry.age() <= self.settings.cache.ttl.stale_max
        if entry is not None and servable and capability in BULK and key not in self._failures:
            self._refresh_in_background(inst, capability, method, arg, key, last_key)
            return entry.value, self._status(inst, capability, SourceState.OK, entry)
        # After a failed refresh, ask in the foreground: a recovery shows at once, and a
        # continuing failure is reported as stale with its reason instead of hiding as ok.
        budget = deadline.current()
        limit = self.settings.limits.source_timeout_seconds
        timeout = budget.wait_for(limit) if budget is not None else limit
        try:
            value = await asyncio.wait_for(
                self._fetch(inst, capability, method, arg, key, last_key, cacheable), timeout=timeout
            )
        except Exception as exc:  # SourceError, TimeoutError, or a connector bug: all become a status
            reason = _reason(inst, exc, timeout)
            if isinstance(exc, TimeoutError):
                self._timed_out(inst, key, budget, reason)
            return self._fallback(inst, capability, last_key, cacheable, reason)
        return value, SourceStatus(
            source=inst.name,
            type=inst.spec.type,
            capability=capability,
            state=SourceState.OK,
            age_seconds=0.0,
            items=_count(value),
        )

    def _fallback(
        self, inst: Instance, capability: str, last_key: str, cacheable: bool, reason: str
    ) -> tuple[Any, SourceStatus]:
        """The source was not asked or did not answer: its last good answer as stale, or failed."""
        stale = self._get(last_key) if cacheable else None
        if stale is not None and stale.age() <= self.settings.cache.ttl.stale_max:
            return stale.value, self._status(inst, capability, SourceState.STALE, stale, reason)
        return None, SourceStatus(
            source=inst.name, type=inst.spec.type, capability=capability, state=SourceState.FAILED, detail=reason
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

    async def _fetch(
        self, inst: Instance, capability: str, method: str, arg: Any, key: str, last_key: str, cacheable: bool
    ) -> Any:
        # One fetch per key at a time: concurrent identical questions share the answer, and a
        # slow bulk load keeps running after a caller's deadline so the next call finds it done.
        task = self._inflight.get(key)
        if task is None:
            task = self._start(inst, capability, method, arg, key, last_key, cacheable)
        return await asyncio.shield(task)

    def _start(
        self, inst: Instance, capability: str, method: str, arg: Any, key: str, last_key: str, cacheable: bool
    ) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(self._load(inst, capability, method, arg, key, last_key, cacheable))
        self._inflight[key] = task
        task.add_done_callback(lambda t: self._landed(t, inst, key))
        return task

    async def _load(
        self, inst: Instance, capability: str, method: str, arg: Any, key: str, last_key: str, cacheable: bool
    ) -> Any:
        """Ask the source and remember its answer; with a cache shared by several replicas, only
        one of them asks and the others take its stored answer."""

        def store(value: Any) -> None:
            if cacheable:
                self._store(key, last_key, Entry(value, time.time()), shared=True)

        if not (cacheable and isinstance(self.cache, SharedCache)):
            value = await self._reported(inst, method, arg)
            store(value)
            return value
        entry = await single_flight(
            self.cache,
            key,
            fresh_for=float(getattr(self.settings.cache.ttl, capability)),
            lease=self.settings.limits.source_timeout_seconds,
            fetch=lambda: self._reported(inst, method, arg),
            store=store,
        )
        self._store(key, last_key, entry, shared=False)  # a peer's answer keeps its own age
        return entry.value

    def _store(self, key: str, last_key: str, entry: Entry, *, shared: bool) -> None:
        for k in (key, last_key):
            if shared:
                self.cache.set(k, entry.value, keep_seconds=self.settings.cache.ttl.stale_max)
            self._memory[k] = entry

    def _landed(self, task: asyncio.Task[Any], inst: Instance, key: str) -> None:
        self._inflight.pop(key, None)
        if task.cancelled():
            return
        exc = task.exception()  # retrieving it also marks it handled
        if exc is not None:
            # Remembered so a background refresh that failed is reported, not hidden behind "ok".
            self._failures[key] = _reason(inst, exc, self.settings.limits.source_timeout_seconds)
            if task not in self._counted:
                self.breaker(inst).failure(self._failures[key])
            return
        # An answer, even one that came after its callers stopped waiting: the source is alive.
        self.breaker(inst).success()
        self._failures.pop(key, None)

    async def _reported(self, inst: Instance, method: str, arg: Any) -> Any:
        # The value travels (and is cached) with the problems of the load that produced it.
        return attach(inst.connector, await self._call(inst, method, arg))

    async def _call(self, inst: Instance, method: str, arg: Any) -> Any:
        fn: Callable[..., Awaitable[Any]] = getattr(inst.connector, method)
        if arg is None:
            return self._clean(await fn())  # secrets masked, text fenced: once, where data enters
        args = arg if isinstance(arg, tuple) else (arg,)  # a tuple carries several arguments
        return self._clean(await fn(*args))

    def _refresh_in_background(
        self, inst: Instance, capability: str, method: str, arg: Any, key: str, last_key: str
    ) -> None:
        if key not in self._inflight:
            self._start(inst, capability, method, arg, key, last_key, True)

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

    def memo_sizes(self) -> dict[str, int]:
        """How much the hub remembers between calls (bounded; for soak tests and debugging)."""
        return {"memory": len(self._memory), "failures": len(self._failures), "inflight": len(self._inflight)}

    def _key(self, inst: Instance, capability: str, arg: Any, ttl: float) -> str:
        base = f"{self._prefix(inst)}|{capability}"
        if arg is None:
            return base
        bucket = max(ttl, 1.0)  # calls inside one TTL bucket share a window key
        parts = arg if isinstance(arg, tuple) else (arg,)
        return "|".join([base, *(_key_part(p, bucket) for p in parts)])

    def _status(
        self, inst: Instance, capability: str, state: SourceState, entry: Entry, detail: str | None = None
    ) -> SourceStatus:
        return SourceStatus(
            source=inst.name,
            type=inst.spec.type,
            capability=capability,
            state=state,
            age_seconds=round(entry.age(), 1),
            detail=detail,
            items=_count(entry.value),
        )

    async def aclose(self) -> None:
        for task in list(self._inflight.values()):
            task.cancel()
        self._inflight.clear()


def _key_part(arg: Any, bucket: float) -> str:
    if isinstance(arg, TimeWindow):
        return f"{int(arg.since.timestamp() // bucket)}|{int(arg.until.timestamp() // bucket)}"
    if isinstance(arg, datetime):
        return f"{int(arg.timestamp() // bucket)}"
    if isinstance(arg, tuple | list | frozenset):  # names asked about: order does not matter
        return ",".join(sorted(map(str, arg)))
    return repr(arg)


def config_digest(config: BaseModel) -> str:
    """Short stable hash of an instance's validated config; secrets enter only as their hash."""

    def plain(value: Any) -> Any:
        if isinstance(value, SecretStr):
            return hashlib.sha256(value.get_secret_value().encode()).hexdigest()
        return str(value)

    text = json.dumps(config.model_dump(), default=plain, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _count(value: Any) -> int | None:
    if isinstance(value, list | tuple):
        return len(value)
    services = getattr(value, "services", None)
    return len(services) if isinstance(services, tuple) else None


def _reason(inst: Instance, exc: BaseException, timeout: float) -> str:
    if isinstance(exc, TimeoutError):
        return (
            f"no answer within {round(timeout, 1):g} s; the source is slow or unreachable "
            "(it keeps loading in the background)"
        )
    if isinstance(exc, SourceError):
        exc.instance = exc.instance or inst.name
        text = str(exc)
        return text.removeprefix(f"{inst.name}: ")
    log.exception("connector %s (%s) raised an unexpected error", inst.name, inst.spec.type, exc_info=exc)
    return f"connector bug: {type(exc).__name__}; see the server log"


def _filter(got: Gathered[Any], keep: Callable[[Any], bool]) -> Gathered[Any]:
    got.results = [(inst, [v for v in value if keep(v)]) for inst, value in got.results]
    return got
