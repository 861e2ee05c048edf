"""blast_radius through a real MCP client: live health from a Prometheus (respx) beside the demo
catalog, and a Prometheus answering 503 that must leave the blast radius intact."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from mcp import Client
from rich.console import Console

from opscontext.queries.blast import BlastRadiusAnswer
from opscontext.render import render_blast
from opscontext.settings import Settings, load

pytestmark = pytest.mark.anyio

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
RECORDED = Path(__file__).resolve().parents[2] / "fixtures" / "http" / "prometheus"
URL = "https://prometheus.example.com"


def recorded(request: httpx.Request) -> httpx.Response:
    query = request.url.params["query"]
    if "5.." in query:
        name = "health_error_rate.json"
    elif "histogram_quantile" in query:
        name = "health_latency_p99.json"
    else:
        name = "health_request_rate.json"
    return httpx.Response(200, json=json.loads((RECORDED / name).read_text()))


@pytest.fixture
def world(tmp_path: Path) -> Settings:
    (tmp_path / "opscontext.toml").write_text(
        f"""
[world]
name = "health-test"

[connectors.catalog]
type = "backstage"
path = "{DEMO / "catalog"}"

[connectors.prom]
type = "prometheus"
url = "{URL}"
max_retries = 0
topology = false  # the declared demo graph only: these tests are about health

[cache]
backend = "memory"
""",
        encoding="utf-8",
    )
    return load(tmp_path / "opscontext.toml")


@pytest.fixture
def prometheus() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=URL, assert_all_called=False) as router:
        yield router


async def blast(client: Client, service: str) -> dict[str, Any]:
    result = await client.call_tool("blast_radius", {"service": service})
    assert not result.is_error, result.content
    data: dict[str, Any] | None = result.structured_content
    assert data is not None
    return data


def health_status(answer: dict[str, Any]) -> dict[str, Any]:
    statuses: list[dict[str, Any]] = [s for s in answer["sources"] if s["capability"] == "health"]
    assert len(statuses) == 1
    return statuses[0]


async def test_health_of_the_failing_service_and_its_neighbours_is_in_the_answer(
    world: Settings, prometheus: respx.MockRouter, client_for: Callable[[Settings], Client]
) -> None:
    route = prometheus.get("/api/v1/query").mock(side_effect=recorded)
    async with client_for(world) as client:
        answer = await blast(client, "Payment Service")
    health = answer["health"]
    assert health[0]["service"] == "payment-service", "the failing service comes first"
    assert health[0]["error_rate"] == pytest.approx(0.418235, rel=1e-5)
    by_name = {h["service"]: h for h in health}
    assert by_name["checkout-service"]["latency_p99_seconds"] == pytest.approx(3.1241)
    assert by_name["refund-worker"]["request_rate"] == 0.0 and by_name["refund-worker"]["error_rate"] is None
    assert health_status(answer)["state"] == "ok"
    assert route.call_count == 3, "one query per metric, not one per service"
    matcher = re.search(r'job=~"([^"]*)"', route.calls[0].request.url.params["query"])
    assert matcher is not None
    neighbours = {i["service"] for i in answer["impacted"]} | {d["service"] for d in answer["depends_on"]}
    assert set(matcher.group(1).split("|")) == neighbours | {"payment-service"}


async def test_a_prometheus_answering_503_leaves_the_blast_radius_intact(
    world: Settings,
    prometheus: respx.MockRouter,
    client_for: Callable[[Settings], Client],
    demo_settings: Settings,
) -> None:
    prometheus.get("/api/v1/query").respond(503, text="upstream connect error")
    async with client_for(world) as client:
        answer = await blast(client, "payment-service")
    async with client_for(demo_settings) as client:
        healthy = await blast(client, "payment-service")
    assert answer["health"] == []
    assert answer["impacted"] == healthy["impacted"] and answer["depends_on"] == healthy["depends_on"]
    status = health_status(answer)
    assert (status["source"], status["state"]) == ("prom", "failed")
    assert "503" in status["detail"]
    assert any("prom" in note and "health" in note for note in answer["notes"])


async def test_without_a_health_source_the_answer_has_no_health_and_no_health_status(demo: Client) -> None:
    answer = await blast(demo, "payment-service")
    assert answer["health"] == []
    assert all(s["capability"] != "health" for s in answer["sources"])


async def test_the_terminal_view_prints_one_health_line_per_service(
    world: Settings, prometheus: respx.MockRouter, client_for: Callable[[Settings], Client]
) -> None:
    prometheus.get("/api/v1/query").mock(side_effect=recorded)
    async with client_for(world) as client:
        answer = BlastRadiusAnswer.model_validate(await blast(client, "payment-service"))
    console = Console(record=True, width=200)
    render_blast(answer, console)
    lines = [line for line in console.export_text().splitlines() if line.startswith("health: ")]
    assert lines[0] == "health: payment-service: errors 41.8%, p99 2.87 s, 41.6 req/s (prom)"
    assert "health: refund-worker: errors n/a, p99 n/a, 0 req/s (prom)" in lines
    assert len(lines) == len(answer.health)
