"""Who could have started one group: every alerting service and a few silent ones, scored.

A group's candidates are its alerting services and silent services that two or more of them
depend on, that sit between two of them, or that the deepest of them call directly (an
unmonitored database behind its only caller looks like that caller failing). Each is scored by
:func:`~opscontext.engine.correlation.ranking.score`; evidence is worded for the shown ones only.

Half of all groups at scale hold one alerting service. Their candidates are that service and
its first few light dependencies by name, so :func:`rank` takes a short path for them that
gives exactly what the general one gives (tests compare the two).
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice

from opscontext.engine.correlation import evidence as ev
from opscontext.engine.correlation.dedup import UniqueAlert, severity_rank
from opscontext.engine.correlation.health import Health, HealthMap, HealthVerdict, is_degraded
from opscontext.engine.correlation.models import CorrelationOptions
from opscontext.engine.correlation.named_changes import NameIndex, by_name
from opscontext.engine.correlation.peers import CALL_LABELS, PEER_LABELS, ROUTE, SPELLED_LABELS
from opscontext.engine.correlation.ranking import (
    Batched,
    ChangeIndex,
    ChangeWindow,
    Scored,
    ServiceStats,
    quiet_change,
    score,
    silent_support,
)
from opscontext.engine.correlation.topology import Adjacency, MeetingIndex, light_deps
from opscontext.models import Change

_MAX_SILENT = 5
_MAX_CLOSURE = 30
CYCLE_GRACE_S = 60.0
INHERIT_WINDOW_S = 300.0
_MAX_CHANGED_SCAN = 200  # alerting services, in onset order, whose changed dependencies are looked up
_NONE: frozenset[str] = frozenset()
_NO_HEALTH: HealthMap = {}


@dataclass(slots=True)
class Cluster:
    members: list[int]  # unique alert indices, onset order
    stats: dict[str, ServiceStats]  # alerting service -> its figures, in order of first onset
    silent: dict[str, set[str]]  # silent candidate -> alerting group services depending on it
    # The alerts the members index, so label values are read only when a silent candidate asks.
    source: Sequence[UniqueAlert] = ()
    _mentions: tuple[frozenset[str], dict[str, str]] | None = None
    # The graph's services by spelling (built once per graph, only when a label is read): a
    # label spelling a service its own way (``oteldemo.CartService/GetCart``) names it too.
    spelling: Callable[[], NameIndex] | None = None
    # A lone warning (one alert below critical, nothing related alerting) listed so nothing is
    # hidden: after every incident, flagged, never confident.
    lone: bool = False

    def names(self, service: str) -> bool:
        """Whether a label of the group's alerts other than their own service (``db``,
        ``peer_service``, ``upstream``, a client span's name...) names ``service``: an alert
        pointing at it."""
        return service in self._read()[0]

    def naming(self, service: str) -> str | None:
        """The first alert of the group whose labels name ``service`` as the target of its calls
        (a client span, a peer, a database, an upstream: not a topic or a queue, which producer
        and consumer share), as "checkout's alert SpanErrorRatioHigh
        (span_name=oteldemo.CartService/GetCart)"."""
        return self._read()[1].get(service)

    def _read(self) -> tuple[frozenset[str], dict[str, str]]:
        if self._mentions is None:
            self._mentions = mentions(self.source, self.members, self.spelling) if self.source else (frozenset(), {})
        return self._mentions


def service_stats(unique: Sequence[UniqueAlert], members: list[int]) -> dict[str, ServiceStats]:
    stats: dict[str, ServiceStats] = {}
    for i in members:
        u = unique[i]
        assert u.service is not None
        st = stats.get(u.service)
        if st is None:
            st = stats[u.service] = ServiceStats(first=u.starts_at)
        st.count += 1
        if severity_rank(u.severity) > severity_rank(st.severity) or st.severity is None:
            st.severity = u.severity
        end = u.alert.ends_at
        if end is None:
            st.firing = True
        elif not st.firing and (st.resolved is None or end > st.resolved):
            st.resolved = end
    return stats


_MAX_MENTION_ALERTS = 200


