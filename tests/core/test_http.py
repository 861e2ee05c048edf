"""JsonClient: the one HTTP policy every live connector shares."""

from __future__ import annotations

import httpx
import pytest

from opscontext.errors import SourceAuthError, SourceDataError, SourceUnavailableError
from opscontext.http import JsonClient, parse_retry_after

pytestmark = pytest.mark.anyio


def client(handler: httpx.MockTransport, **kw: int) -> JsonClient:
    http = httpx.AsyncClient(base_url="https://vendor.example/api", transport=handler)
    return JsonClient(http, instance="v", backoff_base=0.001, backoff_cap=0.002, **kw)


async def test_429_is_retried_and_then_reports_the_retry_after_the_server_asked_for() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(429, headers={"Retry-After": "0"})

    with pytest.raises(SourceUnavailableError, match=r"rate limited; Retry-After: 0 \(after 3 attempts\)"):
        await client(httpx.MockTransport(handler), max_retries=2).get_json("/x")
    assert len(calls) == 3


async def test_a_transient_503_then_success_returns_the_answer() -> None:
    answers = iter([httpx.Response(503), httpx.Response(200, json={"ok": True})])
    got = await client(httpx.MockTransport(lambda r: next(answers)), max_retries=1).get_json("/x")
    assert got == {"ok": True}


async def test_401_is_never_retried() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(401)

    with pytest.raises(SourceAuthError, match="check the token"):
        await client(httpx.MockTransport(handler), max_retries=3).get_json("/x")
    assert len(calls) == 1


async def test_a_redirect_names_where_it_points_instead_of_failing_to_parse_a_login_page() -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(302, headers={"Location": "https://sso.example/login"}))
    with pytest.raises(SourceDataError, match=r"redirects to https://sso\.example/login"):
        await client(transport).get_json("/x")


async def test_a_nonsense_content_length_does_not_escape_as_a_value_error() -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(200, content=b"{}", headers={"Content-Length": "abc"}))
    assert await client(transport).get_json("/x") == {}


async def test_a_body_larger_than_the_cap_is_refused() -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(200, content=b"[" + b"1," * 5000 + b"1]"))
    with pytest.raises(SourceDataError, match="max_response_bytes"):
        await client(transport, max_bytes=1024).get_json("/x")


async def test_a_tls_failure_is_not_retried_and_points_at_verify_tls() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed", request=request)

    with pytest.raises(SourceUnavailableError, match="verify_tls"):
        await client(httpx.MockTransport(handler), max_retries=3).get_json("/x")
    assert len(calls) == 1


def test_retry_after_is_read_as_seconds_or_an_http_date_and_capped() -> None:
    assert parse_retry_after("5") == 5.0
    assert parse_retry_after("99999") == 30.0
    assert parse_retry_after("garbage") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
