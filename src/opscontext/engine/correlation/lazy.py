"""A correlation whose groups are ranked and assembled only when someone asks for them.

At 50k services / 100k alerts the engine keeps about 17k groups, and ranking them with their
silent candidates, neighbours and confidence was half of its time, while an answer fitted to an
assistant's context shows 4-20 of them. Grouping settles everything the order of the groups
depends on (the engine's order is worst severity among the listed alerts, size, start, id; the
answer's is size, then confidence): this keeps the clusters and the indexes they came from, and
ranks a group, and the groups next to it whose primary contributors its confidence reads, the
first time it is asked for. Ranking is a pure function of a cluster and the shared indexes, so a
group made late is the group :func:`~opscontext.engine.correlate.correlate` makes eagerly: it
calls :meth:`LazyCorrelation.complete`, which makes them all.

Thread-safe: a server's concurrent calls share the last correlation (one lock; a group is
made once).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Collection, Mapping, Sequence

from opscontext.engine.correlation.assemble import Beside, build_group, group_id, impacted_by
from opscontext.engine.correlation.candidates import Cluster, attach_silent, rank
from opscontext.engine.correlation.dedup import UniqueAlert, severity_rank
from opscontext.engine.correlation.health import HealthAt, HealthMap
from opscontext.engine.correlation.models import AlertGroup, Correlation, CorrelationOptions
from opscontext.engine.correlation.nearby import BELOW_MAX_SERVICES, Nearby
from opscontext.engine.correlation.ranking import ChangeIndex, Scored
from opscontext.engine.correlation.topology import Adjacency, MeetingIndex
from opscontext.gcpause import paused

# A group also lists, as the alternative beside its own candidates, the primary of another group
# alerting at the same time up to this many hops below one of its services, with quiet services
# between: two databases failing behind one front end, the front end's storm joined to one of
# them, leaves the other's incident in a group of its own, and the responder reading the storm's
# group should see it. Spare seeds 1000-1019 / 1020-1039, 4 topologies: AC@3 metric rules
# +0.006 / +0.014, request flow +0.003 / 0.000, fault injection 0.000 / +0.001, cascade
# 0.000 / +0.002; AC@1, pair figures and confidence unchanged (the list's first place and the
# neighbours that make an answer unsure are as before). Three hops bought nothing more.
BESIDE_HOPS = 2


class LazyCorrelation:
    """The counts of a correlation (:attr:`head`, its ``groups`` empty) and its groups by
    position in the engine's order, each made on first access and kept."""

    def __init__(
        self, head: Correlation, clusters: list[Cluster], unique: Sequence[UniqueAlert], index: MeetingIndex,
        adj: Adjacency, changes: ChangeIndex, opts: CorrelationOptions, monitored: Collection[str],
        health: HealthAt | None = None,
    ) -> None:
        """``health``: a health source's verdicts on quiet services for a group that began at
        a given instant, read by every group's ranking (the evaluation's worlds know them all; a
        server asks per page, see :meth:`group_with`)."""
        self.head = head
        self._health = health
        self._clusters, self._unique, self._index, self._adj = clusters, unique, index, adj
        self._changes, self._opts, self._monitored = changes, opts, monitored
        self._hold = opts.active_hold.total_seconds()
        self._ids: dict[int, str] = {}  # cluster -> group id, made when needed (a hash each)
        # Engine order, as positions into ``clusters``: every key is known before ranking.
        self._order = _ordered(len(clusters), self._engine_key, self._id)
        self._at: dict[str, int] | None = None  # group id -> position, for position()
        self._ranked: dict[int, list[Scored]] = {}
        self._made: dict[int, AlertGroup] = {}
        self._near: Nearby | None = None
        self._all_near: list[list[int]] | None = None  # when every group is made
        self._lock = threading.RLock()

    def __len__(self) -> int:
        return len(self._order)

    def alert_count(self, pos: int) -> int:
        """Alerts in the group at ``pos`` (engine order), without ranking it."""
        return len(self._clusters[self._order[pos]].members)

    def services(self, pos: int) -> list[str]:
        """The alerting services of the group at ``pos``, sorted, as its ``services`` lists them."""
        return sorted(self._clusters[self._order[pos]].stats)

    def could_involve(self, service: str) -> list[int]:
        """Positions (in order) of the groups whose answer may name ``service``, found from the
        graph without ranking: a superset of those that do (the rest need no ranking to rule out).

        A group names a service it alerts on, a candidate, or an impacted service. Candidates are
        its services and silent ones at most ``max(1, max_hops - 1)`` hops below them
        (:mod:`.candidates`); impacted services are dependents of the top candidate within
        ``max_hops + 1`` hops (:mod:`.assemble`; an off-graph top lists the group's services).
        So one of the group's services must lie within ``max(1, max_hops - 1)`` hops above a
        node within ``max_hops + 1`` hops below ``service``. A group also lists the primary of
        one group next to it (:mod:`.nearby`) or alerting up to :data:`BESIDE_HOPS` below it, so
        the groups next to those alerting on ``service`` and those alerting that far above it are
        in too. A test checks this against ranking every group, so a new kind of candidate further
        away fails there."""
        succ, pred = self._adj.succ, self._adj.pred
        near = {service}
        if service in succ:
            below = _reach(succ, {service}, self._opts.max_hops + 1)
            near = _reach(pred, below, max(1, self._opts.max_hops - 1))
        clusters = self._clusters
        wanted = {k for k in range(len(clusters)) if not near.isdisjoint(clusters[k].stats)}
        alerting_on = [k for k in wanted if service in clusters[k].stats]
        for k in alerting_on:
            wanted.update(self._nearby().of(k))
        if BESIDE_HOPS > 1 and alerting_on:
            # groups alerting above it meanwhile, which may list it as the primary of a group below
            above = _reach(pred, {service}, BESIDE_HOPS) - {service}
            wanted.update(j for j in self._nearby().owning_during(alerting_on, above)
                          if len(clusters[j].stats) <= BELOW_MAX_SERVICES)
        return [pos for pos, k in enumerate(self._order) if k in wanted]

    def involving(self, service: str) -> list[int]:
        """Positions (in order) of the groups whose answer names ``service`` (alerts on it, lists
        it as a candidate or as an impacted service): the groups :meth:`could_involve` leaves,
        each read as assembled, but most of them decided from their own ranking alone. A group's
        own ranking settles its candidates and impacted services; what it may add is the primary
        of one group next to or below it (:meth:`_assemble`), which can be ``service`` only if
        that group alerts on it. Assembling every group here ranked the groups around each:
        above a hub at 50k services that was most of a filtered page's cost."""
        clusters, most = self._clusters, self._opts.max_candidates
        out: list[int] = []
        for pos in self.could_involve(service):
            k = self._order[pos]
            cluster = clusters[k]
            if service in cluster.stats:
                out.append(pos)
                continue
            ranked = self._rank(k)
            listed = [c.service for c in ranked[:most]]
            # the alternative listed beside goes in before the last of ``most``, pushing it out
            if service in listed[: most - 1] or service in impacted_by(ranked[0].service, cluster.stats,
                                                                         self._adj, self._opts):
                out.append(pos)
            elif (service in listed or self._may_list(k, service)) and any(
                    c.service == service for c in self.group(pos).candidates):
                out.append(pos)
        return out

    def _may_list(self, k: int, service: str) -> bool:
        """Whether a group whose primary cluster ``k``'s answer may list beside its own
        candidates (:meth:`_assemble`) has ``service`` as its alerting primary."""
        next_to = self._next_to(k)
        lower = self._nearby().below(k, BESIDE_HOPS)[0] if BESIDE_HOPS > 1 else []
        for j in (*next_to, *lower):
            cluster = self._clusters[j]
            if service in cluster.stats and not cluster.lone:
                top = self._rank(j)[0]
                if top.service == service and top.alerting:
                    return True
        return False

    def position(self, gid: str) -> int | None:
        """Where the group with id ``gid`` is in the engine's order, or None."""
        if self._at is None:
            self._at = {self._id(k): pos for pos, k in enumerate(self._order)}
        return self._at.get(gid)

    def group(self, pos: int) -> AlertGroup:
        """The group at ``pos`` in the engine's order, ranked and assembled (once)."""
        k = self._order[pos]
        made = self._made.get(k)
        if made is None:
            with self._lock:
                made = self._made.get(k)
                if made is None:
                    made = self._made[k] = self._build(k)
        return made

    def silent_candidates(self, pos: int) -> list[str]:
        """The quiet services the group at ``pos`` weighs as candidates (at most five plus its
        shown ones), best first: the names a health source is asked about."""
        return [c.service for c in self._rank(self._order[pos]) if not c.alerting]

    def group_with(self, pos: int, health: HealthMap) -> AlertGroup:
        """The group at ``pos`` ranked with ``health`` (verdicts on its quiet candidates, measured
        for this call), or the kept group when none of them has one. Not kept: health is of
        its moment, the kept group is of the alerts."""
        if not any(s in health for s in self.silent_candidates(pos)):
            return self.group(pos)
        k = self._order[pos]
        with self._lock:
            cluster = self._clusters[k]
            ranked = rank(cluster, self._index, self._adj, self._changes, self._opts, self._monitored,
                          {**self._health_of(cluster), **health})
            return self._assemble(k, ranked)

    def groups(self) -> list[AlertGroup]:
        """Every group, in the engine's order (ranks them all)."""
        with paused():
            if self._all_near is None:
                self._all_near = self._nearby().all()
            return [self.group(pos) for pos in range(len(self._order))]

    def complete(self) -> Correlation:
        """The whole correlation, every group made: what ``correlate`` answers."""
        return self.head.model_copy(update={"groups": self.groups()})

    def _build(self, k: int) -> AlertGroup:
        return self._assemble(k, self._rank(k))

    def _assemble(self, k: int, ranked: list[Scored]) -> AlertGroup:
        if gc.isenabled():  # short-lived objects by the thousand over a heap of the engine's indexes
            with paused():
                return self._assemble(k, ranked)
        next_to = self._next_to(k)
        near = [self._rank(j)[0].service for j in next_to]
        # The neighbour whose primary its own group backs most, listed as an alternative to
        # check (assemble.shown). Spare seeds 1000-1009, metric rules AC@3: 0.778 listing the
        # earliest neighbour, 0.783 the largest, 0.789 this one (0.771 listing none).
        # A lone warning next to the group may be part of it (it counts among the neighbours that
        # make the answer unsure) but is no incident to send the responder to instead.
        incidents = [j for j in next_to if not self._clusters[j].lone]
        further: set[int] = set()
        if BESIDE_HOPS > 1:
            lower, below = self._nearby().below(k, BESIDE_HOPS)
            further = {j for j in lower if j not in next_to and not self._clusters[j].lone
                       and self._rank(j)[0].service in below}
            incidents += sorted(further)
        best = min(incidents, key=lambda j: (-self._rank(j)[0].score, j), default=None)
        beside = None
        if best is not None:
            where = "below this group's services" if best in further else "next to this group"
            beside = Beside(self._id(best), self._rank(best)[0], where)
        return build_group(self._clusters[k], ranked, self._unique, self._adj, self._opts, near,
                           gid=self._id(k), beside=beside)

    def _next_to(self, k: int) -> list[int]:
        """The groups next to cluster ``k`` (:meth:`.Nearby.of`), from the full list once made."""
        return self._all_near[k] if self._all_near is not None else self._nearby().of(k)

    def _nearby(self) -> Nearby:
        if self._near is None:
            self._near = Nearby(self._clusters, self._unique, self._index, self._hold, self._adj.pred)
        return self._near

    def _rank(self, k: int) -> list[Scored]:
        known = self._ranked.get(k)
        if known is None:
            cluster = self._clusters[k]
            attach_silent(self._index, [cluster])
            known = self._ranked[k] = rank(cluster, self._index, self._adj, self._changes, self._opts,
                                           self._monitored, self._health_of(cluster))
        return known

    def _health_of(self, cluster: Cluster) -> HealthMap:
        if self._health is None:
            return {}
        return self._health(self._unique[cluster.members[0]].starts_at)

    def _id(self, k: int) -> str:
        gid = self._ids.get(k)
        if gid is None:
            gid = self._ids[k] = group_id(self._clusters[k], self._unique)
        return gid

    def _engine_key(self, k: int) -> tuple[bool, int, int, float]:
        """Lone warnings after every incident, then worst severity among the listed alerts,
        size, start (as epoch seconds: the same order as the datetimes); ties go by group id
        (:func:`_ordered`)."""
        cluster = self._clusters[k]
        members = cluster.members
        listed = members[: self._opts.max_alerts_listed]
        worst = max((severity_rank(self._unique[i].severity) for i in listed), default=0)
        return (cluster.lone, -worst, -len(members), self._unique[members[0]].ts)


def _ordered(n: int, key: Callable[[int], tuple[bool, int, int, float]], gid: Callable[[int], str]) -> list[int]:
    """Cluster positions ``0 .. n - 1`` sorted by ``(key, gid)``, with ``gid`` (a hash) made
    only for clusters whose ``key`` ties with another's: most keys are distinct."""
    keys = [key(k) for k in range(n)]
    order = sorted(range(n), key=keys.__getitem__)
    lo = 0
    while lo < len(order):
        hi = lo + 1
        while hi < len(order) and keys[order[hi]] == keys[order[lo]]:
            hi += 1
        if hi - lo > 1:
            order[lo:hi] = sorted(order[lo:hi], key=gid)
        lo = hi
    return order


def _reach(edges: Mapping[str, Sequence[str]], start: set[str], hops: int) -> set[str]:
    """``start`` and every node within ``hops`` steps of it along ``edges`` (uncapped)."""
    seen = set(start)
    frontier = list(start)
    for _ in range(hops):
        nxt = [n for node in frontier for n in edges.get(node, ()) if n not in seen]
        seen.update(nxt)
        frontier = list(set(nxt))
    return seen