def mentions(
    unique: Sequence[UniqueAlert], members: list[int], spelling: Callable[[], NameIndex] | None = None,
) -> tuple[frozenset[str], dict[str, str]]:
    """What the peer-naming labels of a group's alerts (first 200 alerts) name: every value
    lower-cased, and, with ``spelling``, the one service a value (or a span name) spells in its
    own way; and of those, the ones named as the target of a call (:data:`CALL_LABELS`), each
    with the first alert naming it. An alert never names its own service (a server span carries
    it), and a route names no service: ``GET /api/cart`` is a page."""
    named_at_all: set[str] = set()
    called: dict[str, str] = {}
    index = None
    for i in members[:_MAX_MENTION_ALERTS]:
        u = unique[i]
        labels = u.alert.labels
        for k in sorted(SPELLED_LABELS.intersection(labels)):
            v = labels[k]
            if not v or len(v) > 200:
                continue
            found = {v.lower()} if k in PEER_LABELS else set()
            if spelling is not None and not ROUTE.match(v):
                index = index or spelling()
                named = index.named(v)
                if named is not None and named != u.service:
                    found.add(named)
            named_at_all |= found
            if k in CALL_LABELS:
                said = f"{u.service or 'an unmapped service'}'s alert {u.alert.alertname} ({k}={v})"
                for name in found:
                    called.setdefault(name, said)
    return frozenset(named_at_all), called


def attach_silent(index: MeetingIndex, clusters: list[Cluster]) -> None:
    """Find, for every cluster, silent nodes that two or more of its services depend on."""
    # Each alerting service's own near dependencies (from its memoised walk), not a scan of
    # every meeting point in the index: the same pairs, a fraction of the work.
    limit = index.max_hops - 1
    for c in clusters:
        if len(c.stats) < 2:
            continue  # one service cannot have a dependency shared by two
        for s in c.stats:
            for m in index.near(s, limit):
                if m not in c.stats and not index.is_hub(m):
                    c.silent.setdefault(m, set()).add(s)


def rank(
    cluster: Cluster, index: MeetingIndex, adj: Adjacency, changes: ChangeIndex,
    opts: CorrelationOptions, monitored: Collection[str] = _NONE, health: HealthMap = _NO_HEALTH,
) -> list[Scored]:
    """The group's candidates, best first. ``monitored``: services that raised an alert anywhere
    in the input (a changed dependency that is monitored and stayed quiet is not suspected
    for its change alone). ``health``: verdicts of a health source on quiet services
    (:mod:`.health`), read for the silent candidates."""
    seen = _Reported(cluster, health)
    if len(cluster.stats) == 1:
        out = _rank_alone(cluster, adj, changes, opts, seen)
    else:
        out = _rank_many(cluster, index, adj, changes, opts, monitored, seen)
    out.sort(key=_order)
    stats = cluster.stats
    for sc in out[: opts.max_candidates]:  # words only for the candidates that are shown
        sc.evidence = ev.evidence(sc, stats[sc.service] if sc.alerting else None, sc.between)
    return out


class _Reported(Mapping[str, HealthVerdict]):
    """``health``, and for a quiet service it has no verdict on, "degraded" when an alert of the
    group names it as the peer its failing calls go to (:meth:`Cluster.naming`): a caller's
    client span to ``cart`` erroring is cart seen failing from outside, what a health source
    would have measured. It counts as a measured degradation (full support, and with nothing
    alerting below it, the deepest failing service) and, being what this incident's own failing
    calls say, pays no silence penalty there (``ranking.REPORTED_RELIEF``). Of the evaluation
    families only span_traces' client alerts carry such a label (``evalkit.peers`` adds one to
    the others); OpenTelemetry span metrics and service-mesh metrics do
    (tests/engine/test_correlation_reported.py)."""

    def __init__(self, cluster: Cluster, health: HealthMap) -> None:
        self._cluster, self._health = cluster, health

    def __getitem__(self, service: str) -> HealthVerdict:
        known = self._health.get(service)
        if known is not None:
            return known
        said = self._cluster.naming(service)
        if said is None:
            raise KeyError(service)
        return HealthVerdict(Health.DEGRADED, said, reported=True)

    def __iter__(self) -> Iterator[str]:
        return iter(self._health)

    def __len__(self) -> int:
        return len(self._health)


