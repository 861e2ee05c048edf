"""One audit line per tool call on the ``opscontext.audit`` logger: who, which tool, with what
arguments, how long it took and how it ended.

It runs as SDK server middleware, so every transport is covered (over stdio the caller is
``local``). The line goes through ordinary logging, so any redaction filter on the handlers applies
to it; argument values are cut to ``MAX_VALUE_CHARS`` and tokens are never part of it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from typing import Any

from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext

audit_log = logging.getLogger("opscontext.audit")
MAX_VALUE_CHARS = 200
MAX_ARGUMENTS = 20


def _cap(text: str, limit: int = MAX_VALUE_CHARS) -> str:
    return text if len(text) <= limit else f"{text[:limit]}…(+{len(text) - limit} chars)"


def capped_arguments(arguments: object) -> dict[str, str]:
    """Tool arguments as short strings, each value at most ``MAX_VALUE_CHARS`` characters."""
    if not isinstance(arguments, Mapping):
        return {} if arguments is None else {"(arguments)": _cap(repr(arguments))}
    capped: dict[str, str] = {}
    for i, (key, value) in enumerate(arguments.items()):
        if i == MAX_ARGUMENTS:
            capped["…"] = f"{len(arguments) - MAX_ARGUMENTS} more"
            break
        text = value if isinstance(value, str) else json.dumps(value, default=str)
        capped[_cap(str(key), 50)] = _cap(text)
    return capped


def caller(request: Any) -> tuple[str, str]:
    """(who, address) of an HTTP request; ``("local", "-")`` off HTTP (stdio, in-memory)."""
    scope = getattr(request, "scope", None)
    if not isinstance(scope, Mapping):
        return "local", "-"
    client = scope.get("client")
    address = str(client[0]) if client else "-"
    user = scope.get("user")
    if isinstance(user, AuthenticatedUser):
        token = user.access_token
        return (f"sub:{token.subject}" if token.subject else f"client:{token.client_id}"), address
    return "anonymous", address


def _outcome(result: HandlerResult) -> str:
    if isinstance(result, Mapping):
        return "error" if result.get("isError") else "ok"
    return "error" if getattr(result, "is_error", False) else "ok"


class AuditMiddleware:
    """SDK server middleware logging each ``tools/call``; other requests pass untouched."""

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        """Time the call, then log one line whatever happened (an exception is re-raised)."""
        if ctx.method != "tools/call":
            return await call_next(ctx)
        params = ctx.params or {}
        started = time.perf_counter()
        outcome = "failed"
        try:
            result = await call_next(ctx)
            outcome = _outcome(result)
            return result
        finally:
            who, address = caller(ctx.request)
            audit_log.info(
                "tool=%s who=%s addr=%s outcome=%s duration_ms=%.1f args=%s",
                _cap(str(params.get("name")), 80),
                _cap(who, 120),
                address,
                outcome,
                (time.perf_counter() - started) * 1000,
                json.dumps(capped_arguments(params.get("arguments")), ensure_ascii=False),
            )
