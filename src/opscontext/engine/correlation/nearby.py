"""Groups that may be one incident cut in two: close in time and next to each other in the graph.

Grouping splits where it has evidence of two causes, and sometimes where it only lacks evidence
of one (the root alerted long after its callers, a hop stayed silent). A group with such a
neighbour is not wrong, but its answer deserves less trust: this finds, per group, the other
groups alerting during its span on a direct dependency or dependent of one of its services.

Cost: one pass over each group's services and their direct neighbours (both capped), with an
index of services to groups; no pairwise comparison of groups.
"""

from __future__ import annotations

from collections.abc import Sequence

from opscontext.engine.correlation.candidates import Cluster
from opscontext.engine.correlation.dedup import UniqueAlert
from opscontext.engine.correlation.topology import Adjacency

_MAX_SERVICES = 20
_MAX_NEIGHBOURS = 50


def neighbours(
    clusters: Sequence[Cluster], unique: Sequence[UniqueAlert], adj: Adjacency, hold: float
) -> list[list[int]]:
    """For each cluster, the indices of other clusters overlapping it in time (onsets plus
    ``hold`` seconds) with a service one hop from one of its own."""
    spans = [(unique[c.members[0]].ts, max(unique[i].ts for i in c.members) + hold) for c in clusters]
    owners: dict[str, list[int]] = {}
    for k, c in enumerate(clusters):
        for s in c.stats:
            owners.setdefault(s, []).append(k)
    out: list[list[int]] = []
    for k, c in enumerate(clusters):
        lo, hi = spans[k]
        found: set[int] = set()
        for s in list(c.stats)[:_MAX_SERVICES]:
            for n in (*adj.succ.get(s, ())[:_MAX_NEIGHBOURS], *adj.pred.get(s, ())[:_MAX_NEIGHBOURS]):
                for j in owners.get(n, ()):
                    if j != k and spans[j][0] <= hi and lo <= spans[j][1]:
                        found.add(j)
        out.append(sorted(found))
    return out
