"""An alerting hub links its callers only when they alert around it beyond chance."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from opscontext.engine.correlate import AlertGroup, correlate
from opscontext.engine.correlation.grouping import Episode, hub_explains
from opscontext.engine.graph import ServiceGraph
from opscontext.models import Alert, DependencyEdge, Service

T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
CALLERS = [f"app-{i:03d}" for i in range(400)]


def _world() -> ServiceGraph:
    names = ["shared-db", *CALLERS]
    return ServiceGraph.build([Service(name=n) for n in names],
                              [DependencyEdge(dependent=c, dependency="shared-db") for c in CALLERS])


def _alert(service: str, minute: float, tag: str = "") -> Alert:
    return Alert(fingerprint=f"{service}-{minute:.2f}{tag}", alertname="HighErrorRate", service=service,
                 severity="critical", starts_at=T0 + timedelta(minutes=minute))


def _background(seed: int) -> list[Alert]:
    """Each caller alerts about twice a day at random: 800 alerts over 24 hours, so about three
    callers start in any ten-minute stretch by chance."""
    rnd = random.Random(seed)
    return [_alert(c, rnd.uniform(0, 1440)) for c in CALLERS for _ in range(2)]


def _group_of(groups: Sequence[AlertGroup], service: str) -> set[str]:
    return next((set(g.services) for g in groups if service in g.services), set())


def test_a_hub_alert_among_chance_caller_alerts_groups_none_of_them() -> None:
    alerts = [*_background(1), _alert("shared-db", 700.0)]
    result = correlate(alerts, _world(), [], now=T0 + timedelta(days=1))
    assert _group_of(result.groups, "shared-db") <= {"shared-db"}
    # the same callers did alert near it: the guard, not an empty window, kept them apart
    hub_at = T0 + timedelta(minutes=700)
    near = [a for a in alerts if a.service != "shared-db" and abs(a.starts_at - hub_at) <= timedelta(minutes=5)]
    assert near


def test_a_hub_failure_that_many_callers_follow_is_one_incident_rooted_at_the_hub() -> None:
    rnd = random.Random(2)
    followers = rnd.sample(CALLERS, 40)
    alerts = [*_background(2), _alert("shared-db", 700.0),
              *(_alert(c, 700.5 + rnd.uniform(0, 3), tag="-f") for c in followers)]
    result = correlate(alerts, _world(), [], now=T0 + timedelta(days=1))
    top = next(g for g in result.groups if "shared-db" in g.services)
    assert top.primary_contributor == "shared-db"
    assert set(followers) <= set(top.services)


def test_the_chance_test_weighs_callers_near_the_episode_against_their_rate_over_the_window() -> None:
    day = 86_400.0
    eps = [Episode("hub", 43_200.0, 43_200.0)]
    # 300 caller episodes spread evenly over the day: about 10 per 10 minutes
    eps += [Episode(f"c{i}", i * day / 300, i * day / 300) for i in range(300)]
    direct = list(range(1, 301))
    assert not hub_explains(eps[0], direct, eps, 300.0, day)
    # 30 more callers right after the hub alert: far beyond chance
    eps += [Episode(f"f{i}", 43_260.0 + i, 43_260.0 + i) for i in range(30)]
    assert hub_explains(eps[0], direct + list(range(301, 331)), eps, 300.0, day)
    # a window no longer than the episode's own reach has no background: keep linking
    assert hub_explains(eps[0], direct, eps, 300.0, 500.0)


def test_a_hub_warning_for_twenty_minutes_does_not_claim_a_burst_that_starts_late_in_it() -> None:
    day = 86_400.0
    # the hub has been alerting on and off since 12:00; 30 callers start together at 12:15
    eps = [Episode("hub", 43_200.0, 44_400.0)]
    eps += [Episode(f"c{i}", i * day / 300, i * day / 300) for i in range(300)]
    eps += [Episode(f"f{i}", 44_100.0 + i, 44_100.0 + i) for i in range(30)]
    direct = list(range(1, 331))
    assert not hub_explains(eps[0], direct, eps, 300.0, day)
    # the same burst right after the hub's onset is its own
    eps[0] = Episode("hub", 44_050.0, 44_400.0)
    assert hub_explains(eps[0], direct, eps, 300.0, day)
