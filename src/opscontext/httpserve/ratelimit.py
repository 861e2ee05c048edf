"""Per-client rate limit: a token bucket per client, 429 with ``Retry-After`` when it is empty.

Each tool call fans out to every configured vendor system, so one runaway client could exhaust
their API quotas for everyone. A client is the token's subject (or OAuth client id) when a token
was verified, else its address: the static token is shared, so its users are told apart by
address, and unauthenticated guessing is limited per address too.
"""

from __future__ import annotations

import json
import math
import time
from collections import OrderedDict
from collections.abc import Callable

from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from starlette.types import ASGIApp, Receive, Scope, Send

from opscontext.httpserve.auth import STATIC_CLIENT_ID

MAX_CLIENTS = 10_000


class TokenBuckets:
    """Token buckets of ``burst`` capacity refilled at ``per_second``, one per client key."""

    def __init__(self, per_second: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate, self._burst, self._clock = per_second, float(burst), clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at)

    def take(self, key: str) -> float:
        """Spend one token of ``key``'s bucket: 0 when allowed, else seconds until one is available."""
        now = self._clock()
        tokens, at = self._buckets.pop(key, (self._burst, now))
        tokens = min(self._burst, tokens + (now - at) * self._rate)
        wait = 0.0 if tokens >= 1 else (1 - tokens) / self._rate
        self._buckets[key] = (tokens - 1 if wait == 0 else tokens, now)
        if len(self._buckets) > MAX_CLIENTS:  # the least recently seen client starts afresh
            self._buckets.popitem(last=False)
        return wait


def client_key(scope: Scope) -> str:
    """Whose bucket a request spends: the verified principal, else the client address."""
    user = scope.get("user")
    if isinstance(user, AuthenticatedUser) and user.access_token.client_id != STATIC_CLIENT_ID:
        token = user.access_token
        return f"sub:{token.subject}" if token.subject else f"client:{token.client_id}"
    client = scope.get("client")
    return f"addr:{client[0]}" if client else "addr:unknown"


class RateLimitMiddleware:
    """ASGI middleware answering 429 when the client's bucket is empty. Place it after authentication."""

    def __init__(self, app: ASGIApp, buckets: TokenBuckets) -> None:
        self.app = app
        self.buckets = buckets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, or answer 429 without reading it."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wait = self.buckets.take(client_key(scope))
        if wait == 0:
            await self.app(scope, receive, send)
            return
        body = json.dumps({"error": "rate_limited", "error_description": "too many requests; retry later"}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(max(1, math.ceil(wait))).encode()),
        ]
        await send({"type": "http.response.start", "status": 429, "headers": headers})
        await send({"type": "http.response.body", "body": body})
