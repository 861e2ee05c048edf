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

from collections.abc import Iterable
from dataclasses import dataclass, field
from weakref import WeakKeyDictionary

from opscontext.engine.graph import ServiceGraph


@dataclass(slots=True)
class MeetingIndex:
    """``at[m]`` lists ``(distance, alerting service)`` for every alerting service reaching m."""

    at: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    alerting: frozenset[str] = frozenset()
    max_hops: int = 3
    hub_degree: int = 40
    in_degree: dict[str, int] = field(default_factory=dict)

    def is_hub(self, m: str) -> bool:
        return self.in_degree.get(m, 0) > self.hub_degree

    def links_at(self, m: str) -> bool:
        """Whether distances at ``m`` may pair beyond the chain case (m itself alerting)."""
        return not self.is_hub(m)


@dataclass(frozen=True, slots=True)
class Adjacency:
    succ: dict[str, tuple[str, ...]]  # service -> its dependencies
    pred: dict[str, tuple[str, ...]]  # service -> its dependents


# A ServiceGraph is immutable once built, so its plain-dict adjacency is built once and reused
# by every correlation over it: walking tuples is several times faster than asking the graph
# for a fresh list per visited node, which dominates the cost at 100k alerts.
_ADJACENCY: WeakKeyDictionary[ServiceGraph, Adjacency] = WeakKeyDictionary()


def adjacency(graph: ServiceGraph) -> Adjacency:
    cached = _ADJACENCY.get(graph)
    if cached is None:
        g = graph.g
        cached = Adjacency(
            succ={n: tuple(g.successors(n)) for n in g},
            pred={n: tuple(g.predecessors(n)) for n in g},
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


def build_index(
    adj: Adjacency, alerting: Iterable[str], *, max_hops: int, hub_degree: int, max_reach: int
) -> MeetingIndex:
    """Walk down from each alerting service once and record where it meets others."""
    pred = adj.pred
    alerting_set = frozenset(s for s in alerting if s in pred)
    at: dict[str, list[tuple[int, str]]] = {}
    for s in alerting_set:
        for m, a in down_reach(adj, s, max_hops, max_reach).items():
            # A silent node at the last hop can only pair at distance 0, which silent nodes have
            # not got; leaving it out keeps the index a fraction of the neighbourhood size.
            if a < max_hops or m in alerting_set:
                entries = at.get(m)
                if entries is None:
                    at[m] = [(a, s)]
                else:
                    entries.append((a, s))
    in_degree = {m: len(pred[m]) for m, entries in at.items() if len(entries) > 1}
    return MeetingIndex(
        at={m: e for m, e in at.items() if len(e) > 1 or m in alerting_set},
        alerting=alerting_set,
        max_hops=max_hops,
        hub_degree=hub_degree,
        in_degree=in_degree,
    )


def dependents_within(adj: Adjacency, start: str, max_hops: int, cap: int) -> list[str]:
    """Services that depend on ``start`` within ``max_hops`` (nearest first), capped."""
    pred = adj.pred
    if start not in pred:
        return []
    seen = {start}
    out: list[str] = []
    frontier = [start]
    for _ in range(max_hops):
        nxt: list[str] = []
        for node in frontier:
            for up in sorted(pred[node]):
                if up not in seen:
                    seen.add(up)
                    out.append(up)
                    nxt.append(up)
                    if len(out) >= cap:
                        return out
        frontier = nxt
    return out
