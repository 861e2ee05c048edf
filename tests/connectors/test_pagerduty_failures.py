"""PagerDuty connector when the API misbehaves: every failure is a SourceError, secrets stay out."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
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
from opscontext.problems import take_reported
from opscontext.registry import ConnectorContext, build_http_client
from opscontext_connectors.pagerduty import PagerDutyConfig, PagerDutyConnector

pytestmark = pytest.mark.anyio

API = "https://api.pagerduty.com"
DATA = Path(__file__).resolve().parents[2] / "fixtures" / "http" / "pagerduty"
TOKEN = "u+pd-failure-secret"
AT = datetime(2024, 5, 9, 10, 0, tzinfo=UTC)
WINDOW = TimeWindow(since=datetime(2024, 5, 9, 9, 0, tzinfo=UTC), until=AT)
Call = Callable[[PagerDutyConnector], Awaitable[object]]

CAPABILITIES: dict[str, Call] = {
    "catalog": lambda c: c.catalog(),
    "topology": lambda c: c.edges(),
    "oncall": lambda c: c.on_call(AT),
    "escalation": lambda c: c.escalation_policies(),
    "alerts": lambda c: c.alerts(WINDOW),
    "changes": lambda c: c.changes(WINDOW),
    "check": lambda c: c.check(),
}


def payload(name: str) -> Any:
    return json.loads((DATA / name).read_text())


@pytest.fixture
async def pd() -> AsyncIterator[PagerDutyConnector]:
    config = PagerDutyConfig(
        type="pagerduty", token=TOKEN, max_retries=2, max_response_bytes=4096, page_size=2
    )
    async with build_http_client(config) as http:
        yield PagerDutyConnector(ConnectorContext(name="pd", config=config, http=http))


@pytest.fixture
def api() -> respx.MockRouter:
    with respx.mock(base_url=API, assert_all_called=False) as router:
        yield router


def assert_clean(error: SourceError) -> None:
    assert error.instance == "pd"
    assert TOKEN not in str(error)


@pytest.mark.parametrize("capability", sorted(CAPABILITIES))
@pytest.mark.parametrize("status", [401, 403])
async def test_rejected_credentials_raise_auth_errors_without_retrying(
    pd, api, capability, status
) -> None:
    route = api.route().respond(status, json={"error": {"message": "Unauthorized", "code": 2006}})
    with pytest.raises(SourceAuthError) as info:
        await CAPABILITIES[capability](pd)
    assert route.call_count == 1
    assert_clean(info.value)


async def test_a_missing_endpoint_raises_not_found(pd, api) -> None:
    api.get("/services").respond(404, json={"error": {"message": "Not Found", "code": 2100}})
    with pytest.raises(SourceNotFoundError) as info:
        await pd.catalog()
    assert_clean(info.value)


async def test_rate_limit_with_retry_after_is_waited_out_then_succeeds(pd, api) -> None:
    route = api.get("/escalation_policies").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "0"}),
            httpx.Response(200, json=payload("escalation_policies_page2.json")),
        ]
    )
    policies = await pd.escalation_policies()
    assert route.call_count == 2
    assert [p.name for p in policies] == ["Platform Escalation"]


async def test_server_errors_are_retried_until_an_answer_comes(pd, api) -> None:
    route = api.get("/change_events").mock(
        side_effect=[
            httpx.Response(500),
            httpx.Response(503),
            httpx.Response(200, json=payload("change_events.json")),
        ]
    )
    assert len(await pd.changes(WINDOW)) == 2
    assert route.call_count == 3


async def test_server_errors_past_the_retry_budget_raise_unavailable(pd, api) -> None:
    route = api.get("/abilities").respond(503)
    with pytest.raises(SourceUnavailableError) as info:
        await pd.check()
    assert route.call_count == 3  # first try + max_retries=2
    assert_clean(info.value)


async def test_timeouts_raise_unavailable_after_retries(pd, api) -> None:
    route = api.get("/oncalls").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(SourceUnavailableError):
        await pd.on_call(AT)
    assert route.call_count == 3


async def test_a_body_that_is_not_json_raises_data_error(pd, api) -> None:
    api.get("/abilities").respond(200, text="<html>maintenance</html>")
    with pytest.raises(SourceDataError) as info:
        await pd.check()
    assert_clean(info.value)


async def test_json_without_the_expected_list_raises_data_error(pd, api) -> None:
    api.get("/escalation_policies").respond(200, json={"policies": []})
    with pytest.raises(SourceDataError, match="escalation_policies"):
        await pd.escalation_policies()


async def test_an_oversized_response_is_refused(pd, api) -> None:
    huge = {"change_events": [], "padding": "x" * 10_000, "more": False}
    api.get("/change_events").respond(200, json=huge)
    with pytest.raises(SourceDataError, match="max_response_bytes"):
        await pd.changes(WINDOW)


async def test_a_malformed_record_is_skipped_and_the_rest_kept(pd, api) -> None:
    body = payload("services_page2.json")
    body["services"].insert(0, {"id": "PBROKEN", "type": "service"})  # no name
    body["services"].insert(0, "not an object")
    api.get("/services").respond(200, json=body)
    api.get("/teams").respond(200, json={"teams": [], "more": False})
    api.get("/users").respond(200, json={"users": [], "more": False})
    snapshot = await pd.catalog()
    assert [s.name for s in snapshot.services] == ["ledger-db"]
    # ...and the answer says it is partial: a dropped record never leaves the source "ok".
    (reported,) = take_reported()
    assert "1 malformed PDService record left out (first: id=PBROKEN: `name`: Field required)" in reported.summary()


async def test_paging_stops_at_max_pages_even_if_more_stays_true(api) -> None:
    config = PagerDutyConfig(type="pagerduty", token=TOKEN, page_size=1, max_pages=3)
    page = payload("escalation_policies_page1.json")  # says more=true forever

    def next_policy(request: httpx.Request) -> httpx.Response:
        # A new policy at every offset: a list longer than max_pages, not one page repeated
        # (a repeated page is read once: test_hostile_vendors).
        offset = request.url.params["offset"]
        policies = [{**p, "id": f"{p['id']}-{offset}"} for p in page["escalation_policies"]]
        return httpx.Response(200, json={**page, "escalation_policies": policies})

    route = api.get("/escalation_policies").mock(side_effect=next_policy)
    async with build_http_client(config) as http:
        connector = PagerDutyConnector(ConnectorContext(name="pd", config=config, http=http))
        policies = await connector.escalation_policies()
    assert route.call_count == 3 and len(policies) == 3


async def test_an_empty_page_claiming_more_ends_paging(pd, api) -> None:
    route = api.get("/escalation_policies").respond(
        200, json={"escalation_policies": [], "more": True, "offset": 0, "limit": 2}
    )
    assert await pd.escalation_policies() == []
    assert route.call_count == 1
