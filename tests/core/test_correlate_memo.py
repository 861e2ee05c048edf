"""The last correlation is reused only for the very same inputs, and only one is kept per graph."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from opscontext.app import open_app
from opscontext.cache import MemoryCache
from opscontext.engine.correlate import correlate
from opscontext.engine.correlation.models import Correlation, CorrelationOptions
from opscontext.engine.graph import ServiceGraph
from opscontext.models import Alert, Change, DependencyEdge, Service
from opscontext.queries import correlate_memo
from opscontext.queries.correlate import correlate_alerts
from opscontext.queries.correlate_memo import memoised
from opscontext.settings import Settings

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
    return memoised(run, alerts, GRAPH, changes, now, OPTIONS, Correlation)


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


CATALOG = """apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: web}
spec: {type: service, lifecycle: production, owner: team-a, dependsOn: ['component:default/db']}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: db}
spec: {type: service, lifecycle: production, owner: team-a}
"""


def _am(i: int, service: str, minute: int) -> dict[str, object]:
    at = (NOW - timedelta(minutes=minute)).isoformat().replace("+00:00", "Z")
    return {"labels": {"alertname": "Down", "service": service, "severity": "critical"}, "annotations": {},
            "startsAt": at, "endsAt": (NOW + timedelta(minutes=5)).isoformat().replace("+00:00", "Z"),
            "updatedAt": at, "fingerprint": f"{i:016x}", "receivers": [{"name": "oncall"}],
            "status": {"state": "active", "silencedBy": [], "inhibitedBy": []}}


@pytest.mark.anyio
async def test_asking_the_same_window_of_unchanged_files_again_reuses_the_correlation(tmp_path: Path) -> None:
    (tmp_path / "catalog.yaml").write_text(CATALOG, encoding="utf-8")
    alerts = [_am(0, "db", 12), _am(1, "web", 10), _am(2, "web", 9)]
    (tmp_path / "alerts.json").write_text(json.dumps(alerts), encoding="utf-8")
    settings = Settings(connectors={"catalog": {"type": "backstage", "path": "catalog.yaml"},
                                    "alerts": {"type": "alertmanager", "path": "alerts.json"}}, base_dir=tmp_path)
    since, until = (NOW - timedelta(hours=1)).isoformat(), NOW.isoformat()
    async with open_app(settings, cache=MemoryCache(), clock=lambda: NOW) as app:
        first = await correlate_alerts(app, since, until, budget=2000)
        graph = (await app.worlds.build()).graph
        kept = correlate_memo._LAST[graph].result
        second = await correlate_alerts(app, since, until, budget=2000)
        assert correlate_memo._LAST[graph].result is kept
        assert second.model_dump_json() == first.model_dump_json() and first.groups
        (tmp_path / "alerts.json").write_text(json.dumps(alerts[:2]), encoding="utf-8")  # the files change
        third = await correlate_alerts(app, since, until, budget=2000)
        assert correlate_memo._LAST[graph].result is not kept and third.alerts_in == 2
