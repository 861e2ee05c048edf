"""How much a change counts: its age, the rollout it came in, and the service it really changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from opscontext.engine.correlate import correlate
from opscontext.engine.correlation.calibration import confidence
from opscontext.engine.correlation.ranking import Scored, change_strength, is_noop, turned_off
from opscontext.engine.graph import ServiceGraph
from opscontext.models import Alert, Change, DependencyEdge, Service

T0 = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
NOW = T0 + timedelta(minutes=30)


def _alerts(service: str, n: int = 3, start: datetime = T0, prefix: str = "") -> list[Alert]:
    return [
        Alert(fingerprint=f"{prefix}{service}-{i}", alertname="SpanErrorRateHigh", service=service,
              severity="critical", starts_at=start + timedelta(minutes=i), labels={"service": service})
        for i in range(n)
    ]


def _deploy(service: str, minutes_before: float, cid: str | None = None) -> Change:
    return Change(id=cid or f"d-{service}", service=service, kind="deployment",
                  at=T0 - timedelta(minutes=minutes_before), summary=f"Deploy {service} 2.11.1")


@pytest.mark.parametrize(("lag", "want"), [(0, 1.0), (10, 1.0), (20, 0.65), (30, 0.3), (80, 0.3)])
def test_a_change_counts_in_full_for_ten_minutes_then_fades_to_a_third_by_thirty(lag: float, want: float) -> None:
    c = _deploy("x", lag)
    assert change_strength(c, lag, 90.0) == pytest.approx(want)


# frontend calls five services, all quiet; a flag flip on flagd names one of them.
FRONT = ServiceGraph.build(
    [Service(name=n) for n in ("frontend", "ad", "cart", "checkout", "search", "flagd")],
    [DependencyEdge(dependent="frontend", dependency=d) for d in ("ad", "cart", "checkout", "search", "flagd")],
)


def test_a_rollout_of_every_service_is_weak_evidence_for_each_and_says_so() -> None:
    rollout = [_deploy(s, 8) for s in ("frontend", "ad", "cart", "checkout", "search")]
    got = correlate(_alerts("frontend"), FRONT, rollout, now=NOW)
    top = got.groups[0].candidates[0]
    assert top.service == "frontend"
    assert any("one of 5 services here changed within 5 min" in e for e in top.evidence)
    alone = correlate(_alerts("frontend"), FRONT, [_deploy("frontend", 8)], now=NOW).groups[0].candidates[0]
    assert alone.score > top.score  # the same deploy on its own says more
    assert not any("services here changed" in e for e in alone.evidence)


def test_a_flag_flip_after_a_rollout_points_at_the_service_it_names_not_at_the_rollout() -> None:
    rollout = [_deploy(s, 22) for s in ("frontend", "ad", "cart", "checkout", "search")]
    flip = Change(id="flip", service="flagd", kind="feature-flag", at=T0 - timedelta(minutes=2),
                  summary="flag searchFailure: off -> on")
    got = correlate(_alerts("frontend"), FRONT, [*rollout, flip], now=NOW)
    ranked = [c.service for c in got.groups[0].candidates]
    assert ranked.index("search") < ranked.index("ad")  # the flip, not the name order, shortlists it
    assert "search" in ranked[:2]


def test_a_flag_change_recorded_on_the_flag_store_does_not_count_for_the_store() -> None:
    flip = Change(id="flip", service="flagd", kind="feature-flag", at=T0 - timedelta(minutes=2),
                  summary="flag adFailure: off -> on")
    alerts = [*_alerts("flagd", prefix="a"), *_alerts("frontend", prefix="b")]
    got = correlate(alerts, FRONT, [flip], now=NOW)
    by = {c.service: c for g in got.groups for c in g.candidates}
    assert not any("flip" in e for e in by["flagd"].evidence)
    assert any("change that names it (recorded on flagd)" in e and "flip" in e for e in by["ad"].evidence)


# web calls api; api calls db; web also calls recs directly. web and api alert; recs is quiet.
CHAIN = ServiceGraph.build(
    [Service(name=n) for n in ("web", "api", "db", "recs", "mail")],
    [DependencyEdge(dependent="web", dependency="api"), DependencyEdge(dependent="api", dependency="db"),
     DependencyEdge(dependent="web", dependency="recs"), DependencyEdge(dependent="web", dependency="mail")],
)
CHAIN_ALERTS = [*_alerts("web", prefix="w"), *_alerts("api", start=T0 + timedelta(seconds=30), prefix="x")]


def test_a_quiet_changed_dependency_of_a_caller_that_is_not_deepest_is_a_candidate() -> None:
    got = correlate(CHAIN_ALERTS, CHAIN, [_deploy("recs", 3)], now=NOW)
    assert "recs" in [c.service for c in got.groups[0].candidates]
    without = correlate(CHAIN_ALERTS, CHAIN, [], now=NOW)
    assert "recs" not in [c.service for c in without.groups[0].candidates]


def test_a_changed_dependency_that_alerts_elsewhere_and_stayed_quiet_here_is_not_suspected_for_it() -> None:
    # recs is monitored: it raised an alert two hours earlier, so its silence now is an observation.
    earlier = Alert(fingerprint="recs-old", alertname="ContainerMemoryHigh", service="recs", severity="warning",
                    starts_at=T0 - timedelta(hours=2), ends_at=T0 - timedelta(hours=2) + timedelta(minutes=3),
                    labels={"service": "recs"})
    got = correlate([*CHAIN_ALERTS, earlier], CHAIN, [_deploy("recs", 3)], now=NOW)
    main = next(g for g in got.groups if "web" in {c.service for c in g.candidates})
    assert "recs" not in [c.service for c in main.candidates]


# shop, cart, search and ads call catalog; shop and cart alert, the rest stays quiet.
_CALLERS = ("shop", "cart", "search", "ads")
SHOP = ServiceGraph.build(
    [Service(name=n) for n in (*_CALLERS, "catalog", "flagd")],
    [*(DependencyEdge(dependent=c, dependency="catalog") for c in _CALLERS),
     *(DependencyEdge(dependent=c, dependency="flagd") for c in _CALLERS)],
)
SHOP_ALERTS = [*_alerts("shop", prefix="s"), *_alerts("cart", start=T0 + timedelta(minutes=1), prefix="c")]


def test_a_quiet_service_named_by_a_flag_flipped_just_before_its_callers_failed_is_the_primary() -> None:
    flip = Change(id="flip", service="flagd", kind="feature-flag", at=T0 - timedelta(minutes=3),
                  summary="flag catalogFailure: off -> on")
    got = correlate(SHOP_ALERTS, SHOP, [flip], now=NOW)
    ranked = [c.service for c in got.groups[0].candidates]
    assert ranked[0] == "catalog", ranked


def test_a_quiet_services_own_deploy_does_not_waive_the_penalty_for_raising_no_alert() -> None:
    got = correlate(SHOP_ALERTS, SHOP, [_deploy("catalog", 3)], now=NOW)
    ranked = [c.service for c in got.groups[0].candidates]
    assert ranked[0] == "shop"
    assert "catalog" in ranked


def test_a_top_answer_resting_on_one_change_of_a_rollout_is_less_sure_than_on_a_lone_change() -> None:
    def ranked(batch: int) -> list[Scored]:
        top = Scored(service="frontend", score=0.9, alerting=True, explains=3, deps=0, change=_deploy("frontend", 8),
                     lag_min=8.0, onset_s=0.0, n_alerting=3, strength=1.0, batch=batch)
        rest = Scored(service="cart", score=0.5, alerting=True, explains=1, deps=1, change=None, lag_min=0.0,
                      onset_s=60.0, n_alerting=3)
        return [top, rest]

    alone, in_rollout = confidence(ranked(1), 3)[0], confidence(ranked(5), 3)[0]
    assert in_rollout < alone


def test_a_flag_naming_a_quiet_service_counts_in_full_when_only_one_of_its_callers_alerts() -> None:
    flip = Change(id="flip", service="flagd", kind="feature-flag", at=T0 - timedelta(minutes=4),
                  summary="flag catalogFailure: off -> on")
    got = correlate(_alerts("shop", prefix="s"), SHOP, [flip], now=NOW)
    ranked = [c.service for c in got.groups[0].candidates]
    assert ranked[0] == "catalog", ranked  # one of four callers alerting does not dilute a flag made for it
    own = correlate(_alerts("shop", prefix="s"), SHOP, [_deploy("catalog", 4)], now=NOW)
    assert own.groups[0].candidates[0].service == "shop"  # its own deploy still is, by the quiet callers


# Twelve services and an edge proxy call one cache; the proxy warns five minutes before the rest.
_APPS = tuple(f"app{i}" for i in range(12))
WIDE = ServiceGraph.build(
    [Service(name=n) for n in (*_APPS, "edge", "cache")],
    [DependencyEdge(dependent=a, dependency="cache") for a in (*_APPS, "edge")],
)


def test_one_early_alert_in_a_big_group_does_not_push_the_deploy_that_started_it_out_of_the_window() -> None:
    early = _alerts("edge", n=1, start=T0 - timedelta(minutes=5), prefix="e")
    storm = [a for i, app in enumerate(_APPS)
             for a in _alerts(app, n=1, start=T0 + timedelta(seconds=10 * i), prefix="a")]
    cache = _alerts("cache", n=1, start=T0, prefix="k")
    # cache was deployed 3 min after edge's warning and 2 min before everything else failed
    got = correlate([*early, *storm, *cache], WIDE, [_deploy("cache", 2)], now=NOW)
    group = max(got.groups, key=lambda g: g.alert_count)
    assert group.alert_count == 14
    top = group.candidates[0]
    assert top.service == "cache"
    assert any("3 min after the first alert (change id d-cache)" in e for e in top.evidence), top.evidence


def test_a_quiet_broker_everyone_calls_is_suspected_when_a_flag_naming_it_flipped_just_before() -> None:
    callers = [f"svc{i}" for i in range(60)]
    graph = ServiceGraph.build(
        [Service(name=n) for n in (*callers, "orders", "kafka", "flagd")],
        [*(DependencyEdge(dependent=c, dependency=d) for c in callers for d in ("kafka", "flagd")),
         *(DependencyEdge(dependent=c, dependency="orders") for c in callers[:8])],
    )
    alerts = [a for i, c in enumerate(callers[:8])
              for a in _alerts(c, n=1, start=T0 + timedelta(seconds=15 * i), prefix=c)]
    flip = Change(id="flip", service="flagd", kind="feature-flag", at=T0 - timedelta(minutes=3),
                  summary="flag kafkaQueueProblems: off -> on")
    got = correlate(alerts, graph, [flip], now=NOW)
    assert len(got.groups) == 1
    assert "kafka" in [c.service for c in got.groups[0].candidates]  # 60 callers: above the hub degree of 40
    routine = correlate(alerts, graph, [_deploy("kafka", 3)], now=NOW)
    assert "kafka" not in [c.service for c in routine.groups[0].candidates]  # its own deploy: not a suspect


@pytest.mark.parametrize(("summary", "noop"), [
    ("flag searchFailure: defaultVariant off -> off", True),
    ("flag searchFailure: defaultVariant off -> on", False),
    ("config pool_size: 20 → 20", True),
    ("flag searchFailure toggled", False),
])
def test_a_flag_set_to_the_value_it_already_had_is_no_change(summary: str, noop: bool) -> None:
    flip = Change(id="flip", service="flagd", kind="feature-flag", at=T0 - timedelta(minutes=2), summary=summary)
    assert is_noop(flip) is noop


def test_a_no_op_flag_change_is_not_evidence_for_the_service_it_names() -> None:
    flip = Change(id="flip", service="flagd", kind="feature-flag", at=T0 - timedelta(minutes=3),
                  summary="flag catalogFailure: defaultVariant off -> off")
    ranked = [c.service for c in correlate(SHOP_ALERTS, SHOP, [flip], now=NOW).groups[0].candidates]
    assert ranked[0] == "shop"  # as with no change at all: an off -> on flip makes catalog the primary
    deploy = _deploy("shop", 2)
    assert not is_noop(deploy.model_copy(update={"summary": "Deploy shop 2.11.1 -> 2.11.1"}))  # a redeploy restarts


@pytest.mark.parametrize(("summary", "off"), [
    ("flag adFailure: defaultVariant on -> off", True),
    ("config cache_enabled: true → false", True),
    ("flag adFailure: defaultVariant off -> on", False),
    ("flag adFailure: defaultVariant off -> off", False),  # a no-op, not a switch-off
    ("config pool_size: 20 -> 0", False),  # a number set to zero is not a switch: it may well break things
])
def test_a_flag_or_config_switched_off_is_recognised(summary: str, off: bool) -> None:
    flip = Change(id="flip", service="flagd", kind="feature-flag", at=T0, summary=summary)
    assert turned_off(flip) is off
    assert not turned_off(_deploy("shop", 2).model_copy(update={"summary": "Deploy shop on -> off"}))


def test_a_flag_switched_off_is_half_the_evidence_of_one_switched_on() -> None:
    on = Change(id="on", service="flagd", kind="feature-flag", at=T0 - timedelta(minutes=3),
                summary="flag catalogFailure: defaultVariant off -> on")
    off = on.model_copy(update={"id": "off", "summary": "flag catalogFailure: defaultVariant on -> off"})
    assert change_strength(off, 3.0, 60.0) == pytest.approx(0.5 * change_strength(on, 3.0, 60.0))
    ranked_on = correlate(SHOP_ALERTS, SHOP, [on], now=NOW).groups[0].candidates
    ranked_off = correlate(SHOP_ALERTS, SHOP, [off], now=NOW).groups[0].candidates
    assert ranked_on[0].service == "catalog"
    catalog_off = next(c for c in ranked_off if c.service == "catalog")
    catalog_on = next(c for c in ranked_on if c.service == "catalog")
    assert catalog_off.score < catalog_on.score


# frontend -> checkout -> shipping and payment; frontend also calls shipping. checkout alerts
# first, frontend after it; shipping is quiet and had its config changed 5 min before.
QUIET_DEP = ServiceGraph.build(
    [Service(name=n) for n in ("frontend", "checkout", "shipping", "payment")],
    [DependencyEdge(dependent=a, dependency=b) for a, b in
     (("frontend", "checkout"), ("checkout", "shipping"), ("checkout", "payment"), ("frontend", "shipping"))],
)
QUIET_DEP_ALERTS = [
    Alert(fingerprint="c1", alertname="HighLatencyP99", service="checkout", severity="warning", starts_at=T0),
    Alert(fingerprint="c2", alertname="HighErrorRate", service="checkout", severity="warning",
          starts_at=T0 + timedelta(seconds=30)),
    Alert(fingerprint="f1", alertname="FrontendLatencyP95", service="frontend", severity="warning",
          starts_at=T0 + timedelta(minutes=1)),
]


def test_a_quiet_service_ranked_first_on_its_own_change_says_which_alerting_service_to_check() -> None:
    config = Change(id="chg-7", service="shipping", kind="config", at=T0 - timedelta(minutes=5),
                    summary="Update shipping config: pool size")
    group = correlate(QUIET_DEP_ALERTS, QUIET_DEP, [config], now=NOW).groups[0]
    assert group.candidates[0].service == "shipping" and group.confidence < 0.5
    why = group.uncertain_because or ""
    assert "shipping raised no alert and leads only on a change to it (config, change id chg-7)" in why
    assert "checkout alerted with nothing alerting below it, so check it too" in why
    assert "little evidence beyond the graph" not in why
    # Without the change the quiet service is no longer first, and nothing speaks of a change.
    plain = correlate(QUIET_DEP_ALERTS, QUIET_DEP, [], now=NOW).groups[0]
    assert plain.candidates[0].service == "checkout"
    assert "change to it" not in (plain.uncertain_because or "")
