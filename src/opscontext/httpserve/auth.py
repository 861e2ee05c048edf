"""Who may call the HTTP transport: a static bearer token, or OAuth 2.1 tokens checked by
introspection. Both are SDK ``TokenVerifier``s wired through ``AuthSettings``, so the SDK answers a
missing or wrong token with 401 and ``WWW-Authenticate`` (pointing at the RFC 9728 metadata in OAuth
mode) and publishes ``/.well-known/oauth-protected-resource``.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from dataclasses import dataclass

import httpx
from mcp.server.auth.provider import AccessToken, TokenVerifier
from mcp.server.auth.settings import AuthSettings
from pydantic import AnyHttpUrl

from opscontext.errors import ConfigError
from opscontext.httpserve.introspection import IntrospectionVerifier
from opscontext.settings_http import HttpSettings

STATIC_CLIENT_ID = "static-token"


@dataclass(frozen=True)
class HttpAuth:
    """What MCPServer needs to require a token: the verifier, the SDK's auth settings, and a label."""

    verifier: TokenVerifier
    settings: AuthSettings
    mode: str

    async def aclose(self) -> None:
        """Release what the verifier holds open (the introspection client)."""
        if isinstance(self.verifier, IntrospectionVerifier):
            await self.verifier.aclose()


class StaticTokenVerifier(TokenVerifier):
    """Accepts exactly one shared secret, compared in constant time."""

    def __init__(self, token: str) -> None:
        self._digest = hashlib.sha256(token.encode()).digest()

    async def verify_token(self, token: str) -> AccessToken | None:
        """Return an access token for the configured secret, ``None`` for anything else."""
        # Comparing fixed-length digests keeps even the secret's length out of the timing.
        if not hmac.compare_digest(hashlib.sha256(token.encode()).digest(), self._digest):
            return None
        return AccessToken(token=token, client_id=STATIC_CLIENT_ID, scopes=[])


def build_auth(
    http: HttpSettings, *, base_url: str, transport: httpx.AsyncBaseTransport | None = None
) -> HttpAuth | None:
    """The configured auth mode, or ``None`` when neither a token nor OAuth is configured.

    ``base_url`` is where the server listens (``http://host:port``); ``transport`` replaces the
    network for the introspection client in tests.
    """
    if http.token is not None:
        # No authorization server exists in this mode: issuer_url is a required field of the SDK's
        # settings but is published nowhere, because no resource_server_url (metadata) is set.
        settings = AuthSettings(issuer_url=AnyHttpUrl(base_url), resource_server_url=None)
        return HttpAuth(StaticTokenVerifier(http.token.get_secret_value()), settings, "static bearer token")
    if http.oauth is not None:
        oauth = http.oauth
        settings = AuthSettings(
            issuer_url=oauth.issuer_url,
            resource_server_url=oauth.resource_url,
            required_scopes=oauth.required_scopes or None,
            # The verifier checks the audience itself: authorization servers spell it as the
            # resource URL or as a plain client name, which the SDK's URL comparison cannot match.
            validate_token_resource=False,
        )
        return HttpAuth(IntrospectionVerifier(oauth, transport=transport), settings, "OAuth 2.1 (introspection)")
    return None


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the server reachable from this machine only."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve to anything


def refuse_unauthenticated(host: str, auth: HttpAuth | None) -> None:
    """Raise ``ConfigError`` when ``host`` is reachable from other machines and nothing authenticates."""
    if auth is not None or is_loopback(host):
        return
    raise ConfigError(
        f"refusing to serve HTTP on {host} without authentication: anyone who can reach it would read "
        "on-call phone numbers and incident data. Set OPSCONTEXT_HTTP__TOKEN to a long random secret "
        "(e.g. `openssl rand -hex 32`) and send it as `Authorization: Bearer <token>`, or configure "
        "[http.oauth] (issuer_url, introspection_endpoint, resource_url); or bind --host 127.0.0.1"
    )
