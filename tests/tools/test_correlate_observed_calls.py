"""A dependency missing from the catalog, read from an alert naming the service it called:
through the Backstage and Alertmanager file connectors, the hub and correlate_alerts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from opscontext.app import open_app
from opscontext.cache import MemoryCache
from opscontext.doctor import run_checks
from opscontext.queries.blast import blast
from opscontext.queries.correlate import correlate_alerts
from opscontext.settings import Settings

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 12, 6, 18, 0, tzinfo=UTC)
# checkout calls cart, but its catalog entry was never updated: it declares nothing.
CATALOG = "".join(
    f"---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{name: {name}}}\n"
    f"spec: {{type: service, lifecycle: production, owner: team-a}}\n" for name in ("checkout", "cart"))


def alert(fp: str, minute: int, labels: dict[str, str]) -> dict[str, object]:
    at = (NOW - timedelta(minutes=30 - minute)).isoformat().replace("+00:00", "Z")
    return {"labels": {"severity": "critical", **labels}, "annotations": {}, "startsAt": at, "endsAt": None,
            "updatedAt": at, "fingerprint": fp, "status": {"state": "active", "silencedBy": [], "inhibitedBy": []},
            "receivers": [{"name": "default"}]}


def settings(tmp_path: Path, checkout_labels: dict[str, str]) -> Settings:
    (tmp_path / "catalog.yaml").write_text(CATALOG)
    (tmp_path / "alerts.json").write_text(json.dumps([
        alert("fp-cart", 0, {"alertname": "SpanErrorRatioHigh", "service_name": "cart",
                             "span_name": "oteldemo.CartService/GetCart", "span_kind": "SPAN_KIND_SERVER"}),
        alert("fp-checkout", 1, {"alertname": "SpanClientErrorRatioHigh", "service_name": "checkout",
                                 "span_kind": "SPAN_KIND_CLIENT", **checkout_labels}),
    ]))
    return Settings(connectors={"catalog": {"type": "backstage", "path": "catalog.yaml"},
                                "alerts": {"type": "alertmanager", "path": "alerts.json"}}, base_dir=tmp_path)


async def test_a_client_alert_naming_its_callee_joins_the_callee_s_incident(tmp_path: Path) -> None:
    async with open_app(settings(tmp_path, {"peer_service": "cart"}), cache=MemoryCache(), clock=lambda: NOW) as app:
        answer = await correlate_alerts(app)
        radius = await blast(app, "cart")
    (group,) = answer.groups
    assert group.primary_contributor == "cart"
    assert sorted(group.services) == ["cart", "checkout"]
    assert "(checkout -> cart) and used as if declared" in answer.explanation
    assert radius.impacted_total == 0  # the catalog itself is left as its source says


async def test_without_such_a_label_the_two_stay_apart(tmp_path: Path) -> None:
    async with open_app(settings(tmp_path, {}), cache=MemoryCache(), clock=lambda: NOW) as app:
        answer = await correlate_alerts(app)
    assert len(answer.groups) == 2
    assert "catalog lacks" not in answer.explanation


async def test_doctor_names_the_calls_the_catalog_does_not_declare(tmp_path: Path) -> None:
    async with open_app(settings(tmp_path, {"peer_service": "cart"}), cache=MemoryCache(), clock=lambda: NOW) as app:
        results = await run_checks(app)
    (row,) = [r for r in results if r.type == "dependencies"]
    assert row.ok  # advisory: doctor still exits 0
    assert row.detail.startswith(
        "the alerts of the last 2 h name 1 call the catalog does not declare: checkout -> cart.")
    assert "dependsOn" in row.detail


async def test_doctor_says_nothing_of_dependencies_when_no_alert_names_a_call(tmp_path: Path) -> None:
    async with open_app(settings(tmp_path, {}), cache=MemoryCache(), clock=lambda: NOW) as app:
        results = await run_checks(app)
    assert not [r for r in results if r.type == "dependencies"]
    assert [r for r in results if r.type == "identity"]


async def test_doctor_counts_the_named_calls_the_catalog_declares(tmp_path: Path) -> None:
    s = settings(tmp_path, {"peer_service": "cart"})
    (tmp_path / "catalog.yaml").write_text(CATALOG.replace(
        "metadata: {name: checkout}\nspec: {type: service, lifecycle: production, owner: team-a}",
        "metadata: {name: checkout}\nspec: {type: service, lifecycle: production, owner: team-a, "
        "dependsOn: ['component:default/cart']}"))
    async with open_app(s, cache=MemoryCache(), clock=lambda: NOW) as app:
        results = await run_checks(app)
    (row,) = [r for r in results if r.type == "dependencies"]
    assert row.detail == "the 1 call the alerts of the last 2 h name is a dependency the catalog declares"


async def test_a_service_graph_edge_alert_names_the_quiet_datastore_it_failed_to_reach(tmp_path: Path) -> None:
    # the OpenTelemetry service graph connector's metrics carry client and server, not service
    (tmp_path / "catalog.yaml").write_text(CATALOG + (
        "---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: valkey-cart}\n"
        "spec: {type: database, lifecycle: production, owner: team-a}\n"))
    edge = {"alertname": "ServiceGraphRequestsFailing", "client": "cart", "server": "valkey-cart",
            "job": "otel-collector", "connection_type": "database"}
    (tmp_path / "alerts.json").write_text(json.dumps([
        alert("fp-edge", 0, edge),
        alert("fp-cart", 1, {"alertname": "SpanErrorRatioHigh", "service_name": "cart"}),
    ]))
    s = Settings(connectors={"catalog": {"type": "backstage", "path": "catalog.yaml"},
                             "alerts": {"type": "alertmanager", "path": "alerts.json"}}, base_dir=tmp_path)
    async with open_app(s, cache=MemoryCache(), clock=lambda: NOW) as app:
        answer = await correlate_alerts(app)
    (group,) = answer.groups
    assert group.services == ["cart"]  # the edge alert is cart's: it is the side that saw the failures
    top = group.candidates[0]
    assert (top.service, top.alerting) == ("valkey-cart", False)
    assert "server=valkey-cart" in top.evidence[0]
    assert "(cart -> valkey-cart) and used as if declared" in answer.explanation


async def test_the_background_load_prepares_the_graph_with_the_calls_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from opscontext.engine.correlation import onsets
    from opscontext.engine.correlation.observed import with_observed

    async with open_app(settings(tmp_path, {"peer_service": "cart"}), cache=MemoryCache(), clock=lambda: NOW,
                        preload=True) as app:
        assert app.loading is not None
        await app.loading
        world = app.worlds.current()
        assert world is not None
        augmented = with_observed(world.graph, (("checkout", "cart"),))
        assert augmented in onsets._BASE
        made: list[object] = []
        real_make = onsets._make
        monkeypatch.setattr(onsets, "_make", lambda *a, **k: made.append(a) or real_make(*a, **k))
        answer = await correlate_alerts(app)
        assert made == []  # the first call found its onsets worked out
    (group,) = answer.groups
    assert group.primary_contributor == "cart"
