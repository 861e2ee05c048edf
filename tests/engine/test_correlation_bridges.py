"""A shared caller alerting for two incidents at once must not glue them together."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from opscontext.engine.correlate import correlate
from opscontext.engine.correlation.dedup import deduplicate
from opscontext.engine.correlation.fit import strands, time_fit, words
from opscontext.engine.graph import ServiceGraph
from opscontext.models import Alert, DependencyEdge, Service

T0 = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=1)

# web -> gateway -> {order-service -> orders-db, checkout-service -> payment-service}
# and every service below the gateway also publishes to one broker, kafka.
EDGES = [
    ("web", "gateway"), ("gateway", "order-service"), ("gateway", "checkout-service"),
    ("order-service", "orders-db"), ("checkout-service", "payment-service"),
    ("order-service", "kafka"), ("checkout-service", "kafka"), ("payment-service", "kafka"),
    ("email-worker", "kafka"), ("sms-worker", "kafka"),
]


def world() -> ServiceGraph:
    names = sorted({n for e in EDGES for n in e})
    return ServiceGraph.build([Service(name=n) for n in names],
                              [DependencyEdge(dependent=a, dependency=b) for a, b in EDGES])


def alert(service: str, name: str, minutes: float, **labels: str) -> Alert:
    fp = f"{service}-{name}-{minutes}-{'-'.join(labels.values())}"
    return Alert(fingerprint=fp, alertname=name, service=service, severity="critical",
                 starts_at=T0 + timedelta(minutes=minutes), labels={"service": service, **labels})


def orders_and_payments(gateway_routes: bool) -> list[Alert]:
    def route(path: str) -> dict[str, str]:
        return {"route": path} if gateway_routes else {}

    return [
        alert("orders-db", "DiskFull", 0), alert("order-service", "HighErrorRate", 0.5),
        alert("payment-service", "HighErrorRate", 0.3), alert("checkout-service", "HighErrorRate", 1.0),
        alert("gateway", "UpstreamErrors", 1.2, **route("/api/v1/orders")),
        alert("gateway", "UpstreamLatency", 1.6, **route("/api/v1/checkout")),
        alert("web", "RouteErrors", 2.0, **route("/account/orders")),
        alert("web", "RouteSlow", 2.2, **route("/checkout/payment")),
    ]


def by_primary(alerts: list[Alert]) -> dict[str, set[str]]:
    result = correlate(alerts, world(), [], now=NOW)
    return {g.primary_contributor: {a.fingerprint for a in alerts if a.fingerprint in g.fingerprints}
            for g in result.groups}


def test_a_gateway_alerting_for_two_incidents_is_split_by_route() -> None:
    alerts = orders_and_payments(gateway_routes=True)
    groups = by_primary(alerts)
    assert set(groups) == {"orders-db", "payment-service"}
    orders = {a.fingerprint for a in alerts if "order" in a.fingerprint}
    assert groups["orders-db"] == orders | {"orders-db-DiskFull-0-"}
    assert not groups["payment-service"] & orders


def test_without_routes_the_two_incidents_still_stay_apart() -> None:
    groups = by_primary(orders_and_payments(gateway_routes=False))
    assert {"orders-db", "payment-service"} <= set(groups)
    assert not groups["orders-db"] & groups["payment-service"]


def test_an_alerting_hub_keeps_its_own_callers_but_does_not_swallow_another_incident() -> None:
    alerts = [
        alert("orders-db", "DiskFull", 0), alert("order-service", "DBPoolExhausted", 0.4),
        alert("kafka", "BrokerDown", 4.0), alert("email-worker", "ConsumerLag", 4.5),
        alert("sms-worker", "ConsumerLag", 4.8),
    ]
    groups = by_primary(alerts)
    assert set(groups) == {"orders-db", "kafka"}
    assert "order-service-DBPoolExhausted-0.4-" in groups["orders-db"]
    assert groups["kafka"] == {"kafka-BrokerDown-4.0-", "email-worker-ConsumerLag-4.5-", "sms-worker-ConsumerLag-4.8-"}


def test_a_lone_cascade_under_the_gateway_stays_one_group() -> None:
    alerts = [alert("payment-service", "HighErrorRate", 0), alert("checkout-service", "HighErrorRate", 0.7),
              alert("gateway", "UpstreamErrors", 1.0, route="/api/v1/checkout"), alert("web", "RouteErrors", 1.5)]
    result = correlate(alerts, world(), [], now=NOW)
    assert result.groups_out == 1
    assert result.groups[0].primary_contributor == "payment-service"


def test_route_words_match_service_names_without_their_suffix() -> None:
    assert "order" in words("/api/v1/orders/{id}")
    assert "checkout" in words("checkoutservice")
    assert "api" not in words("/api/v1/cart") and "v1" not in words("/api/v1/cart")


def test_time_fit_prefers_an_explanation_that_started_just_before() -> None:
    assert time_fit(0) == 1.0
    assert time_fit(60) > time_fit(-60)
    assert time_fit(60) > time_fit(600)


def test_a_bridge_keeps_one_route_together_and_cuts_strands_per_route() -> None:
    from opscontext.engine.correlation.dedup import deduplicate

    alerts = [alert("gateway", "UpstreamErrors", m, route=r)
              for m, r in ((0, "/orders"), (0.5, "/checkout"), (1, "/orders"), (30, "/orders"))]
    unique = deduplicate(alerts, timedelta(minutes=60)).unique
    cut = strands(unique, list(range(len(unique))), gap=300)
    routes = [[unique[i].alert.labels["route"] for i in s] for s in cut]
    assert routes == [["/orders", "/orders"], ["/checkout"], ["/orders"]]


def _gateway_naming_its_callees(**naming: str) -> list[Alert]:
    """orders-db fails, then payment-service three minutes later; the gateway's two alerts
    start just after payments, with one alert name and no route: only a label naming the
    service each one called tells them apart."""
    return [
        alert("orders-db", "DiskFull", 0), alert("order-service", "HighErrorRate", 0.5),
        alert("payment-service", "HighErrorRate", 3.0), alert("checkout-service", "HighErrorRate", 3.2),
        alert("gateway", "UpstreamErrors", 3.3, **({naming["key"]: naming["orders"]} if naming else {})),
        alert("gateway", "UpstreamErrors", 3.4, **({naming["key"]: naming["checkout"]} if naming else {})),
    ]


@pytest.mark.parametrize("naming", [
    {"key": "destination_workload", "orders": "order-service", "checkout": "checkout-service"},  # Istio
    {"key": "envoy_cluster_name", "orders": "outbound|8080||order-service.shop.svc.cluster.local",
     "checkout": "outbound|8080||checkout-service.shop.svc.cluster.local"},  # Envoy, spelled its way
    {"key": "span_name", "orders": "shop.OrderService/List", "checkout": "shop.CheckoutService/Pay"},
])
def test_a_bridge_alert_naming_its_callee_goes_to_the_callee_s_incident(naming: dict[str, str]) -> None:
    alerts = _gateway_naming_its_callees(**naming)
    groups = by_primary(alerts)
    assert set(groups) == {"orders-db", "payment-service"}
    assert alerts[4].fingerprint in groups["orders-db"]  # against timing, which favours payments
    assert alerts[5].fingerprint in groups["payment-service"]


def test_without_a_label_naming_the_callee_timing_places_both_gateway_alerts_together() -> None:
    alerts = _gateway_naming_its_callees()
    groups = by_primary(alerts)
    gateway = {alerts[4].fingerprint, alerts[5].fingerprint}
    assert gateway <= groups["payment-service"]


def test_strands_are_cut_per_named_peer() -> None:
    alerts = _gateway_naming_its_callees(key="peer_service", orders="order-service", checkout="checkout-service")
    unique = deduplicate(alerts[4:], timedelta(hours=1)).unique
    named = {0: frozenset({"order-service"}), 1: frozenset({"checkout-service"})}
    assert strands(unique, [0, 1], 300.0, lambda u: named[unique.index(u)]) == [[0], [1]]
    assert strands(unique, [0, 1], 300.0) == [[0, 1]]



def test_a_caller_naming_an_alerting_callee_is_a_symptom_of_that_callee_only() -> None:
    from opscontext.engine.correlate import _towards
    from opscontext.engine.correlation.grouping import build_episodes
    from opscontext.engine.correlation.topology import adjacency

    alerts = [alert("gateway", "UpstreamErrors", 1.0, peer_service="order-service"),
              alert("web", "RouteErrors", 1.2)]
    unique = deduplicate(alerts, timedelta(hours=1)).unique
    eps, _ = build_episodes(unique, 600.0)
    gw = next(i for i, e in enumerate(eps) if e.service == "gateway")
    web = next(i for i, e in enumerate(eps) if e.service == "web")
    adj = adjacency(world())
    towards = _towards(unique, eps, adj, {"gateway", "web", "order-service", "checkout-service"})
    assert towards is not None
    assert towards(gw, "order-service", 1)        # the callee it names
    assert towards(gw, "orders-db", 2)            # below it
    assert not towards(gw, "checkout-service", 1)  # another dependency: its calls fail elsewhere
    assert not towards(gw, "payment-service", 2)
    assert towards(web, "checkout-service", 2)    # names nothing: anything below may explain it
    quiet = _towards(unique, eps, adj, {"gateway", "web", "checkout-service"})
    assert quiet is not None and quiet(gw, "checkout-service", 1)  # the callee it names raised no alert
