"""Groups that may be one incident cut in two: close in time and next to each other in the graph.

Grouping splits where it has evidence of two causes, and sometimes where it only lacks evidence
of one (the root alerted long after its callers, a hop stayed silent). A group with such a
neighbour is not wrong, but its answer deserves less trust: this finds, per group, the other
groups alerting during its span on a direct dependency or dependent of one of its services.

Cost: the direct edges between alerting services come from each one's remembered walk (its
first hop, intersected with the alerting set at C speed); then, per group asked about, one pass
over its services. No pairwise comparison of groups.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence

from opscontext.engine.correlation.candidates import Cluster
from opscontext.engine.correlation.dedup import UniqueAlert
from opscontext.engine.correlation.topology import MeetingIndex


def alerting_edges(index: MeetingIndex, alerting: Sequence[str]) -> dict[str, list[str]]:
    """Alerting service -> the alerting services one hop from it, in either direction."""
    ids, names, walks = index.ids, index.names, index.id_walks
    wanted = {ids[s] for s in alerting if s in ids}
    out: dict[str, list[str]] = {}
    for s in alerting:
        walk = walks.get(s)
        if not walk:
            continue
        for n in wanted.intersection(walk[0]):
            other = names[n]
            if other != s:
                out.setdefault(s, []).append(other)
                out.setdefault(other, []).append(s)
    return out


# Clusters with more alerting services than this do not look for groups further below them
# (:meth:`Nearby.below`): the case it is for is a front end and a dependency or two, and walking
# every member's two hops costs. With 200, the first page at 50k services / 100k alerts took
# +0.16 s cold and +0.37 s warm (benchmarks/engine_cpu.py --answer --prepared); with 30, within
# noise. Spare seeds' accuracy is the same with either.
BELOW_MAX_SERVICES = 30


class Nearby:
    """For each cluster, the indices of other clusters overlapping it in time (onsets plus
    ``hold`` seconds) with a service one hop from one of its own, asked one cluster at a time:
    the alerting edges are found once, and only the clusters asked about are visited."""

    def __init__(self, clusters: Sequence[Cluster], unique: Sequence[UniqueAlert], index: MeetingIndex,
                 hold: float, pred: Mapping[str, Sequence[str]] | None = None) -> None:
        """``pred``: the graph's dependents per service; with it, :meth:`of` finds one service's
        alerting edges when asked instead of every service's up front (a page asks about a few)."""
        self._clusters = clusters
        # (first onset, last onset + hold) of every cluster: the overlap test's operands
        self._spans = [(unique[c.members[0]].ts, unique[c.members[-1]].ts + hold) for c in clusters]
        owners: dict[str, list[int]] = {}
        for k, c in enumerate(clusters):
            for s in c.stats:
                owners.setdefault(s, []).append(k)
        self._owners = owners
        self._index, self._pred = index, pred
        self._edges_of: dict[str, list[str]] = {}
        self._all_edges = alerting_edges(index, list(owners)) if pred is None else None

    @property
    def _edges(self) -> dict[str, list[str]]:
        if self._all_edges is None:
            self._all_edges = alerting_edges(self._index, list(self._owners))
        return self._all_edges

    def of(self, k: int) -> list[int]:
        """The clusters next to cluster ``k``, by index, in increasing order."""
        owners = self._owners
        theirs: set[int] = set()
        for s in self._clusters[k].stats:
            for n in self._neighbours(s):
                theirs.update(owners[n])
        return self._overlapping(k, theirs)

    def _neighbours(self, s: str) -> Sequence[str]:
        """``s``'s alerting edges: from the full map once it exists (or without ``pred``),
        else found for ``s`` alone."""
        if self._pred is None or self._all_edges is not None:
            return self._edges.get(s, ())
        return self._edge(s)

    def _edge(self, s: str) -> list[str]:
        """What :func:`alerting_edges` lists for ``s`` (as a set: order and repeats aside): the
        alerting services in its walk's first hop, and those with ``s`` in theirs."""
        known = self._edges_of.get(s)
        if known is None:
            assert self._pred is not None
            ix, owners = self._index, self._owners
            ids, names, walks = ix.ids, ix.names, ix.id_walks
            walk = walks.get(s)
            known = [n for n in map(names.__getitem__, walk[0]) if n in owners and n != s] if walk else []
            me = ids.get(s)
            if me is not None:
                for n in self._pred.get(s, ()):
                    theirs = walks.get(n) if n in owners and n != s else None
                    if theirs and me in theirs[0]:
                        known.append(n)
            self._edges_of[s] = known
        return known

    def all(self) -> list[list[int]]:
        """:meth:`of` for every cluster at once (the same lists; each service's neighbours are
        gathered once for all the clusters owning it, which is quicker when all are wanted).
        Only clusters owning a service with an alerting neighbour are visited."""
        owners = self._owners
        found: dict[int, set[int]] = {}
        for s, nbrs in self._edges.items():
            theirs = set().union(*map(owners.__getitem__, nbrs))
            for k in owners[s]:
                found.setdefault(k, set()).update(theirs)
        out: list[list[int]] = [[] for _ in self._clusters]
        for k, js in found.items():
            out[k] = self._overlapping(k, js)
        return out

    def below(self, k: int, hops: int) -> tuple[list[int], set[str]]:
        """The clusters overlapping cluster ``k`` in time that alert on a service at most ``hops``
        below one of ``k``'s (read from their remembered walks), and those services. Nothing for
        a cluster of more than :data:`BELOW_MAX_SERVICES` services."""
        services = self._clusters[k].stats
        if len(services) > BELOW_MAX_SERVICES:
            return [], set()
        names, walks, owners = self._index.names, self._index.id_walks, self._owners
        # (owners: only alerting services can be another group's primary)
        found: set[str] = set()
        for s in services:
            for level in walks.get(s, ())[:hops]:
                found.update(n for n in map(names.__getitem__, level) if n in owners)
        found.difference_update(services)
        return self._overlapping(k, self._owning(found)), found

    def owning_during(self, ks: Collection[int], services: Iterable[str]) -> set[int]:
        """The clusters other than ``ks`` alerting on one of ``services`` during the span from the
        first of ``ks`` to the last: a superset of those overlapping one of ``ks``, found in one
        pass over ``services`` (the two hops above a hub can be most of the estate)."""
        if not ks:
            return set()
        spans = self._spans
        lo, hi = min(spans[k][0] for k in ks), max(spans[k][1] for k in ks)
        return {j for j in self._owning(services) if j not in ks and spans[j][0] <= hi and lo <= spans[j][1]}

    def _owning(self, services: Iterable[str]) -> set[int]:
        owners = self._owners
        theirs: set[int] = set()
        for n in services:
            theirs.update(owners.get(n, ()))
        return theirs

    def _overlapping(self, k: int, theirs: set[int]) -> list[int]:
        """Those of ``theirs`` (other than ``k``) whose span overlaps cluster ``k``'s, sorted."""
        theirs.discard(k)
        spans = self._spans
        lo, hi = spans[k]
        return sorted(j for j in theirs if spans[j][0] <= hi and lo <= spans[j][1])


def neighbours(
    clusters: Sequence[Cluster], unique: Sequence[UniqueAlert], index: MeetingIndex, hold: float
) -> list[list[int]]:
    """:meth:`Nearby.all`: for each cluster, the indices of the clusters next to it."""
    return Nearby(clusters, unique, index, hold).all()
