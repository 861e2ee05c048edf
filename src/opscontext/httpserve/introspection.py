"""RFC 7662 token introspection: ask the authorization server whether a bearer token is active,
then check that it was issued for this server (audience), by the configured issuer, and is in date.

A token is accepted only when every check passes; any failure (inactive, wrong audience, network
error, garbage answer) is a 401 for the client and a warning without the token in the server log.
Positive answers are remembered briefly so a session's many requests cost one introspection.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import httpx
from mcp.server.auth.provider import AccessToken, TokenVerifier

from opscontext import __version__
from opscontext.settings_http import OAuthSettings

log = logging.getLogger(__name__)
CACHE_SECONDS = 30.0
CACHE_ENTRIES = 1024


class IntrospectionVerifier(TokenVerifier):
    """A ``TokenVerifier`` backed by an RFC 7662 introspection endpoint."""

    def __init__(
        self,
        oauth: OAuthSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._oauth = oauth
        self._clock = clock
        auth = None
        if oauth.client_id is not None:
            secret = oauth.client_secret.get_secret_value() if oauth.client_secret else ""
            auth = httpx.BasicAuth(oauth.client_id, secret)
        self._http = httpx.AsyncClient(
            auth=auth,
            timeout=oauth.timeout_seconds,
            transport=transport,
            headers={"User-Agent": f"opscontext/{__version__}", "Accept": "application/json"},
        )
        self._cache: OrderedDict[bytes, tuple[float, AccessToken]] = OrderedDict()

    async def verify_token(self, token: str) -> AccessToken | None:
        """The token's identity and scopes if the authorization server vouches for it here, else ``None``."""
        key = hashlib.sha256(token.encode()).digest()
        cached = self._cache.get(key)
        if cached is not None and cached[0] > self._clock():
            return cached[1]
        claims = await self._introspect(token)
        access = self._accept(token, claims) if claims is not None else None
        if access is not None:
            self._remember(key, access)
        return access

    async def aclose(self) -> None:
        """Close the introspection HTTP client."""
        await self._http.aclose()

    async def _introspect(self, token: str) -> dict[str, Any] | None:
        url = str(self._oauth.introspection_endpoint)
        try:
            response = await self._http.post(url, data={"token": token, "token_type_hint": "access_token"})
        except httpx.HTTPError as exc:
            log.warning("token introspection at %s failed: %s", url, type(exc).__name__)
            return None
        if response.status_code != 200:
            log.warning("token introspection at %s answered HTTP %d", url, response.status_code)
            return None
        try:
            claims = response.json()
        except ValueError:
            claims = None
        if not isinstance(claims, dict):
            log.warning("token introspection at %s answered something other than a JSON object", url)
            return None
        return claims

    def _accept(self, token: str, claims: dict[str, Any]) -> AccessToken | None:
        reason = self._rejection(claims)
        if reason is not None:
            log.warning("bearer token refused: %s", reason)
            return None
        scope = claims.get("scope")
        return AccessToken(
            token=token,
            client_id=str(claims.get("client_id") or "unknown"),
            scopes=scope.split() if isinstance(scope, str) else [],
            expires_at=_int_or_none(claims.get("exp")),
            resource=self._oauth.expected_audience,
            subject=str(claims["sub"]) if claims.get("sub") is not None else None,
            claims={k: claims[k] for k in ("iss", "aud", "username") if k in claims},
        )

    def _rejection(self, claims: dict[str, Any]) -> str | None:
        if claims.get("active") is not True:
            return "inactive"
        audiences = claims.get("aud")
        audiences = [audiences] if isinstance(audiences, str) else audiences
        wanted = self._oauth.expected_audience.rstrip("/")
        if not isinstance(audiences, list) or wanted not in {str(a).rstrip("/") for a in audiences}:
            return f"audience {claims.get('aud')!r} is not {wanted!r}"
        issuer = claims.get("iss")
        if issuer is not None and str(issuer).rstrip("/") != str(self._oauth.issuer_url).rstrip("/"):
            return f"issuer {issuer!r} is not the configured {self._oauth.issuer_url}"
        now = self._clock()
        exp, nbf = _int_or_none(claims.get("exp")), _int_or_none(claims.get("nbf"))
        if exp is not None and exp <= now:
            return "expired"
        if nbf is not None and nbf > now + 60:  # a minute of clock skew
            return "not valid yet"
        return None

    def _remember(self, key: bytes, access: AccessToken) -> None:
        until = self._clock() + CACHE_SECONDS
        if access.expires_at is not None:
            until = min(until, float(access.expires_at))
        self._cache[key] = (until, access)
        self._cache.move_to_end(key)
        while len(self._cache) > CACHE_ENTRIES:
            self._cache.popitem(last=False)


def _int_or_none(value: object) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
