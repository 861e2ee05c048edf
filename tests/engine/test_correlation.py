"""Unit tests of alert correlation on small hand-made worlds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from opscontext.engine.correlate import CorrelationOptions, correlate
from opscontext.engine.graph import ServiceGraph
from opscontext.models import Alert, AlertState, Change, DependencyEdge, Service

T0 = datetime(2026, 3, 2, 13, 48, 10, tzinfo=UTC)
NOW = T0 + timedelta(hours=1)

# checkout -> payment -> payment-db ; checkout -> cart -> redis
# search -> catalog -> catalog-db   (a separate branch: nothing shared with checkout's)
EDGES = [
    ("checkout", "payment"), ("payment", "payment-db"), ("checkout", "cart"), ("cart", "redis"),
    ("search", "catalog"), ("catalog", "catalog-db"), ("web", "checkout"), ("web", "search"),
]


def world() -> ServiceGraph:
    names = sorted({n for e in EDGES for n in e})
    return ServiceGraph.build(
        [Service(name=n) for n in names],
        [DependencyEdge(dependent=a, dependency=b) for a, b in EDGES],
    )


def alert(service: str | None, name: str, minutes: float, severity: str = "critical",
          fp: str | None = None, state: AlertState = AlertState.ACTIVE) -> Alert:
    return Alert(
        fingerprint=fp or f"{service}-{name}", alertname=name, service=service, severity=severity,
        starts_at=T0 + timedelta(minutes=minutes), state=state,
    )


def test_empty_input_gives_no_groups_and_zero_noise_reduction() -> None:
    result = correlate([], world(), [], now=NOW)
    assert result.groups == []
    assert result.alerts_in == 0
    assert result.noise_reduction == 0.0
    assert result.explanation == "No alerts in the window."


def test_duplicate_deliveries_are_removed_and_flapping_is_counted_once() -> None:
    a = alert("payment", "HighErrorRate", 0)
    flaps = [alert("payment", "HighLatency", m, fp="flappy") for m in (0.5, 4, 8, 12)]
    result = correlate([a, a, *flaps], world(), [], now=NOW)
    assert result.alerts_in == 6
    assert result.alerts_unique == 2
    assert result.duplicates_removed == 4
    assert result.flapping == {"flappy": 4}
    assert result.groups[0].alert_count == 2
    assert "flapping" in result.explanation


def test_a_fingerprint_returning_after_a_long_quiet_spell_is_a_new_occurrence() -> None:
    alerts = [alert("payment", "HighLatency", 0, fp="x"), alert("payment", "HighLatency", 180, fp="x")]
    result = correlate(alerts, world(), [], now=NOW + timedelta(hours=3))
    assert result.alerts_unique == 2
    assert result.flapping == {}


def test_a_cascade_is_one_group_with_the_deepest_alerting_dependency_first() -> None:
    alerts = [
        alert("payment-db", "CPUSaturation", 0),
        alert("payment", "HighLatency", 1.5),
        alert("checkout", "HighErrorRate", 2.5),
        alert("web", "HighErrorRate", 3.0),
    ]
    result = correlate(alerts, world(), [], now=NOW)
    assert result.groups_out == 1
    group = result.groups[0]
    assert group.primary_contributor == "payment-db"
    assert group.services == ["checkout", "payment", "payment-db", "web"]
    assert any("deepest alerting dependency: 3 alerting services" in e for e in group.candidates[0].evidence)
    assert "payment" in group.impacted_services
    assert result.noise_reduction == 0.75


def test_two_simultaneous_independent_incidents_come_out_as_two_groups() -> None:
    alerts = [
        alert("redis", "MemorySaturation", 0), alert("cart", "HighLatency", 1),
        alert("catalog-db", "HighLatency", 0.2), alert("catalog", "HighErrorRate", 1.2),
    ]
    result = correlate(alerts, world(), [], now=NOW)
    assert sorted(g.primary_contributor for g in result.groups) == ["catalog-db", "redis"]
    for g in result.groups:
        assert len(g.services) == 2


def test_services_sharing_only_a_caller_are_not_linked() -> None:
    # payment and cart are both called by checkout, but a fault in one cannot reach the other.
    alerts = [alert("payment", "HighErrorRate", 0), alert("cart", "HighLatency", 0.5)]
    result = correlate(alerts, world(), [], now=NOW)
    assert result.groups_out == 2


def test_the_same_pair_far_apart_in_time_is_not_linked() -> None:
    alerts = [alert("payment", "HighErrorRate", 0), alert("checkout", "HighLatency", 40)]
    assert correlate(alerts, world(), [], now=NOW).groups_out == 2


# One incident down the payment branch: the database is deepest, payment was deployed.
CHAIN = [alert("payment", "HighLatency", 0), alert("payment-db", "HighLatency", 0.2, severity="warning"),
         alert("checkout", "HighErrorRate", 1)]


def test_a_recent_deploy_raises_a_candidate_and_is_cited_as_evidence() -> None:
    base = correlate(CHAIN, world(), [], now=NOW)
    deploy = Change(id="chg-42", service="payment", kind="deployment", summary="deploy payment",
                    at=T0 - timedelta(minutes=6), version="v2.14.0")
    with_deploy = correlate(CHAIN, world(), [deploy], now=NOW)
    assert base.groups_out == with_deploy.groups_out == 1
    assert base.groups[0].primary_contributor == "payment-db"
    top = with_deploy.groups[0].candidates[0]
    assert top.service == "payment"
    assert "deployed v2.14.0 6 min before the first alert (change id chg-42)" in top.evidence
    assert "payment is the primary contributor (deployed v2.14.0 6 min before" in with_deploy.groups[0].summary


def test_a_change_after_now_is_ignored() -> None:
    future = Change(id="c", service="payment", kind="deployment", summary="x", at=NOW + timedelta(minutes=1))
    result = correlate(CHAIN, world(), [future], now=NOW)
    assert result.groups[0].primary_contributor == "payment-db"


def test_a_silent_service_between_alerting_ones_appears_as_a_candidate() -> None:
    # payment did not alert, but checkout (its caller) and payment-db (its dependency) did.
    alerts = [alert("payment-db", "CPUSaturation", 0), alert("checkout", "HighErrorRate", 2)]
    group = correlate(alerts, world(), [], now=NOW).groups[0]
    silent = {c.service: c for c in group.candidates if not c.alerting}
    assert "payment" in silent
    assert any("did not alert itself but sits between checkout and payment-db" in e for e in silent["payment"].evidence)


def test_a_silent_shared_dependency_of_two_alerting_services_leads() -> None:
    edges = [("a", "db"), ("b", "db"), ("c", "db"), ("web", "a"), ("web", "b"), ("web", "c")]
    graph = ServiceGraph.build([Service(name=n) for n in {"a", "b", "c", "db", "web"}],
                               [DependencyEdge(dependent=x, dependency=y) for x, y in edges])
    alerts = [alert("a", "HighLatency", 0.3), alert("b", "HighLatency", 0), alert("c", "HighErrorRate", 0.6)]
    group = correlate(alerts, graph, [], now=NOW).groups[0]
    assert group.primary_contributor == "db"
    assert not group.candidates[0].alerting


def test_alerts_without_a_service_are_counted_as_ungrouped() -> None:
    alerts = [alert(None, "Watchdog", 0), alert(None, "Heartbeat", 1), alert("payment", "HighLatency", 0)]
    result = correlate(alerts, world(), [], now=NOW)
    assert result.ungrouped["no_service"] == 2
    assert all(None not in g.services for g in result.groups)


def test_a_lone_warning_is_listed_last_as_possible_noise_and_suppressed_alerts_are_left_out() -> None:
    lone = alert("redis", "DiskSpaceLow", 0, severity="warning")
    incident = [alert("payment", "HighErrorRate", 30), alert("checkout", "HighErrorRate", 31)]
    alerts = [lone, *incident, alert("web", "HighLatency", 0, state=AlertState.SUPPRESSED)]
    result = correlate(alerts, world(), [], now=NOW)
    assert [g.lone_warning for g in result.groups] == [False, True]  # after the incident, though it began first
    flagged = result.groups[1]
    assert flagged.fingerprints == [lone.fingerprint] and flagged.primary_contributor == "redis"
    assert flagged.confidence < 0.5 and "noise" in (flagged.uncertain_because or "")
    assert result.groups_out == 2 and result.lone_warnings == 1
    assert result.ungrouped == {"suppressed": 1}
    assert result.noise_reduction == round(1 - 1 / 4, 4)  # one incident to triage out of four alerts
    assert "1 lone warning" in result.explanation


def test_a_lone_alert_paging_in_another_tool_s_words_is_an_incident_not_a_lone_warning() -> None:
    for paging, lone in (("SEV-1", False), ("P1", False), ("disaster", False), ("P4", True), ("minor", True)):
        result = correlate([alert("redis", "DiskFull", 0, severity=paging)], world(), [], now=NOW)
        assert [g.lone_warning for g in result.groups] == [lone], paging


def test_lone_warnings_are_only_counted_when_listing_them_is_turned_off() -> None:
    alerts = [alert("redis", "DiskSpaceLow", 0, severity="warning"),
              alert("web", "HighLatency", 0, state=AlertState.SUPPRESSED)]
    result = correlate(alerts, world(), [], now=NOW, options=CorrelationOptions(list_lone_warnings=False))
    assert result.groups == [] and result.lone_warnings == 0
    assert result.ungrouped == {"isolated_noise": 1, "suppressed": 1}


def test_off_graph_alerts_join_only_through_near_identical_labels() -> None:
    def labelled(service: str, minutes: float) -> Alert:
        return Alert(fingerprint=f"fp-{service}", alertname="KafkaLag", service=service, severity="critical",
                     labels={"cluster": "eu-1", "topic": "orders"}, starts_at=T0 + timedelta(minutes=minutes))
    result = correlate([labelled("payment", 0), labelled("unknown-consumer", 1)], world(), [], now=NOW)
    assert result.groups_out == 1
    assert result.groups[0].services == ["payment", "unknown-consumer"]


def test_group_ids_are_stable_across_runs_and_confidence_is_a_probability() -> None:
    alerts = [alert("payment-db", "CPUSaturation", 0), alert("payment", "HighLatency", 1)]
    first = correlate(alerts, world(), [], now=NOW).groups[0]
    again = correlate(list(reversed(alerts)), world(), [], now=NOW + timedelta(minutes=5)).groups[0]
    assert first.id == again.id
    assert 0.0 <= first.confidence <= 1.0


def test_options_bound_the_listed_alerts_and_candidates() -> None:
    alerts = [alert("payment-db", "CPUSaturation", 0), *[alert("payment", f"A{i}", 1 + i / 10) for i in range(5)]]
    group = correlate(alerts, world(), [], now=NOW,
                      options=CorrelationOptions(max_alerts_listed=2, max_candidates=1)).groups[0]
    assert len(group.alerts) == 2
    assert group.alert_count == 6
    assert len(group.fingerprints) == 6
    assert len(group.candidates) == 1


def test_with_min_group_alerts_raised_a_pair_of_warnings_is_listed_as_lone_and_says_how_many() -> None:
    alerts = [alert("redis", "DiskSpaceLow", 0, severity="warning"), alert("redis", "SlowOps", 1, severity="warning")]
    result = correlate(alerts, world(), [], now=NOW, options=CorrelationOptions(min_group_alerts=3))
    (group,) = result.groups
    assert group.lone_warning and group.alert_count == 2
    assert "0 of those fall into 0 incident groups" in result.explanation
    why = group.uncertain_because or ""
    assert why.startswith("2 alerts, none critical, with nothing related alerting near them")
