"""Windowed sources that hold every item in memory, sanitised once per version and windowed by bisection.

A file source (Alertmanager snapshots, CDEvents) parses its files once and hands back the same
objects until they change, yet the hub used to receive a freshly windowed copy on every call and
sanitise it item by item (95k alerts and 25k changes: 1.9 s the first time, 0.2 s of memo
look-ups on every later call).
A connector that declares a snapshot method (:class:`Snapshot`: ``alerts_snapshot`` beside
``alerts``, ``changes_snapshot`` beside ``changes``) gives the hub its whole item list instead; the hub
keeps one :class:`Prepared` per source version (the list object: the same while the files are
unchanged), sanitised once and indexed by time, and answers each window from it. The server's
background load (``opscontext.warm``) prepares it before the first call.

The window is exact: bisection only narrows the candidates (items past the window's end, and
items that all ended before its start), and the capability's own ``keep`` filter decides each
remaining one (for alerts and changes, whose filters accept exactly the items whose span meets
the window, their recorded ends do: :data:`OVERLAP`), so the answer holds the same items in the
same order as the connector's own windowed method, which a :class:`Snapshot` promises filters
its snapshot with ``keep``.
"""

from __future__ import annotations

import asyncio
import logging
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import accumulate
from typing import TYPE_CHECKING, Any, Protocol

from opscontext.capabilities import ALERTS, CAPABILITIES, CHANGES
from opscontext.capability import Capability
from opscontext.gcpause import long_lived
from opscontext.models import Alert, Change, TimeWindow

if TYPE_CHECKING:
    from opscontext.registry import Registry

log = logging.getLogger(__name__)

THREAD_ABOVE = 2_000  # items; preparing more runs off the event loop
_OPEN = datetime.max.replace(tzinfo=UTC)  # an item still active: ends after any window
Span = Callable[[Any], tuple[datetime, datetime]]


class Snapshot(Protocol):
    """A windowed source whose items are all in memory (files parsed once), shown for ``alerts``.

    The method is named after the capability's method plus ``_snapshot`` (``alerts_snapshot``,
    ``changes_snapshot``), so one connector can serve several capabilities this way. Called by
    the hub instead of the windowed method. The windowed method must return exactly
    the snapshot's items that the capability's ``keep`` filter accepts, in snapshot order. Checked
    on the class (:func:`snapshot_of`), never through an instance's ``__getattr__``: a wrapper
    that changes items (replay shifts their times) must not leak its inner source's snapshot.
    """

    async def alerts_snapshot(self) -> list[Any]:
        """Every item; the same list object while the data is unchanged. Raises as the windowed
        method would."""


def snapshot_of(connector: object, capability: Capability[..., Any]) -> Callable[[], Any] | None:
    """The connector's bound snapshot method for ``capability`` when its class declares one, else
    None (bulk capabilities are cached whole already and have none)."""
    name = f"{capability.method_name}_snapshot"
    if capability.bulk or not callable(getattr(type(connector), name, None)):
        return None
    return getattr(connector, name)  # type: ignore[no-any-return]


def _alert_span(alert: Alert) -> tuple[datetime, datetime]:
    return alert.starts_at, alert.ends_at or _OPEN


def _change_span(change: Change) -> tuple[datetime, datetime]:
    return change.at, change.at


SPANS: dict[type, Span] = {Alert: _alert_span, Change: _change_span}
# The keep filters that accept exactly the items whose span meets the window (both ends
# included): a window for them is read from the spans, without a call per item (95k alerts:
# 0.1 s a call). test_snapshots checks every window against the filter itself.
OVERLAP: frozenset[Callable[..., bool]] = frozenset(k for k in (ALERTS.keep, CHANGES.keep) if k is not None)


