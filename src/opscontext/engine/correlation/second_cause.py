"""A second cause reaching a caller while it is already failing for a first one.

Settling keeps only an episode's most telling explanations (:func:`~.bridges.explanations`):
one alerting right below it beats one two hops down, and one that started before it beats one
that started minutes later (unless that one still fires, is unrelated to the first and the
episode went on alerting after it began: then settling keeps it itself). With one incident at a
time that is right: the others are fellow victims. With two incidents at once it is how a
shared caller (an entry point alerting on every route for twenty minutes) joins the first
incident whole, carrying the alerts the second one caused, and the second incident's largest
share of alerts then sits in a group named after the first one's root.

So the explanations set aside are kept as evidence of a second cause, but only when three
things hold:

* the caller is a symptom: one of its kept explanations started no later than it did (the first
  alerting service of an incident is more likely its root; in the demo world the bad deploy's
  service would otherwise have lost its later alerts to the broker outage below it);
* the set-aside dependency is not related in the graph to the explanations kept (neither
  depends on the other within the hop bound, and they share no direct dependency): a related
  one is more likely the same fault seen further along;
* once everything is settled, it still lies in another incident of at least
  :data:`MIN_EPISODES` episodes: a lone other episode (noise, a piece that sibling or cycle
  joins would have brought back) is no second incident.

Then the caller is settled again as a bridge: its alerts are placed strand by strand
(:func:`~.bridges.assign`), while its own callers still read it as part of the first incident
(else one second cause below a service would make every service above it a bridge).

Spare seeds 1000-1004 then 1020-1024, 9 topologies, every cell: metric rules AC@1
0.651 -> 0.663 and 0.674 -> 0.684 (concurrent-4 0.417 -> 0.450 / 0.422, hard 0.317 -> 0.333 /
0.311 -> 0.339), pair F1 0.863 -> 0.864 and 0.879 -> 0.884; fault injection and cascade within
0.006 either way (RESULTS.md, "What this says"). Pair precision barely moves: this moves a
second incident's alerts to its own group; it does not stop time-plus-graph joins.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from opscontext.engine.correlation.grouping import Episode, UnionFind
from opscontext.engine.correlation.topology import MeetingIndex

Related = Callable[[str, str], bool]
# A set-aside explanation counts as a second incident only when that incident has this many
# episodes once settled (spare seeds: 1 let noise and lone pieces of one incident in, pair
# recall -0.014 on metric rules; 3 gave a smaller AC@1 gain).
MIN_EPISODES = 2


def related_in(index: MeetingIndex) -> Related:
    """Whether two alerting services may share one fault as far as the index can tell: one
    reaches the other down its walk, or both call one node directly. Unknown services count
    as related (no evidence of two causes)."""
    ids, walks = index.ids, index.id_walks
    reach: dict[str, tuple[frozenset[int], frozenset[int]]] = {}

    def sets(s: str) -> tuple[frozenset[int], frozenset[int]]:
        known = reach.get(s)
        if known is None:
            walk = walks.get(s, ())
            known = reach[s] = (frozenset().union(*walk), frozenset(walk[0]) if walk else frozenset())
        return known

    def related(a: str, b: str) -> bool:
        ia, ib = ids.get(a), ids.get(b)
        if ia is None or ib is None:
            return True
        (all_a, first_a), (all_b, first_b) = sets(a), sets(b)
        return ib in all_a or ia in all_b or not first_a.isdisjoint(first_b)

    return related


def set_aside(
    x: int, kept: dict[int, int], raw: dict[int, int], eps: list[Episode], related: Related
) -> dict[int, int]:
    """The explanations of ``x`` the filters dropped that are unrelated to every kept one."""
    out: dict[int, int] = {}
    for t, hops in raw.items():
        if t in kept:
            continue
        service = eps[t].service
        if not any(related(service, eps[k].service) for k in kept):
            out[t] = hops
    return out


def second_causes(
    eps: list[Episode], uf: UnionFind, bridges: dict[int, dict[int, int]], aside: dict[int, dict[int, int]]
) -> dict[int, dict[int, int]]:
    """Of the set-aside explanations (episode -> {target: hops}), those that ended up in
    another incident of at least :data:`MIN_EPISODES` episodes, per episode."""
    if not aside:
        return {}
    size: dict[int, int] = defaultdict(int)
    for e in range(len(eps)):
        if e not in bridges:
            size[uf.find(e)] += 1
    out: dict[int, dict[int, int]] = {}
    for x, extra in aside.items():
        home = uf.find(x)
        if any(t not in bridges and uf.find(t) != home and size[uf.find(t)] >= MIN_EPISODES for t in extra):
            out[x] = extra
    return out
