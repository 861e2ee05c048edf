"""The tools answer from live servers: demo catalog + real Alertmanager and Prometheus, via MCP.

A Prometheus of its own is started here, backfilled with service-graph traffic between demo
services (the shared one carries other names). Alerts go to the spare Alertmanager, which the
last test kills to see the failure reported while the other tools keep answering.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client

from opscontext.server import build_server
from opscontext.settings import Settings, load

from .servers import Server, binary, free_port, launch, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
# Caller, callee, requests/s. The first two are declared in the demo catalog as well; the
# third is traffic the catalog does not know about.
DEMO_TRAFFIC = (
    ("api-gateway", "checkout-service", 30.0),
    ("checkout-service", "payment-service", 10.0),
    ("payment-service", "feature-flags-service", 5.0),
)
# One incident down a declared chain: the payment deploy breaks checkout, the gateway follows.
INCIDENT = (
    ("PaymentErrorRateHigh", "payment-service", "critical", 9),
    ("CheckoutLatencyHigh", "checkout-service", "warning", 7),
    ("GatewayErrorsHigh", "api-gateway", "warning", 6),
)


def servicegraph_backfill(now: float) -> str:
    """OpenMetrics counters every 15 s over the last 30 minutes, rising at DEMO_TRAFFIC's rates."""
    lines = ["# TYPE traces_service_graph_request counter"]
    start = int(now) - 1800
    for step in range(121):
        ts = start + step * 15
        for caller, callee, rps in DEMO_TRAFFIC:
            labels = f'client="{caller}",server="{callee}"'
            lines.append(f"traces_service_graph_request_total{{{labels}}} {rps * step * 15} {ts}")
    return "\n".join([*lines, "# EOF", ""])


@pytest.fixture(scope="module")
def demo_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    exe, promtool = binary("prometheus"), binary("promtool")
    workdir = tmp_path_factory.mktemp("demo-prometheus")
    (workdir / "backfill.om").write_text(servicegraph_backfill(time.time() - 1))
    subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", "backfill.om", "data"],
        cwd=workdir,
        check=True,
        capture_output=True,
        timeout=60,
    )
    (workdir / "prometheus.yml").write_text("global:\n  evaluation_interval: 15s\n")
    port = free_port()
    argv = [
        exe,
        "--config.file=prometheus.yml",
        f"--storage.tsdb.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    server = launch("demo-prometheus", argv, port, workdir)
    yield server
    server.stop()


def post_incident(alertmanager: Server) -> None:
    now = datetime.now(UTC)
    body = [
        {
            "labels": {"alertname": name, "service": service, "severity": severity},
            "annotations": {"summary": f"{name} on {service}"},
            "startsAt": (now - timedelta(minutes=minutes_ago)).isoformat(),
        }
        for name, service, severity, minutes_ago in INCIDENT
    ]
    httpx.post(f"{alertmanager.url}/api/v2/alerts", json=body, timeout=5.0).raise_for_status()
    wait_for(
        lambda: len(httpx.get(f"{alertmanager.url}/api/v2/alerts", timeout=5.0).json()) >= len(INCIDENT),
        "Alertmanager to list the posted alerts",
    )


@pytest.fixture
def live_world(tmp_path: Path, spare_alertmanager: Server, demo_prometheus: Server) -> Settings:
    (tmp_path / "opscontext.toml").write_text(
        f"""
[world]
name = "live-demo"

[connectors.catalog]
type = "backstage"
path = "{DEMO / "catalog"}"

[connectors.am]
type = "alertmanager-api"
url = "{spare_alertmanager.url}"
max_retries = 0

[connectors.prom]
type = "prometheus"
url = "{demo_prometheus.url}"
max_retries = 0

[cache]
backend = "memory"

[cache.ttl]
alerts = 0  # ask the live server every time: a kill must show at once, not as stale data
""",
        encoding="utf-8",
    )
    return load(tmp_path / "opscontext.toml")


async def call(client: Client, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, args)
    assert not result.is_error, f"{tool} failed: {result.content}"
    data: dict[str, Any] | None = result.structured_content
    assert data is not None
    return data


def connect(settings: Settings) -> Client:
    return Client(build_server(settings))


async def test_correlation_and_blast_radius_come_from_the_live_servers(
    live_world: Settings, spare_alertmanager: Server
) -> None:
    post_incident(spare_alertmanager)
    async with connect(live_world) as client:
        correlated = await call(client, "correlate_alerts", {})
        blast = await call(client, "blast_radius", {"service": "payment-service"})
    assert {s["state"] for s in correlated["sources"] + blast["sources"]} == {"ok"}
    assert {(s["source"], s["capability"]) for s in correlated["sources"]} >= {("am", "alerts"), ("prom", "alerts")}
    [group] = [g for g in correlated["groups"] if "payment-service" in g["services"]]
    assert set(group["services"]) == {"payment-service", "checkout-service", "api-gateway"}
    assert group["primary_contributor"] == "payment-service"
    assert {a["alertname"] for a in group["alerts"]} == {name for name, *_ in INCIDENT}
    via = {i["service"]: i["via_provenance"] for i in blast["impacted"]}
    assert via["checkout-service"] == "both" and via["api-gateway"] == "both"
    drift = {(e["dependent"], e["dependency"]) for e in blast["observed_only_edges"]}
    assert drift == {("payment-service", "feature-flags-service")}
    assert next(s for s in blast["sources"] if s["source"] == "prom")["items"] == len(DEMO_TRAFFIC)


async def test_a_killed_alertmanager_is_reported_failed_while_the_other_tools_answer(
    live_world: Settings, spare_alertmanager: Server
) -> None:
    post_incident(spare_alertmanager)
    async with connect(live_world) as client:
        before = await call(client, "correlate_alerts", {})
        assert any("payment-service" in g["services"] for g in before["groups"])
        spare_alertmanager.process.kill()
        spare_alertmanager.process.wait(timeout=5)
        after = await call(client, "correlate_alerts", {})
        blast = await call(client, "blast_radius", {"service": "payment-service"})
        owner = await call(client, "who_owns", {"service": "payment-service"})
    [am] = [s for s in after["sources"] if s["source"] == "am"]
    assert am["state"] == "failed" and "cannot reach" in am["detail"] and spare_alertmanager.url in am["detail"]
    assert not any("payment-service" in g["services"] for g in after["groups"])
    assert any("am" in note and "failed" in note for note in after["notes"])
    assert {s["state"] for s in after["sources"] if s["source"] != "am"} == {"ok"}
    assert {s["state"] for s in blast["sources"]} == {"ok"}
    assert "checkout-service" in {i["service"] for i in blast["impacted"]}
    assert owner["owner"]["team"] == "payments"
    assert [s["state"] for s in owner["sources"] if s["source"] == "am"] == ["failed"]