def _order(c: Scored) -> tuple[float, int, float, str]:
    return (-c.score, -c.explains, c.onset_s if c.alerting else 1e18, c.service)


def _rank_alone(
    cluster: Cluster, adj: Adjacency, changes: ChangeIndex, opts: CorrelationOptions, health: HealthMap = _NO_HEALTH,
) -> list[Scored]:
    """:func:`_rank_many` for one alerting service ``s``: it explains itself, has no in-group
    dependency, and its silent candidates are its light direct dependencies (each explaining
    just s), five of them: those with the strongest change near the first alert, then by name."""
    ((s, st),) = cluster.stats.items()
    first = st.first
    light = [m for m in light_deps(adj, opts.hub_degree, s) if m != s] if s in adj.succ else []
    change = Batched(_window(changes, first, opts).best, [s, *light], changes.changed_services)
    shortlist = sorted(set(light), key=lambda m: (not cluster.names(m), -change.strength(m), m))[:_MAX_SILENT]
    # A quiet dependency a health source saw degraded, with s not calling back, fails below s.
    failing = [v for m in shortlist if s not in adj.succ[m] and is_degraded(v := health.get(m))]
    out = [_with_batch(score(s, st, 1, int(bool(failing)), 1, first, change(s)), change)]
    out[0].degraded_below = int(bool(failing))
    out[0].reported_below = int(bool(failing) and all(v.reported for v in failing))
    for m in shortlist:
        calls_back = s in adj.succ[m]  # a cycle: m is then one hop above s as well as below
        sc = _silent(cluster, adj, m, change(m), 1, explains=1, below=int(calls_back), n=1, first=first,
                     onset=first, health=health.get(m))
        sc.between = (s, s) if calls_back else None
        out.append(_with_batch(sc, change))
    return out


