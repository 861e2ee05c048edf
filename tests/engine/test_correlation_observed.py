"""Dependencies the catalog lacks, read from alerts that name the service they called."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from opscontext.engine.correlate import CorrelationOptions, correlate
from opscontext.engine.correlation.observed import observed_calls, with_observed
from opscontext.engine.graph import ServiceGraph
from opscontext.models import Alert, DependencyEdge, Service

T0 = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=1)
# The catalog knows frontend -> checkout and frontend -> cart, but not that checkout calls cart.
NAMES = ["frontend", "checkout", "cart", "payment"]
EDGES = [("frontend", "checkout"), ("frontend", "cart"), ("checkout", "payment")]


def stale_graph() -> ServiceGraph:
    return ServiceGraph.build([Service(name=n) for n in NAMES],
                              [DependencyEdge(dependent=a, dependency=b) for a, b in EDGES])


def alert(service: str, minutes: float, **labels: str) -> Alert:
    return Alert(fingerprint=f"{service}-{minutes}", alertname="SpanErrorRatioHigh", service=service,
                 severity="critical", starts_at=T0 + timedelta(minutes=minutes),
                 labels={"service_name": service, **labels})


def cart_outage(**checkout_labels: str) -> list[Alert]:
    # cart fails first; checkout's client calls to it fail a minute later
    return [alert("cart", 0, span_name="oteldemo.CartService/GetCart", span_kind="SPAN_KIND_SERVER"),
            alert("checkout", 1, **checkout_labels)]


def test_a_client_span_naming_its_callee_links_what_the_catalog_left_apart() -> None:
    alerts = cart_outage(span_name="oteldemo.CartService/GetCart", span_kind="SPAN_KIND_CLIENT")
    off = correlate(alerts, stale_graph(), [], now=NOW, options=CorrelationOptions(calls_from_alerts=False))
    assert len(off.groups) == 2  # nothing links checkout to cart in the catalog
    on = correlate(alerts, stale_graph(), [], now=NOW)
    (group,) = on.groups
    assert group.primary_contributor == "cart"
    assert "1 dependency the catalog lacks was read from alerts" in on.explanation
    assert "checkout -> cart" in on.explanation


def test_only_missing_calls_to_known_services_are_read() -> None:
    graph = stale_graph()
    alerts = [
        alert("checkout", 0, peer_service="payment"),               # declared already
        alert("checkout", 1, peer_service="ledger"),                # not in the graph
        alert("cart", 2, span_name="oteldemo.CartService/AddItem"),  # a server span: itself
        alert("frontend", 3, route="/api/cart"),                    # a route is a page
        alert("checkout", 4, server_address="cart:7070"),           # missing: read
        alert("checkout", 5, destination_workload="cart"),          # the same pair again
    ]
    assert observed_calls(alerts, graph) == (("checkout", "cart"),)
    assert observed_calls(alerts[:4], graph) == ()


def test_the_catalog_graph_is_left_as_it_was_and_the_augmented_one_is_reused() -> None:
    graph = stale_graph()
    pairs = (("checkout", "cart"),)
    assert with_observed(graph, ()) is graph
    more = with_observed(graph, pairs)
    assert more is with_observed(graph, pairs)  # what is remembered per graph carries over
    assert "cart" in more.dependencies("checkout")
    assert "cart" not in graph.dependencies("checkout")
    assert more.edge_count == graph.edge_count + 1
    ix = more.index
    code = ix.fwd_code[ix.ids["checkout"]][ix.fwd[ix.ids["checkout"]].index(ix.ids["cart"])]
    assert code & 3 == 2  # observed, not declared


def test_warm_calls_over_the_same_alerts_read_no_labels_again() -> None:
    graph = stale_graph()
    alerts = cart_outage(peer_service="cart")
    first = observed_calls(alerts, graph)
    alerts[1].labels["peer_service"] = "payment"  # not read again: the same alert objects
    assert observed_calls(alerts, graph) is first
    assert observed_calls(list(cart_outage(peer_service="payment")), graph) == ()
