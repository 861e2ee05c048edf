"""A health source's verdict on a quiet candidate is evidence the alerts cannot carry."""

from __future__ import annotations

from datetime import datetime

from test_generalization import NOW, T0, alert, graph

from opscontext.engine.correlate import correlate, correlate_lazy
from opscontext.engine.correlation.health import Health, HealthAt, HealthMap, HealthVerdict
from opscontext.engine.correlation.models import AlertGroup
from opscontext.engine.graph import ServiceGraph
from opscontext.models import DependencyEdge, Service

DEGRADED = HealthVerdict(Health.DEGRADED, "error ratio 0.1% -> 40% (prom)")
SERVING = HealthVerdict(Health.SERVING, "error ratio 0.1% (prom)")

# web -> cart -> cart-cache: a cache behind its only caller, killed; only the callers alert.
CART = ServiceGraph.build([Service(name=n) for n in ("web", "cart", "cart-cache")],
                          [DependencyEdge(dependent="web", dependency="cart"),
                           DependencyEdge(dependent="cart", dependency="cart-cache")])


def _always(verdicts: HealthMap) -> HealthAt:
    return lambda _start: verdicts


def _group(alerts_graph: ServiceGraph, services: list[str], health: HealthMap | None = None) -> AlertGroup:
    alerts = [alert(s, "HighErrorRate", i) for i, s in enumerate(services)]
    groups = correlate(alerts, alerts_graph, [], now=NOW, health=_always(health) if health is not None else None).groups
    assert len(groups) == 1
    return groups[0]


def test_a_quiet_cache_seen_degraded_outranks_its_only_alerting_caller() -> None:
    plain = _group(CART, ["cart"])
    assert plain.primary_contributor == "cart"
    seen = _group(CART, ["cart"], {"cart-cache": DEGRADED})
    assert seen.primary_contributor == "cart-cache"
    top = seen.candidates[0]
    assert not top.alerting
    assert any("health shows it degraded: error ratio 0.1% -> 40% (prom)" in e for e in top.evidence)
    cart = next(c for c in seen.candidates if c.service == "cart")
    assert any("1 quiet service a health source saw degraded" in e for e in cart.evidence)


def test_the_same_with_several_alerting_callers() -> None:
    plain = _group(CART, ["cart", "web"])
    assert plain.primary_contributor == "cart"
    seen = _group(CART, ["cart", "web"], {"cart-cache": DEGRADED})
    assert seen.primary_contributor == "cart-cache"
    assert seen.uncertain_because is None or "only the dependency graph" not in seen.uncertain_because


def test_a_quiet_candidate_seen_serving_keeps_only_the_floor() -> None:
    # Every caller of payment-db alerts and nothing alerts below it: without a health source that
    # is topological support for the quiet database; measured serving, it has none.
    alerts_on = ["payment", "checkout", "web"]
    plain = _group(graph(), alerts_on)
    serving = _group(graph(), alerts_on, {"payment-db": SERVING})
    before = next(c.score for c in plain.candidates if c.service == "payment-db")
    after = next((c.score for c in serving.candidates if c.service == "payment-db"), 0.0)
    assert after < before
    assert serving.primary_contributor == "payment"


def test_degraded_on_the_path_between_alerting_services_is_no_root() -> None:
    # checkout is quiet but degraded (on the way from payment to web); payment alerts below it.
    alerts = [alert("payment", "HighErrorRate", 0), alert("web", "HighErrorRate", 1)]
    group = correlate(alerts, graph(), [], now=NOW, health=_always({"checkout": DEGRADED})).groups[0]
    assert group.primary_contributor == "payment"


def test_no_verdict_on_its_candidates_changes_nothing() -> None:
    alerts = [alert("payment", "HighErrorRate", 0), alert("checkout", "HighErrorRate", 1),
              alert("web", "HighErrorRate", 2)]
    plain = correlate(alerts, graph(), [], now=NOW)
    other = correlate(alerts, graph(), [], now=NOW, health=_always({"email": DEGRADED, "unknown": SERVING}))
    assert other.model_dump() == plain.model_dump()


def test_verdicts_are_asked_for_the_instant_each_group_began() -> None:
    asked: list[datetime] = []

    def at(start: datetime) -> HealthMap:
        asked.append(start)
        return {}

    alerts = [alert("cart", "HighErrorRate", 0), alert("cart", "HighErrorRate", 1)]
    correlate(alerts, CART, [], now=NOW, health=at)
    assert asked and set(asked) == {T0}


def test_group_with_ranks_one_group_with_a_call_s_verdicts_and_keeps_the_plain_one() -> None:
    alerts = [alert("cart", "HighErrorRate", 0), alert("web", "HighErrorRate", 1)]
    lazy = correlate_lazy(alerts, CART, [], now=NOW)
    assert lazy.silent_candidates(0) == ["cart-cache"]
    seen = lazy.group_with(0, {"cart-cache": DEGRADED})
    assert seen.primary_contributor == "cart-cache"
    assert lazy.group(0).primary_contributor == "cart"  # the kept group is of the alerts, not of the moment
    assert lazy.group_with(0, {"email": DEGRADED}) is lazy.group(0)


def test_an_unsure_answer_names_the_quiet_private_dependency_to_check_unless_seen_serving() -> None:
    # payment alerts with its callers; payment-db, called by payment alone, raised nothing. The
    # alerts cannot tell the two apart, so the doubt says which service to look at.
    alerts_on = ["payment", "checkout", "web"]
    plain = _group(graph(), alerts_on)
    assert plain.primary_contributor == "payment" and plain.confidence < 0.5
    assert "payment depends on payment-db, which raised no alert" in (plain.uncertain_because or "")
    serving = _group(graph(), alerts_on, {"payment-db": SERVING})
    assert "payment-db" not in (serving.uncertain_because or "")
    # Alerting itself, the database is no quiet dependency to point at.
    loud = _group(graph(), ["payment-db", *alerts_on])
    assert loud.primary_contributor == "payment-db"
    assert "raised no alert" not in (loud.uncertain_because or "")
