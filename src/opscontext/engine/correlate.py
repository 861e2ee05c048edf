"""Turn a flood of alerts into a few incidents, each with a named primary contributor.

Stages (each its own module under ``engine/correlation/``):

1. **dedup**: same fingerprint and start = duplicate; same fingerprint re-firing soon = flapping,
   counted once and reported.
2. **topology index**: every alerting service walks down its dependencies once (bounded hops,
   capped visits) and leaves marks where it meets others.
3. **grouping**: per-service episodes linked when their services meet within the hop bound
   *and* their onsets are close (a dependency may start later while its callers still fire);
   off-graph alerts join only by near-identical labels.
   **bridges**: links are explanations settled bottom-up, so a caller explained by two
   incidents (a shared gateway, the dependents of an alerting hub) joins neither; each of its
   alerts goes to the incident it fits best (time, route words, distance).
4. **ranking**: topology position, onset order, severity and recent changes score every alerting
   service, and silent ones with evidence of their own; evidence says why.
5. **calibration**: the lowest of logistic curves fitted one per scenario family the ranking was
   not tuned on, capped below one half with ``uncertain_because`` when the answer is a guess (close
   runner-up, graph-only evidence, tied roots, a neighbouring group that may be the same incident).

Stages 1-3 and the counts run at once; stages 4-5 run per group when the group is first asked
for (:func:`correlate_lazy`: an answer shows a page of groups, and at 50k services / 100k alerts
ranking every group was half of the engine's time). :func:`correlate` asks for them all.

Nothing here compares all pairs of alerts: the work grows with alerting services times their
bounded neighbourhood, which keeps 100k alerts on a 50k-service graph within seconds.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from datetime import datetime

from opscontext.engine.correlation import evidence as ev
from opscontext.engine.correlation.bridges import Resolution, assign, clusters, resolve
from opscontext.engine.correlation.candidates import Cluster, service_stats
from opscontext.engine.correlation.dedup import UniqueAlert, severity_rank
from opscontext.engine.correlation.grouping import Episode, Links, link_by_labels, link_by_topology
from opscontext.engine.correlation.health import HealthAt
from opscontext.engine.correlation.lazy import LazyCorrelation
from opscontext.engine.correlation.models import (
    AlertBrief,
    AlertGroup,
    Candidate,
    Correlation,
    CorrelationOptions,
)
from opscontext.engine.correlation.observed import observed_calls, with_observed
from opscontext.engine.correlation.onsets import onsets
from opscontext.engine.correlation.peers import CALL_LABELS, called_by
from opscontext.engine.correlation.ranking import ChangeIndex
from opscontext.engine.correlation.second_cause import Related, related_in
from opscontext.engine.correlation.topology import Adjacency, MeetingIndex, adjacency, spelling
from opscontext.engine.graph import ServiceGraph
from opscontext.gcpause import long_lived, without_gc
from opscontext.models import Alert, Change

__all__ = ["AlertBrief", "AlertGroup", "Candidate", "Correlation", "CorrelationOptions", "LazyCorrelation",
           "correlate", "correlate_lazy"]

_CRITICAL = severity_rank("critical")
_QUIET = frozenset({"info", "none"})


@without_gc  # millions of short-lived objects: see gcpause for the measured cost
def correlate(
    alerts: Sequence[Alert],
    graph: ServiceGraph,
    changes: Sequence[Change],
    *,
    now: datetime,
    options: CorrelationOptions | None = None,
    health: HealthAt | None = None,
) -> Correlation:
    """Group ``alerts`` into incidents and rank each incident's primary contributor.

    ``now`` bounds which changes can count (a change stamped after ``now`` is ignored).
    Alert and change ``.service`` values must already be canonical graph names (or None).
    ``health``: a health source's verdicts on quiet services for a group beginning at a given
    instant (:mod:`.correlation.health`).
    """
    return correlate_lazy(alerts, graph, changes, now=now, options=options, health=health).complete()


@long_lived
def correlate_lazy(
    alerts: Sequence[Alert],
    graph: ServiceGraph,
    changes: Sequence[Change],
    *,
    now: datetime,
    options: CorrelationOptions | None = None,
    health: HealthAt | None = None,
) -> LazyCorrelation:
    """:func:`correlate` with the groups ranked and assembled only when asked for (an answer
    shows a page of them): the same groups, in the same order, with the same counts.

    The result is kept (correlate_alerts remembers it for the next page), so what it holds is
    frozen out of the collector's reach on the way out (:func:`~opscontext.gcpause.long_lived`):
    left young, the first collection after the call traced all of it, 0.2-0.8 s at 50k services /
    100k alerts charged to whatever allocated next. It holds no reference cycles, so it is still
    freed when dropped (benchmarks: the frozen count stays flat over repeated correlations)."""
    opts = options or CorrelationOptions()
    observed = observed_calls(alerts, graph) if opts.calls_from_alerts else ()
    graph = with_observed(graph, observed)  # the same graph when the alerts show nothing it lacks
    pre = onsets(alerts, graph, opts)  # worked out in the server's background load, or now
    d = pre.deduped
    ungrouped: Counter[str] = Counter()
    if d.suppressed:
        ungrouped["suppressed"] = d.suppressed
    ungrouped["no_service"] = pre.no_service
    adj = adjacency(graph)
    members = _cluster(d.unique, pre.episodes(now.timestamp()), pre.by_service, pre.index, adj, opts)
    index = pre.index
    spell = functools.partial(spelling, adj)  # built on first use, once per graph
    change_index = ChangeIndex(changes, until=now, names=adj.succ.keys(), spelling=spell)
    kept: list[Cluster] = []
    changed_below = _changed_below(adj, change_index, opts)
    lone = 0
    for idxs in members:
        reason = _drop_reason(idxs, d.unique, opts)
        if reason == "isolated_noise" and changed_below(d.unique[idxs[0]]):
            reason = None  # a lone alert right after a change on it or below it is not noise
        listed = reason == "isolated_noise" and opts.list_lone_warnings
        if reason and not listed:
            ungrouped[reason] += len(idxs)
        else:  # per-service figures only for the groups kept
            lone += listed
            kept.append(Cluster(members=idxs, stats=service_stats(d.unique, idxs), silent={},
                                source=d.unique, spelling=spell, lone=listed))
    # Services that raise alerts somewhere in the input are monitored: their silence in a group
    # is an observation, not a gap.
    monitored = pre.monitored
    n_in = len(alerts)
    counts = {k: v for k, v in ungrouped.items() if v}
    head = Correlation(
        groups=[],
        alerts_in=n_in,
        alerts_unique=len(d.unique),
        duplicates_removed=d.duplicates_removed,
        flapping=d.flapping,
        groups_out=len(kept),
        lone_warnings=lone,
        ungrouped=counts,
        noise_reduction=round(1 - (len(kept) - lone) / n_in, 4) if n_in else 0.0,
        explanation=ev.explanation(
            n_in, len(d.unique), d.duplicates_removed, d.flapping,
            sum(len(c.members) for c in kept if not c.lone), len(kept) - lone, counts, observed, lone,
        ),
    )
    return LazyCorrelation(head, kept, d.unique, index, adj, change_index, opts, monitored, health)


def _cluster(
    unique: list[UniqueAlert], eps: list[Episode], by_service: dict[str, list[int]], index: MeetingIndex,
    adj: Adjacency, opts: CorrelationOptions,
) -> list[list[int]]:
    """Alert indices per incident (each list in onset order), from the episodes and their index."""
    _, res, _ = group_stages(unique, eps, by_service, index, adj, opts)
    return clusters(eps, res)


def group_stages(
    unique: list[UniqueAlert], eps: list[Episode], by_service: dict[str, list[int]], index: MeetingIndex,
    adj: Adjacency, opts: CorrelationOptions,
) -> tuple[Links, Resolution, Related]:
    """The grouping stages in order: the candidate links, their settling into incidents and
    bridges with every bridge alert placed, and the graph relation settling used (returned for
    tools that show how a grouping came about, such as ``evalkit.trace``)."""
    window = opts.link_window.total_seconds()
    links = link_by_topology(index, eps, by_service, window, opts.dependency_late.total_seconds(),
                             opts.caller_late.total_seconds(), _towards(unique, eps, adj, by_service))
    related = related_in(index)
    res = resolve(eps, links, related, opts.continue_within.total_seconds())
    off_graph = [e for s, ids in by_service.items() if s not in adj.succ for e in ids]
    if off_graph:
        link_by_labels(unique, eps, off_graph, res.uf, opts.label_window.total_seconds(), skip=res.bridges)
    assign(unique, eps, res, window, functools.partial(spelling, adj))
    return links, res, related


_MAX_NAMING_ALERTS = 50  # an episode's alerts read for the callees they name


def _towards(
    unique: list[UniqueAlert], eps: list[Episode], adj: Adjacency, alerting: Collection[str],
) -> Callable[[int, str, int], bool] | None:
    """Whether a caller episode's alerts leave dependency ``m`` (``hops`` away) as their possible
    cause: yes when they name no ``alerting`` callee; when they do (a client span,
    ``peer_service``, a mesh destination naming a service that alerts too), only if ``m`` is one
    of those or lies below one. A caller whose alerts say its calls to a failing cart fail is not
    a symptom of payment starting to alert minutes later. A named callee that raised no alert
    excludes nothing: the label may name only some of the calls. None when no alert carries a
    call label (most estates): nothing to ask."""
    if all(CALL_LABELS.isdisjoint(u.alert.labels) for u in unique):
        return None
    spell = functools.partial(spelling, adj)
    known: dict[int, frozenset[str]] = {}
    succ = adj.succ

    def named(e_id: int) -> frozenset[str]:
        found = known.get(e_id)
        if found is None:
            e = eps[e_id]
            out: set[str] = set()
            for i in e.members[:_MAX_NAMING_ALERTS]:
                out |= called_by(unique[i].alert.labels, e.service, spell)
            found = known[e_id] = frozenset(out)
        return found

    def towards(caller: int, m: str, hops: int) -> bool:
        # (not frozenset.intersection(alerting): with a mapping it walks every alerting service)
        callees = [n for n in named(caller) if n in alerting]
        if not callees or m in callees:
            return True
        if hops < 2:
            return False
        frontier = set(callees)
        for _ in range(hops - 1):
            frontier = {d for n in frontier for d in succ.get(n, ())}
            if m in frontier:
                return True
        return False

    return towards


def _changed_below(adj: Adjacency, changes: ChangeIndex, opts: CorrelationOptions) -> Callable[[UniqueAlert], bool]:
    """A test of whether an alert's service or one of its direct dependencies changed just
    before it fired, with what every alert shares looked up once (30k lone alerts at scale)."""
    succ, hub_degree, changed = adj.succ, opts.hub_degree, changes.changed_services
    lookback, grace = opts.change_lookback.total_seconds(), opts.change_grace.total_seconds()

    def test(u: UniqueAlert) -> bool:
        if u.service is None:
            return False
        deps = succ.get(u.service, ())
        if len(deps) > hub_degree:
            deps = ()
        near_by = [s for s in (u.service, *deps) if s in changed]
        # many lone alerts: nothing around them changed all day
        return bool(near_by) and changes.around(u.starts_at, lookback, grace, u.ts).any_of(near_by)

    return test


def _drop_reason(members: list[int], unique: list[UniqueAlert], opts: CorrelationOptions) -> str | None:
    if len(members) == 1:  # most clusters: one alert
        severity = unique[members[0]].severity
        if opts.min_group_alerts > 1 and severity_rank(severity) < _CRITICAL:
            return "isolated_noise"
        return "below_severity" if (severity or "").lower() in _QUIET else None
    if len(members) < opts.min_group_alerts and max(severity_rank(unique[i].severity) for i in members) < _CRITICAL:
        return "isolated_noise"
    if all((unique[i].severity or "").lower() in _QUIET for i in members):
        return "below_severity"
    return None

