"""The HTTP safeguards' parts, without a server: verifiers, buckets, allow-lists, audit capping, settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from opscontext.audit import MAX_VALUE_CHARS, capped_arguments
from opscontext.errors import ConfigError
from opscontext.httpserve.auth import StaticTokenVerifier, build_auth, is_loopback, refuse_unauthenticated
from opscontext.httpserve.hosts import default_hosts, transport_security
from opscontext.httpserve.introspection import IntrospectionVerifier
from opscontext.httpserve.ratelimit import TokenBuckets
from opscontext.settings import load
from opscontext.settings_http import HttpSettings, OAuthSettings

RESOURCE = "https://mcp.example.com/mcp"
ISSUER = "https://login.example.com"
NOW = 1_800_000_000.0


def oauth(**overrides: Any) -> OAuthSettings:
    fields: dict[str, Any] = {"issuer_url": ISSUER, "introspection_endpoint": f"{ISSUER}/introspect",
                              "resource_url": RESOURCE, "client_id": "opscontext", "client_secret": "x" * 20}
    return OAuthSettings(**{**fields, **overrides})


def introspecting(answers: dict[str, dict[str, Any]], seen: list[httpx.Request]) -> IntrospectionVerifier:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        token = dict(x.split("=", 1) for x in request.content.decode().split("&"))["token"]
        return httpx.Response(200, json=answers.get(token, {"active": False}))

    return IntrospectionVerifier(oauth(), transport=httpx.MockTransport(handle), clock=lambda: NOW)


GOOD = {"active": True, "aud": [RESOURCE, "other"], "iss": ISSUER, "sub": "dana", "client_id": "copilot",
        "scope": "read write", "exp": int(NOW) + 600}


pytestmark = pytest.mark.anyio


async def test_introspection_accepts_an_active_token_for_this_audience_and_asks_once() -> None:
    seen: list[httpx.Request] = []
    verifier = introspecting({"t1": GOOD}, seen)
    first, second = await verifier.verify_token("t1"), await verifier.verify_token("t1")
    assert first is not None and first == second
    assert (first.subject, first.client_id, first.scopes) == ("dana", "copilot", ["read", "write"])
    assert len(seen) == 1 and seen[0].headers["authorization"].startswith("Basic ")
    await verifier.aclose()


@pytest.mark.parametrize(
    "claims",
    [
        {**GOOD, "aud": "https://other.example/mcp"},
        {**GOOD, "aud": None},
        {**GOOD, "active": False},
        {**GOOD, "exp": int(NOW) - 1},
        {**GOOD, "iss": "https://evil.example"},
        {**GOOD, "nbf": int(NOW) + 3600},
    ],
    ids=["wrong audience", "no audience", "inactive", "expired", "foreign issuer", "not yet valid"],
)
async def test_introspection_refuses_a_token_failing_any_check(claims: dict[str, Any]) -> None:
    verifier = introspecting({"t1": claims}, [])
    assert await verifier.verify_token("t1") is None
    await verifier.aclose()


async def test_introspection_refuses_when_the_authorization_server_errs() -> None:
    verifier = IntrospectionVerifier(oauth(), transport=httpx.MockTransport(lambda r: httpx.Response(503)))
    assert await verifier.verify_token("t1") is None
    await verifier.aclose()


async def test_a_configured_audience_replaces_the_resource_url() -> None:
    answers = {"t1": {**GOOD, "aud": "opscontext"}}
    verifier = IntrospectionVerifier(
        oauth(audience="opscontext"),
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json=answers["t1"])),
        clock=lambda: NOW,
    )
    assert await verifier.verify_token("t1") is not None
    await verifier.aclose()


async def test_the_static_verifier_accepts_only_its_token() -> None:
    verifier = StaticTokenVerifier("a" * 32)
    assert await verifier.verify_token("a" * 32) is not None
    assert await verifier.verify_token("a" * 31) is None
    assert await verifier.verify_token("") is None


def test_a_bucket_allows_its_burst_then_says_how_long_to_wait() -> None:
    now = [0.0]
    buckets = TokenBuckets(per_second=0.5, burst=3, clock=lambda: now[0])
    assert [buckets.take("a") for _ in range(3)] == [0, 0, 0]
    assert buckets.take("a") == pytest.approx(2.0)
    assert buckets.take("b") == 0  # another client has its own bucket
    now[0] = 2.0
    assert buckets.take("a") == 0


@pytest.mark.parametrize(("host", "loopback"), [("127.0.0.1", True), ("localhost", True), ("::1", True),
                                                ("127.0.0.2", True), ("0.0.0.0", False), ("::", False),
                                                ("10.1.2.3", False), ("ops.example.com", False)])
def test_only_loopback_addresses_count_as_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_off_loopback_needs_an_auth_mode_and_loopback_does_not() -> None:
    with pytest.raises(ConfigError, match="OPSCONTEXT_HTTP__TOKEN"):
        refuse_unauthenticated("0.0.0.0", None)
    refuse_unauthenticated("127.0.0.1", None)
    auth = build_auth(HttpSettings(token="t" * 32), base_url="http://0.0.0.0:8000")  # type: ignore[arg-type]
    refuse_unauthenticated("0.0.0.0", auth)


def test_allowed_hosts_derive_from_the_bind_address_plus_configured_extras() -> None:
    assert default_hosts("127.0.0.1", 8000) == ["127.0.0.1:8000", "localhost:8000", "[::1]:8000"]
    assert default_hosts("0.0.0.0", 8000) == ["127.0.0.1:8000", "localhost:8000", "[::1]:8000"]
    assert default_hosts("10.1.2.3", 9000)[-1] == "10.1.2.3:9000"
    assert default_hosts("fd00::5", 9000)[-1] == "[fd00::5]:9000"
    security = transport_security("10.1.2.3", 9000, HttpSettings(allowed_hosts=["ops.example.com"],
                                                                  allowed_origins=["https://ops.example.com"]))
    assert security.enable_dns_rebinding_protection
    assert "ops.example.com" in security.allowed_hosts and "10.1.2.3:9000" in security.allowed_hosts
    assert "https://ops.example.com" in security.allowed_origins and "http://10.1.2.3:9000" in security.allowed_origins
    assert not any("*" in h for h in security.allowed_hosts)


def test_oauth_mode_allows_the_public_resource_host() -> None:
    security = transport_security("0.0.0.0", 8000, HttpSettings(oauth=oauth()))
    assert "mcp.example.com" in security.allowed_hosts
    assert "https://mcp.example.com" in security.allowed_origins


def test_audit_arguments_are_capped_per_value_and_in_number() -> None:
    capped = capped_arguments({"service": "x" * 1000, "n": 3, **{f"k{i}": i for i in range(30)}})
    assert len(capped["service"]) < MAX_VALUE_CHARS + 20 and capped["service"].endswith("(+800 chars)")
    assert capped["n"] == "3" and capped["…"] == "12 more"
    assert capped_arguments(None) == {}


def test_a_short_token_both_modes_or_plain_http_off_loopback_are_refused() -> None:
    with pytest.raises(ValidationError, match="16 characters"):
        HttpSettings(token="short")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="either"):
        HttpSettings(token="t" * 32, oauth=oauth())  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="https"):
        oauth(introspection_endpoint="http://login.example.com/introspect")


@pytest.mark.parametrize(("toml", "env"), [('[http]\ntoken = "t"\n', "OPSCONTEXT_HTTP__TOKEN"),
                                           ('[http.oauth]\nclient_secret = "s"\n',
                                            "OPSCONTEXT_HTTP__OAUTH__CLIENT_SECRET")])
def test_http_secrets_in_the_config_file_are_refused(tmp_path: Path, toml: str, env: str) -> None:
    path = tmp_path / "opscontext.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError, match=env):
        load(path)


def test_the_token_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "opscontext.toml"
    path.write_text("[http]\nallowed_hosts = ['ops.example.com']\n")
    monkeypatch.setenv("OPSCONTEXT_HTTP__TOKEN", "e" * 32)
    settings = load(path)
    assert settings.http.token is not None and settings.http.token.get_secret_value() == "e" * 32
    assert settings.http.allowed_hosts == ["ops.example.com"]
