"""The HTTP app: the SDK's streamable HTTP app with Host/Origin checks for the bind address, the
body cap, and the per-client rate limit placed after authentication (so it can key on who called)."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer
from starlette.applications import Starlette
from starlette.middleware import Middleware

from opscontext.httpserve.hosts import transport_security
from opscontext.httpserve.ratelimit import RateLimitMiddleware, TokenBuckets
from opscontext.settings_http import HttpSettings


def guarded_app(server: MCPServer[Any], http: HttpSettings, *, host: str, port: int) -> Starlette:
    """The Starlette app serving ``server`` at ``/mcp`` with every HTTP safeguard configured."""
    app = server.streamable_http_app(
        host=host,
        transport_security=transport_security(host, port, http),
        max_request_body_size=http.max_body_bytes,
    )
    buckets = TokenBuckets(http.rate_limit_per_minute / 60, http.rate_limit_burst)
    # Innermost user middleware: after the SDK's AuthenticationMiddleware has set scope["user"].
    app.user_middleware.append(Middleware(RateLimitMiddleware, buckets=buckets))
    return app
