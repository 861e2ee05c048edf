"""Which service an alert is about, through the Alertmanager file connector and the hub: a pod's
owner when only a pod is named, and a note naming what could not be attributed."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from opscontext.app import open_app
from opscontext.cache import MemoryCache
from opscontext.doctor import run_checks
from opscontext.models import SourceState
from opscontext.queries.correlate import correlate_alerts
from opscontext.settings import Settings

pytestmark = pytest.mark.anyio
Factory = Callable[[list[dict[str, object]]], Settings]  # the checkout_payment fixture (conftest)
NOW = datetime(2026, 12, 6, 18, 0, tzinfo=UTC)


def stamp(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def alert(fp: str, minute: int, labels: dict[str, str]) -> dict[str, object]:
    at = stamp(NOW - timedelta(minutes=30 - minute))
    return {"labels": {"severity": "critical", **labels}, "annotations": {}, "startsAt": at, "endsAt": None,
            "updatedAt": at, "fingerprint": fp, "status": {"state": "active", "silencedBy": [], "inhibitedBy": []},
            "receivers": [{"name": "default"}]}




async def test_a_crashlooping_pod_is_its_deployments_alert(checkout_payment: Factory) -> None:
    settings = checkout_payment([
        # what kube-prometheus' rule carries: the scrape job and service of kube-state-metrics
        alert("fp-crash", 0, {"alertname": "KubePodCrashLooping", "job": "kube-state-metrics",
                              "service": "prometheus-kube-state-metrics", "namespace": "shop",
                              "pod": "payment-6c7d9b8f5d-k2x7q", "reason": "CrashLoopBackOff"}),
        alert("fp-errors", 2, {"alertname": "HighErrorRate", "service": "checkout"}),
    ])
    async with open_app(settings, cache=MemoryCache(), clock=lambda: NOW) as app:
        answer = await correlate_alerts(app)
    assert answer.alerts_in == 2
    (group,) = answer.groups
    assert group.primary_contributor == "payment"
    assert group.services == ["checkout", "payment"]
    assert "no_service" not in answer.ungrouped
    assert not [n for n in answer.notes if "name no service" in n]


async def test_alerts_naming_no_known_service_are_counted_by_what_they_do_name(checkout_payment: Factory) -> None:
    unknown = [alert(f"fp-legacy-{i}", i, {"alertname": "HighErrorRate", "app": "legacy-billing"}) for i in range(3)]
    unknown.append(alert("fp-exporter", 1, {"alertname": "TargetDown", "job": "node-exporter"}))
    unknown.append(alert("fp-bare", 1, {"alertname": "Watchdog"}))
    settings = checkout_payment([*unknown, alert("fp-errors", 2, {"alertname": "HighErrorRate",
                                                                         "service": "checkout"})])
    async with open_app(settings, cache=MemoryCache(), clock=lambda: NOW) as app:
        answer = await correlate_alerts(app)
    assert answer.alerts_in == 6
    (note,) = [n for n in answer.notes if "name no service" in n]
    assert note.startswith("5 of 6 alerts name no service in the catalog or graph")
    assert "app='legacy-billing' (3); job='node-exporter' (1); 1 carrying none of the labels service, app" in note
    assert "[identity] service_labels" in note


async def test_doctor_names_unattributed_alerts_without_failing(checkout_payment: Factory) -> None:
    settings = checkout_payment([alert("fp-legacy", 0, {"alertname": "HighErrorRate", "app": "legacy-billing"}),
                                 alert("fp-errors", 2, {"alertname": "HighErrorRate", "service": "checkout"})])
    async with open_app(settings, cache=MemoryCache(), clock=lambda: NOW) as app:
        results = await run_checks(app)
    (identity,) = [r for r in results if r.type == "identity"]
    assert identity.ok and identity.state is SourceState.OK  # advisory: doctor still exits 0
    assert identity.detail.startswith("1 of 2 alerts name no service in the catalog or graph")
    assert "app='legacy-billing' (1)" in identity.detail


async def test_doctor_checks_attribution_only_with_alerts_and_a_catalog_that_answered(tmp_path: Path) -> None:
    (tmp_path / "alerts.json").write_text(json.dumps([alert("fp", 0, {"alertname": "X", "app": "a"})]))
    settings = Settings(connectors={"alerts": {"type": "alertmanager", "path": "alerts.json"}}, base_dir=tmp_path)
    async with open_app(settings, cache=MemoryCache(), clock=lambda: NOW) as app:
        results = await run_checks(app)
    assert [r.instance for r in results] == ["alerts"]
