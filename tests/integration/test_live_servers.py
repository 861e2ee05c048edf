"""The Prometheus and Alertmanager connectors against real servers on loopback."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from opscontext.errors import SourceDataError, SourceUnavailableError
from opscontext.models import AlertState, EdgeProvenance, TimeWindow
from opscontext.registry import ConnectorContext, build_http_client
from opscontext_connectors.alertmanager import AlertmanagerApi, AlertmanagerFile
from opscontext_connectors.alertmanager.config import AlertmanagerApiConfig, AlertmanagerFileConfig
from opscontext_connectors.alertmanager.labels import fingerprint
from opscontext_connectors.prometheus import Prometheus, PrometheusConfig

from .servers import RULE_LABELS, TRAFFIC, Server, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.anyio]


def window() -> TimeWindow:
    now = datetime.now(UTC)
    return TimeWindow(since=now - timedelta(hours=1), until=now + timedelta(minutes=5))


def am_alerts(server: Server, **params: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{server.url}/api/v2/alerts", params=params, timeout=5.0)
    answer.raise_for_status()
    return list(answer.json())


def post_alerts(server: Server, *label_sets: dict[str, str]) -> None:
    starts = (datetime.now(UTC) - timedelta(minutes=2)).isoformat()
    body = [
        {
            "labels": labels,
            "annotations": {"summary": f"{labels['alertname']} test"},
            "startsAt": starts,
        }
        for labels in label_sets
    ]
    httpx.post(f"{server.url}/api/v2/alerts", json=body, timeout=5.0).raise_for_status()


def create_silence(server: Server, silence: dict[str, Any]) -> None:
    httpx.post(f"{server.url}/api/v2/silences", json=silence, timeout=5.0).raise_for_status()


@pytest.fixture
async def am_api(alertmanager: Server) -> AsyncIterator[AlertmanagerApi]:
    config = AlertmanagerApiConfig.model_validate(
        {"type": "alertmanager-api", "url": alertmanager.url, "max_retries": 0}
    )
    http = build_http_client(config)
    yield AlertmanagerApi(ConnectorContext(name="am-live", config=config, http=http))
    await http.aclose()


@pytest.fixture
async def prom(prometheus: Server) -> AsyncIterator[Prometheus]:
    config = PrometheusConfig.model_validate(
        {"type": "prometheus", "url": prometheus.url, "max_retries": 0}
    )
    http = build_http_client(config)
    yield Prometheus(ConnectorContext(name="prom-live", config=config, http=http))
    await http.aclose()


async def test_prometheus_rule_alert_comes_back_with_labels_mapped(
    prometheus: Server, prom: Prometheus
) -> None:
    wait_for(
        lambda: "firing" in httpx.get(f"{prometheus.url}/api/v1/alerts", timeout=5.0).text,
        "the alerting rule to fire",
    )
    [alert] = await prom.alerts(window())
    assert alert.alertname == "CheckoutErrorBudgetBurn"
    assert (alert.service, alert.severity, alert.state) == (
        "checkout",
        "critical",
        AlertState.ACTIVE,
    )
    assert alert.summary == "checkout is burning its error budget"
    assert alert.labels == {"alertname": "CheckoutErrorBudgetBurn", **RULE_LABELS}


async def test_prometheus_fingerprint_equals_the_one_alertmanager_gives_the_same_alert(
    alertmanager: Server, prometheus: Server, prom: Prometheus, am_api: AlertmanagerApi
) -> None:
    forwarded = {"filter": "alertname=CheckoutErrorBudgetBurn"}
    wait_for(lambda: bool(am_alerts(alertmanager, **forwarded)), "Prometheus to deliver the alert")
    [from_prometheus] = await prom.alerts(window())
    from_alertmanager = [
        a for a in await am_api.alerts(window()) if a.alertname == from_prometheus.alertname
    ]
    assert [a.fingerprint for a in from_alertmanager] == [from_prometheus.fingerprint]


async def test_alertmanager_fingerprints_of_posted_alerts_equal_ours(
    alertmanager: Server, am_api: AlertmanagerApi
) -> None:
    labels = {
        "alertname": "LedgerQueueBacklog",
        "app": "ledger-worker",
        "severity": "warning",
        "zone": "ü-1",
    }
    post_alerts(alertmanager, labels)
    alerts = {a.alertname: a for a in await am_api.alerts(window())}
    backlog = alerts["LedgerQueueBacklog"]
    assert backlog.fingerprint == fingerprint(labels)
    assert (backlog.service, backlog.severity, backlog.summary) == (
        "ledger-worker",
        "warning",
        "LedgerQueueBacklog test",
    )
    assert backlog.state is AlertState.ACTIVE and backlog.ends_at is not None


async def test_a_silenced_alert_is_reported_suppressed(
    alertmanager: Server, am_api: AlertmanagerApi
) -> None:
    labels = {"alertname": "SearchIndexStale", "service": "search", "severity": "warning"}
    post_alerts(alertmanager, labels)
    now = datetime.now(UTC)
    silence = {
        "matchers": [{"name": "alertname", "value": "SearchIndexStale", "isRegex": False}],
        "startsAt": now.isoformat(),
        "endsAt": (now + timedelta(hours=1)).isoformat(),
        "createdBy": "opscontext-it",
        "comment": "integration test",
    }
    create_silence(alertmanager, silence)
    wait_for(
        lambda: any(
            a["status"]["state"] == "suppressed"
            for a in am_alerts(alertmanager, filter="alertname=SearchIndexStale")
        ),
        "the silence to apply",
    )
    [alert] = [a for a in await am_api.alerts(window()) if a.alertname == "SearchIndexStale"]
    assert alert.state is AlertState.SUPPRESSED and alert.service == "search"


async def test_groups_come_from_alertmanagers_own_grouping(
    alertmanager: Server, am_api: AlertmanagerApi
) -> None:
    post_alerts(alertmanager, {"alertname": "CartSlow", "service": "cart", "severity": "info"})
    groups = await am_api.groups()
    assert all(g.receiver == "null" for g in groups)
    assert "CartSlow" in {a.alertname for g in groups for a in g.alerts}


async def test_a_saved_api_answer_reads_the_same_through_the_file_connector(
    alertmanager: Server, am_api: AlertmanagerApi, tmp_path: Path
) -> None:
    post_alerts(alertmanager, {"alertname": "SnapshotMe", "service": "orders", "severity": "info"})
    (tmp_path / "snapshot.json").write_text(json.dumps(am_alerts(alertmanager)))
    config = AlertmanagerFileConfig(type="alertmanager", path=tmp_path)
    from_file = await AlertmanagerFile(ConnectorContext(name="am-file", config=config)).alerts(
        window()
    )
    from_api = await am_api.alerts(window())
    assert {(a.fingerprint, a.starts_at, a.state) for a in from_file} == {
        (a.fingerprint, a.starts_at, a.state) for a in from_api
    }
    assert "SnapshotMe" in {a.alertname for a in from_file}


async def test_observed_edges_carry_the_backfilled_rates(prom: Prometheus) -> None:
    edges = {(e.dependent, e.dependency): e for e in await prom.edges()}
    expected = {(caller, callee): (rps, eps) for caller, callee, rps, eps in TRAFFIC if rps > 0}
    assert set(edges) == set(expected)
    # rate() extrapolates less the longer ago the last backfilled sample is, shrinking every
    # rate by one common factor; error ratios and rate ratios are exact whatever the delay.
    first = next(iter(expected))
    for pair, (rps, eps) in expected.items():
        edge = edges[pair]
        assert edge.provenance is EdgeProvenance.OBSERVED and edge.kind == "calls"
        assert edge.request_rate == pytest.approx(rps, rel=0.2)
        assert edge.error_rate == pytest.approx(eps / rps, rel=1e-6, abs=1e-12)
        ratio = (edge.request_rate or 0) / (edges[first].request_rate or 1)
        assert ratio == pytest.approx(rps / expected[first][0], rel=1e-6)


async def test_invalid_promql_is_a_data_error(prometheus: Server) -> None:
    config = PrometheusConfig.model_validate(
        {
            "type": "prometheus",
            "url": prometheus.url,
            "max_retries": 0,
            "requests_query": "sum by (client, (rate(x[5m]))",
        }
    )
    async with build_http_client(config) as http:
        with pytest.raises(SourceDataError, match="400"):
            await Prometheus(ConnectorContext(name="prom-live", config=config, http=http)).edges()


async def test_checks_report_what_runs(prom: Prometheus, am_api: AlertmanagerApi) -> None:
    assert (await prom.check()).startswith("Prometheus 2.")
    assert "cluster disabled" in await am_api.check()


async def test_a_killed_server_becomes_unavailable(spare_alertmanager: Server) -> None:
    config = AlertmanagerApiConfig.model_validate(
        {"type": "alertmanager-api", "url": spare_alertmanager.url, "max_retries": 0}
    )
    async with build_http_client(config) as http:
        connector = AlertmanagerApi(ConnectorContext(name="am-killed", config=config, http=http))
        assert "Alertmanager" in await connector.check()
        spare_alertmanager.process.kill()
        spare_alertmanager.process.wait(timeout=5)
        with pytest.raises(SourceUnavailableError, match="cannot reach") as info:
            await connector.alerts(window())
    assert info.value.instance == "am-killed"
