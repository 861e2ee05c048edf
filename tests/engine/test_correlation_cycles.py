"""Services that call each other: cutting the cycle to settle it must not split the incident."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from opscontext.engine.correlate import correlate
from opscontext.engine.correlation.bridges import settle_order
from opscontext.engine.correlation.grouping import Episode
from opscontext.engine.graph import ServiceGraph
from opscontext.models import Alert, Change, DependencyEdge, Service

T0 = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)

# A ring s0 -> s1 -> ... -> s5 -> s0 with chords, as in a mesh where services call peers: every
# service reaches every other one, so whichever alerts, each may explain the others.
EDGES = [("s0", "s1"), ("s1", "s2"), ("s2", "s3"), ("s3", "s2"), ("s3", "s4"), ("s4", "s5"),
         ("s5", "s0"), ("s5", "s2"), ("s5", "s4")]


def _ring() -> ServiceGraph:
    return ServiceGraph.build([Service(name=f"s{i}") for i in range(6)],
                              [DependencyEdge(dependent=a, dependency=b) for a, b in EDGES])


def _climbing(order: list[str], every_s: int) -> list[Alert]:
    """Two alerts on each service of ``order``, ``every_s`` seconds after the one before."""
    return [Alert(fingerprint=f"{s}-{i}", alertname="HighErrorRate", service=s, severity="critical",
                  starts_at=T0 + timedelta(seconds=every_s * k + 20 * i), labels={"service": s})
            for k, s in enumerate(order) for i in range(2)]


def test_one_incident_on_a_cycle_stays_one_group() -> None:
    graph = ServiceGraph.build([Service(name=f"s{i}") for i in range(6)],
                               [DependencyEdge(dependent=a, dependency=b) for a, b in EDGES])
    order = ["s4", "s2", "s5", "s0", "s3", "s1"]  # one alert each, 30 s apart
    alerts = [Alert(fingerprint=s, alertname="HighErrorRate", service=s, severity="critical",
                    starts_at=T0 + timedelta(seconds=30 * k), labels={"service": s})
              for k, s in enumerate(order)]
    result = correlate(alerts, graph, [], now=T0 + timedelta(hours=1))
    assert [sorted(g.fingerprints) for g in result.groups] == [sorted(order)]


def test_settle_order_puts_explanations_first_and_cuts_only_cycle_links() -> None:
    eps = [Episode(f"s{i}", float(i), float(i)) for i in range(4)]
    # 0 <-> 1 call each other; 2 is explained by 1; 3 by nothing
    down = {0: {1: 1}, 1: {0: 1}, 2: {1: 1}}
    order, cut = settle_order(4, down, eps)
    assert len(cut) == 1 and cut <= {(0, 1), (1, 0)}
    for x, targets in down.items():
        for t in targets:
            if (x, t) not in cut:
                assert order.index(t) < order.index(x)


def test_inside_a_cycle_the_service_that_alerted_first_is_named() -> None:
    # Every one of them reaches every other one, so depth says nothing; the fault reached the
    # others through the cycle, and time is the evidence left. Alerts 2 min apart, so that
    # onset order is well past the minute of slack a scrape interval needs. A deploy 40 min before
    # on a later member is weak evidence; it must not outweigh the order the cycle alerted in.
    graph = _ring()
    for order in (["s4", "s2", "s5", "s0", "s3", "s1"], ["s1", "s3", "s0", "s5", "s2", "s4"]):
        alerts = _climbing(order, 120)
        old = Change(id="old", service=order[3], kind="deployment", at=T0 - timedelta(minutes=40),
                     summary="routine deploy")
        result = correlate(alerts, graph, [old], now=T0 + timedelta(hours=1))
        assert len(result.groups) == 1
        assert result.groups[0].primary_contributor == order[0]


def test_an_earlier_alert_nothing_followed_does_not_start_the_cycle() -> None:
    # s4 has been firing for 12 minutes (a consumer lag, say) when the fault starts at s2 and
    # climbs its callers 2 min apart. s4 is in the cycle and alerted first, but none of its
    # callers (s3, s5) began within the link window after it: nothing spread from s4. s2's
    # caller s1 followed it within two minutes, so the cycle starts at s2.
    alerts = _climbing(["s2", "s1", "s5", "s0", "s4", "s3"], 120)
    lag = Alert(fingerprint="s4-lag", alertname="ConsumerLagHigh", service="s4", severity="warning",
                starts_at=T0 - timedelta(minutes=12), labels={"service": "s4"})
    result = correlate([lag, *alerts], _ring(), [], now=T0 + timedelta(hours=1))
    group = next(g for g in result.groups if "s2-0" in g.fingerprints)
    assert "s4-lag" in group.fingerprints  # still firing below its callers: it joins the incident
    assert group.primary_contributor == "s2"
    assert [c.service for c in group.candidates].index("s4") > 0


def test_a_cycle_member_its_callers_followed_still_starts_it_when_first() -> None:
    # The same alert on s4, but this time its caller s5 began 3 minutes after it: s4 may be where
    # the fault began, and the first alert stays the cycle's start.
    result = correlate(_climbing(["s4", "s5", "s2", "s1", "s0", "s3"], 180), _ring(), [], now=T0 + timedelta(hours=1))
    assert len(result.groups) == 1
    assert result.groups[0].primary_contributor == "s4"
