"""A flag or config change recorded without a service counts for the service its key names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from opscontext.engine.correlate import correlate
from opscontext.engine.correlation.named_changes import NameIndex
from opscontext.engine.graph import ServiceGraph
from opscontext.models import Alert, Change, DependencyEdge, Service

NAMES = ["frontend", "checkoutservice", "productcatalogservice", "cart", "payment", "flagd", "kafka"]


@pytest.mark.parametrize(("text", "want"), [
    ("flag checkoutserviceFailure: defaultVariant off -> on", "checkoutservice"),
    ("flag productCatalogFailure on", "productcatalogservice"),
    ("cartServiceFailure", "cart"),
    ("kafkaQueueProblems enabled", "kafka"),
    ("payment-unreachable", "payment"),
    ("imageSlowLoad", None),  # names nothing
    ("cart and payment timeouts raised", None),  # names two: says nothing about which
])
def test_the_one_service_a_change_key_names(text: str, want: str | None) -> None:
    assert NameIndex(NAMES).named(text) == want


def test_services_that_read_alike_are_ambiguous() -> None:
    assert NameIndex(["orders-db", "ordersdb"]).named("ordersDbFailover") is None


T0 = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
GRAPH = ServiceGraph.build(
    [Service(name=n) for n in ("frontend", "checkoutservice", "cart", "flagd")],
    [DependencyEdge(dependent="frontend", dependency=d) for d in ("checkoutservice", "cart", "flagd")],
)
ALERTS = [
    Alert(fingerprint=f"fe-{i}", alertname="SpanErrorRateHigh", service="frontend", severity="critical",
          starts_at=T0 + timedelta(minutes=i), labels={"service": "frontend"})
    for i in range(3)
]


@pytest.mark.parametrize("recorded_on", [None, "flagd", "no-such-service"])
def test_a_silent_service_named_by_a_flag_flip_before_the_alerts_is_the_primary_contributor(
    recorded_on: str | None,
) -> None:
    flip = Change(id="f1", service=recorded_on, kind="feature-flag", at=T0 - timedelta(minutes=4),
                  summary="flag checkoutserviceFailure: defaultVariant off -> on")
    got = correlate(ALERTS, GRAPH, [flip], now=T0 + timedelta(minutes=30))
    assert got.groups[0].primary_contributor == "checkoutservice"


def test_without_the_flip_the_alerting_caller_stays_on_top() -> None:
    got = correlate(ALERTS, GRAPH, [], now=T0 + timedelta(minutes=30))
    assert got.groups[0].primary_contributor == "frontend"
