"""Errors name the URL actually requested (base path included, secrets masked), and the client
speaks the few HTTP conventions connectors at estate size need: 304 on a conditional GET, and a
429's RateLimit-Reset when no Retry-After came."""

from __future__ import annotations

import httpx
import pytest

from opscontext.errors import SourceAuthError, SourceError, SourceUnavailableError
from opscontext.http import JsonClient
from opscontext.redact import redact

pytestmark = pytest.mark.anyio

SECRET = "s3cr3t-query-token-value"


def client(base_url: str, handler: httpx.MockTransport, *, retries: int = 0) -> JsonClient:
    http = httpx.AsyncClient(base_url=base_url, transport=handler)
    return JsonClient(http, instance="v", max_retries=retries, backoff_base=0.001, backoff_cap=0.002)


async def failure(base_url: str, path: str, handler: httpx.MockTransport) -> SourceError:
    with pytest.raises(SourceError) as caught:
        await client(base_url, handler).get(path, {"limit": 5, "token": SECRET})
    return caught.value


@pytest.mark.parametrize(
    ("base_url", "path", "named"),
    [
        ("https://gateway.example/pagerduty", "/services", "https://gateway.example/pagerduty/services"),
        ("https://ghe.example/api/v3", "/repos/acme/pay/deployments", "https://ghe.example/api/v3/repos/acme/pay/deployments"),
        ("https://acme.service-now.com", "/api/now/table/incident", "https://acme.service-now.com/api/now/table/incident"),
    ],
)
async def test_a_401_names_the_url_requested_with_the_base_path(base_url: str, path: str, named: str) -> None:
    error = await failure(base_url, path, httpx.MockTransport(lambda r: httpx.Response(401)))
    assert isinstance(error, SourceAuthError) and error.status == 401
    assert f"HTTP 401 from {named}?limit=5&token=[REDACTED]:" in str(error)
    assert SECRET not in str(error)


async def test_a_timeout_names_the_url_with_the_base_path_though_no_response_came() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out", request=request)

    error = await failure("https://gateway.example/pagerduty", "/incidents", httpx.MockTransport(slow))
    assert "timed out calling https://gateway.example/pagerduty/incidents?limit=5&token=[REDACTED]" in str(error)
    assert SECRET not in str(error)


async def test_a_refused_connection_names_the_url_with_the_base_path() -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    error = await failure("https://ghe.example/api/v3", "/rate_limit", httpx.MockTransport(refused))
    assert "cannot reach https://ghe.example/api/v3/rate_limit?" in str(error)


def test_redacting_a_message_twice_changes_nothing() -> None:
    once = redact(f"HTTP 401 from https://h/x?token={SECRET}&limit=5 (password: {SECRET})")
    assert once == "HTTP 401 from https://h/x?token=[REDACTED]&limit=5 (password: [REDACTED])"
    assert redact(once) == once


async def test_a_304_answers_a_conditional_get_with_an_empty_body() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return httpx.Response(304, headers={"ETag": '"v1"'})
        return httpx.Response(200, json=[1], headers={"ETag": '"v1"'})

    json = client("https://vendor.example", httpx.MockTransport(handler))
    first = await json.get("/list")
    assert first.status_code == 200 and first.headers["ETag"] == '"v1"'
    again = await json.get("/list", headers={"If-None-Match": '"v1"'})
    assert again.status_code == 304 and again.content == b""


async def test_a_304_to_a_request_without_a_validator_is_still_refused() -> None:
    json = client("https://vendor.example", httpx.MockTransport(lambda r: httpx.Response(304)))
    with pytest.raises(SourceError, match="HTTP 304"):
        await json.get("/list")


async def test_a_429_without_retry_after_waits_as_its_ratelimit_reset_says() -> None:
    answers = iter([httpx.Response(429, headers={"RateLimit-Reset": "0"}), httpx.Response(200, json={"ok": 1})])
    assert await client("https://api.pagerduty.com", httpx.MockTransport(lambda r: next(answers)), retries=1).get_json(
        "/services"
    ) == {"ok": 1}
    limited = httpx.MockTransport(lambda r: httpx.Response(429, headers={"RateLimit-Reset": "0"}))
    with pytest.raises(SourceUnavailableError, match="rate limited; RateLimit-Reset: 0"):
        await client("https://api.pagerduty.com", limited).get_json("/services")
