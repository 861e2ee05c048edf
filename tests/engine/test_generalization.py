"""The failure classes seen on worlds the engine was not tuned on, as small hand-made cases.

Each case states what a responder would conclude from the evidence alone; none depends on a
generator's habits.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from opscontext.engine.correlate import correlate
from opscontext.engine.graph import ServiceGraph
from opscontext.models import Alert, Change, DependencyEdge, Service

T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
NOW = T0 + timedelta(minutes=40)

# Twelve services all read feature flags from `flags`; checkout -> payment -> payment-db.
SERVICES = ["web", "checkout", "payment", "payment-db", "cart", "search", "ads", "email", "ship", "quote",
            "currency", "catalog"]
EDGES = [(s, "flags") for s in SERVICES] + [
    ("web", "checkout"), ("checkout", "payment"), ("payment", "payment-db"), ("web", "cart"),
    ("web", "search"), ("search", "catalog"), ("checkout", "ship"), ("ship", "quote"), ("web", "ads"),
    ("checkout", "email"), ("checkout", "currency"),
]


def graph() -> ServiceGraph:
    names = sorted({n for e in EDGES for n in e})
    return ServiceGraph.build([Service(name=n) for n in names],
                              [DependencyEdge(dependent=a, dependency=b) for a, b in EDGES])


def alert(service: str, name: str, minutes: float, severity: str = "critical", ends: float | None = None) -> Alert:
    return Alert(fingerprint=f"{service}-{name}-{minutes}", alertname=name, service=service, severity=severity,
                 starts_at=T0 + timedelta(minutes=minutes),
                 ends_at=None if ends is None else T0 + timedelta(minutes=ends))


def test_a_quiet_dependency_of_every_service_is_not_named_over_the_deepest_alerting_one() -> None:
    alerts = [alert("payment", "HighErrorRate", 0), alert("checkout", "HighErrorRate", 1),
              alert("web", "HighErrorRate", 2)]
    group = correlate(alerts, graph(), [], now=NOW).groups[0]
    assert group.primary_contributor == "payment"
    assert "flags" not in [c.service for c in group.candidates[:1]]


def test_a_flag_flip_on_the_shared_flag_service_does_not_outweigh_the_failing_service() -> None:
    flip = Change(
        id="flip-1", service="flags", kind="feature_flag", summary="flip a flag", at=T0 - timedelta(minutes=2)
    )
    alerts = [alert("checkout", "HighErrorRate", 0), alert("payment", "HighErrorRate", 1),
              alert("web", "HighErrorRate", 2)]
    group = correlate(alerts, graph(), [flip], now=NOW).groups[0]
    assert group.primary_contributor == "payment"


def test_a_root_that_alerts_long_after_its_still_failing_callers_joins_their_group_and_leads() -> None:
    # Callers page at once and keep firing; the database's slow-burn rule fires 12 minutes later.
    alerts = [alert("web", "HighErrorRate", 0), alert("checkout", "HighErrorRate", 0.5),
              alert("payment", "HighLatency", 1), alert("payment-db", "ConnectionsSaturated", 12)]
    result = correlate(alerts, graph(), [], now=NOW)
    assert result.groups_out == 1
    assert result.groups[0].primary_contributor == "payment-db"


def test_a_dependency_alerting_long_after_its_callers_recovered_is_a_separate_story() -> None:
    alerts = [alert("web", "HighErrorRate", 0, ends=3), alert("checkout", "HighErrorRate", 0.5, ends=3),
              alert("payment", "HighLatency", 1, ends=3), alert("payment-db", "ConnectionsSaturated", 14)]
    result = correlate(alerts, graph(), [], now=NOW)
    assert result.groups_out == 2


def test_a_silent_shared_database_with_a_change_and_every_caller_alerting_leads() -> None:
    edges = [("a", "db"), ("b", "db"), ("web", "a"), ("web", "b")]
    g = ServiceGraph.build([Service(name=n) for n in ("a", "b", "db", "web")],
                           [DependencyEdge(dependent=x, dependency=y) for x, y in edges])
    change = Change(id="c1", service="db", kind="config", summary="pool size", at=T0 - timedelta(minutes=3))
    alerts = [alert("a", "HighLatency", 0.2), alert("b", "HighLatency", 0)]
    group = correlate(alerts, g, [change], now=NOW).groups[0]
    assert group.primary_contributor == "db"
    assert not group.candidates[0].alerting


def test_a_close_runner_up_makes_the_answer_say_it_is_unsure_and_stay_below_one_half() -> None:
    # Two unrelated deepest services alerting together under one caller: nothing tells them apart.
    alerts = [alert("payment", "HighErrorRate", 0), alert("cart", "HighErrorRate", 0),
              alert("web", "HighErrorRate", 1)]
    group = correlate(alerts, graph(), [], now=NOW).groups[0]
    assert group.confidence < 0.5
    assert group.uncertain_because


def test_a_clear_single_chain_is_answered_with_confidence_and_no_doubt() -> None:
    alerts = [alert("payment-db", "ConnectionsSaturated", 0), alert("payment", "HighErrorRate", 1),
              alert("checkout", "HighErrorRate", 1.5), alert("web", "HighErrorRate", 2)]
    group = correlate(alerts, graph(), [], now=NOW).groups[0]
    assert group.primary_contributor == "payment-db"
    assert group.confidence >= 0.5
    assert group.uncertain_because is None


def test_a_quiet_private_database_stays_on_the_list_behind_its_only_caller() -> None:
    # payment-db is called by payment alone; with five services alerting it must still be shown
    # as an alternative to check (it fails as its caller does), though payment alerted and leads.
    alerts = [alert("payment", "HighErrorRate", 0), alert("checkout", "HighErrorRate", 1),
              alert("web", "HighErrorRate", 2), alert("cart", "HighLatency", 2.5),
              alert("search", "HighLatency", 2.5, severity="warning")]
    group = correlate(alerts, graph(), [], now=NOW).groups[0]
    ranked = [c.service for c in group.candidates]
    assert ranked[0] == "payment"
    assert "payment-db" in ranked[:3]
