"""A dependency whose alerts had all resolved before a caller began does not explain it."""

from __future__ import annotations

import pytest
from test_generalization import NOW, alert, graph

from opscontext.engine.correlate import correlate
from opscontext.engine.graph import ServiceGraph
from opscontext.models import DependencyEdge, Service

# web -> checkout -> payment, and nothing shared below them (a shared quiet dependency would
# join them as siblings, which is another story).
GRAPH = ServiceGraph.build([Service(name=n) for n in ("web", "checkout", "payment")],
                           [DependencyEdge(dependent="web", dependency="checkout"),
                            DependencyEdge(dependent="checkout", dependency="payment")])


def _group_of(service: str, payment_ends: float | None) -> tuple[str, list[str]]:
    # payment blips for a minute; checkout and web start failing two and three minutes later.
    alerts = [alert("payment", "HighErrorRate", 0, ends=payment_ends), alert("checkout", "HighErrorRate", 3),
              alert("web", "HighErrorRate", 4)]
    group = next(g for g in correlate(alerts, GRAPH, [], now=NOW).groups if service in g.services)
    return group.primary_contributor, group.services


def test_a_blip_that_resolved_before_its_callers_failed_is_not_their_cause() -> None:
    primary, services = _group_of("checkout", payment_ends=1)
    assert primary == "checkout"
    assert "payment" not in services


@pytest.mark.parametrize("ends", [None, 60.0], ids=["firing", "alertmanager-expiry-in-the-future"])
def test_a_dependency_still_firing_when_they_began_explains_them(ends: float | None) -> None:
    primary, services = _group_of("checkout", payment_ends=ends)
    assert primary == "payment"
    assert services == ["checkout", "payment", "web"]


def test_one_that_resolved_after_they_began_still_explains_them() -> None:
    primary, _ = _group_of("checkout", payment_ends=3.5)
    assert primary == "payment"


def test_a_blip_joined_through_a_shared_quiet_dependency_neither_explains_nor_outranks_them() -> None:
    # In the flags estate payment and checkout also share `flags`, so the blip still joins them
    # (a quiet shared dependency of both), but it was over before they began.
    alerts = [alert("payment", "HighErrorRate", 0, ends=1), alert("checkout", "HighErrorRate", 3),
              alert("web", "HighErrorRate", 4)]
    group = correlate(alerts, graph(), [], now=NOW).groups[0]
    assert group.primary_contributor == "checkout"
    payment = next(c for c in group.candidates if c.service == "payment")
    assert payment.evidence[0] == "no alerting dependency below it"
