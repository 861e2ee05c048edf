"""A caller already failing for one incident that a second, unrelated incident reaches later."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from opscontext.engine.correlate import correlate
from opscontext.engine.graph import ServiceGraph
from opscontext.models import Alert, DependencyEdge, Service

T0 = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=1)

# web -> orders -> orders-db and web -> search -> search-index: two backends that share nothing;
# orders and mailer also publish to a broker.
EDGES = [("web", "orders"), ("orders", "orders-db"), ("web", "search"), ("search", "search-index"),
         ("orders", "broker"), ("mailer", "broker")]


def graph() -> ServiceGraph:
    names = sorted({n for e in EDGES for n in e})
    return ServiceGraph.build([Service(name=n) for n in names],
                              [DependencyEdge(dependent=a, dependency=b) for a, b in EDGES])


def alert(service: str, name: str, minutes: float) -> Alert:
    return Alert(fingerprint=f"{service}-{name}-{minutes}", alertname=name, service=service, severity="critical",
                 starts_at=T0 + timedelta(minutes=minutes), labels={"service": service})


def groups(alerts: list[Alert]) -> dict[str, set[str]]:
    result = correlate(alerts, graph(), [], now=NOW)
    return {g.primary_contributor: set(g.fingerprints) for g in result.groups}


FIRST = [alert("orders-db", "DiskFull", 0), alert("orders", "HighErrorRate", 0.5),
         alert("web", "RouteErrors", 1.0), alert("web", "RouteErrors", 1.5)]
LATE_WEB = [alert("web", "RouteSlow", 5.0), alert("web", "RouteSlow", 5.5)]


def test_a_second_incident_below_an_already_failing_caller_takes_its_later_alerts() -> None:
    # search-index fails four minutes into the orders incident; web, still failing for orders,
    # starts a new kind of alert right after search does. Before, web's one episode joined the
    # orders incident whole, and the search incident's only caller alerts sat there.
    second = [alert("search-index", "IndexUnavailable", 4.0), alert("search", "HighLatency", 4.5)]
    found = groups(FIRST + second + LATE_WEB)
    assert set(found) == {"orders-db", "search-index"}
    assert {a.fingerprint for a in FIRST} <= found["orders-db"]
    assert {a.fingerprint for a in second + LATE_WEB} <= found["search-index"]


def test_a_lone_later_blip_below_the_caller_is_no_second_incident() -> None:
    # One alert on search that was over within a minute: a blip, not a cause of what web does
    # after it. web stays whole with orders.
    blip = alert("search", "HighLatency", 4.5).model_copy(update={"ends_at": T0 + timedelta(minutes=5.2)})
    found = groups([*FIRST, blip, *LATE_WEB])
    assert {a.fingerprint for a in FIRST + LATE_WEB} <= found["orders-db"]
    assert blip.fingerprint not in found["orders-db"]


def test_a_later_alert_still_firing_below_the_caller_takes_what_the_caller_starts_after_it() -> None:
    # The same alert on search, still failing: a second cause reaching web, which starts a new
    # kind of alert right after it. web's earlier alerts stay with orders.
    found = groups([*FIRST, alert("search", "HighLatency", 4.5), *LATE_WEB])
    assert {a.fingerprint for a in FIRST} <= found["orders-db"]
    assert {a.fingerprint for a in LATE_WEB} <= found["search"]


def test_the_first_alerting_service_of_an_incident_is_not_split() -> None:
    # orders alerts before its database: it is the likelier root, not a victim, so the broker
    # failing minutes later (with its other publisher) does not take orders' later alerts.
    found = groups([alert("orders", "HighErrorRate", 0), alert("orders-db", "SlowQueries", 0.8),
                    alert("broker", "BrokerDown", 4.0), alert("mailer", "PublishErrors", 4.3),
                    alert("orders", "PublishErrors", 5.0)])
    orders_group = next(fps for fps in found.values() if "orders-HighErrorRate-0" in fps)
    assert "orders-PublishErrors-5.0" in orders_group
