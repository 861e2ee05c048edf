"""A caller whose own alert rule fires minutes after its dependency's belongs with it, but only
while that dependency is still failing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from opscontext.engine.correlate import correlate
from opscontext.engine.graph import ServiceGraph
from opscontext.models import Alert, DependencyEdge, Service

T0 = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=1)
# checkout -> catalog, frontend -> catalog: the catalog is the root.
GRAPH = ServiceGraph.build(
    [Service(name=n) for n in ("frontend", "checkout", "catalog")],
    [DependencyEdge(dependent="frontend", dependency="catalog"),
     DependencyEdge(dependent="checkout", dependency="catalog")],
)


def alert(service: str, minutes: float, ended: float | None = None) -> Alert:
    return Alert(fingerprint=f"{service}-{minutes}", alertname="HighErrorRate", service=service,
                 severity="critical", starts_at=T0 + timedelta(minutes=minutes),
                 ends_at=T0 + timedelta(minutes=ended) if ended is not None else None,
                 labels={"service": service})


def groups(alerts: list[Alert]) -> list[set[str]]:
    result = correlate(alerts, GRAPH, [], now=NOW)
    return sorted(({a.service for a in alerts if a.fingerprint in g.fingerprints} for g in result.groups),
                  key=len, reverse=True)


def test_a_caller_alerting_seven_minutes_after_a_still_failing_dependency_joins_it() -> None:
    got = groups([alert("catalog", 0), alert("frontend", 1), alert("checkout", 7), alert("checkout", 7.5)])
    assert got[0] == {"catalog", "frontend", "checkout"}


def test_a_caller_starting_after_its_dependency_recovered_stays_apart() -> None:
    got = groups([alert("catalog", 0, ended=1), alert("frontend", 0.5), alert("checkout", 7), alert("checkout", 7.5)])
    assert {"catalog", "frontend"} in got and {"checkout"} in got


def test_a_caller_far_beyond_the_window_stays_apart_even_when_the_dependency_still_fails() -> None:
    got = groups([alert("catalog", 0), alert("frontend", 1), alert("checkout", 25), alert("checkout", 25.5)])
    assert {"checkout"} in got
