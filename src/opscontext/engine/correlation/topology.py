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
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from weakref import WeakKeyDictionary

from opscontext.engine.correlation.models import CorrelationOptions
from opscontext.engine.correlation.named_changes import NameIndex
from opscontext.engine.correlation.walks import Spans, TimeNear, down_levels
from opscontext.engine.graph import GraphIndex, ServiceGraph


@dataclass(slots=True)
class MeetingIndex:
    """``at[m]`` lists ``(distance, alerting service)`` for every alerting service reaching m.

    Left out: nodes only one walk reaches (nothing meets there), silent nodes at the last hop,
    and silent hubs (more than ``hub_degree`` dependents): a hub links nothing unless it alerts
    itself, so listing its thousands of callers would only cost every reader time. At an
    alerting hub, with onset spans given, only callers alerting at about the same time are
    listed (they are the only ones it can link); ``direct`` keeps the count the hub's
    chance test needs (see :func:`~opscontext.engine.correlation.grouping.hub_explains`).
    """

    at: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    alerting: frozenset[str] = frozenset()
    max_hops: int = 3
    hub_degree: int = 40
    hubs: frozenset[str] = frozenset()  # every node of the graph with over hub_degree dependents
    # Alerting hub -> episodes of all its alerting direct callers, before the time filter.
    direct: dict[str, int] = field(default_factory=dict)
    # Alerting service -> its whole walk per hop as node ids (``ids``/``names`` translate), so
    # in-group dependencies are read from the walks rather than from ``at``, whose last-hop
    # entries may be limited to services alerting at about the same time (see build_index).
    id_walks: dict[str, tuple[tuple[int, ...], ...]] = field(default_factory=dict)
    ids: Mapping[str, int] = field(default_factory=dict)
    names: Sequence[str] = ()
    points: frozenset[int] = frozenset()  # ids of the meeting points (the keys of ``at``)

    def in_group(self, services: Collection[str]) -> list[tuple[int, str, str]]:
        """``(distance, s, m)`` for every pair of ``services`` where ``m`` is a dependency of
        ``s`` within ``max_hops`` (as far as s's capped walk reached), one C-level set
        intersection per hop of each walk."""
        ids, names, walks = self.ids, self.names, self.id_walks
        group = {ids[s] for s in services if s in ids}
        out: list[tuple[int, str, str]] = []
        for s in services:
            for depth, level in enumerate(walks.get(s, ()), 1):
                hit = group.intersection(level)
                if hit:  # rarely: most members do not depend on each other
                    out.extend([(depth, s, names[m]) for m in hit])
        return out

    def is_hub(self, m: str) -> bool:
        return m in self.hubs

    def near(self, s: str, hops: int) -> list[str]:
        """Dependencies of alerting ``s`` at distance 1..``hops`` that are meeting points, i.e.
        exactly the ``m`` whose ``at[m]`` holds ``(a, s)`` with ``0 < a <= hops``, read from the
        memoised walk instead of scanning the whole index."""
        walk = self.id_walks.get(s)
        if walk is None:
            return []
        points, names = self.points, self.names
        return [names[m] for level in walk[:hops] for m in level if m in points]


