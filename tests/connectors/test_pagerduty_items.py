"""PagerDuty per-item reads: one service's dependencies or one incident's alerts that cannot be
read cost only that item, and classic paging stops where PagerDuty's 10,000-record ceiling is."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from opscontext.errors import SourceAuthError, SourceUnavailableError
from opscontext.models import TimeWindow
from opscontext.problems import Partial, attach, take_reported
from opscontext.registry import ConnectorContext, build_http_client
from opscontext_connectors.pagerduty import PagerDutyConfig, PagerDutyConnector

pytestmark = pytest.mark.anyio

API = "https://api.pagerduty.com"
DATA = Path(__file__).resolve().parents[2] / "fixtures" / "http" / "pagerduty"
WINDOW = TimeWindow(since=datetime(2024, 5, 9, 9, 0, tzinfo=UTC), until=datetime(2024, 5, 9, 10, 0, tzinfo=UTC))


def payload(name: str) -> Any:
    return json.loads((DATA / name).read_text())


@pytest.fixture
async def make() -> AsyncIterator[Callable[..., PagerDutyConnector]]:
    clients: list[httpx.AsyncClient] = []

    def build(**overrides: Any) -> PagerDutyConnector:
        raw = {"type": "pagerduty", "token": "u+pd-key", "max_retries": 0, **overrides}
        config = PagerDutyConfig.model_validate(raw)
        http = build_http_client(config)
        clients.append(http)
        return PagerDutyConnector(ConnectorContext(name="pd", config=config, http=http))

    yield build
    for client in clients:
        await client.aclose()


async def with_detail(call: Any) -> tuple[Any, str | None]:
    take_reported()
    value = await call
    wrapped = attach(object(), value)
    return value, wrapped.detail if isinstance(wrapped, Partial) else None


def services(router: respx.MockRouter) -> None:
    pages = {payload(p)["offset"]: payload(p) for p in ("services_page1.json", "services_page2.json")}
    router.get("/services").mock(side_effect=lambda r: httpx.Response(200, json=pages[int(r.url.params["offset"])]))


def incidents(router: respx.MockRouter) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        name = "incidents_open.json" if request.url.params.get("date_range") == "all" else "incidents_recent.json"
        return httpx.Response(200, json=payload(name))

    router.get("/incidents").mock(side_effect=answer)


async def test_one_service_whose_dependencies_fail_degrades_topology_naming_it(make: Callable[..., Any]) -> None:
    with respx.mock(base_url=API) as router:
        services(router)
        router.get("/service_dependencies/technical_services/PCHKOUT").respond(json=payload("dependencies_PCHKOUT.json"))
        router.get("/service_dependencies/technical_services/PPAYAPI").respond(503)
        router.get("/service_dependencies/technical_services/PLEDGER").respond(json=payload("dependencies_PLEDGER.json"))
        edges, detail = await with_detail(make(page_size=2).edges())
    assert ("checkout", "payments-api") in {(e.dependent, e.dependency) for e in edges}
    assert detail is not None
    assert detail.startswith("1 of 3 service dependency lists failed: payments-api (PPAYAPI): HTTP 503 from ")
    assert f"{API}/service_dependencies/technical_services/PPAYAPI" in detail


@pytest.mark.parametrize(("status", "error"), [(401, SourceAuthError), (429, SourceUnavailableError)])
async def test_a_rejected_key_or_a_lasting_rate_limit_stops_the_reads_and_fails_topology(
    make: Callable[..., Any], status: int, error: type[Exception]
) -> None:
    with respx.mock(base_url=API) as router:
        services(router)
        route = router.get(url__regex=r"/service_dependencies/").respond(status, headers={"Retry-After": "0"})
        with pytest.raises(error, match="3 of 3 service dependency lists failed") as caught:
            await make(page_size=2, max_concurrency=1).edges()
    assert route.call_count == 1  # the other two were never asked
    assert "not read: HTTP" in str(caught.value)


async def test_an_incident_whose_alerts_cannot_be_read_is_still_shown_as_one_alert(make: Callable[..., Any]) -> None:
    with respx.mock(base_url=API) as router:
        incidents(router)
        router.get("/incidents/Q2LTZ6ZQ2MCBB/alerts").respond(json=payload("incident_alerts_Q2LTZ6ZQ2MCBB.json"))
        router.get("/incidents/Q0OLD4CKD9/alerts").respond(500)
        router.get("/incidents/Q1RSLVD8X3/alerts").respond(json=payload("incident_alerts_Q1RSLVD8X3.json"))
        alerts, detail = await with_detail(make(expand_incident_alerts=True).alerts(WINDOW))
    fingerprints = {a.fingerprint for a in alerts}
    assert "Q0OLD4CKD9" in fingerprints and {"f3c1a9e0d2b4", "9a8b7c6d"} <= fingerprints
    assert detail is not None and detail.startswith(
        "alerts inside incidents not read (each is shown as one alert): incident Q0OLD4CKD9: HTTP 500 from "
    )


async def test_offset_paging_stops_at_the_10000_record_ceiling_and_says_the_list_was_cut(
    make: Callable[..., Any],
) -> None:
    def endless(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        limit = int(request.url.params["limit"])
        if offset + limit > 10_000:  # what PagerDuty answers past the ceiling
            return httpx.Response(400, json={"error": {"message": "Invalid Input Provided", "code": 2001}})
        page = payload("change_events.json")
        page["change_events"] = [dict(page["change_events"][0], id=f"E{offset + i}") for i in range(limit)]
        return httpx.Response(200, json={**page, "offset": offset, "limit": limit, "more": True})

    with respx.mock(base_url=API) as router:
        route = router.get("/change_events").mock(side_effect=endless)
        changes, detail = await with_detail(make(max_pages=1000).changes(WINDOW))
    assert len(changes) == 10_000 and route.call_count == 100
    assert detail == "lists cut short: /change_events: PagerDuty lists at most 10,000 records; narrow the query"