def _rank_many(
    cluster: Cluster, index: MeetingIndex, adj: Adjacency, changes: ChangeIndex,
    opts: CorrelationOptions, monitored: Collection[str] = _NONE, health: HealthMap = _NO_HEALTH,
) -> list[Scored]:
    stats = cluster.stats
    first = min(st.first for st in stats.values())
    deps = dict.fromkeys(stats, 0)
    # In-group dependencies, read from each member's remembered walk.
    pairs = index.in_group(stats)
    found: dict[str, set[str]] = {}
    for _, s, m in pairs:
        found.setdefault(m, set()).add(s)
    # An alerting dependency that also depends on s, directly or through other alerting
    # services (a cycle of calls), does not make s a symptom any more than s makes it one: only
    # dependencies outside s's strongly connected part of the group count against its depth.
    part = _components(stats, pairs)
    for _, s, m in pairs:
        if part[s] != part[m] and not _over(stats[m], stats[s]):
            deps[s] += 1
    part_size: dict[int, int] = {}
    for c in part.values():
        part_size[c] = part_size.get(c, 0) + 1
    start = _later_in_cycle(stats, part, part_size, deps, adj, opts.link_window.total_seconds())
    _cycle_depends(stats, pairs, part, start, deps)
    # in-group dependency -> its in-group dependents, keyed in the group's order so that ties
    # in the closure choice below fall the same way on every run
    up = {m: found[m] for m in stats if m in found}
    _over_before(up, stats)
    anchor = _anchor(stats, first)
    window = _window(changes, anchor, opts)
    zero = _onset_zero(stats, anchor)
    pool = _silent_pool(cluster, pairs, deps, adj, opts)
    _add_changed_deps(pool, stats, adj, opts, window, monitored)
    change = Batched(window.best, [*stats, *pool], changes.changed_services)
    n = len(stats)
    # Transitive closure only where it can change the order: the deepest services and the
    # most-depended-on ones. Everyone else keeps the direct count (cheap on huge groups).
    sinks = [s for s in stats if deps[s] == 0]
    closure_for = set(sorted(sinks, key=lambda m: -len(up.get(m, ())))[:_MAX_CLOSURE])
    closure_for |= set(sorted(up, key=lambda m: -len(up[m]))[:_MAX_CLOSURE])
    shared: dict[int, list[float]] = {}  # cycle -> onsets of what it explains, sorted
    # Quiet services an alert names come first: a server asks its health source about this
    # shortlist only, and an alert naming one is already what it would have said.
    shortlist = heapq.nsmallest(_MAX_SILENT, pool.items(),
                                key=lambda kv: (not cluster.names(kv[0]), -change.strength(kv[0]), -len(kv[1]), kv[0]))
    belows = {m: [t for t in adj.succ.get(m, ()) if t in stats] for m, _ in shortlist}
    # A quiet candidate a health source saw degraded, with nothing alerting below it, is failing
    # below the alerting services that depend on it: they are not the deepest failing ones.
    degraded_below: dict[str, int] = {}
    reported_below: dict[str, int] = {}
    for m, dependents in shortlist:
        verdict = health.get(m)
        if is_degraded(verdict) and not belows[m]:
            for d in dependents:
                deps[d] += 1
                degraded_below[d] = degraded_below.get(d, 0) + 1
                if verdict.reported:
                    reported_below[d] = reported_below.get(d, 0) + 1
    out = []
    for s, st in stats.items():
        if part_size[part[s]] > 1:  # one closure per cycle: every member explains the same
            known = shared.get(part[s])
            if known is None:
                reach = _closure(up, {s}, up.get(s, set()))
                known = shared[part[s]] = sorted(stats[d].first.timestamp() for d in reach)
            explained = len(known)
            t = st.first.timestamp()
            if t - start[part[s]] > CYCLE_GRACE_S and not _named(change(s), s):
                # Began late in the cycle: time is the cycle's only direction (_later_in_cycle), so
                # it explains what began after it, not the members whose failure it reached late.
                # Without this every member of a mesh's hundred-service cycle explained all of it,
                # and an innocent deploy on one that began minutes after the database below them
                # all outranked the database. A change made for it by name (a flag naming it) is
                # its own evidence of starting the failure, and keeps the cycle. Shapes the report
                # does not use, spare seeds 1000-1009 on mesh-150 / mesh-250, AC@1: metric rules
                # 0.326 -> 0.348, cascade 0.339 -> 0.382, fault injection unchanged (-0.164
                # without the named-change exception: flag flips there come after stray alerts),
                # request flow 0.406 -> 0.397; seeds 1020-1029 with hub, layered, flat and deep
                # shapes too: +0.009, +0.017, 0.000, +0.001. The four fitting topologies, without
                # such cycles, are unchanged.
                explained -= bisect_left(known, t - CYCLE_GRACE_S)
        elif s in closure_for:
            explained = len(_closure(up, {s}, up.get(s, set())))
        else:
            explained = len(up.get(s, ()))
        sc = score(s, st, 1 + explained, deps[s], n, first, change(s), onset_from=zero)
        sc.degraded_below = degraded_below.get(s, 0)
        sc.reported_below = reported_below.get(s, 0)
        out.append(_with_batch(sc, change))
    for m, dependents in shortlist:
        below = belows[m]
        explained_set = _closure(up, set(), dependents)
        earliest = min(stats[d].first for d in dependents)
        alerting_callers = sum(map(stats.__contains__, adj.pred.get(m, ())))  # (C-level count)
        sc = _silent(cluster, adj, m, change(m), alerting_callers, explains=len(explained_set), below=len(below),
                     n=n, first=first, onset=earliest, health=health.get(m), onset_from=zero)
        sc.between = (min(dependents), min(below)) if below else None
        out.append(_with_batch(sc, change))
    return out


def _named(change: tuple[Change, float] | None, service: str) -> bool:
    """Whether ``change`` was made for ``service`` by name (:func:`.named_changes.by_name`)."""
    return change is not None and by_name(change[0], service)


