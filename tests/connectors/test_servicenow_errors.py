from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from servicenow_pages import one_new_incident_per_offset  # beside this file

import opscontext_connectors.servicenow as servicenow
from opscontext.errors import (
    SourceAuthError,
    SourceDataError,
    SourceNotFoundError,
    SourceUnavailableError,
)
from opscontext.models import TimeWindow
from opscontext.registry import ConnectorContext, build_http_client

pytestmark = pytest.mark.anyio

BASE = "https://acme.service-now.com"
PASSWORD = "s3cr3t-pa55-do-not-leak"
INCIDENTS = f"{BASE}/api/now/table/incident"
PAYLOADS = Path(__file__).resolve().parents[2] / "fixtures" / "http" / "servicenow"
WINDOW = TimeWindow(
    since=datetime(2026, 3, 10, 12, 0, tzinfo=UTC), until=datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
)


def incidents() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((PAYLOADS / "incident.json").read_text())
    return loaded


@pytest.fixture
def make(clients: list[httpx.AsyncClient]) -> Callable[..., Any]:
    def build(**overrides: Any) -> Any:
        raw = {
            "type": "servicenow",
            "url": BASE,
            "username": "opscontext.integration",
            "password": PASSWORD,
            "max_retries": 2,
            **overrides,
        }
        config = servicenow.ServiceNowConfig.model_validate(raw)
        http = build_http_client(config)
        clients.append(http)
        return servicenow.ServiceNowConnector(
            ConnectorContext(name="snow", config=config, http=http)
        )

    return build


def error_body(message: str) -> dict[str, Any]:
    # The shape ServiceNow uses for failed REST calls.
    return {"error": {"message": message, "detail": None}, "status": "failure"}


@respx.mock
async def test_basic_auth_is_sent_and_the_password_never_appears_in_errors(
    make: Callable[..., Any],
) -> None:
    route = respx.get(INCIDENTS).respond(401, json=error_body("User Not Authenticated"))
    with pytest.raises(SourceAuthError) as caught:
        await make().alerts(WINDOW)
    sent = route.calls[0].request.headers["Authorization"]
    assert (
        sent == "Basic " + base64.b64encode(f"opscontext.integration:{PASSWORD}".encode()).decode()
    )
    assert PASSWORD not in str(caught.value)
    assert caught.value.instance == "snow"
    assert route.call_count == 1  # never retried


@respx.mock
async def test_an_oauth_token_is_sent_as_a_bearer_header(make: Callable[..., Any]) -> None:
    route = respx.get(INCIDENTS).respond(200, json={"result": []})
    await make(username=None, password=None, token="oauth-abc").alerts(WINDOW)
    assert route.calls[0].request.headers["Authorization"] == "Bearer oauth-abc"


def test_config_without_any_credentials_is_rejected() -> None:
    with pytest.raises(ValueError, match="token"):
        servicenow.ServiceNowConfig.model_validate({"type": "servicenow", "url": BASE})


def test_config_with_a_username_but_no_password_is_rejected() -> None:
    with pytest.raises(ValueError, match="password"):
        servicenow.ServiceNowConfig.model_validate(
            {"type": "servicenow", "url": BASE, "username": "x"}
        )


@respx.mock
async def test_forbidden_is_an_auth_error_and_not_retried(make: Callable[..., Any]) -> None:
    route = respx.get(INCIDENTS).respond(403, json=error_body("Operation Failed"))
    with pytest.raises(SourceAuthError, match="403"):
        await make().alerts(WINDOW)
    assert route.call_count == 1


@respx.mock
async def test_a_missing_table_is_not_found(make: Callable[..., Any]) -> None:
    respx.get(INCIDENTS).respond(404, json=error_body("Invalid table incident"))
    with pytest.raises(SourceNotFoundError):
        await make().alerts(WINDOW)


@respx.mock
async def test_rate_limiting_is_retried_after_the_advertised_delay(
    make: Callable[..., Any],
) -> None:
    route = respx.get(INCIDENTS).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "0"}, json=error_body("Too many requests")),
            httpx.Response(200, json=incidents()),
        ]
    )
    alerts = await make(page_size=10).alerts(WINDOW)
    assert route.call_count == 2
    assert len(alerts) == 2


@respx.mock
async def test_server_errors_are_retried_until_the_instance_answers(
    make: Callable[..., Any],
) -> None:
    route = respx.get(INCIDENTS).mock(
        side_effect=[
            httpx.Response(500, headers={"Retry-After": "0"}),
            httpx.Response(503, headers={"Retry-After": "0"}),
            httpx.Response(200, json=incidents()),
        ]
    )
    assert len(await make(page_size=10).alerts(WINDOW)) == 2
    assert route.call_count == 3


@respx.mock
async def test_an_instance_that_stays_down_is_unavailable(make: Callable[..., Any]) -> None:
    route = respx.get(INCIDENTS).respond(503, headers={"Retry-After": "0"})
    with pytest.raises(SourceUnavailableError, match="503"):
        await make().alerts(WINDOW)
    assert route.call_count == 3  # first try + max_retries


@respx.mock
async def test_timeouts_become_unavailable_after_retries(make: Callable[..., Any]) -> None:
    route = respx.get(INCIDENTS).mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(SourceUnavailableError, match="timed out"):
        await make(max_retries=1).alerts(WINDOW)
    assert route.call_count == 2


@respx.mock
async def test_a_body_that_is_not_json_is_a_data_error(make: Callable[..., Any]) -> None:
    respx.get(INCIDENTS).respond(200, text="<html>Instance Hibernating</html>")
    with pytest.raises(SourceDataError, match="JSON"):
        await make().alerts(WINDOW)


@respx.mock
async def test_json_without_a_result_list_is_a_data_error(make: Callable[..., Any]) -> None:
    respx.get(INCIDENTS).respond(200, json={"records": []})
    with pytest.raises(SourceDataError, match="result"):
        await make().alerts(WINDOW)


@respx.mock
async def test_an_oversized_answer_is_refused(make: Callable[..., Any]) -> None:
    respx.get(INCIDENTS).respond(200, json={"result": [incidents()["result"][0]] * 50})
    with pytest.raises(SourceDataError, match="max_response_bytes"):
        await make(max_response_bytes=4096).alerts(WINDOW)


@respx.mock
async def test_paging_stops_at_max_pages_even_if_the_instance_never_ends(
    make: Callable[..., Any],
) -> None:
    route = respx.get(INCIDENTS).mock(side_effect=one_new_incident_per_offset())
    await make(page_size=1, max_pages=3).alerts(WINDOW)
    assert route.call_count == 3


@respx.mock
async def test_a_link_header_pointing_backwards_does_not_loop(make: Callable[..., Any]) -> None:
    back = f'<{BASE}/api/now/table/incident?sysparm_offset=0&sysparm_limit=1>;rel="next"'
    route = respx.get(INCIDENTS).mock(side_effect=one_new_incident_per_offset({"Link": back}))
    await make(page_size=1, max_pages=3).alerts(WINDOW)
    offsets = [c.request.url.params["sysparm_offset"] for c in route.calls]
    assert offsets == ["0", "1", "2"]
