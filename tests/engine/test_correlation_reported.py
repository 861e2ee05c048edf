"""A quiet service the group's own alerts name as the peer their failing calls go to.

OpenTelemetry span metrics label a caller's client spans with the callee's RPC name
(``oteldemo.CartService/GetCart``), service meshes and database clients with the peer they call.
When an alerting caller's alert names a quiet service that way, the caller has seen it fail:
it counts like a health source's "degraded" for that service.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from opscontext.engine.correlate import correlate
from opscontext.engine.correlation.health import Health, HealthVerdict
from opscontext.engine.correlation.models import AlertGroup
from opscontext.engine.graph import ServiceGraph
from opscontext.models import Alert, Change, DependencyEdge, Service

T0 = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
# frontend and checkout both call cart and accounts, both quiet: by the graph alone either could
# be failing below them, and checkout (alerting, nothing alerting below it) is the answer.
NAMES = ["frontend", "checkout", "accounts", "cart", "payment"]
EDGES = [("frontend", "checkout"), ("frontend", "cart"), ("frontend", "accounts"), ("checkout", "cart"),
         ("checkout", "accounts"), ("checkout", "payment")]
GRAPH = ServiceGraph.build([Service(name=n) for n in NAMES],
                           [DependencyEdge(dependent=a, dependency=b) for a, b in EDGES])


def _group(extra: dict[str, str] | None, health: dict[str, HealthVerdict] | None = None) -> AlertGroup:
    alerts = []
    for k, (svc, op) in enumerate([("frontend", "GetCart"), ("checkout", "EmptyCart"), ("frontend", "AddItem"),
                                   ("checkout", "GetCart")]):
        labels = {"service": svc}
        if extra is not None:
            labels.update({key: value.format(op=op, svc=svc) for key, value in extra.items()})
        alerts.append(Alert(fingerprint=f"a{k}", alertname="SpanErrorRatioHigh", service=svc, severity="critical",
                            starts_at=T0 + timedelta(seconds=30 * k), labels=labels))
    verdicts = (lambda _t: health) if health is not None else None
    (group,) = correlate(alerts, GRAPH, [], now=T0 + timedelta(hours=1), health=verdicts).groups
    return group


def test_without_a_label_naming_a_peer_the_deepest_alerting_service_is_named() -> None:
    group = _group(None)
    assert group.primary_contributor == "checkout"


def test_a_client_span_naming_a_quiet_service_makes_it_the_primary_contributor() -> None:
    group = _group({"span_name": "oteldemo.CartService/{op}"})
    assert group.primary_contributor == "cart"
    cart = group.candidates[0]
    assert cart.evidence[0] == ("did not alert, but frontend's alert SpanErrorRatioHigh "
                                "(span_name=oteldemo.CartService/GetCart) names it")
    checkout = next(c for c in group.candidates if c.service == "checkout")
    assert any("1 quiet service the group's alerts name as failing" in e for e in checkout.evidence)
    assert not group.uncertain_because or "only the dependency graph" not in " ".join(group.uncertain_because)


@pytest.mark.parametrize("labels", [
    {"db": "cart"},                      # a peer label spelling it exactly
    {"peer_service": "Cart"},            # or in another case
    {"rpc_service": "hipstershop.CartService"},
    {"envoy_cluster_name": "outbound|8080||cart.shop.svc.cluster.local"},  # Envoy's upstream cluster
    {"destination_canonical_service": "cart"},   # Istio, reported by the client
    {"dst_deployment": "cart"},                  # Linkerd's outbound metrics
])
def test_peer_labels_name_the_quiet_service_they_spell(labels: dict[str, str]) -> None:
    assert _group(labels).primary_contributor == "cart"


@pytest.mark.parametrize("labels", [
    {"span_name": "oteldemo.{svc}Service/Handle"},  # a server span names the alerting service itself
    {"span_name": "GET /api/cart"},                 # a request line names a page, not a service
    {"route": "/api/cart"},
    {"topic": "cart"},                              # a topic is shared by producer and consumer
    {"span_name": "oteldemo.CartService/{op}", "peer_service": "accounts"},  # two peers: no one answer
])
def test_what_names_no_single_quiet_peer_changes_nothing(labels: dict[str, str]) -> None:
    group = _group(labels)
    if "peer_service" in labels:  # both are named: neither stands out, and a tie is no evidence
        assert group.primary_contributor in {"accounts", "cart"}
        assert group.confidence < 0.5
    else:
        assert group.primary_contributor == "checkout"


def test_a_health_source_measuring_it_serving_outweighs_an_alert_naming_it() -> None:
    serving = {"cart": HealthVerdict(Health.SERVING, "error ratio 0.1% -> 0.1% (prom)")}
    group = _group({"span_name": "oteldemo.CartService/{op}"}, health=serving)
    assert group.primary_contributor == "checkout"


def test_a_quiet_dependency_its_caller_names_as_failing_outweighs_the_callers_old_deploy() -> None:
    # cart's client alerts name cart-cache as the peer its calls fail on; cart was deployed half
    # an hour ago. The calls failing now say where: cart-cache, as if it had alerted itself.
    graph = ServiceGraph.build([Service(name=n) for n in ("web", "cart", "cart-cache", "cart-db")],
                               [DependencyEdge(dependent=a, dependency=b)
                                for a, b in [("web", "cart"), ("cart", "cart-cache"), ("cart", "cart-db")]])
    alerts = [Alert(fingerprint="c1", alertname="ClientErrorRatioHigh", service="cart", severity="critical",
                    starts_at=T0, labels={"service": "cart", "peer_service": "cart-cache"})]
    deploy = Change(id="d1", service="cart", kind="deployment", summary="cart v2", at=T0 - timedelta(minutes=30))
    (group,) = correlate(alerts, graph, [deploy], now=T0 + timedelta(hours=1)).groups
    assert group.primary_contributor == "cart-cache"
    assert [c.service for c in group.candidates[:2]] == ["cart-cache", "cart"]
    # Without the label nothing points below cart: its own deploy leads.
    bare = [alerts[0].model_copy(update={"labels": {"service": "cart"}})]
    (plain,) = correlate(bare, graph, [deploy], now=T0 + timedelta(hours=1)).groups
    assert plain.primary_contributor == "cart"