def _over(dep: ServiceStats, dependent: ServiceStats) -> bool:
    """Whether ``dep``'s alerts had all resolved before ``dependent`` began alerting: it was
    over before they started, so it neither explains them nor makes them its symptoms (as
    grouping does not link them; spare seeds 1000-1009 / 1020-1029 AC@1 +0.003 / +0.001 metric
    rules, +0.001 / +0.002 fault injection, +0.001 / 0 cascade). An end still in the future is
    an Alertmanager expiry: every dependent began before it."""
    return not dep.firing and dep.resolved is not None and dependent.first > dep.resolved


def _over_before(up: dict[str, set[str]], stats: dict[str, ServiceStats]) -> None:
    """Drop from ``up`` (dependency -> in-group dependents) those it was :func:`_over` for."""
    for m, dependents in up.items():
        st = stats[m]
        if any(_over(st, stats[d]) for d in dependents):
            up[m] = {d for d in dependents if not _over(st, stats[d])}


def _add_changed_deps(
    pool: dict[str, set[str]], stats: dict[str, ServiceStats], adj: Adjacency, opts: CorrelationOptions,
    window: ChangeWindow, monitored: Collection[str],
) -> None:
    """Silent light dependencies of the group's first alerting services that changed near its
    first alert join the pool, with their alerting callers: a flag flipped on a service whose
    callers all alert is evidence wherever in the group they sit, not only below its deepest.
    A shared dependency with more than ``hub_degree`` callers (a broker, a flag store) joins only
    when a change made for it by name (a flag key naming it) is the one near the alert: its own
    routine changes say nothing, being called by everyone explains everything.
    A ``monitored`` dependency (it raised alerts elsewhere in the input) that stayed quiet here
    is left out: its silence is an observation."""
    near, pred = window.any, adj.pred
    for s in list(stats)[:_MAX_CHANGED_SCAN]:
        if s not in adj.succ:
            continue
        for d in light_deps(adj, opts.hub_degree, s):
            if d not in stats and d not in pool and d not in monitored and near(d):
                pool[d] = {c for c in pred.get(d, ()) if c in stats}
        for d in adj.succ[s]:
            if len(pred[d]) > opts.hub_degree and d not in stats and d not in pool and d not in monitored:
                best = window.best(d)
                if best is not None and by_name(best[0], d):
                    pool[d] = {c for c in pred[d] if c in stats}


def _with_batch(sc: Scored, change: Batched) -> Scored:
    if sc.change is not None:
        sc.batch = change.batch(sc.service)
    return sc


def _later_in_cycle(
    stats: dict[str, ServiceStats], part: dict[str, int], part_size: dict[int, int], deps: dict[str, int],
    adj: Adjacency, follow_s: float,
) -> dict[int, float]:
    """Inside a cycle of alerting services the graph gives no direction, and time is what is left:
    a member that began more than ``CYCLE_GRACE_S`` after the cycle's start is counted as having
    an alerting dependency (the fault reached it through the cycle) and stops being deepest.

    The cycle's start is not simply its first alert. On a densely connected estate a large
    incident gathers a hundred services into one cycle, and any unrelated alert that began a
    little earlier on one of them (a consumer lag firing for half an hour, a blip) would be
    "first". A fault spreads to callers: where it began, one of the service's alerting callers
    began within ``follow_s`` (the link window) after it. So the cycle starts at its first member
    some alerting caller followed that soon; members before it, which nothing followed, count as
    later too. When no member was followed, the first alert is the start, as before. Spare seeds
    1000-1009 / 1020-1029, 9 topologies (only mesh-200 has such cycles): AC@1 metric rules
    +0.013 / +0.007, fault injection +0.013 / +0.005, cascade +0.019 / +0.015; on mesh-200 alone
    metric rules 0.267 -> 0.385, fault injection 0.555 -> 0.673, cascade 0.267 -> 0.456. A three
    minute window gave 0.352 / 0.682 / 0.461 there, two minutes 0.274 / 0.682 / 0.442."""
    members: dict[int, list[tuple[float, str]]] = {}
    for s, st in stats.items():
        if part_size[part[s]] > 1:
            members.setdefault(part[s], []).append((st.first.timestamp(), s))
    start: dict[int, float] = {}
    unfollowed: set[str] = set()
    for c, ts in members.items():
        ts.sort()
        start[c] = ts[0][0]
        for i, (t, s) in enumerate(ts):
            if any(d in stats and 0 <= stats[d].first.timestamp() - t <= follow_s for d in adj.pred.get(s, ())):
                start[c] = t
                unfollowed.update(x for _, x in ts[:i])
                break
    for c, ts in members.items():
        for t, s in ts:
            if s in unfollowed or t - start[c] > CYCLE_GRACE_S:
                deps[s] += 1
    return start


