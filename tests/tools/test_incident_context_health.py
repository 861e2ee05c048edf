"""incident_context's user impact from a health source: the demo world without its SLOs plus a
Prometheus (respx, recorded answers) for error rates and latency, and the same Prometheus
answering 503."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from mcp import Client

from opscontext.cache import MemoryCache
from opscontext.server import build_server
from opscontext.settings import load

pytestmark = pytest.mark.anyio
DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
RECORDED = Path(__file__).resolve().parents[2] / "fixtures" / "http" / "prometheus"
URL = "https://prometheus.example.com"
ANCHOR = datetime.fromisoformat("2026-03-10T14:00:00+00:00")


def recorded(request: httpx.Request) -> httpx.Response:
    query = request.url.params["query"]
    name = "health_error_rate.json" if "5.." in query else (
        "health_latency_p99.json" if "histogram_quantile" in query else "health_request_rate.json"
    )
    return httpx.Response(200, json=json.loads((RECORDED / name).read_text()))


@pytest.fixture
def prometheus() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=URL, assert_all_called=False) as router:
        router.get("/api/v1/alerts").respond(json={"status": "success", "data": {"alerts": []}})
        yield router


@pytest.fixture
async def with_health(tmp_path: Path) -> AsyncIterator[Client]:
    demo = (DEMO / "opscontext.toml").read_text()
    # Without the demo's SLOs, so that impact stands on live health (SLO burn would come first).
    demo = re.sub(r"^\[connectors\.(slos|metrics)\]\n[^\[]*", "", demo, flags=re.M)
    demo = re.sub(r'^path = "([^"]+)"', lambda m: f'path = "{DEMO / m.group(1)}"', demo, flags=re.M)
    demo += f'\n[connectors.prom]\ntype = "prometheus"\nurl = "{URL}"\nmax_retries = 0\ntopology = false\n'
    (tmp_path / "opscontext.toml").write_text(demo, encoding="utf-8")
    server = build_server(load(tmp_path / "opscontext.toml"), cache=MemoryCache(), clock=lambda: ANCHOR)
    async with Client(server) as client:
        yield client


async def brief(client: Client, subject: str) -> dict[str, Any]:
    result = await client.call_tool("incident_context", {"subject": subject})
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


async def test_user_impact_leads_with_measured_failure_rates(with_health: Client, prometheus: respx.MockRouter) -> None:
    prometheus.get("/api/v1/query").mock(side_effect=recorded)
    a = await brief(with_health, "payment-service")
    impact = a["impact"]
    assert impact["basis"] == "health"
    assert "payment-service: 42% of requests failing" in impact["summary"]
    assert "Users: " in a["headline"] and "42% of requests failing" in a["headline"]
    by_name = {h["service"]: h for h in impact["health"]}
    assert by_name["payment-service"]["error_rate"] == pytest.approx(0.4182, abs=1e-4)
    assert [s["state"] for s in a["sources"] if s["capability"] == "health"] == ["ok"]


async def test_a_failed_health_source_is_said_not_read_as_no_impact(
    with_health: Client, prometheus: respx.MockRouter
) -> None:
    prometheus.get("/api/v1/query").respond(503, text="upstream connect error")
    a = await brief(with_health, "payment-service")
    assert "health source failed" in a["impact"]["summary"]
    assert a["impact"]["health"] == []
    health = [s for s in a["sources"] if s["capability"] == "health"]
    assert health and health[0]["state"] == "failed" and a["sources"][0]["state"] == "failed"
    assert any("prom" in step and "failed" in step for step in a["next_steps"])
    assert a["group"]["primary_contributor"] == "payment-service", "the rest of the picture stands"
