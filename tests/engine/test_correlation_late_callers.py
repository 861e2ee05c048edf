"""A caller that starts failing minutes after its dependency, while the dependency still fires,
is its symptom (``caller_late``); one that starts after the dependency recovered, or much later,
is a story of its own."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

import pytest
from test_generalization import NOW, alert

from opscontext.engine.correlate import correlate
from opscontext.engine.correlation.models import CorrelationOptions
from opscontext.engine.graph import ServiceGraph
from opscontext.models import DependencyEdge, Service

GRAPH = ServiceGraph.build([Service(name=n) for n in ("web", "checkout", "payment")],
                           [DependencyEdge(dependent="web", dependency="checkout"),
                            DependencyEdge(dependent="checkout", dependency="payment")])


def _groups(checkout_at: float, payment_ends: float | None = None,
            options: CorrelationOptions | None = None) -> list[list[str]]:
    # payment fails at 0 (two alerts a minute apart); checkout's slow rule fires later.
    alerts = [alert("payment", "HighErrorRate", 0, ends=payment_ends), alert("payment", "HighLatency", 1,
                                                                             ends=payment_ends),
              alert("checkout", "HighErrorRate", checkout_at), alert("checkout", "HighLatency", checkout_at + 0.5)]
    return sorted(g.services for g in correlate(alerts, GRAPH, [], now=NOW, options=options).groups)


def test_a_caller_failing_eight_minutes_into_its_dependencys_outage_joins_it() -> None:
    assert _groups(checkout_at=9) == [["checkout", "payment"]]


def test_without_caller_late_the_same_alerts_are_two_incidents() -> None:
    # beyond the five-minute link window, which is what held them apart before
    assert _groups(checkout_at=9, options=CorrelationOptions(caller_late=timedelta(0))) == [["checkout"], ["payment"]]


@pytest.mark.parametrize("ends", [3.0, 8.0], ids=["recovered-long-before", "recovered-just-before"])
def test_not_once_the_dependency_has_recovered(ends: float) -> None:
    assert _groups(checkout_at=9, payment_ends=ends) == [["checkout"], ["payment"]]


def test_a_caller_failing_twelve_minutes_in_joins_it_too_while_the_dependency_is_held_firing() -> None:
    # an incident unfolding slower than the rules' for: clauses suggest (evalkit.stretch)
    assert _groups(checkout_at=13) == [["checkout", "payment"]]
    assert _groups(checkout_at=13, options=CorrelationOptions(caller_late=timedelta(minutes=10))) == [
        ["checkout"], ["payment"]]


def test_nor_past_caller_late() -> None:
    assert _groups(checkout_at=17) == [["checkout"], ["payment"]]


def test_a_recorded_run_spread_over_twenty_minutes_with_callers_first_is_one_incident() -> None:
    # The shape the issue saw in real fault-injection runs: callers alert first, the root's own
    # rule fires twelve minutes in, and callers' slower rules keep firing until minute twenty.
    chain = ["frontend-proxy", "frontend", "checkout", "payment"]
    graph = ServiceGraph.build([Service(name=n) for n in chain],
                               [DependencyEdge(dependent=a, dependency=b) for a, b in pairwise(chain)])
    alerts = [alert("checkout", "HighErrorRate", 0), alert("frontend", "HighErrorRate", 1),
              alert("frontend-proxy", "HighErrorRate", 2), alert("payment", "PaymentFailures", 12),
              alert("checkout", "SlowRequests", 18), alert("frontend", "SLOBurn", 20)]
    groups = correlate(alerts, graph, [], now=NOW).groups
    assert [sorted(g.services) for g in groups] == [sorted(chain)]
    assert groups[0].primary_contributor == "payment"
    before = correlate(alerts, graph, [], now=NOW, options=CorrelationOptions(
        caller_late=timedelta(0), continue_within=timedelta(0))).groups
    assert len(before) == 2  # what the five-minute window alone made of it


def _resumed(gap: float, first_ends: float | None = None) -> list[tuple[list[str], int]]:
    # payment fails for six minutes and checkout with it; checkout alerts again after a pause
    # longer than the ten-minute episode gap, when payment has recovered: nothing below explains it.
    alerts = [alert("payment", "HighErrorRate", 0, ends=6), alert("checkout", "HighErrorRate", 1, ends=first_ends),
              alert("checkout", "HighLatency", 1.5, ends=first_ends),
              alert("checkout", "SLOBurnSlow", 1.5 + gap), alert("checkout", "Apdex", 2 + gap)]
    return sorted((g.services, g.alert_count) for g in correlate(alerts, GRAPH, [], now=NOW).groups)


def test_a_service_alerting_again_while_its_first_alerts_still_fire_continues_its_incident() -> None:
    assert _resumed(gap=12) == [(["checkout", "payment"], 5)]


def test_but_not_once_its_first_alerts_had_resolved() -> None:
    # checkout recovered at minute 5: at minute 13.5 it is a new story
    assert _resumed(gap=12, first_ends=5) == [(["checkout"], 2), (["checkout", "payment"], 3)]


def test_nor_long_after_their_last_onset_and_not_when_turned_off() -> None:
    assert _resumed(gap=35) == [(["checkout"], 2), (["checkout", "payment"], 3)]
    off = CorrelationOptions(continue_within=timedelta(0))
    alerts = [alert("payment", "HighErrorRate", 0, ends=6), alert("checkout", "HighErrorRate", 1),
              alert("checkout", "SLOBurnSlow", 13.5)]
    assert len(correlate(alerts, GRAPH, [], now=NOW, options=off).groups) == 2
    assert len(correlate(alerts, GRAPH, [], now=NOW).groups) == 1
