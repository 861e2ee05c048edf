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


OTEL = ["frontend", "frontend-proxy", "image-provider", "flagd", "flagd-ui", "ad", "load-generator", "payment"]


@pytest.mark.parametrize(("text", "want"), [
    # No name spelled out whole: the key's first word begins one service's name.
    ("flag imageSlowLoad: defaultVariant off -> on", "image-provider"),
    ("image-slow-load enabled", "image-provider"),
    # Spelled out whole wins over any prefix reading ("flag" would begin flagd and flagd-ui).
    ("flag adHighCpu: defaultVariant off -> on", "ad"),
    # A first word that begins two names says nothing.
    ("frontSlowness on", None),
    # Only keys are read: a lone word, or a first part shorter than four letters, is not a name.
    ("image rebuilt", None),
    ("paySlow on", None),
    ("llmRateLimitError on", None),
])
def test_a_key_naming_its_service_by_the_start_of_its_name(text: str, want: str | None) -> None:
    assert NameIndex(OTEL).named(text, keys=True) == want


def test_alert_labels_are_not_read_by_the_start_of_a_name() -> None:
    index = NameIndex(OTEL)
    assert index.named("imageSlowLoad") is None
    assert index.named("imageSlowLoad", keys=True) == "image-provider"
    assert index.named("imageSlowLoad") is None  # each reading remembered apart


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


def test_a_name_spelled_in_four_tokens_is_found() -> None:
    assert NameIndex(["cassandra-notify-7-db", "svc-notify-7"]).named("cassandraNotify7DbQueueProblems") == (
        "cassandra-notify-7-db")


# frontend calls eight services; only the last by name is changed.
WIDE = ServiceGraph.build(
    [Service(name=n) for n in ("frontend", *(f"svc-{c}" for c in "abcdefgh"))],
    [DependencyEdge(dependent="frontend", dependency=f"svc-{c}") for c in "abcdefgh"],
)


def test_a_changed_silent_dependency_is_a_candidate_however_many_quiet_ones_sort_before_it() -> None:
    flip = Change(id="f2", service=None, kind="feature-flag", at=T0 - timedelta(minutes=2),
                  summary="flag svcHFailure: off -> on")
    got = correlate(ALERTS, WIDE, [flip], now=T0 + timedelta(minutes=30))
    assert got.groups[0].primary_contributor == "svc-h"


def test_a_lone_warning_right_after_a_change_below_it_is_a_group_not_noise() -> None:
    lone = [Alert(fingerprint="fe-1", alertname="SpanLatencyP95High", service="frontend", severity="warning",
                  starts_at=T0, labels={"service": "frontend"})]
    flip = Change(id="f3", service=None, kind="feature-flag", at=T0 - timedelta(minutes=1),
                  summary="flag svcCHighCpu: off -> on")
    quiet = correlate(lone, WIDE, [], now=T0 + timedelta(minutes=30))
    assert [(g.primary_contributor, g.lone_warning) for g in quiet.groups] == [("frontend", True)]
    assert quiet.groups[0].confidence < 0.5
    got = correlate(lone, WIDE, [flip], now=T0 + timedelta(minutes=30))
    assert [(g.primary_contributor, g.lone_warning) for g in got.groups] == [("svc-c", False)]


def test_the_evidence_says_the_change_was_credited_by_its_name_not_made_on_the_service() -> None:
    flip = Change(id="f4", service="flagd", kind="feature-flag", at=T0 - timedelta(minutes=4),
                  summary="flag checkoutserviceFailure: defaultVariant off -> on")
    top = correlate(ALERTS, GRAPH, [flip], now=T0 + timedelta(minutes=30)).groups[0].candidates[0]
    assert top.service == "checkoutservice"
    assert top.evidence[0] == (
        "feature-flag change that names it (recorded on flagd) 4 min before the first alert (change id f4)")


def test_a_quiet_service_a_flag_key_names_by_the_start_of_its_name_is_the_primary_contributor() -> None:
    graph = ServiceGraph.build(
        [Service(name=n) for n in ("frontend", "image-provider", "flagd")],
        [DependencyEdge(dependent="frontend", dependency=d) for d in ("image-provider", "flagd")],
    )
    flip = Change(id="f3", service="flagd", kind="feature-flag", at=T0 - timedelta(minutes=3),
                  summary="flag imageSlowLoad: defaultVariant off -> on")
    assert correlate(ALERTS, graph, [flip], now=T0 + timedelta(minutes=30)).groups[0].primary_contributor == (
        "image-provider")
    assert correlate(ALERTS, graph, [], now=T0 + timedelta(minutes=30)).groups[0].primary_contributor == "frontend"
