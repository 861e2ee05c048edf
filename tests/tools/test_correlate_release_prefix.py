"""Alerts that name their service the way Kubernetes and OpenTelemetry pipelines do (a Helm
release's workload names, ``namespace/name`` jobs behind a collector scrape): through the Backstage
and Alertmanager file connectors, the hub and correlate_alerts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from opscontext.app import open_app
from opscontext.cache import MemoryCache
from opscontext.doctor import run_checks
from opscontext.queries.correlate import correlate_alerts
from opscontext.settings import Settings

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
DEPENDS = {"frontend": ["checkout"], "checkout": ["cart"], "cart": [], "payment": []}
CATALOG = "".join(
    f"---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{name: {name}}}\n"
    f"spec: {{type: service, lifecycle: production, owner: team-a, "
    f"dependsOn: [{', '.join('component:' + d for d in deps)}]}}\n" for name, deps in DEPENDS.items())


def alert(fp: str, minute: int, labels: dict[str, str]) -> dict[str, object]:
    at = (NOW - timedelta(minutes=30 - minute)).isoformat().replace("+00:00", "Z")
    return {"labels": {"severity": "critical", **labels}, "annotations": {}, "startsAt": at, "endsAt": None,
            "updatedAt": at, "fingerprint": fp, "status": {"state": "active", "silencedBy": [], "inhibitedBy": []},
            "receivers": [{"name": "default"}]}


# kube-state-metrics names only the pod (its own job names the exporter); the OpenTelemetry
# collector, scraped by Prometheus, leaves the service's job as exported_job.
ALERTS = [
    alert("fp-cart", 0, {"alertname": "KubePodCrashLooping", "job": "kube-state-metrics", "namespace": "otel-demo",
                         "pod": "my-otel-demo-cart-6c8f9b7d54-x2kqz"}),
    alert("fp-checkout", 1, {"alertname": "HighErrorRate", "job": "otel-collector",
                             "exported_job": "opentelemetry-demo/checkout"}),
    alert("fp-frontend", 2, {"alertname": "KubeContainerWaiting", "job": "kube-state-metrics",
                             "pod": "my-otel-demo-frontend-5d8c9f7b6-qwz2x"}),
    alert("fp-payment", 10, {"alertname": "KubeDeploymentReplicasMismatch", "job": "kube-state-metrics",
                             "deployment": "my-otel-demo-payment", "severity": "warning"}),
]


def settings(tmp_path: Path, alerts: list[dict[str, object]]) -> Settings:
    (tmp_path / "catalog.yaml").write_text(CATALOG)
    (tmp_path / "alerts.json").write_text(json.dumps(alerts))
    return Settings(connectors={"catalog": {"type": "backstage", "path": "catalog.yaml"},
                                "alerts": {"type": "alertmanager", "path": "alerts.json"}}, base_dir=tmp_path)


async def test_workloads_named_after_a_helm_release_land_on_their_catalog_services(tmp_path: Path) -> None:
    async with open_app(settings(tmp_path, ALERTS), cache=MemoryCache(), clock=lambda: NOW) as app:
        answer = await correlate_alerts(app)
        again = await correlate_alerts(app)  # the prefix is kept: the second call needs no relearning
    group, lone = answer.groups  # payment's warning, ten minutes on, is a lone warning listed last
    assert group.primary_contributor == "cart" and not group.lone_warning
    assert sorted(group.services) == ["cart", "checkout", "frontend"]
    assert lone.lone_warning and lone.services == ["payment"]
    assert answer.ungrouped.get("no_service", 0) == 0
    assert not any("name no service" in n for n in answer.notes)
    assert [g.services for g in again.groups] == [group.services, ["payment"]]
    assert any(n.startswith("3 alerts named their service only by a workload name read without the release "
                            "prefix 'my-otel-demo-'") for n in answer.notes)


async def test_the_prefix_note_appears_only_when_an_alert_of_the_window_needed_the_prefix(tmp_path: Path) -> None:
    def ended(a: dict[str, object], minute: int) -> dict[str, object]:
        return {**a, "endsAt": (NOW - timedelta(minutes=30 - minute)).isoformat().replace("+00:00", "Z")}

    # The release's pods alert and resolve first; later checkout alerts by exported_job alone.
    alerts = [ended(ALERTS[0], 3), ended(ALERTS[2], 4), ended(ALERTS[3], 12),
              alert("fp-checkout-late", 20, {"alertname": "HighErrorRate", "job": "otel-collector",
                                             "exported_job": "opentelemetry-demo/checkout"})]
    async with open_app(settings(tmp_path, alerts), cache=MemoryCache(), clock=lambda: NOW) as app:
        learnt = await correlate_alerts(app)
        later = await correlate_alerts(app, since=(NOW - timedelta(minutes=15)).isoformat())
    assert learnt.alerts_in == 4
    assert any(n.startswith("3 alerts named their service only by a workload name") for n in learnt.notes)
    assert later.alerts_in == 1
    assert later.ungrouped.get("no_service", 0) == 0
    assert not any("release prefix" in n for n in later.notes)


async def test_one_word_before_two_workloads_is_not_enough_to_strip_it(tmp_path: Path) -> None:
    # Only cart and frontend carry the prefix, of one word: it could be a word of their own names.
    alerts = [{**a, "labels": {k: v.replace("my-otel-demo-", "demo-") for k, v in a["labels"].items()}}
              for a in (ALERTS[0], ALERTS[2])]
    async with open_app(settings(tmp_path, alerts), cache=MemoryCache(), clock=lambda: NOW) as app:
        answer = await correlate_alerts(app)
    assert answer.groups == []
    note = next(n for n in answer.notes if "name no service" in n)
    assert note.startswith("2 of 2 alerts name no service in the catalog or graph")
    assert not any("release prefix" in n for n in answer.notes)


async def test_doctor_counts_release_prefixed_alerts_as_attributed(tmp_path: Path) -> None:
    async with open_app(settings(tmp_path, ALERTS), cache=MemoryCache(), clock=lambda: NOW) as app:
        results = await run_checks(app)
    (row,) = [r for r in results if r.type == "identity"]
    assert row.detail == ("all 4 alerts of the last 2 h name a service in the catalog or graph; "
                          "workload names read without the release prefix 'my-otel-demo-'")


async def test_a_resolved_alert_s_pod_teaches_the_prefix_a_lone_workload_needs(tmp_path: Path) -> None:
    # frontend's alert names it by service_name and by its pod; payment's names only its Deployment
    alerts = [
        alert("fp-frontend", 0, {"alertname": "HighErrorRate", "service_name": "frontend",
                                 "pod": "my-otel-demo-frontend-5d8c9f7b6-qwz2x"}),
        alert("fp-payment", 1, {"alertname": "KubeDeploymentReplicasMismatch", "job": "kube-state-metrics",
                                "deployment": "my-otel-demo-payment"}),
    ]
    async with open_app(settings(tmp_path, alerts), cache=MemoryCache(), clock=lambda: NOW) as app:
        answer = await correlate_alerts(app)
    assert answer.ungrouped.get("no_service", 0) == 0
    assert not any("name no service" in n for n in answer.notes)
