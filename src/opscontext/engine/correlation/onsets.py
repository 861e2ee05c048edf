"""What a correlation works out before ``now`` matters, kept while its alerts are the very same objects.

Deduplication, the per-service episodes and the meeting index depend on the alerts, the graph
and a few options, never on ``now``, except two fields of an episode: its ``held`` end reads it
through an alert that has no end yet, and it has ``ended`` only if its last end is by ``now``.
A file source hands back the same frozen alerts until its files change, and the world's
resolution memo keeps their resolved copies identical, so a server works this part out for a
whole snapshot in its background load (``opscontext.warm``, :func:`prepare`) and a correlation
of the very same alerts over the same graph starts from it. A window that leaves some of the
snapshot's alerts out (a day's window, and alerts stamped after its end) starts from its
deduplication (:mod:`.narrow`), and works out the rest.

Identity, not equality, is compared (milliseconds for 100k alerts; the memo holds its inputs, so
a reused ``id`` cannot fool it). Per graph, the background's entry and the last call's are kept,
each replaced by the next different input. Nothing here is changed after it is made: a
correlation copies the episodes whose fields read ``now`` before setting them
(:meth:`Onsets.episodes`), so concurrent calls share one. A test compares them, every field,
with what :func:`build_episodes` makes at the same ``now``.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Sequence
from copy import copy
from dataclasses import dataclass
from operator import is_
from weakref import WeakKeyDictionary

from opscontext.engine.correlation.dedup import Deduped, UniqueAlert, deduplicate
from opscontext.engine.correlation.grouping import Episode, build_episodes, ended_by, held_until
from opscontext.engine.correlation.models import CorrelationOptions
from opscontext.engine.correlation.narrow import Whole
from opscontext.engine.correlation.topology import MeetingIndex, adjacency, build_index
from opscontext.engine.graph import ServiceGraph
from opscontext.models import Alert

Key = tuple[float, float, float, float, int, int, int, float]


def _key(opts: CorrelationOptions) -> Key:
    """The options these stages read (a page's listing options do not matter here)."""
    return (opts.flap_window.total_seconds(), opts.episode_gap.total_seconds(), opts.active_hold.total_seconds(),
            opts.link_window.total_seconds(), opts.max_hops, opts.hub_degree, opts.max_reach,
            opts.caller_late.total_seconds())


def link_reach(opts: CorrelationOptions) -> float:
    """How far apart in onsets two episodes can be and still be linked (:func:`grouping._explains`):
    the meeting index leaves out last-hop entries whose services never come this close.

    Not covered: a dependency starting up to ``dependency_late`` after a caller that kept firing
    long past its last onset (up to ``active_hold``) is linked at the last hop only within this
    reach. A margin covering it (hold plus late, 19 min by default) changed no accuracy figure
    on spare seeds by more than 0.002 and makes the index larger at scale."""
    return max(opts.link_window, opts.caller_late).total_seconds()


@dataclass(frozen=True, slots=True)
class Onsets:
    """Deduplicated alerts, their episodes per service and the meeting index of one input."""

    alerts: tuple[Alert, ...]  # the input, held for the identity check
    key: Key
    deduped: Deduped
    base: list[Episode]  # ``held`` worked out without ``now``: exact unless the id is in ``open``
    open: tuple[int, ...]  # episodes with an alert that has no end: their ``held`` reads ``now``
    # Episodes whose alerts all have ends, by their last end: those ending after ``now`` are
    # not ``ended`` at ``now``.
    ending: tuple[list[float], list[int]]
    by_service: dict[str, list[int]]
    index: MeetingIndex
    spans: dict[str, list[tuple[float, float]]]  # each service's episodes' (first, last) onsets
    centres: dict[str, tuple[int, ...]]  # each service's time buckets in the index (from its spans)
    no_service: int  # unique alerts without a service
    monitored: frozenset[str]  # services that raise an alert somewhere in the input
    whole: Whole | None = None  # for narrowing to a window (a snapshot's, from the background load)
    # With ``whole``: each episode's ``held`` and ``ended`` (without ``now``) by its first unique
    # alert (kept alive by ``deduped``).
    held: dict[int, tuple[float, float | None]] | None = None

    def episodes(self, now: float) -> list[Episode]:
        """The episodes as :func:`build_episodes` makes them at ``now``: the kept ones, with copies
        where ``now`` matters (an alert still open: its hold; an end after ``now``: not ended)."""
        stamps, ids = self.ending
        later = ids[bisect_right(stamps, now):]  # their last alert ends after now: still firing
        if not self.open and not later:
            return self.base
        eps = list(self.base)
        hold, unique = self.key[2], self.deduped.unique
        for i in later:
            eps[i] = copy(eps[i])
            eps[i].ended = None
        for i in self.open:  # open alerts: ended is None already
            eps[i] = copy(eps[i])
            eps[i].held = held_until(unique, eps[i], hold, now)
        return eps


def _make(alerts: tuple[Alert, ...], graph: ServiceGraph, opts: CorrelationOptions, d: Deduped,
          whole: Whole | None = None, like: tuple[Onsets, set[str | None]] | None = None) -> Onsets:
    """``like``: onsets these alerts were narrowed from, and the services whose unique alerts
    differ from theirs (every other service's episodes are theirs: their ``held`` ends, onset
    spans and time buckets are read)."""
    key = _key(opts)
    unique = d.unique
    # Without ``now`` an open alert's hold ends at its onset; those episodes are redone per call.
    if like is None:
        base, by_service = build_episodes(unique, key[1], key[2], None)
    else:  # the split alone (no hold; at a now before every end, ``ended`` stops at once), then
        base, by_service = build_episodes(unique, key[1], 0.0, float("-inf"))
        _hold(base, unique, key[2], *like)  # both read from ``like`` where they can be
    opened = {i for i, u in enumerate(unique) if u.alert.ends_at is None}
    open_ = tuple(n for n, e in enumerate(base) if not opened.isdisjoint(e.members)) if opened else ()
    ends = sorted((e.ended, n) for n, e in enumerate(base) if e.ended is not None)
    ending = ([t for t, _ in ends], [n for _, n in ends])
    spans = _spans(base, by_service, like)
    centres = {} if like is None else {s: c for s, c in like[0].centres.items() if s not in like[1]}
    index = build_index(adjacency(graph), by_service, max_hops=opts.max_hops, hub_degree=opts.hub_degree,
                        max_reach=opts.max_reach, spans=spans, margin=link_reach(opts), centres=centres)
    return Onsets(alerts, key, d, base, open_, ending, by_service, index, spans, centres,
                  no_service=sum(1 for u in unique if u.service is None),
                  monitored=frozenset(u.service for u in unique if u.service is not None), whole=whole,
                  held=None if whole is None else {id(unique[e.members[0]]): (e.held, e.ended) for e in base})


def _spans(eps: list[Episode], by_service: dict[str, list[int]], like: tuple[Onsets, set[str | None]] | None,
           ) -> dict[str, list[tuple[float, float]]]:
    """Each service's episodes' onset spans; ``like``'s list for a service it did not touch."""
    if like is None:
        return {s: [(eps[i].first, eps[i].last) for i in ids] for s, ids in by_service.items()}
    old, touched = like[0].spans, like[1]
    return {s: old[s] if s not in touched and s in old else [(eps[i].first, eps[i].last) for i in ids]
            for s, ids in by_service.items()}


def _hold(eps: list[Episode], unique: list[UniqueAlert], hold: float, like: Onsets, touched: set[str | None]) -> None:
    """Each episode's ``held`` and ``ended`` (as :func:`build_episodes` sets them without ``now``),
    read from ``like``'s episode of the same alerts where its service kept all of its unique
    alerts: the same alerts split by the same gaps give the same episodes (a test checks this)."""
    known = like.held or {}
    for e in eps:
        found = None if e.service in touched else known.get(id(unique[e.members[0]]))
        if found is None:
            e.held = held_until(unique, e, hold, None)
            e.ended = ended_by(unique, e, None)
        else:
            e.held, e.ended = found


_BASE: WeakKeyDictionary[ServiceGraph, Onsets] = WeakKeyDictionary()  # the background load's
_LAST: WeakKeyDictionary[ServiceGraph, Onsets] = WeakKeyDictionary()  # the last call's
_lock = threading.Lock()
# Calls working out onsets now, per graph: the background's :func:`prepare` stands aside for
# them rather than work out the same on the same cores while a client waits.
_CALLS: WeakKeyDictionary[ServiceGraph, int] = WeakKeyDictionary()


def _same(a: Sequence[object], b: Sequence[object]) -> bool:
    return len(a) == len(b) and all(map(is_, a, b))


def onsets(alerts: Sequence[Alert], graph: ServiceGraph, opts: CorrelationOptions) -> Onsets:
    """These alerts' onsets over ``graph``: remembered when the background load's or the last
    call's were of the very same objects with the same options, else worked out now (from the
    background's deduplication when :meth:`.Whole.narrowed` allows) and remembered as the last call's."""
    key, given = _key(opts), tuple(alerts)
    with _lock:
        known = [o for o in (_LAST.get(graph), _BASE.get(graph)) if o is not None and o.key == key]
    for o in known:
        if _same(given, o.alerts):
            return o
    base = next((o for o in known if o.whole is not None), None)
    narrowed = base.whole.narrowed(given, opts.flap_window) if base is not None and base.whole is not None else None
    with _lock:
        _CALLS[graph] = _CALLS.get(graph, 0) + 1
    try:
        if narrowed is None:
            made = _make(given, graph, opts, deduplicate(given, opts.flap_window))
        else:
            assert base is not None
            made = _make(given, graph, opts, narrowed[0], like=(base, narrowed[1]))
    finally:
        with _lock:
            _CALLS[graph] -= 1
    with _lock:
        _LAST[graph] = made
    return made


def prepare(alerts: Sequence[Alert], graph: ServiceGraph, opts: CorrelationOptions) -> Onsets | None:
    """Work out and keep the onsets of a whole snapshot (a server's background load), for the
    calls whose windows cover it, or most of it. None, and nothing kept, while a call is working
    out onsets over ``graph`` (a client that asked during the load): that call keeps its own."""
    with _lock:
        if _CALLS.get(graph):
            return None
    every = tuple(alerts)
    d = deduplicate(every, opts.flap_window)
    made = _make(every, graph, opts, d, Whole(every, d))
    with _lock:
        _BASE[graph] = made
    return made


def forget(graph: ServiceGraph) -> None:
    """Drop what is kept for ``graph`` (benchmarks that time correlating the same alerts again
    as new ones)."""
    with _lock:
        _BASE.pop(graph, None)
        _LAST.pop(graph, None)
