"""From candidate links to incidents, without letting a shared caller glue incidents together.

Union-find over every link is transitive: an API gateway that depends on both a failing payment
service and a failing orders database links the two, and one hub alerting under everything
links all its callers. So links are read as *explanations* instead. A dependency link says
"this episode may be a symptom of that one". Episodes are settled bottom-up (dependencies
before their callers):

1. An episode whose explanations all lie in one component joins it. One without any is a
   component of its own (a root, or a symptom of a silent dependency).
2. An episode whose explanations lie in two or more components is a **bridge**: it joins none.
   Its callers inherit its ambiguity.
3. Sibling links (a shared dependency that does not explain them itself) join unexplained
   episodes to each other; a lone unexplained episode also joins the one explained component
   it is a sibling of, when there is exactly one. An unexplained episode also continues its
   service's previous one when that was still firing as it began (within half an hour).
4. Each bridge's alerts are then placed, a strand at a time (same route or alert name), in
   the component that fits best (:mod:`opscontext.engine.correlation.fit`): shared route-like
   words, time since that explanation started, graph distance.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from opscontext.engine.correlation.dedup import UniqueAlert
from opscontext.engine.correlation.fit import Bags, Candidate, best, strands
from opscontext.engine.correlation.grouping import Episode, Links, UnionFind
from opscontext.engine.correlation.named_changes import NameIndex
from opscontext.engine.correlation.second_cause import Related, second_causes, set_aside

STRONG_LAG = 60.0


@dataclass(slots=True)
class Resolution:
    uf: UnionFind
    bridges: dict[int, dict[int, int]] = field(default_factory=dict)  # bridge -> {target: hops}
    order: list[int] = field(default_factory=list)  # bridges, dependencies before callers
    # bridge -> root component -> alert indices placed there (filled by ``assign``)
    placed: dict[int, dict[int, list[int]]] = field(default_factory=dict)


def settle_order(n: int, down: dict[int, dict[int, int]], eps: list[Episode]) -> tuple[list[int], set[tuple[int, int]]]:
    """Episodes in an order where every explanation comes before the episode it explains.

    Cycles (mutual calls) are cut at the edge that closes them; walks start from the latest
    episode so that in a cycle the earliest one, the likelier origin, is settled first.
    """
    state = [0] * n  # 0 new, 1 on the stack, 2 done
    order: list[int] = []
    cut: set[tuple[int, int]] = set()
    for start in sorted(down, key=lambda e: -eps[e].first):
        if state[start]:
            continue
        stack = [(start, iter(down.get(start, {})))]
        state[start] = 1
        while stack:
            node, it = stack[-1]
            for t in it:
                if state[t] == 0:
                    state[t] = 1
                    stack.append((t, iter(down.get(t, {}))))
                    break
                if state[t] == 1:
                    cut.add((node, t))
            else:
                stack.pop()
                state[node] = 2
                order.append(node)
    return order, cut


def explanations(
    x: int, down: dict[int, dict[int, int]], cut: set[tuple[int, int]], eps: list[Episode],
    related: Related | None = None,
) -> dict[int, int]:
    """The episodes that may explain ``x``, most telling only.

    A dependency two hops down is not a second explanation when an alerting direct dependency
    explains ``x``: the fault would have had to pass a dependency that stayed quiet.

    Explanations that started minutes after ``x`` (later than ``STRONG_LAG``) are more often
    fellow victims or noise than its cause:

    * When every explanation is late, those still firing go before those that are over: a blip
      that is over caused nothing that goes on failing, and callers alerting first with the root
      minutes later is how fault-injection runs unfold.
    * When some started before ``x`` or right after, the late ones are dropped, except one that
      is a second cause by every sign: ``x`` is a symptom (an explanation started no later than
      it did; the first alerting service of an incident is more likely its root, as in the demo
      world's bad deploy), the late one still fires, ``x`` raised alerts after it began (else it
      explains none of them), and it is unrelated in the graph to the early ones
      (:func:`~.second_cause.related_in`; a related one is more likely the same fault further
      along). ``x`` then becomes a bridge whose alerts are placed strand by strand
      (:func:`assign`): a second incident reaching a caller already failing for a first one.

    Whichever are chosen, those that stopped firing before ``x``'s last onset go after those
    still failing then (spare seeds 1000-1019 / 1020-1039: metric rules AC@1 +0.005 / 0.000,
    fault injection +0.001 / +0.008, request flow and cascade within 0.001).

    Spare seeds 1000-1019 / 1020-1039, 4 topologies, against dropping every late one: AC@1
    metric rules +0.007 / +0.010, fault injection +0.017 / +0.013 (pair F1 +0.012 / +0.011),
    request flow 0.000 / +0.002, the tuning family cascade +0.004 / +0.004; pair F1 otherwise
    within 0.002. Keeping every late explanation still firing gave metric rules up to +0.018
    but split the demo world's incidents (a broker failing minutes into a bad deploy took the
    checkout path's alerts); keeping every late one, over or not, split single incidents over a
    passing alert below their front end (metric rules pair F1 -0.015 / -0.016).
    """
    raw = {t: h for t, h in down.get(x, {}).items() if (x, t) not in cut}
    direct = [t for t, h in raw.items() if h == 1]
    kept = {t: h for t, h in raw.items() if h == 1 or not any(t in down.get(p, ()) for p in direct)}
    start, last = eps[x].first, eps[x].last
    strong = {t: h for t, h in kept.items() if eps[t].first - start <= STRONG_LAG}
    if not strong:
        strong = {t: h for t, h in kept.items() if eps[t].ended is None}
    elif any(eps[t].first <= start for t in kept):
        early = list(strong)
        strong.update((t, h) for t, h in kept.items() if eps[t].ended is None and eps[t].first < last and (
            related is None or not any(related(eps[t].service, eps[k].service) for k in early)))
    chosen = strong or kept
    # One that stopped failing before x's last onset explains less of x than one still failing
    # then: x went on raising alerts without it (a blip on a direct dependency of a front end
    # beat the database two hops down, with confidence 0.91).
    going = {t: h for t, h in chosen.items() if (end := eps[t].ended) is None or end >= last}
    if going:
        chosen = going
    # A fault two hops down reaches x only through a dependency that stayed quiet; one that
    # alerts right below x needs no such silence, so it is the likelier path.
    near = {t: h for t, h in chosen.items() if h == 1}
    return near or chosen


def resolve(
    eps: list[Episode], links: Links, related: Related | None = None, continue_within: float = 0.0,
) -> Resolution:
    """Stages 1-3 of the module docstring: components and bridges, no alert placed yet.

    With ``related`` given, an episode that filtered explanations leave in one incident while a
    dropped, graph-unrelated one lies in another is settled again as a bridge
    (:mod:`~opscontext.engine.correlation.second_cause`). ``continue_within``: see
    :func:`_continuations` (0: off)."""
    aside: dict[int, dict[int, int]] = {}
    # The order and each episode's explanations depend on the links alone: the second pass
    # reads what the first worked out.
    order, cut = settle_order(len(eps), links.down, eps)
    told = [explanations(x, links.down, cut, eps, related) for x in order]
    res = _settle(eps, links, order, cut, told, {}, aside, related, continue_within)
    forced = second_causes(eps, res.uf, res.bridges, aside)
    return _settle(eps, links, order, cut, told, forced, {}, None, continue_within) if forced else res


def _settle(
    eps: list[Episode], links: Links, order: list[int], cut: set[tuple[int, int]], told: list[dict[int, int]],
    forced: dict[int, dict[int, int]], aside: dict[int, dict[int, int]], related: Related | None,
    continue_within: float = 0.0,
) -> Resolution:
    """One settling pass over ``order`` (``told``: each one's :func:`explanations`); ``forced``
    adds explanations per episode, ``aside`` collects the unrelated ones the filters dropped
    (when ``related`` is given)."""
    uf = UnionFind(len(eps))
    res = Resolution(uf)
    reach: dict[int, set[int]] = {}  # bridge -> representative episodes of its components
    for x, targets in zip(order, told, strict=True):
        if not targets:
            continue
        reps = _reps(targets, reach)
        if x in forced:
            targets = {**targets, **forced[x]}
            if len({uf.find(r) for r in reps}) == 1:
                # Its own alerts are split; its callers still read it as a symptom of the
                # first incident (else a second cause below one service spread to all above it).
                _bridge(res, reach, x, targets, reps)
                continue
            reps = _reps(targets, reach)
        elif related is not None and len(links.down[x]) > len(targets):
            _note_aside(x, targets, links, cut, eps, related, aside)
        roots = {uf.find(r) for r in reps}
        if len(roots) == 1:
            uf.union(x, roots.pop())
        else:
            _bridge(res, reach, x, targets, reps)
    _siblings(eps, links, res)
    _continuations(eps, links, res, continue_within)
    _join_cycles(cut, res)
    return res


def _continuations(eps: list[Episode], links: Links, res: Resolution, within: float) -> None:
    """Join a service's episode that nothing explains to its previous episode when that one was
    still firing as this one began, at most ``within`` seconds after its last onset: the
    same failure going on after a pause longer than ``episode_gap``, not a new one. Slowly
    unfolding incidents fell apart there, the later alerts in a group of their own. A new alert
    on a service whose old one fired long ago (a warning firing for days) starts its own story.

    Spare seeds 1000-1019 as generated, against no such join: request flow AC@1 +0.004, pair F1
    +0.026 (recall +0.039); metric rules AC@1 +0.002, fault injection within 0.001; the tuning
    family cascade AC@1 -0.001, pair F1 -0.022 (its noise lands on random services at random
    times, and more of it now joins an incident still firing there). Three times slower
    (``evalkit.stretch``, spare seeds 1000-1002): pair recall request flow 0.665 -> 0.767, metric
    rules 0.897 -> 0.919, fault injection 0.889 -> 0.928. Within 45 minutes instead of 30 gained
    request flow another 0.01 of pair F1 and cost cascade another 0.014."""
    if within <= 0:
        return
    uf, bridges = res.uf, res.bridges
    for x in range(1, len(eps)):  # a service's episodes are consecutive, in onset order
        e, p = eps[x], eps[x - 1]
        if e.service != p.service or x in links.down or x in bridges or x - 1 in bridges:
            continue
        if e.first - p.last <= within and (p.ended is None or p.ended >= e.first):
            uf.union(x, x - 1)


def _reps(targets: dict[int, int], reach: dict[int, set[int]]) -> set[int]:
    """Representative episodes of the components ``targets`` lead to (through bridges)."""
    reps: set[int] = set()
    for t in targets:
        reps |= reach[t] if t in reach else {t}
    return reps


def _bridge(res: Resolution, reach: dict[int, set[int]], x: int, targets: dict[int, int], reps: set[int]) -> None:
    reach[x] = reps
    res.bridges[x] = targets
    res.order.append(x)


def _note_aside(
    x: int, kept: dict[int, int], links: Links, cut: set[tuple[int, int]], eps: list[Episode],
    related: Related, aside: dict[int, dict[int, int]],
) -> None:
    """Record the graph-unrelated explanations of ``x`` the filters dropped. Only for a
    symptom (a kept explanation started no later than x): the first alerting service of an
    incident is more likely its root than a victim of a second cause (the demo's bad deploy)."""
    if not any(eps[t].first <= eps[x].first for t in kept):
        return
    raw = {t: h for t, h in links.down[x].items() if (x, t) not in cut}
    extra = set_aside(x, kept, raw, eps, related)
    if extra:
        aside[x] = extra


def _join_cycles(cut: set[tuple[int, int]], res: Resolution) -> None:
    """Join the two ends of every link cut to break a cycle (neither end a bridge).

    Services that call each other explain each other; settling needs an order, so a cycle is
    cut somewhere, and the episode left without its explanation starts a component of its own.
    That cut is an artefact of the order, not evidence of a second cause: on a mesh whose
    services mostly call each other, one incident came out as five groups, each named after a
    caller. Measured on spare seeds (1000-1004, 9 topologies): pair F1 +0.03 on each family.
    """
    for x, t in sorted(cut):
        if x not in res.bridges and t not in res.bridges:
            res.uf.union(x, t)


def _siblings(eps: list[Episode], links: Links, res: Resolution) -> None:
    uf, bridges = res.uf, res.bridges
    explained = {x for x in links.down if x not in bridges}
    size: dict[int, int] = defaultdict(int)
    for e in range(len(eps)):
        if e not in bridges:
            size[uf.find(e)] += 1
    pending: list[tuple[int, int]] = []
    for a, b in links.siblings:
        if a in bridges or b in bridges or (a in explained and b in explained):
            continue  # an alerting explanation beats a shared silent one
        if a not in explained and b not in explained:
            uf.union(a, b)  # both unexplained: a silent dependency of both is the best story
            continue
        loose, anchored = (b, a) if a in explained else (a, b)
        if size[uf.find(loose)] == 1:  # a lone symptom, not the root of callers of its own
            pending.append((loose, anchored))
    partners: dict[int, set[int]] = defaultdict(set)
    for loose, anchored in pending:
        partners[uf.find(loose)].add(uf.find(anchored))
    for loose_root, roots in partners.items():
        roots.discard(loose_root)
        if len(roots) == 1:  # next to exactly one incident: join it
            uf.union(loose_root, roots.pop())


def assign(
    unique: list[UniqueAlert], eps: list[Episode], res: Resolution, gap: float,
    spelling: Callable[[], NameIndex] | None = None,
) -> None:
    """Stage 4: place every bridge alert, strand by strand, in its best-fitting component.
    ``spelling`` (the graph's services by spelling) lets an alert naming its callee go to the
    callee's incident."""
    uf = res.uf
    bags = Bags(unique, eps, uf, res.bridges, spelling)
    for x in res.order:
        cands: list[Candidate] = []
        for t, hops in res.bridges[x].items():
            if t in res.bridges:
                for root, idxs in res.placed.get(t, {}).items():
                    cands.append(Candidate(uf.find(root), min(unique[i].ts for i in idxs), hops))
            else:
                cands.append(Candidate(uf.find(t), eps[t].first, hops))
        placed: dict[int, list[int]] = {}
        for strand in strands(unique, eps[x].members, gap, bags.called):
            alerts = [unique[i] for i in strand]
            root = best(alerts, cands, bags)
            placed.setdefault(root, []).extend(strand)
            for u in alerts:
                bags.add(root, u)
        res.placed[x] = placed


def clusters(eps: list[Episode], res: Resolution) -> list[list[int]]:
    """Alert indices per incident, each list in onset order."""
    members: dict[int, list[int]] = {}
    for e_id, e in enumerate(eps):
        if e_id not in res.bridges:
            members.setdefault(res.uf.find(e_id), []).extend(e.members)
    for placed in res.placed.values():
        for root, idxs in placed.items():
            members.setdefault(res.uf.find(root), []).extend(idxs)
    return [sorted(idxs) for idxs in members.values()]
