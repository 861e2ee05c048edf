"""Groups that may be one incident cut in two: close in time and next to each other in the graph.

Grouping splits where it has evidence of two causes, and sometimes where it only lacks evidence
of one (the root alerted long after its callers, a hop stayed silent). A group with such a
neighbour is not wrong, but its answer deserves less trust: this finds, per group, the other
groups alerting during its span on a direct dependency or dependent of one of its services.

Cost: the direct edges between alerting services come from each one's remembered walk (its
first hop, intersected with the alerting set at C speed); then one pass over each group's
services. No pairwise comparison of groups.
"""

from __future__ import annotations

from collections.abc import Sequence

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


def neighbours(
    clusters: Sequence[Cluster], unique: Sequence[UniqueAlert], index: MeetingIndex, hold: float
) -> list[list[int]]:
    """For each cluster, the indices of other clusters overlapping it in time (onsets plus
    ``hold`` seconds) with a service one hop from one of its own. Only clusters owning a service
    with an alerting neighbour are visited (a small share at scale)."""
    owners: dict[str, list[int]] = {}
    for k, c in enumerate(clusters):
        for s in c.stats:
            owners.setdefault(s, []).append(k)
    found: dict[int, set[int]] = {}
    for s, nbrs in alerting_edges(index, list(owners)).items():
        theirs = set().union(*map(owners.__getitem__, nbrs))
        for k in owners[s]:
            found.setdefault(k, set()).update(theirs)
    spans: dict[int, tuple[float, float]] = {}

    def span(k: int) -> tuple[float, float]:
        known = spans.get(k)
        if known is None:
            members = clusters[k].members
            known = spans[k] = (unique[members[0]].ts, unique[members[-1]].ts + hold)
        return known

    out: list[list[int]] = [[] for _ in clusters]
    for k, js in found.items():
        js.discard(k)
        lo, hi = span(k)
        near: list[int] = []
        for j in js:
            start, end = span(j)
            if start <= hi and lo <= end:
                near.append(j)
        out[k] = sorted(near)
    return out
