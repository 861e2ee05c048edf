"""Bounded graph neighbourhoods of the alerting services, indexed by meeting point.

Two alerting services can be symptoms of one fault when a fault at some node ``m`` would reach
both: ``m`` is each one's dependency within a few hops (a shared dependency, which may itself be
silent), or ``m`` is one of them (a chain, possibly through silent hops). Paths that go *up* to
a shared caller and back down are not failure paths, so two services merely called by the same
front end are never linked by that.

Each alerting service walks *down* its dependencies once, breadth-first, to ``max_hops`` with a
visit cap, and leaves ``(distance, service)`` at every node it reaches: the meeting index. A pair
meeting at ``m`` at distances ``a`` and ``b`` is linked when ``a + b <= max_hops``. Grouping
reads the index to link episodes; ranking reads it again to see who explains whom, so the graph
is walked once per alerting service and never per pair of alerts.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from weakref import WeakKeyDictionary

from opscontext.engine.graph import GraphIndex, ServiceGraph


@dataclass(slots=True)
class MeetingIndex:
    """``at[m]`` lists ``(distance, alerting service)`` for every alerting service reaching m.

    Left out: nodes only one walk reaches (nothing meets there), silent nodes at the last hop,
    and silent hubs (more than ``hub_degree`` dependents): a hub links nothing unless it alerts
    itself, so listing its thousands of callers would only cost every reader time.
    ``in_degree`` still answers :meth:`is_hub` for those.
    """

    at: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    alerting: frozenset[str] = frozenset()
    max_hops: int = 3
    hub_degree: int = 40
    in_degree: dict[str, int] = field(default_factory=dict)
    # Alerting service -> its walk as names per hop (hops below max_hops only), for near().
    walks: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    # Alerting service -> its whole walk per hop as node ids (``ids``/``names`` translate), so
    # in-group dependencies are read from the walks rather than from ``at``, whose last-hop
    # entries may be limited to services alerting at about the same time (see build_index).
    id_walks: dict[str, tuple[tuple[int, ...], ...]] = field(default_factory=dict)
    ids: Mapping[str, int] = field(default_factory=dict)
    names: Sequence[str] = ()

    def in_group(self, services: Collection[str]) -> list[tuple[int, str, str]]:
        """``(distance, s, m)`` for every pair of ``services`` where ``m`` is a dependency of
        ``s`` within ``max_hops`` (as far as s's capped walk reached), one C-level set
        intersection per hop of each walk."""
        ids, names = self.ids, self.names
        group = {ids[s] for s in services if s in ids}
        out: list[tuple[int, str, str]] = []
        for s in services:
            for depth, level in enumerate(self.id_walks.get(s, ()), 1):
                out.extend([(depth, s, names[m]) for m in group.intersection(level)])
        return out

    def is_hub(self, m: str) -> bool:
        return self.in_degree.get(m, 0) > self.hub_degree

    def near(self, s: str, hops: int) -> list[str]:
        """Dependencies of alerting ``s`` at distance 1..``hops`` that are meeting points, i.e.
        exactly the ``m`` whose ``at[m]`` holds ``(a, s)`` with ``0 < a <= hops``, read from the
        memoised walk instead of scanning the whole index."""
        walk = self.walks.get(s)
        if walk is None:
            return []
        at = self.at
        return [m for level in walk[:hops] for m in level if m in at]

    def links_at(self, m: str) -> bool:
        """Whether distances at ``m`` may pair beyond the chain case (m itself alerting)."""
        return not self.is_hub(m)


@dataclass(frozen=True, slots=True)
class Adjacency:
    succ: dict[str, tuple[str, ...]]  # service -> its dependencies
    pred: dict[str, tuple[str, ...]]  # service -> its dependents
    ix: GraphIndex | None = None  # the integer index the name view was read from
    # Memoised bounded walks: (max_hops, max_reach) -> node id -> nodes first reached at each
    # hop. The graph never changes, so a walk done for one correlation serves every later one.
    # Each entry keeps the walk as ids per hop and, for near(), as names below the last hop.
    walks: dict[tuple[int, int], dict[int, tuple[tuple[tuple[int, ...], ...], tuple[tuple[str, ...], ...]]]] = (
        field(default_factory=dict))
    # Memoised dependents_within answers: (start, max_hops, cap) -> nearest dependents.
    ups: dict[tuple[str, int, int], tuple[str, ...]] = field(default_factory=dict)


# A ServiceGraph is immutable once built, so its name adjacency is built once, from the compact
# integer index (never the networkx view, which costs over a second at 50k services), and reused
# by every correlation over it.
_ADJACENCY: WeakKeyDictionary[ServiceGraph, Adjacency] = WeakKeyDictionary()


def adjacency(graph: ServiceGraph) -> Adjacency:
    cached = _ADJACENCY.get(graph)
    if cached is None:
        ix = graph.index
        names = ix.names
        cached = Adjacency(
            succ={names[i]: tuple([names[j] for j in row]) for i, row in enumerate(ix.fwd)},
            # Dependents sorted by name once here, so listing them never sorts per call.
            pred={names[i]: tuple(sorted([names[j] for j in row])) for i, row in enumerate(ix.rev)},
            ix=ix,
        )
        _ADJACENCY[graph] = cached
    return cached


def down_reach(adj: Adjacency, start: str, max_hops: int, max_reach: int) -> dict[str, int]:
    """Dependencies of ``start`` within ``max_hops`` (including itself at 0), capped."""
    succ = adj.succ
    dist = {start: 0}
    frontier = [start]
    for depth in range(1, max_hops + 1):
        nxt: list[str] = []
        for node in frontier:
            for dep in succ[node]:
                if dep not in dist:
                    dist[dep] = depth
                    nxt.append(dep)
                    if len(dist) >= max_reach:
                        return dist
        frontier = nxt
    return dist


def down_levels(fwd: list[list[int]], start: int, max_hops: int, max_reach: int) -> tuple[tuple[int, ...], ...]:
    """:func:`down_reach` over integer ids: the nodes first reached at hop 1, 2, ... (the same
    nodes), without building a dict per walk.

    Each hop is one C-level set union and difference. Order inside a hop does not matter to any
    reader; only when the visit cap cuts a hop short does the order decide *which* nodes are
    kept, so such a walk is redone in :func:`down_reach`'s exact visiting order.
    """
    seen = {start}
    levels: list[tuple[int, ...]] = []
    frontier: Iterable[int] = (start,)
    for _ in range(max_hops):
        nxt = set().union(*[fwd[node] for node in frontier])
        nxt -= seen
        if len(seen) + len(nxt) >= max_reach:
            return _ordered_levels(fwd, start, max_hops, max_reach)
        seen |= nxt
        levels.append(tuple(nxt))
        frontier = nxt
    return tuple(levels)


def _ordered_levels(fwd: list[list[int]], start: int, max_hops: int, max_reach: int) -> tuple[tuple[int, ...], ...]:
    seen = {start}
    levels: list[tuple[int, ...]] = []
    frontier = [start]
    for _ in range(max_hops):
        nxt: list[int] = []
        for node in frontier:
            for dep in fwd[node]:
                if dep not in seen:
                    seen.add(dep)
                    nxt.append(dep)
                    if len(seen) >= max_reach:
                        levels.append(tuple(nxt))
                        return tuple(levels)
        levels.append(tuple(nxt))
        frontier = nxt
    return tuple(levels)


Spans = Mapping[str, Sequence[tuple[float, float]]]


def build_index(
    adj: Adjacency, alerting: Iterable[str], *, max_hops: int, hub_degree: int, max_reach: int,
    spans: Spans | None = None, margin: float = 0.0,
) -> MeetingIndex:
    """Walk down from each alerting service once and record where it meets others.

    The walks run over integer ids and are memoised per graph; names come back only for the
    nodes where two or more walks meet (or an alerting node), which is a small share of all
    visits.

    With ``spans`` (alerting service -> its episodes' (first, last) onsets), an entry at the
    last hop is kept only when the two services' episodes come within ``margin`` seconds: such
    an entry can only ever pair at distance 0, as a dependency link, and those need close onsets.
    That drops most of the index at scale (an alerting hub's callers over a whole day).
    """
    ix = adj.ix
    if ix is None:
        return _build_index_by_name(adj, alerting, max_hops=max_hops, hub_degree=hub_degree,
                                    max_reach=max_reach)
    ids, names, fwd, rev = ix.ids, ix.names, ix.fwd, ix.rev
    alerting_ids = {ids[s] for s in alerting if s in ids}
    alerting_set = frozenset(names[i] for i in alerting_ids)
    memo = adj.walks.setdefault((max_hops, max_reach), {})
    last = max_hops - 1
    near = _TimeNear(ids, spans, margin, alerting_ids) if spans is not None else None
    at: dict[int, list[tuple[int, str]]] = {}
    walks: dict[str, tuple[tuple[str, ...], ...]] = {}
    id_walks: dict[str, tuple[tuple[int, ...], ...]] = {}
    for s in alerting_ids:
        walk = memo.get(s)
        if walk is None:
            levels = down_levels(fwd, s, max_hops, max_reach)
            walk = memo[s] = (levels, tuple(tuple([names[m] for m in lv]) for lv in levels[:last]))
        levels = walk[0]
        name = names[s]
        walks[name] = walk[1]
        id_walks[name] = levels
        at.setdefault(s, []).append((0, name))
        for depth, level in enumerate(levels):
            mark = (depth + 1, name)  # one shared tuple per level, not one per visit
            # A silent node at the last hop can only pair at distance 0, which silent nodes have
            # not got; leaving it out keeps the index a fraction of the neighbourhood size.
            if depth < last:
                found: Iterable[int] = level
            else:
                # (hop 1 stays whole even when it is the last: hubs weigh their direct callers)
                found = (near.intersection(name, level) if near and depth
                         else alerting_ids.intersection(level))
            for m in found:
                entries = at.get(m)
                if entries is None:
                    at[m] = [mark]
                else:
                    entries.append(mark)
    kept = {names[m]: e for m, e in at.items()
            if m in alerting_ids or (len(e) > 1 and len(rev[m]) <= hub_degree)}
    in_degree = {names[m]: len(rev[m]) for m, e in at.items() if len(e) > 1 or m in alerting_ids}
    return MeetingIndex(at=kept, alerting=alerting_set, max_hops=max_hops, hub_degree=hub_degree,
                        in_degree=in_degree, walks=walks, id_walks=id_walks, ids=ids, names=names)


class _TimeNear:
    """Alerting services with an episode within ``margin`` of a given service's episodes, found
    through time buckets ``margin`` wide: a hop's nodes are intersected with the sets of
    who alerts in three or four buckets instead of with every alerting service of the window."""

    def __init__(self, ids: Mapping[str, int], spans: Spans, margin: float, everyone: set[int]) -> None:
        self.width = max(margin, 1.0)
        self.margin = margin
        self.spans = spans
        self.everyone = everyone
        self.buckets: dict[int, set[int]] = {}
        width = self.width
        for service, episodes in spans.items():
            i = ids.get(service)
            if i is None:
                continue
            for first, last in episodes:
                for b in range(int(first // width), int(last // width) + 1):
                    self.buckets.setdefault(b, set()).add(i)

    def intersection(self, service: str, level: tuple[int, ...]) -> Iterable[int]:
        width, margin = self.width, self.margin
        keys: Iterable[int]
        episodes = self.spans[service]
        if len(episodes) == 1:  # most services: one episode, one range of buckets
            first, last = episodes[0]
            keys = range(int((first - margin) // width), int((last + margin) // width) + 1)
        else:
            keys = {b for first, last in episodes
                    for b in range(int((first - margin) // width), int((last + margin) // width) + 1)}
        if len(keys) > 24:  # alerting for hours: most of the day is near, check everyone
            return self.everyone.intersection(level)
        found: set[int] | None = None
        buckets = self.buckets
        for b in keys:
            bucket = buckets.get(b)
            if bucket:
                hit = bucket.intersection(level)
                if hit:
                    found = hit if found is None else found | hit
        return found or ()


def _build_index_by_name(
    adj: Adjacency, alerting: Iterable[str], *, max_hops: int, hub_degree: int, max_reach: int
) -> MeetingIndex:
    """The name-keyed build, for an adjacency made by hand without an integer index."""
    pred = adj.pred
    alerting_set = frozenset(s for s in alerting if s in pred)
    names = sorted(pred)
    ids = {n: i for i, n in enumerate(names)}
    at: dict[str, list[tuple[int, str]]] = {}
    walks: dict[str, tuple[tuple[str, ...], ...]] = {}
    id_walks: dict[str, tuple[tuple[int, ...], ...]] = {}
    for s in alerting_set:
        reach = down_reach(adj, s, max_hops, max_reach)
        levels = [tuple(m for m, a in reach.items() if a == d) for d in range(1, max_hops + 1)]
        walks[s] = tuple(levels[: max_hops - 1])
        id_walks[s] = tuple(tuple(ids[m] for m in lv) for lv in levels)
        for m, a in reach.items():
            if a < max_hops or m in alerting_set:
                at.setdefault(m, []).append((a, s))
    in_degree = {m: len(pred[m]) for m, entries in at.items() if len(entries) > 1 or m in alerting_set}
    return MeetingIndex(
        at={m: e for m, e in at.items()
            if m in alerting_set or (len(e) > 1 and len(pred[m]) <= hub_degree)},
        alerting=alerting_set,
        max_hops=max_hops,
        hub_degree=hub_degree,
        in_degree=in_degree,
        walks=walks,
        id_walks=id_walks,
        ids=ids,
        names=names,
    )


def dependents_within(adj: Adjacency, start: str, max_hops: int, cap: int) -> list[str]:
    """Services that depend on ``start`` within ``max_hops`` (nearest first), capped."""
    pred = adj.pred
    if start not in pred:
        return []
    key = (start, max_hops, cap)
    known = adj.ups.get(key)
    if known is None:
        if len(adj.ups) >= 200_000:  # distinct options could grow it without bound
            adj.ups.clear()
        known = adj.ups[key] = tuple(_dependents_within(adj, start, max_hops, cap))
    return list(known)


def _dependents_within(adj: Adjacency, start: str, max_hops: int, cap: int) -> list[str]:
    pred = adj.pred
    presorted = adj.ix is not None  # built by adjacency(): dependents already sorted by name
    seen = {start}
    out: list[str] = []
    frontier = [start]
    for _ in range(max_hops):
        nxt: list[str] = []
        for node in frontier:
            for up in pred[node] if presorted else sorted(pred[node]):
                if up not in seen:
                    seen.add(up)
                    out.append(up)
                    nxt.append(up)
                    if len(out) >= cap:
                        return out
        frontier = nxt
    return out