class Prepared:
    """One version of a source's items, sanitised, with a time index when the item kind has one."""

    def __init__(self, source: list[Any], clean: list[Any], span: Span | None):
        self.source = source  # the connector's list: identity is the version
        self.items = clean
        self._order: list[int] = []
        self._starts: list[datetime] = []
        self._latest_end: list[datetime] = []  # running maximum of ends in start order
        self._ends: list[datetime] = []  # each item's end, in source order
        if span is not None and clean:
            spans = [span(x) for x in clean]
            self._order = sorted(range(len(clean)), key=lambda i: spans[i][0])
            self._starts = [spans[i][0] for i in self._order]
            self._latest_end = list(accumulate((spans[i][1] for i in self._order), max))
            self._ends = [end for _, end in spans]
        self._indexed = span is not None

    def extent(self) -> tuple[int, datetime, datetime, datetime | None] | None:
        """(items, earliest start, latest start, latest end or None when one is still open) of a
        time-indexed version with items; None otherwise."""
        if not self._starts:
            return None
        end = self._latest_end[-1]
        return len(self._starts), self._starts[0], self._starts[-1], None if end == _OPEN else end

    def window(self, keep: Callable[..., bool] | None, args: tuple[object, ...]) -> list[Any]:
        """The items ``keep`` accepts for ``args``, in source order."""
        if keep is None:
            return list(self.items)
        window = args[0] if args else None
        if not self._indexed or not isinstance(window, TimeWindow):
            return [x for x in self.items if keep(x, *args)]
        lo = bisect_left(self._latest_end, window.since)  # before lo every item ended earlier
        hi = bisect_right(self._starts, window.until)  # from hi every item starts later
        items, since = self.items, window.since
        if keep in OVERLAP:  # from lo to hi every item starts by the window's end
            if lo == 0 and hi == len(items):
                return [x for x, end in zip(items, self._ends, strict=True) if end >= since]
            ends = self._ends
            return [items[i] for i in sorted(i for i in self._order[lo:hi] if ends[i] >= since)]
        if lo == 0 and hi == len(items):
            return [x for x in items if keep(x, *args)]
        return [items[i] for i in sorted(i for i in self._order[lo:hi] if keep(items[i], *args))]


class Snapshots:
    """The hub's prepared snapshots, one per instance and capability, rebuilt when the source's
    list changes."""

    def __init__(self, clean: Callable[[Any], Any]):
        self._clean = clean
        self._prepared: dict[tuple[str, str], Prepared] = {}
        self._building: dict[tuple[str, str], tuple[list[Any], asyncio.Future[Prepared]]] = {}

    def latest(self, instance: str, capability: Capability[..., Any]) -> Prepared | None:
        """The version of ``instance``'s items last prepared, if any."""
        return self._prepared.get((instance, capability.name))

    async def prepared(self, instance: str, capability: Capability[..., Any], items: list[Any]) -> Prepared:
        """The prepared form of ``items`` (from ``instance``): built once per list, shared by callers."""
        name = (instance, capability.name)
        done = self._prepared.get(name)
        if done is not None and done.source is items:
            return done
        building = self._building.get(name)
        if building is None or building[0] is not items:
            future = asyncio.ensure_future(self._build(items, capability))
            self._building[name] = building = (items, future)
        try:
            prepared = await asyncio.shield(building[1])
        finally:  # done or failed, the next caller finds the result or builds anew
            if self._building.get(name, (None,))[0] is items and building[1].done():
                self._building.pop(name, None)
        self._prepared[name] = prepared
        return prepared

    async def _build(self, items: list[Any], capability: Capability[..., Any]) -> Prepared:
        make = long_lived(self._make)  # a bulk step whose result the server keeps (gcpause)
        if len(items) > THREAD_ABOVE:
            return await asyncio.to_thread(make, items, capability)
        return make(items, capability)

    def _make(self, items: list[Any], capability: Capability[..., Any]) -> Prepared:
        clean = self._clean(items)
        return Prepared(items, clean if isinstance(clean, list) else list(clean), SPANS.get(capability.item))

    async def prepare_all(self, registry: Registry) -> list[Prepared]:
        """Every snapshot source's data prepared now; a source that fails is skipped (its first
        call asks again and reports why)."""
        ready = []
        for capability in CAPABILITIES.values():
            for inst in registry.of(capability.name):
                whole = snapshot_of(inst.connector, capability)
                if whole is None:
                    continue
                try:
                    ready.append(await self.prepared(inst.name, capability, await whole()))
                except Exception as exc:
                    log.warning("preparing %s failed (%s); its first call will report why", inst.name,
                                type(exc).__name__)
        return ready

    def __len__(self) -> int:
        return len(self._prepared)
