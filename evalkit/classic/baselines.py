"""Our method and the baselines it must beat, all answering as a :class:`Prediction`.

* ``alertmanager``: Alertmanager-style grouping by a label (``service`` or ``alertname``) with a
  time window; the group's own service is its "root" (ranked by alert count).
* ``earliest``: our groups, but the service of the earliest alert is named the root.
* ``random``: our groups, a random alerting service of the group named the root.
* ``time_window``: every alert within the window of the previous one is one group (time only,
  no topology); earliest alert's service first.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import timedelta

from evalkit.classic.metrics import Prediction
from evalkit.classic.scenario import Scenario
from opscontext.engine.correlate import Correlation, CorrelationOptions, correlate
from opscontext.engine.graph import ServiceGraph
from opscontext.models import Alert

WINDOW = timedelta(minutes=10)


def ours(scenario: Scenario, options: CorrelationOptions | None = None) -> tuple[Prediction, Correlation]:
    t = scenario.topology
    graph = ServiceGraph.build(t.services, t.edges)
    corr = correlate(scenario.alerts, graph, scenario.changes, now=scenario.now, options=options)
    return Prediction.of(corr), corr


def _first_seen(alerts: Sequence[Alert]) -> dict[str, Alert]:
    out: dict[str, Alert] = {}
    for a in alerts:
        if a.fingerprint not in out or a.starts_at < out[a.fingerprint].starts_at:
            out[a.fingerprint] = a
    return out


def _by_onset(fps: Sequence[str], first: dict[str, Alert]) -> list[str]:
    ordered = sorted((first[fp] for fp in fps), key=lambda a: a.starts_at)
    return list(dict.fromkeys(a.service for a in ordered if a.service))


def earliest(scenario: Scenario, corr: Correlation) -> Prediction:
    first = _first_seen(scenario.alerts)
    return Prediction([(g.fingerprints, _by_onset(g.fingerprints, first), 0.0) for g in corr.groups],
                      corr.lone_warnings)


def random_root(scenario: Scenario, corr: Correlation) -> Prediction:
    rng = random.Random(scenario.seed)
    out = []
    for g in corr.groups:
        ranked = list(g.services)
        rng.shuffle(ranked)
        out.append((g.fingerprints, ranked, 0.0))
    return Prediction(out, corr.lone_warnings)


def alertmanager(scenario: Scenario, label: str) -> Prediction:
    first = _first_seen(scenario.alerts)
    keyed: dict[str, list[Alert]] = defaultdict(list)
    for a in first.values():
        keyed[a.labels.get(label, "")].append(a)
    out = []
    for alerts in keyed.values():
        alerts.sort(key=lambda a: a.starts_at)
        for chunk in _chunks(alerts):
            ranked = [s for s, _ in Counter(a.service for a in chunk if a.service).most_common()]
            out.append(([a.fingerprint for a in chunk], ranked, 0.0))
    return Prediction(out)


def time_window(scenario: Scenario) -> Prediction:
    first = _first_seen(scenario.alerts)
    ordered = sorted(first.values(), key=lambda a: a.starts_at)
    return Prediction([
        ([a.fingerprint for a in c], _by_onset([a.fingerprint for a in c], first), 0.0)
        for c in _chunks(ordered)
    ])


def _chunks(alerts: list[Alert]) -> list[list[Alert]]:
    """Split time-sorted alerts where the gap to the previous one exceeds the window."""
    out: list[list[Alert]] = []
    for a in alerts:
        if out and a.starts_at - out[-1][-1].starts_at <= WINDOW:
            out[-1].append(a)
        else:
            out.append([a])
    return out
