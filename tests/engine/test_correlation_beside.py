"""A neighbouring group's primary listed among a group's candidates (assemble.shown)."""

from __future__ import annotations

import pytest
from test_generalization import NOW, alert, graph  # the same twelve-service estate

from opscontext.engine.correlate import correlate
from opscontext.engine.correlation import lazy
from opscontext.engine.correlation.assemble import BESIDE_AT, Beside, shown
from opscontext.engine.correlation.ranking import Scored
from opscontext.engine.graph import ServiceGraph
from opscontext.models import Alert, DependencyEdge, Service


def _split(cart_minute: float) -> list[Alert]:
    # payment fails, its callers follow; cart (another dependency of web) starts failing later,
    # close enough in time to sit next to that group, too late to be linked into it.
    return [alert("payment", "HighErrorRate", 0), alert("checkout", "HighErrorRate", 1),
            alert("web", "HighErrorRate", 2, ends=30), alert("cart", "CartErrors", cart_minute),
            alert("cart", "CartLatency", cart_minute + 1)]


def test_the_primary_of_a_group_next_to_this_one_is_listed_third_with_the_reason() -> None:
    groups = {g.primary_contributor: g for g in correlate(_split(10), graph(), [], now=NOW).groups}
    payment, cart = groups["payment"], groups["cart"]
    names = [c.service for c in payment.candidates]
    assert names[0] == "payment" and names[BESIDE_AT] == "cart"
    listed = payment.candidates[BESIDE_AT]
    assert listed.alerting
    assert listed.evidence[0].startswith(f"primary contributor of {cart.id}, alerting next to this group")
    assert listed.score <= payment.candidates[BESIDE_AT - 1].score
    # and the other way round: payment is the alternative listed in cart's group
    assert [c.service for c in cart.candidates][BESIDE_AT] == "payment"


def test_a_group_alone_in_its_time_lists_only_its_own_candidates() -> None:
    groups = {g.primary_contributor: g for g in correlate(_split(20), graph(), [], now=NOW).groups}
    assert "cart" not in [c.service for c in groups["payment"].candidates]
    assert not any(e.startswith("primary contributor of") for c in groups["payment"].candidates for e in c.evidence)


def _scored(service: str, score: float, alerting: bool = True) -> Scored:
    return Scored(service=service, score=score, alerting=alerting, explains=1, deps=0, change=None, lag_min=0.0,
                  onset_s=0.0, evidence=[f"{service} evidence"])


def test_the_neighbour_is_capped_below_the_one_before_it_and_pushes_out_the_last() -> None:
    own = [_scored("a", 0.9), _scored("b", 0.5), _scored("c", 0.4)]
    out = shown(own, 3, Beside("grp-x", _scored("z", 0.95)))
    assert [c.service for c in out] == ["a", "b", "z"]
    assert out[2].score == 0.5
    assert out[2].evidence[1] == "z evidence"


def test_a_neighbour_already_listed_or_silent_is_not_listed_again() -> None:
    own = [_scored("a", 0.9), _scored("b", 0.5)]
    assert [c.service for c in shown(own, 3, Beside("grp-x", _scored("b", 0.7)))] == ["a", "b"]
    assert [c.service for c in shown(own, 3, Beside("grp-x", _scored("q", 0.7, alerting=False)))] == ["a", "b"]
    assert [c.service for c in shown(own[:1], 3, Beside("grp-x", _scored("z", 0.7)))] == ["a", "z"]


def test_a_lone_warning_next_to_a_group_is_no_alternative_to_send_the_responder_to() -> None:
    alerts = [*_split(10)[:3], alert("cart", "CartLatency", 10, severity="warning")]
    groups = correlate(alerts, graph(), [], now=NOW).groups
    payment, lone = groups
    assert lone.lone_warning and lone.primary_contributor == "cart"
    assert "cart" not in [c.service for c in payment.candidates]
    assert "payment" in [c.service for c in lone.candidates]  # the incident beside it is worth checking


def _front_end() -> ServiceGraph:
    edges = [("web", "checkout"), ("checkout", "payment"), ("web", "cart"), ("cart", "cart-db")]
    names = sorted({n for e in edges for n in e})
    return ServiceGraph.build([Service(name=n) for n in names],
                              [DependencyEdge(dependent=a, dependency=b) for a, b in edges])


def test_a_group_alerting_two_hops_below_through_a_quiet_service_is_listed_too() -> None:
    # payment fails, then cart, then the front end above both. The front end's alerts go with
    # cart (an alerting direct dependency beats one two hops down), so payment's incident is a
    # group of its own, two hops below web through quiet checkout: not next to web's group,
    # but the responder reading it should see payment among the alternatives.
    alerts = [alert("payment", "HighErrorRate", 0), alert("cart", "CartErrors", 1),
              alert("web", "HighErrorRate", 2), alert("web", "HighLatency", 3)]
    groups = {g.primary_contributor: g for g in correlate(alerts, _front_end(), [], now=NOW).groups}
    web, payment = groups["cart"], groups["payment"]
    assert web.services == ["cart", "web"] and payment.services == ["payment"]
    listed = {c.service: c for c in web.candidates}
    assert [c.service for c in web.candidates][BESIDE_AT] == "payment"
    assert listed["payment"].evidence[0].startswith(
        f"primary contributor of {payment.id}, alerting below this group's services at the same time")
    # what is below names nothing above it: payment's own group lists only its own candidates
    assert [c.service for c in payment.candidates] == ["payment"]


def test_with_one_hop_only_the_group_below_is_not_listed(monkeypatch: pytest.MonkeyPatch) -> None:
    alerts = [alert("payment", "HighErrorRate", 0), alert("cart", "CartErrors", 1),
              alert("web", "HighErrorRate", 2), alert("web", "HighLatency", 3)]
    monkeypatch.setattr(lazy, "BESIDE_HOPS", 1)
    groups = {g.primary_contributor: g for g in correlate(alerts, _front_end(), [], now=NOW).groups}
    assert "payment" not in [c.service for c in groups["cart"].candidates]