@dataclass(frozen=True, slots=True)
class Adjacency:
    succ: dict[str, tuple[str, ...]]  # service -> its dependencies
    pred: dict[str, tuple[str, ...]]  # service -> its dependents
    ix: GraphIndex | None = None  # the integer index the name view was read from
    # Memoised bounded walks: (max_hops, max_reach) -> node id -> nodes first reached at each
    # hop. The graph never changes, so a walk done for one correlation serves every later one.
    walks: dict[tuple[int, int], dict[int, tuple[tuple[int, ...], ...]]] = field(default_factory=dict)
    # Memoised dependents_within answers: (start, max_hops, cap) -> nearest dependents.
    ups: dict[tuple[str, int, int], tuple[str, ...]] = field(default_factory=dict)
    # hub_degree -> the hubs (over that many dependents), as node ids and as names.
    hubs: dict[int, tuple[frozenset[int], frozenset[str]]] = field(default_factory=dict)
    # hub_degree -> service -> its dependencies that are not hubs (silent-candidate search).
    light: dict[int, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    # The services by spelling, for changes whose key names one; built when first asked (at
    # most one entry: a frozen dataclass holds its memos in containers).
    spellings: list[NameIndex] = field(default_factory=list)


def spelling(adj: Adjacency) -> NameIndex:
    """``adj``'s services by spelling (:class:`NameIndex`), built once per graph."""
    if not adj.spellings:
        adj.spellings.append(NameIndex(adj.succ))
    return adj.spellings[0]


def light_deps(adj: Adjacency, hub_degree: int, s: str) -> tuple[str, ...]:
    """``s``'s dependencies with at most ``hub_degree`` dependents, remembered per graph."""
    known = adj.light.setdefault(hub_degree, {})
    deps = known.get(s)
    if deps is None:
        pred = adj.pred
        deps = known[s] = tuple([d for d in adj.succ[s] if len(pred[d]) <= hub_degree])
    return deps


def hubs_of(adj: Adjacency, hub_degree: int) -> tuple[frozenset[int], frozenset[str]]:
    """Nodes with more than ``hub_degree`` dependents (ids only with an integer index)."""
    known = adj.hubs.get(hub_degree)
    if known is None:
        names = frozenset(m for m, up in adj.pred.items() if len(up) > hub_degree)
        ids = frozenset(adj.ix.ids[m] for m in names) if adj.ix is not None else frozenset()
        known = adj.hubs[hub_degree] = (ids, names)
    return known


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


def prepare(graph: ServiceGraph, hub_degree: int, max_hops: int | None = None,
            max_reach: int | None = None) -> Adjacency:
    """Build what every correlation over ``graph`` shares and no alert changes (the name
    adjacency, the spelling index for changes named in summaries, the hubs, and every node's
    bounded walk down its dependencies with the default ``max_hops``/``max_reach``), so a server
    can pay for it while it loads instead of in its first call (0.13 s CPU at 50k services, and
    0.2 s more for the walks of 34k alerting services out of 50k)."""
    adj = adjacency(graph)
    spelling(adj)
    hubs_of(adj, hub_degree)
    if adj.ix is not None:
        defaults = CorrelationOptions()
        hops = defaults.max_hops if max_hops is None else max_hops
        reach = defaults.max_reach if max_reach is None else max_reach
        memo = adj.walks.setdefault((hops, reach), {})
        fwd = adj.ix.fwd
        for s in range(len(fwd)):
            if s not in memo:
                memo[s] = down_levels(fwd, s, hops, reach)
    return adj


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


def build_index(
    adj: Adjacency, alerting: Iterable[str], *, max_hops: int, hub_degree: int, max_reach: int,
    spans: Spans | None = None, margin: float = 0.0, centres: dict[str, tuple[int, ...]] | None = None,
) -> MeetingIndex:
    """Walk down from each alerting service once and record where it meets others.

    The walks run over integer ids and are memoised per graph; names come back only for the
    nodes where two or more walks meet (or an alerting node), which is a small share of all
    visits.

    With ``spans`` (alerting service -> its episodes' (first, last) onsets), an entry at the
    last hop is kept only when the two services' episodes come within ``margin`` seconds: such
    an entry can only ever pair at distance 0, as a dependency link, and those need close onsets.
    That drops most of the index at scale (an alerting hub's callers over a whole day).
    ``centres``: time buckets per service already worked out for the same spans and margin
    (:class:`TimeNear`), filled in with the rest.
    """
    ix = adj.ix
    if ix is None:
        return _build_index_by_name(adj, alerting, max_hops=max_hops, hub_degree=hub_degree,
                                    max_reach=max_reach)
    ids, names, fwd = ix.ids, ix.names, ix.fwd
    alerting_ids = {ids[s] for s in alerting if s in ids}
    hubs, hub_names = hubs_of(adj, hub_degree)
    memo = adj.walks.setdefault((max_hops, max_reach), {})
    last = max_hops - 1
    near = TimeNear(ids, spans, margin, alerting_ids, centres) if spans is not None else None
    at: dict[int, list[tuple[int, str]]] = {}
    direct: dict[int, int] = {}
    id_walks: dict[str, tuple[tuple[int, ...], ...]] = {}
    for s in alerting_ids:
        levels = memo.get(s)
        if levels is None:
            levels = memo[s] = down_levels(fwd, s, max_hops, max_reach)
        name = names[s]
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
            if depth < last or not depth:
                hit = hubs.intersection(level)
                if hit:
                    found = _without_far_hubs(found, hit, alerting_ids, near, name, depth, direct)
            for m in found:
                entries = at.get(m)
                if entries is None:
                    at[m] = [mark]
                else:
                    entries.append(mark)
    kept = [m for m, e in at.items() if m in alerting_ids or (len(e) > 1 and m not in hubs)]
    return MeetingIndex(at={names[m]: at[m] for m in kept}, alerting=frozenset(names[i] for i in alerting_ids),
                        max_hops=max_hops, hub_degree=hub_degree, hubs=hub_names,
                        direct={names[h]: n for h, n in direct.items()},
                        id_walks=id_walks, ids=ids, names=names, points=frozenset(kept))


def _without_far_hubs(
    found: Iterable[int], hit: AbstractSet[int], alerting_ids: set[int], near: TimeNear | None, name: str,
    depth: int, direct: dict[int, int],
) -> list[int]:
    """``found`` without the hubs of ``hit`` that could never link ``name``: silent hubs (they
    link nothing) and, when onset times are known, alerting hubs that alert at other times (a
    hub links its callers only by dependency links, which need close onsets). Direct callers
    are counted at every alerting hub first, for the hub's chance test."""
    loud = hit & alerting_ids
    if near is None:
        drop = hit - loud
    else:
        if not depth:
            episodes = len(near.spans[name])
            for h in loud:
                direct[h] = direct.get(h, 0) + episodes
        drop = hit - set(near.intersection(name, loud)) if loud else hit
    return [m for m in found if m not in drop]


def _build_index_by_name(
    adj: Adjacency, alerting: Iterable[str], *, max_hops: int, hub_degree: int, max_reach: int
) -> MeetingIndex:
    """The name-keyed build, for an adjacency made by hand without an integer index."""
    pred = adj.pred
    alerting_set = frozenset(s for s in alerting if s in pred)
    names = sorted(pred)
    ids = {n: i for i, n in enumerate(names)}
    at: dict[str, list[tuple[int, str]]] = {}
    id_walks: dict[str, tuple[tuple[int, ...], ...]] = {}
    for s in alerting_set:
        reach = down_reach(adj, s, max_hops, max_reach)
        levels = [tuple(m for m, a in reach.items() if a == d) for d in range(1, max_hops + 1)]
        id_walks[s] = tuple(tuple(ids[m] for m in lv) for lv in levels)
        for m, a in reach.items():
            if a < max_hops or m in alerting_set:
                at.setdefault(m, []).append((a, s))
    kept = {m: e for m, e in at.items() if m in alerting_set or (len(e) > 1 and len(pred[m]) <= hub_degree)}
    return MeetingIndex(
        at=kept,
        alerting=alerting_set,
        max_hops=max_hops,
        hub_degree=hub_degree,
        hubs=hubs_of(adj, hub_degree)[1],
        id_walks=id_walks,
        ids=ids,
        names=names,
        points=frozenset(ids[m] for m in kept),
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
