"""Dynatrace connector when the API misbehaves: every failure is a SourceError, secrets stay out."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from opscontext.errors import (
    SourceAuthError,
    SourceDataError,
    SourceError,
    SourceNotFoundError,
    SourceUnavailableError,
)
from opscontext.models import TimeWindow
from opscontext.registry import ConnectorContext, build_http_client
from opscontext_connectors.dynatrace import DynatraceConfig, DynatraceConnector

pytestmark = pytest.mark.anyio

BASE = "https://abc12345.live.dynatrace.com"
DATA = Path(__file__).resolve().parents[2] / "fixtures" / "http" / "dynatrace"
TOKEN = "dt0c01.FAILTOKEN.very-secret"
WINDOW = TimeWindow(since=datetime(2024, 5, 9, 9, 0, tzinfo=UTC), until=datetime(2024, 5, 9, 10, 0, tzinfo=UTC))
Call = Callable[[DynatraceConnector], Awaitable[object]]

CAPABILITIES: dict[str, Call] = {
    "catalog": lambda c: c.catalog(),
    "topology": lambda c: c.edges(),
    "alerts": lambda c: c.alerts(WINDOW),
    "changes": lambda c: c.changes(WINDOW),
    "check": lambda c: c.check(),
}


def payload(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def build(**overrides: Any) -> tuple[DynatraceConnector, httpx.AsyncClient]:
    settings: dict[str, Any] = {"max_retries": 2, "max_response_bytes": 4096, **overrides}
    config = DynatraceConfig(type="dynatrace", url=BASE, token=TOKEN, **settings)
    http = build_http_client(config)
    return DynatraceConnector(ConnectorContext(name="dt", config=config, http=http)), http


@pytest.fixture
async def dt() -> AsyncIterator[DynatraceConnector]:
    connector, http = build()
    async with http:
        yield connector


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


def assert_clean(error: SourceError) -> None:
    assert error.instance == "dt"
    assert TOKEN not in str(error)


def dt_error(code: int, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


@pytest.mark.parametrize("capability", sorted(CAPABILITIES))
@pytest.mark.parametrize("status", [401, 403])
async def test_rejected_tokens_raise_auth_errors_without_retrying(dt, api, capability, status) -> None:
    route = api.route().respond(status, json=dt_error(status, "Token is missing a scope"))
    with pytest.raises(SourceAuthError) as info:
        await CAPABILITIES[capability](dt)
    assert route.call_count == 1
    assert_clean(info.value)


async def test_a_wrong_environment_path_raises_not_found(dt, api) -> None:
    api.get("/api/v2/problems").respond(404, json=dt_error(404, "Not found"))
    with pytest.raises(SourceNotFoundError) as info:
        await dt.alerts(WINDOW)
    assert_clean(info.value)


async def test_rate_limit_with_retry_after_is_waited_out_then_succeeds(dt, api) -> None:
    route = api.get("/api/v2/events").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "0"}, json=dt_error(429, "Too many")),
            httpx.Response(200, json=payload("events.json")),
        ]
    )
    assert len(await dt.changes(WINDOW)) == 2
    assert route.call_count == 2


async def test_server_errors_are_retried_until_an_answer_comes(dt, api) -> None:
    route = api.get("/api/v2/entityTypes").mock(
        side_effect=[
            httpx.Response(500),
            httpx.Response(503),
            httpx.Response(200, json=payload("entity_types.json")),
        ]
    )
    assert "212 entity types" in await dt.check()
    assert route.call_count == 3


async def test_a_failure_on_a_later_page_fails_the_whole_answer(dt, api) -> None:
    first = payload("entities_page1.json")
    later = api.get("/api/v2/entities", params={"nextPageKey": first["nextPageKey"]}).respond(503)
    api.get("/api/v2/entities").respond(json=first)
    with pytest.raises(SourceUnavailableError) as info:
        await dt.catalog()
    assert later.call_count == 3  # the first page was served; the cursor page kept failing
    assert_clean(info.value)


async def test_timeouts_raise_unavailable_after_retries(dt, api) -> None:
    route = api.get("/api/v2/problems").mock(side_effect=httpx.ConnectTimeout("no route"))
    with pytest.raises(SourceUnavailableError):
        await dt.alerts(WINDOW)
    assert route.call_count == 3


async def test_a_body_that_is_not_json_raises_data_error(dt, api) -> None:
    api.get("/api/v2/entities").respond(200, text="{truncated")
    with pytest.raises(SourceDataError) as info:
        await dt.edges()
    assert_clean(info.value)


async def test_json_without_the_expected_list_raises_data_error(dt, api) -> None:
    api.get("/api/v2/events").respond(200, json={"totalCount": 0})
    with pytest.raises(SourceDataError, match="events"):
        await dt.changes(WINDOW)


async def test_an_oversized_response_is_refused(dt, api) -> None:
    api.get("/api/v2/problems").respond(200, json={"problems": [], "pad": "x" * 10_000})
    with pytest.raises(SourceDataError, match="max_response_bytes"):
        await dt.alerts(WINDOW)


async def test_malformed_problems_are_skipped_and_the_rest_kept(dt, api) -> None:
    body = payload("problems_page2.json")
    body["problems"] += [{"problemId": "no-title-or-start"}, 42]
    api.get("/api/v2/problems").respond(json=body)
    alerts = await dt.alerts(WINDOW)
    assert [a.alertname for a in alerts] == ["Host memory saturation"]


async def test_paging_stops_at_max_pages_even_if_a_cursor_keeps_coming(api) -> None:
    connector, http = build(max_pages=2)
    route = api.get("/api/v2/events").respond(json={"events": [], "nextPageKey": "AQAAAA.endless", "totalCount": 0})
    async with http:
        assert await connector.changes(WINDOW) == []
    assert route.call_count == 2
