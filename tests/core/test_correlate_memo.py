"""The last correlation is reused only for the very same inputs, and only one is kept per graph."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from opscontext.engine.correlate import correlate
from opscontext.engine.correlation.models import Correlation, CorrelationOptions
from opscontext.engine.graph import ServiceGraph
from opscontext.models import Alert, Change, DependencyEdge, Service
from opscontext.queries import correlate_memo
from opscontext.queries.correlate_memo import memoised

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
OPTIONS = CorrelationOptions()
GRAPH = ServiceGraph.build([Service(name="web"), Service(name="db")],
                           [DependencyEdge(dependent="web", dependency="db")])


def _alerts() -> list[Alert]:
    return [Alert(fingerprint=f"f{i}", alertname="Down", service=s, severity="critical",
                  starts_at=NOW - timedelta(minutes=10 - i)) for i, s in enumerate(["db", "web", "web"])]


class Counting:
    """The engine run, counted: how often the memo let it through."""

    def __init__(self, alerts: list[Alert], changes: list[Change], now: datetime = NOW):
        self.calls = 0
        self.args = (alerts, changes, now)

    def __call__(self) -> Correlation:
        self.calls += 1
        alerts, changes, now = self.args
        return correlate(alerts, GRAPH, changes, now=now, options=OPTIONS)


def _ask(run: Counting) -> Correlation:
    alerts, changes, now = run.args
    return memoised(run, alerts, GRAPH, changes, now, OPTIONS)


def test_the_same_alert_objects_again_reuse_the_last_correlation() -> None:
    alerts: list[Alert] = _alerts()
    first = Counting(alerts, [])
    again = Counting(list(alerts), [])  # a new list of the same objects, as each call's window makes
    result = _ask(first)
    assert _ask(again) is result and again.calls == 0
    assert result.groups and result == correlate(alerts, GRAPH, [], now=NOW, options=OPTIONS)


def test_equal_but_new_alerts_a_new_now_or_new_changes_are_correlated_again() -> None:
    alerts = _alerts()
    deploy = Change(id="c1", service="db", kind="deploy", summary="deploy db", at=NOW - timedelta(minutes=12))
    _ask(Counting(alerts, []))
    for run in (Counting(_alerts(), []), Counting(alerts, [], NOW + timedelta(seconds=1)), Counting(alerts, [deploy])):
        _ask(run)
        assert run.calls == 1


def test_only_the_last_correlation_of_a_graph_is_kept() -> None:
    _ask(Counting(_alerts(), []))
    _ask(Counting(_alerts(), []))
    assert len([g for g in correlate_memo._LAST if g is GRAPH]) == 1
    assert correlate_memo._LAST[GRAPH].result is not None
