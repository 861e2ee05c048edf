"""From a cluster of episodes to an :class:`AlertGroup`: rank, explain, summarise."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from opscontext.engine.correlation import evidence as ev
from opscontext.engine.correlation.calibration import confidence
from opscontext.engine.correlation.dedup import UniqueAlert, severity_rank
from opscontext.engine.correlation.models import AlertBrief, AlertGroup, Candidate, CorrelationOptions
from opscontext.engine.correlation.ranking import ChangeIndex, Scored, ServiceStats, score
from opscontext.engine.correlation.topology import (
    Adjacency,
    MeetingIndex,
    dependents_within,
)

_MAX_SILENT = 5
_MAX_CLOSURE = 30


@dataclass(slots=True)
class Cluster:
    members: list[int]  # unique alert indices, onset order
    stats: dict[str, ServiceStats]
    silent: dict[str, set[str]]  # silent candidate -> alerting group services depending on it


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
    return stats


def attach_silent(index: MeetingIndex, clusters: list[Cluster]) -> None:
    """Find, for every cluster, silent nodes that two or more of its services depend on."""
    # Each alerting service's own near dependencies (from its memoised walk), not a scan of
    # every meeting point in the index: the same pairs, a fraction of the work.
    limit = index.max_hops - 1
    for c in clusters:
        for s in c.stats:
            for m in index.near(s, limit):
                if m not in c.stats and not index.is_hub(m):
                    c.silent.setdefault(m, set()).add(s)


def rank(
    cluster: Cluster, index: MeetingIndex, adj: Adjacency, changes: ChangeIndex,
    opts: CorrelationOptions,
) -> list[Scored]:
    stats = cluster.stats
    first = min(st.first for st in stats.values())
    deps = dict.fromkeys(stats, 0)
    # In-group dependencies, read from each member's remembered walk (a one-service group, half
    # of all groups at scale, has none).
    pairs = index.in_group(stats) if len(stats) > 1 else []
    found: dict[str, set[str]] = {}
    for _, s, m in pairs:
        found.setdefault(m, set()).add(s)
        deps[s] += 1
    # in-group dependency -> its in-group dependents, keyed in the group's order so that ties
    # in the closure choice below fall the same way on every run
    up = {m: found[m] for m in stats if m in found}
    lookback, grace = opts.change_lookback.total_seconds(), opts.change_grace.total_seconds()
    n = len(stats)
    # Transitive closure only where it can change the order: the deepest services and the
    # most-depended-on ones. Everyone else keeps the direct count (cheap on huge groups).
    sinks = [s for s in stats if deps[s] == 0]
    closure_for = set(sorted(sinks, key=lambda m: -len(up.get(m, ())))[:_MAX_CLOSURE])
    closure_for |= set(sorted(up, key=lambda m: -len(up[m]))[:_MAX_CLOSURE])
    out = []
    for s, st in stats.items():
        explained = len(_closure(up, {s}, up.get(s, set()))) if s in closure_for else len(up.get(s, ()))
        change = changes.best(s, first, lookback, grace)
        out.append(score(s, st, 1 + explained, deps[s], n, first, change))
    for m, dependents in _silent_candidates(cluster, pairs, deps, adj, opts):
        below = [t for t in adj.succ.get(m, ()) if t in stats]
        explained_set = _closure(up, set(), dependents)
        earliest = min(stats[d].first for d in dependents)
        change = changes.best(m, first, lookback, grace)
        sc = score(m, None, len(explained_set), len(below), n, first, change, silent_onset=earliest)
        sc.between = (min(dependents), min(below)) if below else None
        out.append(sc)
    out.sort(key=lambda c: (-c.score, -c.explains, c.onset_s if c.alerting else 1e18, c.service))
    for sc in out[: opts.max_candidates]:  # words only for the candidates that are shown
        sc.evidence = ev.evidence(sc, stats[sc.service] if sc.alerting else None, sc.between)
    return out


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


def _silent_candidates(
    cluster: Cluster, pairs: list[tuple[int, str, str]], deps: dict[str, int], adj: Adjacency,
    opts: CorrelationOptions,
) -> list[tuple[str, set[str]]]:
    """Silent shared dependencies of two or more alerting services, silent services sitting
    between two alerting ones, and the silent direct dependencies of the deepest alerting
    services (an unmonitored database behind its only caller looks like that caller failing)."""
    found = {m: d for m, d in cluster.silent.items() if len(d) >= 2}
    stats = cluster.stats
    for a, s, t in pairs:
        # every caller of a hub "sits above" it; that says nothing
        if a == 2 and len(adj.pred.get(t, ())) <= opts.hub_degree:
            for mid in set(adj.succ[s]).intersection(adj.pred[t]):
                if mid not in stats:
                    found[mid] = found.get(mid, set()) | cluster.silent.get(mid, set()) | {s}
    sinks = sorted((s for s in cluster.stats if deps[s] == 0 and s in adj.succ), key=lambda s: cluster.stats[s].first)
    for sink in sinks[:_MAX_SILENT]:
        for dep in adj.succ[sink]:
            if dep not in stats and len(adj.pred[dep]) <= opts.hub_degree:
                found[dep] = found.get(dep, set()) | cluster.silent.get(dep, set()) | {sink}
    ranked = sorted(found.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return ranked[:_MAX_SILENT]


def build_group(
    cluster: Cluster, ranked: list[Scored], unique: Sequence[UniqueAlert], adj: Adjacency,
    opts: CorrelationOptions,
) -> AlertGroup:
    top = ranked[0]
    runner_up = ranked[1].score if len(ranked) > 1 else 0.0
    first = unique[cluster.members[0]].starts_at
    members = [unique[i] for i in cluster.members]
    entry = max(ranked, key=lambda c: (c.alerting, c.deps, -c.onset_s)).service
    if top.service in adj.pred:
        impacted = dependents_within(adj, top.service, opts.max_hops + 1, 50)
    else:
        impacted = sorted(s for s in cluster.stats if s != top.service)
    gid = hashlib.sha1(f"{top.service}|{first.isoformat()}".encode()).hexdigest()[:12]
    return AlertGroup(
        id=f"grp-{gid}",
        primary_contributor=top.service,
        confidence=round(confidence(top.score, runner_up, len(cluster.stats)), 4),
        candidates=[
            Candidate(service=c.service, score=round(c.score, 4), alerting=c.alerting, evidence=c.evidence)
            for c in ranked[: opts.max_candidates]
        ],
        fingerprints=list(dict.fromkeys([u.alert.fingerprint for u in members])),
        alerts=[
            AlertBrief(fingerprint=u.alert.fingerprint, alertname=u.alert.alertname, service=u.service,
                       starts_at=u.starts_at, severity=u.severity)
            for u in members[: opts.max_alerts_listed]
        ],
        alert_count=len(members),
        services=sorted(cluster.stats),
        impacted_services=impacted,
        started_at=first,
        summary=ev.summary(entry, {u.alert.alertname for u in members[:200]}, len(cluster.stats), top),
    )
