from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

import opscontext_connectors.github as github
from opscontext.errors import (
    SourceAuthError,
    SourceDataError,
    SourceNotFoundError,
    SourceUnavailableError,
)
from opscontext.models import TimeWindow
from opscontext.registry import ConnectorContext, build_http_client

pytestmark = pytest.mark.anyio

API = "https://api.github.com"
TOKEN = "ghp_do-not-leak-this-token"
RELEASES = f"{API}/repos/acme/payment-service/releases"
PAYLOADS = Path(__file__).resolve().parents[2] / "fixtures" / "http" / "github"
WINDOW = TimeWindow(since=datetime(2026, 3, 10, 12, 0, tzinfo=UTC), until=datetime(2026, 3, 10, 15, 0, tzinfo=UTC))


def releases() -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads((PAYLOADS / "releases.page1.json").read_text())
    return loaded


def limited(status: int, *, reset_in: float) -> httpx.Response:
    """GitHub's answer once the primary rate limit is used up."""
    return httpx.Response(
        status,
        headers={
            "X-RateLimit-Limit": "5000",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(int(time.time() + reset_in)),
        },
        json={
            "message": "API rate limit exceeded for user ID 5830611.",
            "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
        },
    )


@pytest.fixture
def make(clients: list[httpx.AsyncClient]) -> Callable[..., Any]:
    def build(**overrides: Any) -> Any:
        raw = {
            "type": "github",
            "token": TOKEN,
            "repositories": {"acme/payment-service": "payment-service"},
            "deployments": False,
            "max_retries": 2,
            **overrides,
        }
        config = github.GitHubConfig.model_validate(raw)
        http = build_http_client(config)
        clients.append(http)
        return github.GitHubConnector(ConnectorContext(name="gh", config=config, http=http))

    return build


@respx.mock
async def test_an_exhausted_rate_limit_far_from_reset_fails_fast_naming_the_reset(
    make: Callable[..., Any],
) -> None:
    route = respx.get(RELEASES).mock(return_value=limited(403, reset_in=1800))
    with pytest.raises(SourceUnavailableError, match="rate limit exhausted; it resets") as caught:
        await make().changes(WINDOW)
    assert not isinstance(caught.value, SourceAuthError)
    assert route.call_count == 1
    assert TOKEN not in str(caught.value)


@respx.mock
async def test_an_exhausted_rate_limit_about_to_reset_is_waited_out(make: Callable[..., Any]) -> None:
    route = respx.get(RELEASES).mock(side_effect=[limited(403, reset_in=0), httpx.Response(200, json=releases())])
    changes = await make().changes(WINDOW)
    assert route.call_count == 2
    assert {c.version for c in changes} == {"v4.2.0", "v4.2.0-rc.1"}


@respx.mock
async def test_a_last_allowed_call_makes_the_next_one_fail_without_a_request(
    make: Callable[..., Any],
) -> None:
    last = httpx.Response(
        200,
        json=releases(),
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(time.time() + 900))},
    )
    route = respx.get(RELEASES).mock(return_value=last)
    connector = make()
    await connector.changes(WINDOW)
    with pytest.raises(SourceUnavailableError, match="rate limit"):
        await connector.changes(WINDOW)
    assert route.call_count == 1


@respx.mock
@pytest.mark.parametrize("status", [403, 429])
async def test_a_secondary_rate_limit_is_retried_after_retry_after(make: Callable[..., Any], status: int) -> None:
    secondary = httpx.Response(
        status,
        headers={"Retry-After": "0"},
        json={"message": "You have exceeded a secondary rate limit."},
    )
    route = respx.get(RELEASES).mock(side_effect=[secondary, httpx.Response(200, json=releases())])
    assert len(await make().changes(WINDOW)) == 2
    assert route.call_count == 2


@respx.mock
async def test_a_secondary_limit_that_never_lifts_becomes_unavailable(make: Callable[..., Any]) -> None:
    secondary = httpx.Response(403, headers={"Retry-After": "0"}, json={"message": "secondary"})
    route = respx.get(RELEASES).mock(return_value=secondary)
    with pytest.raises(SourceUnavailableError, match="secondary rate limit"):
        await make().changes(WINDOW)
    assert route.call_count == 3


@respx.mock
async def test_a_plain_forbidden_is_an_auth_error_and_not_retried(make: Callable[..., Any]) -> None:
    route = respx.get(RELEASES).respond(
        403,
        headers={"X-RateLimit-Remaining": "4999"},
        json={"message": "Resource not accessible by personal access token"},
    )
    with pytest.raises(SourceAuthError, match="403"):
        await make().changes(WINDOW)
    assert route.call_count == 1


@respx.mock
async def test_bad_credentials_are_an_auth_error_without_the_token(make: Callable[..., Any]) -> None:
    respx.get(RELEASES).respond(401, json={"message": "Bad credentials"})
    with pytest.raises(SourceAuthError) as caught:
        await make().changes(WINDOW)
    assert TOKEN not in str(caught.value)


@respx.mock
async def test_a_missing_repository_is_not_found(make: Callable[..., Any]) -> None:
    respx.get(RELEASES).respond(404, json={"message": "Not Found"})
    with pytest.raises(SourceNotFoundError):
        await make().changes(WINDOW)


@respx.mock
async def test_server_errors_are_retried_until_github_answers(make: Callable[..., Any]) -> None:
    route = respx.get(RELEASES).mock(
        side_effect=[
            httpx.Response(500, headers={"Retry-After": "0"}),
            httpx.Response(503, headers={"Retry-After": "0"}),
            httpx.Response(200, json=releases()),
        ]
    )
    assert len(await make().changes(WINDOW)) == 2
    assert route.call_count == 3


@respx.mock
async def test_timeouts_become_unavailable(make: Callable[..., Any]) -> None:
    route = respx.get(RELEASES).mock(side_effect=httpx.ConnectTimeout("slow"))
    with pytest.raises(SourceUnavailableError, match="timed out"):
        await make(max_retries=1).changes(WINDOW)
    assert route.call_count == 2


@respx.mock
async def test_a_body_that_is_not_json_is_a_data_error(make: Callable[..., Any]) -> None:
    respx.get(RELEASES).respond(200, text="<!DOCTYPE html><title>Unicorn!</title>")
    with pytest.raises(SourceDataError, match="JSON"):
        await make().changes(WINDOW)


@respx.mock
async def test_an_object_where_a_list_belongs_is_a_data_error(make: Callable[..., Any]) -> None:
    respx.get(RELEASES).respond(200, json={"message": "Moved Permanently"})
    with pytest.raises(SourceDataError, match="list"):
        await make().changes(WINDOW)


@respx.mock
async def test_an_oversized_answer_is_refused(make: Callable[..., Any]) -> None:
    respx.get(RELEASES).respond(200, json=releases() * 20)
    with pytest.raises(SourceDataError, match="max_response_bytes"):
        await make(max_response_bytes=4096).changes(WINDOW)