def _cycle_depends(
    stats: dict[str, ServiceStats], pairs: list[tuple[int, str, str]], part: dict[str, int],
    start: dict[int, float], deps: dict[str, int],
) -> None:
    """Services that call each other depend on whatever any of them depends on: a cycle one of
    whose members has an alerting dependency outside it is no deepest failing part, and each
    member counts that dependency. Only one that began alerting up to ``INHERIT_WINDOW_S``
    before the cycle's start (:func:`_later_in_cycle`), or later but still failing: one that was
    already alerting long before, or a later blip that is over, did not start the cycle failing.

    Without it, the first member of a cycle that reached a failing database only through
    another member stayed "deepest" beside the database. Spare seeds 1000-1005 on two meshes the
    report does not use (shape/mesh-150, mesh-250), AC@1: metric rules 0.256 -> 0.284, fault
    injection 0.621 -> 0.667, request flow unchanged, cascade 0.331 -> 0.327; seeds 1020-1025
    with mesh-100 too: +0.017, +0.046, +0.003, -0.011. The four fitting topologies and four other
    shapes, without such cycles, are unchanged. Only earlier dependencies: metric rules +0.028,
    fault injection 0; any dependency at all: fault injection +0.053, cascade -0.051."""
    lead: set[int] = set()
    for _, s, m in pairs:
        c = part[s]
        if part[m] == c or c not in start or _over(stats[m], stats[s]):
            continue
        ahead = start[c] - stats[m].first.timestamp()
        if ahead <= INHERIT_WINDOW_S and (ahead >= 0 or stats[m].firing):
            lead.add(c)
    for s in stats:
        if deps[s] == 0 and part[s] in lead:
            deps[s] = 1


def _silent(
    cluster: Cluster, adj: Adjacency, m: str, change: tuple[Change, float] | None, alerting_callers: int, *,
    explains: int, below: int, n: int, first: datetime, onset: datetime, health: HealthVerdict | None = None,
    onset_from: datetime | None = None,
) -> Scored:
    """Score a service that raised no alert by its own evidence: a change weighed by the share of
    its callers alerting, an alert naming it, or every caller alerting (see ``silent_support``);
    a health source's verdict on it overrides those (:func:`~.ranking.score`)."""
    callers = len(adj.pred.get(m, ()))
    ch = quiet_change(change, alerting_callers, callers, m)
    named = cluster.names(m)
    support = silent_support(alerting_callers, callers, below, ch[1] if ch else 0.0, named)
    sc = score(m, None, explains, below, n, first, ch, silent_onset=onset, support=support, health=health,
               onset_from=onset_from)
    sc.named = named
    return sc


def _components(services: dict[str, ServiceStats], pairs: list[tuple[int, str, str]]) -> dict[str, int]:
    """Strongly connected components of the group's dependency pairs (iterative Tarjan)."""
    succ: dict[str, list[str]] = {}
    for _, s, m in pairs:
        succ.setdefault(s, []).append(m)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    comp: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    counter = 0
    for start in services:
        if start in index:
            continue
        work = [(start, iter(succ.get(start, ())))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(succ.get(w, ()))))
                    advanced = True
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp[w] = index[v]
                    if w == v:
                        break
    return comp


