"""correlate_alerts on the demo world with a Prometheus health source (respx): the instant
queries go out at the two minute-rounded instants, only about quiet candidates, and a quiet
service whose error ratio jumped when its group began is named in that group."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx

from opscontext.app import open_app
from opscontext.cache import MemoryCache
from opscontext.models import SourceState
from opscontext.queries.correlate import correlate_alerts
from opscontext.queries.correlate_health import MAX_NAMES
from opscontext.settings import Settings

pytestmark = pytest.mark.anyio
URL = "https://prometheus.example.com"
ANCHOR = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)  # the demo's time_anchor: no replay shift
QUIET = "parcelhub-api"  # the shipping group's quiet candidate


@pytest.fixture
def prometheus() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=URL, assert_all_called=False) as router:
        yield router


def with_prometheus(demo_settings: Settings) -> Settings:
    data = demo_settings.model_dump()
    data["connectors"]["prom"] = {"type": "prometheus", "url": URL, "max_retries": 0, "topology": False}
    return Settings.model_validate(data)


def answer_for(shipping_start: datetime) -> respx.types.SideEffectTypes:
    """Prometheus' /api/v1/query: the error-ratio query answers for every service asked, calm
    before ``shipping_start``; QUIET fails from then on. Latency and traffic have no series."""

    def answer(request: httpx.Request) -> httpx.Response:
        query, at = request.url.params["query"], float(request.url.params["time"])
        result = []
        if "5.." in query:
            names = re.search(r'job=~"([^"]*)"', query)
            assert names is not None
            for name in names.group(1).split("|"):
                bad = name == QUIET and at >= shipping_start.timestamp()
                result.append({"metric": {"job": name}, "value": [at, "0.35" if bad else "0.001"]})
        return httpx.Response(200, json={"status": "success", "data": {"resultType": "vector", "result": result}})

    return answer


async def test_a_quiet_api_whose_errors_jumped_is_named_and_prometheus_is_asked_at_whole_minutes(
    demo_settings: Settings, prometheus: respx.MockRouter,
) -> None:
    async with open_app(demo_settings, cache=MemoryCache(), clock=lambda: ANCHOR) as app:
        plain = await correlate_alerts(app)
    (shipping,) = [g for g in plain.groups if QUIET in (c.service for c in g.candidates)]
    assert shipping.primary_contributor != QUIET
    route = prometheus.get("/api/v1/query").mock(side_effect=answer_for(shipping.started_at))
    prometheus.get("/api/v1/alerts").respond(200, json={"status": "success", "data": {"alerts": []}})
    async with open_app(with_prometheus(demo_settings), cache=MemoryCache(), clock=lambda: ANCHOR) as app:
        answer = await correlate_alerts(app)
    (group,) = [g for g in answer.groups if g.id == shipping.id]
    assert group.primary_contributor == QUIET
    assert "its own health shows it degraded: error ratio 0.1% -> 35% (prom)" in group.candidates[0].evidence[0]
    (status,) = [s for s in answer.sources if s.capability == "health"]
    assert (status.source, status.state) == ("prom", SourceState.OK)
    times = {float(c.request.url.params["time"]) for c in route.calls}
    assert all(t % 60 == 0 and t <= ANCHOR.timestamp() for t in times)
    start = shipping.started_at.replace(second=0, microsecond=0)
    during = min(ANCHOR, shipping.started_at + timedelta(minutes=5)).replace(second=0, microsecond=0)
    assert {(start - timedelta(minutes=15)).timestamp(), during.timestamp()} <= times
    asked = {n for c in route.calls for n in re.findall(r'job=~"([^"]*)"', c.request.url.params["query"])[0].split("|")}
    assert QUIET in asked and len(asked) <= MAX_NAMES
    others = {g.id: g.primary_contributor for g in plain.groups if g.id != shipping.id}
    assert {g.id: g.primary_contributor for g in answer.groups if g.id != shipping.id} == others, \
        "calm quiet candidates take no group from its primary"
