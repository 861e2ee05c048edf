"""Which dependencies that began alerting minutes after a caller may still explain it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from opscontext.engine.correlate import correlate
from opscontext.engine.graph import ServiceGraph
from opscontext.models import Alert, DependencyEdge, Service

T0 = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=1)


def groups(edges: list[tuple[str, str]], alerts: list[Alert]) -> dict[str, set[str]]:
    names = sorted({n for e in edges for n in e})
    graph = ServiceGraph.build([Service(name=n) for n in names],
                               [DependencyEdge(dependent=a, dependency=b) for a, b in edges])
    result = correlate(alerts, graph, [], now=NOW)
    return {g.primary_contributor: set(g.fingerprints) for g in result.groups}


def alert(service: str, name: str, minutes: float, ends: float | None = None, severity: str = "critical") -> Alert:
    return Alert(fingerprint=f"{service}-{name}-{minutes}", alertname=name, service=service, severity=severity,
                 starts_at=T0 + timedelta(minutes=minutes), labels={"service": service},
                 ends_at=None if ends is None else T0 + timedelta(minutes=ends))


def test_a_caller_alerting_first_joins_the_late_dependency_still_failing_not_the_blip_that_is_over() -> None:
    # Fault-injection runs unfold like this: the callers notice first, the root alerts minutes
    # later and goes on failing; a passing warning on another dependency in between is over.
    web = [alert("web", "HighErrorRate", 0.0), alert("web", "HighLatency", 0.5)]
    blip = alert("cache", "EvictionsHigh", 2.0, ends=3.0, severity="warning")
    root = [alert("payments", "PaymentsDown", 4.0), alert("payments", "HighErrorRate", 4.5)]
    found = groups([("web", "cache"), ("web", "payments")], [*web, blip, *root])
    assert {a.fingerprint for a in web + root} <= found["payments"]
    assert blip.fingerprint not in found["payments"]  # a lone warning of its own


def test_a_late_dependency_related_to_the_first_cause_does_not_split_its_caller() -> None:
    # orders calls payments: payments failing four minutes into the orders-db incident is more
    # likely the same fault further along than a second cause, so web stays whole.
    first = [alert("orders-db", "DiskFull", 0.0), alert("orders", "HighErrorRate", 0.5),
             alert("web", "RouteErrors", 1.0), alert("web", "RouteErrors", 1.5)]
    later = [alert("payments", "HighErrorRate", 4.0), alert("payments", "HighLatency", 4.2)]
    late_web = [alert("web", "RouteSlow", 5.0), alert("web", "RouteSlow", 5.5)]
    edges = [("web", "orders"), ("orders", "orders-db"), ("orders", "payments"), ("web", "payments")]
    found = groups(edges, [*first, *later, *late_web])
    assert {a.fingerprint for a in first + late_web} <= found["orders-db"]


def test_a_direct_dependency_s_blip_that_ended_does_not_beat_the_failing_database_below() -> None:
    # front-end calls session-db directly and catalogue-db through a quiet catalogue. A warning
    # on session-db comes and goes while catalogue-db fails and front-end keeps failing after the
    # blip is over: the database still failing explains front-end, the blip does not.
    blip = [alert("session-db", "ReplicationLag", 0.0, ends=3.0, severity="warning"),
            alert("session-db", "ReplicationLag", 6.0, ends=9.0, severity="warning")]
    root = [alert("catalogue-db", "ConnectionsSaturated", 0.1)]
    front = [alert("front-end", "HTTP5xx", 2.5), alert("front-end", "SLOBurn", 3.0),
             alert("front-end", "SLOBurnSlow", 10.0), alert("front-end", "ApdexLow", 12.0)]
    edges = [("front-end", "session-db"), ("front-end", "catalogue"), ("catalogue", "catalogue-db")]
    found = groups(edges, [*blip, *root, *front])
    assert {a.fingerprint for a in root + front} <= found["catalogue-db"]