# Changes are weighed around the onset of the group's first tenth of alerting services, not its
# very first alert: in a big group one early noise alert otherwise puts the change that started
# the incident "after the first alert", outside the window (spare seeds 1000-1009 / 1020-1029:
# AC@1 +0.016 / +0.013 fault injection, +0.001 / +0.011 metric rules, +0.003 / +0.003 cascade).
# Groups of fewer than eleven services keep their first alert.
# How soon a candidate began is weighed from near the same point (:func:`_onset_zero`), for the
# same reason: in a mesh incident of a hundred services that began with a stray alert twenty
# minutes before, every candidate's onset weight was about 1/25, and who began first no longer
# counted. What "first to alert" and "started N min after the first alert" say is still measured
# from the very first alert. Synthetic shapes (mesh, hub, layered; flat and deep too on the
# second set), spare seeds 1000-1009 / 1010-1019, AC@1: cascade +0.016 / +0.018, metric rules
# +0.005 / +0.001, fault injection 0.000 / +0.003, request flow unchanged; the four fitting
# topologies (groups of fewer than eleven services) unchanged. Counting from the anchor itself
# bought about the same, but tied the first two services of a group of eleven to twenty.
CHANGE_ANCHOR_SHARE = 0.1
# Onsets this long before the anchor keep their order (one lead of the first tenth stays a lead).
ONSET_LEAD_S = 120.0


def _anchor(stats: dict[str, ServiceStats], first: datetime) -> datetime:
    """The first onset of the group's first tenth (``stats`` is in order of first onset)."""
    k = int(CHANGE_ANCHOR_SHARE * (len(stats) - 1))
    return first if k == 0 else next(islice(stats.values(), k, None)).first


def _onset_zero(stats: dict[str, ServiceStats], anchor: datetime) -> datetime:
    """Where onsets count from: the first onset at most :data:`ONSET_LEAD_S` before ``anchor``
    (``stats`` is in order of first onset). Earlier ones are strays as far as the order goes."""
    lead = timedelta(seconds=ONSET_LEAD_S)
    return next(st.first for st in stats.values() if st.first >= anchor - lead)


def _window(changes: ChangeIndex, first: datetime, opts: CorrelationOptions) -> ChangeWindow:
    return changes.around(first, opts.change_lookback.total_seconds(), opts.change_grace.total_seconds())


def _closure(up: dict[str, set[str]], seen: set[str], start: set[str]) -> set[str]:
    """Every in-group service that depends, directly or not, on the ``start`` services."""
    out = set(start)
    stack = list(start)
    while stack:
        for d in up.get(stack.pop(), ()):
            if d not in out and d not in seen:
                out.add(d)
                stack.append(d)
    return out


def _silent_pool(
    cluster: Cluster, pairs: list[tuple[int, str, str]], deps: dict[str, int], adj: Adjacency,
    opts: CorrelationOptions,
) -> dict[str, set[str]]:
    """Silent shared dependencies of two or more alerting services, silent services sitting
    between two alerting ones, and the silent direct dependencies of the deepest alerting
    services (an unmonitored database behind its only caller looks like that caller failing),
    each with the alerting services it is a candidate for. Five are kept by the caller: those
    with the strongest change near the first alert first, then the most depended on."""
    silent, stats = cluster.silent, cluster.stats
    found = {m: d for m, d in silent.items() if len(d) >= 2}
    # alerting services that make a silent node a candidate of their own accord; each such node
    # is credited with them and with every group service depending on it (``silent``)
    extra: dict[str, set[str]] = {}
    for a, s, t in pairs:
        # every caller of a hub "sits above" it; that says nothing
        if a == 2 and len(adj.pred.get(t, ())) <= opts.hub_degree:
            for mid in set(adj.succ[s]).intersection(adj.pred[t]):
                if mid not in stats:
                    extra.setdefault(mid, set()).add(s)
    sinks = sorted((s for s in stats if deps[s] == 0 and s in adj.succ), key=lambda s: stats[s].first)
    for sink in sinks[:_MAX_SILENT]:
        for dep in light_deps(adj, opts.hub_degree, sink):
            if dep not in stats:
                extra.setdefault(dep, set()).add(sink)
    for m, by in extra.items():
        by |= found.get(m, _NONE)
        by |= silent.get(m, _NONE)
        found[m] = by
    return found
