"""`opscontext serve --transport http` is safe by default: started for real on 127.0.0.1, probed
with plain HTTP requests and with the official MCP client."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from .servers import (
    INIT,
    MCP_HEADERS,
    FakeAuthServer,
    Running,
    clean_env,
    fake_auth_server,
    free_port,
    running_server,
    serve_command,
)

TOKEN = "s3cret-token-for-tests-0123456789"
EXTRA_HOST = "mcp.example.test"


def bearer(token: str) -> dict[str, str]:
    return {**MCP_HEADERS, "authorization": f"Bearer {token}"}


def post_init(server: Running, headers: dict[str, str], body: bytes | None = None) -> httpx.Response:
    content = json.dumps(INIT).encode() if body is None else body
    return httpx.post(server.url, headers=headers, content=content, timeout=15)


@pytest.fixture(scope="module")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    env = {"OPSCONTEXT_HTTP__TOKEN": TOKEN, "OPSCONTEXT_HTTP__ALLOWED_HOSTS": json.dumps([EXTRA_HOST])}
    with running_server(tmp_path_factory.mktemp("token"), env) as server:
        yield server


def test_an_unauthenticated_server_refuses_to_start_on_0_0_0_0_and_says_how_to_configure_auth() -> None:
    result = subprocess.run(serve_command("0.0.0.0", free_port()), env=clean_env({}), capture_output=True, timeout=60)
    stderr = result.stderr.decode()
    assert result.returncode == 2
    assert "refusing to serve HTTP on 0.0.0.0 without authentication" in stderr
    assert "OPSCONTEXT_HTTP__TOKEN" in stderr and "http.oauth" in stderr


def test_a_request_without_a_token_gets_401_with_www_authenticate(token_server: Running) -> None:
    response = post_init(token_server, MCP_HEADERS)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer ")
    assert "+1-555" not in response.text


def test_a_wrong_token_gets_401_with_www_authenticate(token_server: Running) -> None:
    response = post_init(token_server, bearer(TOKEN + "x"))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


@pytest.mark.anyio
async def test_the_right_token_lists_tools_with_the_official_client(token_server: Running) -> None:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"})
    async with http, Client(streamable_http_client(token_server.url, http_client=http)) as client:
        tools = await client.list_tools()
    assert {t.name for t in tools.tools} >= {"who_owns", "correlate_alerts"}


@pytest.mark.anyio
async def test_each_tool_call_leaves_one_capped_audit_line_without_the_token(token_server: Running) -> None:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"})
    async with http, Client(streamable_http_client(token_server.url, http_client=http)) as client:
        owned = await client.call_tool("who_owns", {"service": "payment-service"})
        unknown = await client.call_tool("who_owns", {"service": "z" * 500})
    assert not owned.is_error and unknown.is_error
    time.sleep(0.2)  # noqa: ASYNC251 - let the server flush its stderr
    lines = [line for line in token_server.log().splitlines() if "opscontext.audit" in line and "z" * 50 in line]
    assert len(lines) == 1
    assert "tool=who_owns" in lines[0] and "who=client:static-token" in lines[0] and "outcome=error" in lines[0]
    assert "z" * 201 not in lines[0] and "(+300 chars)" in lines[0]
    assert any("tool=who_owns" in line and "payment-service" in line and "outcome=ok" in line
               for line in token_server.log().splitlines() if "opscontext.audit" in line)
    assert TOKEN not in token_server.log()


def test_a_foreign_host_is_rejected(token_server: Running) -> None:
    response = post_init(token_server, {**bearer(TOKEN), "host": "evil.example"})
    assert 400 <= response.status_code < 500
    assert "+1-555" not in response.text


def test_a_foreign_origin_is_rejected(token_server: Running) -> None:
    response = post_init(token_server, {**bearer(TOKEN), "origin": "http://evil.example"})
    assert 400 <= response.status_code < 500


def test_a_foreign_host_without_a_token_is_rejected_too(token_server: Running) -> None:
    response = post_init(token_server, {**MCP_HEADERS, "host": "evil.example", "origin": "http://evil.example"})
    assert 400 <= response.status_code < 500


def test_an_allowed_extra_host_is_accepted(token_server: Running) -> None:
    response = post_init(token_server, {**bearer(TOKEN), "host": EXTRA_HOST})
    assert response.status_code == 200


def test_a_body_over_one_mib_gets_413(token_server: Running) -> None:
    padded = {**INIT, "params": {**INIT["params"], "padding": "x" * (1024 * 1024)}}  # type: ignore[dict-item]
    response = post_init(token_server, bearer(TOKEN), body=json.dumps(padded).encode())
    assert response.status_code == 413


def test_a_burst_over_the_rate_limit_gets_429_with_retry_after(tmp_path_factory: pytest.TempPathFactory) -> None:
    env = {"OPSCONTEXT_HTTP__TOKEN": TOKEN, "OPSCONTEXT_HTTP__RATE_LIMIT_BURST": "5",
           "OPSCONTEXT_HTTP__RATE_LIMIT_PER_MINUTE": "6"}
    with running_server(tmp_path_factory.mktemp("ratelimit"), env) as server:
        statuses = [post_init(server, bearer(TOKEN)) for _ in range(8)]
    assert [r.status_code for r in statuses[:5]] == [200] * 5
    limited = [r for r in statuses if r.status_code == 429]
    assert len(limited) == 3
    assert int(limited[0].headers["retry-after"]) >= 1


AUDIENCE_TOKENS = {"good": "valid-for-opscontext", "elsewhere": "issued-for-another-resource"}


@pytest.fixture(scope="module")
def oauth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Running, FakeAuthServer]]:
    with fake_auth_server({}) as authz:
        resource = "http://127.0.0.1:{port}/mcp"
        claims = {"active": True, "client_id": "copilot", "sub": "dana", "scope": "opscontext.read",
                  "iss": authz.issuer, "exp": int(time.time()) + 3600}
        env = {
            "OPSCONTEXT_HTTP__OAUTH__ISSUER_URL": authz.issuer,
            "OPSCONTEXT_HTTP__OAUTH__INTROSPECTION_ENDPOINT": authz.introspection_endpoint,
            "OPSCONTEXT_HTTP__OAUTH__CLIENT_ID": authz.client_id,
            "OPSCONTEXT_HTTP__OAUTH__CLIENT_SECRET": authz.client_secret,
            "OPSCONTEXT_HTTP__OAUTH__REQUIRED_SCOPES": '["opscontext.read"]',
        }
        # The resource URL names the port, which the server helper picks: fix it first.
        port = free_port()
        env["OPSCONTEXT_HTTP__OAUTH__RESOURCE_URL"] = resource.format(port=port)
        authz.tokens[AUDIENCE_TOKENS["good"]] = {**claims, "aud": resource.format(port=port)}
        authz.tokens[AUDIENCE_TOKENS["elsewhere"]] = {**claims, "aud": "https://other.example/mcp"}
        with running_server(tmp_path_factory.mktemp("oauth"), env, port=port) as server:
            yield server, authz


def test_oauth_mode_serves_protected_resource_metadata(oauth_server: tuple[Running, FakeAuthServer]) -> None:
    server, authz = oauth_server
    response = httpx.get(f"http://127.0.0.1:{server.port}/.well-known/oauth-protected-resource/mcp", timeout=15)
    assert response.status_code == 200
    metadata = response.json()
    assert metadata["resource"] == server.url
    assert [a.rstrip("/") for a in metadata["authorization_servers"]] == [authz.issuer]
    assert metadata["scopes_supported"] == ["opscontext.read"]


def test_oauth_mode_points_a_401_at_the_metadata(oauth_server: tuple[Running, FakeAuthServer]) -> None:
    server, _ = oauth_server
    response = post_init(server, MCP_HEADERS)
    assert response.status_code == 401
    metadata_url = f"http://127.0.0.1:{server.port}/.well-known/oauth-protected-resource/mcp"
    assert f'resource_metadata="{metadata_url}"' in response.headers["www-authenticate"]


def test_oauth_token_for_another_audience_gets_401(oauth_server: tuple[Running, FakeAuthServer]) -> None:
    server, _ = oauth_server
    assert post_init(server, bearer(AUDIENCE_TOKENS["elsewhere"])).status_code == 401
    assert post_init(server, bearer("never-issued")).status_code == 401


@pytest.mark.anyio
async def test_oauth_valid_token_gets_200_and_the_audit_names_its_subject(
    oauth_server: tuple[Running, FakeAuthServer],
) -> None:
    server, _ = oauth_server
    assert post_init(server, bearer(AUDIENCE_TOKENS["good"])).status_code == 200
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {AUDIENCE_TOKENS['good']}"})
    async with http, Client(streamable_http_client(server.url, http_client=http)) as client:
        result = await client.call_tool("blast_radius", {"service": "orders-db"})
    assert not result.is_error
    time.sleep(0.2)  # noqa: ASYNC251 - let the server flush its stderr
    assert any("tool=blast_radius who=sub:dana" in line for line in server.log().splitlines())
