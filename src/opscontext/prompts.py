"""Incident command as MCP prompts: open an incident, draft a stakeholder update.

Each prompt runs ``incident_context`` for its subject and fills a plan from it (roles, one
channel, one status document, an update cadence; see :mod:`opscontext.briefing.command`). Bad
input reaches the client as an invalid-params error with the same actionable text a tool gives:
a bad subject from the prompt itself, an unknown prompt or a missing, unknown or non-text
argument from :class:`PromptArguments` (the SDK answers those with a bare internal error).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Annotated, Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.shared.exceptions import MCPError
from mcp_types import INTERNAL_ERROR, INVALID_PARAMS
from pydantic import Field

from opscontext.app import App
from opscontext.briefing.command import open_incident_text, status_update_text
from opscontext.briefing.models import IncidentContext
from opscontext.errors import OpsContextError, preview
from opscontext.queries.incident_context import incident_context

log = logging.getLogger(__name__)
MAX_AUDIENCE = 200

SubjectArg = Annotated[
    str,
    Field(description="The service, or a group id from correlate_alerts (an alert fingerprint works too)."),
]


async def _briefing(ctx: Context, subject: str, what: str) -> tuple[App, IncidentContext]:
    app = ctx.request_context.lifespan_context
    assert isinstance(app, App)
    try:
        return app, await incident_context(app, subject)
    except OpsContextError as exc:
        raise MCPError(INVALID_PARAMS, str(exc)[:2_000]) from None
    except Exception:
        log.exception("prompt %s failed", what)
        raise MCPError(INTERNAL_ERROR, f"{what} hit an internal error (logged on the server).") from None


class PromptArguments:
    """Server middleware checking a ``prompts/get`` before the SDK renders it: the prompt must
    exist and its arguments must be the prompt's own, every required one given, each a string
    (prompt arguments are text in MCP). The SDK reports each of these as a bare "Internal server
    error" and logs a traceback; here the client learns what to fix, as an invalid-params error."""

    def __init__(self, server: MCPServer[App]) -> None:
        self._server = server

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method == "prompts/get":
            check_prompt_request(self._server, ctx.params or {})
        return await call_next(ctx)


def check_prompt_request(server: MCPServer[App], params: Mapping[str, Any]) -> None:
    """Raise an invalid-params ``MCPError`` naming what is wrong with a ``prompts/get`` request."""
    manager = server._prompt_manager
    name = params.get("name")
    prompt = manager.get_prompt(name) if isinstance(name, str) else None
    if prompt is None:
        known = ", ".join(sorted(p.name for p in manager.list_prompts()))
        raise MCPError(INVALID_PARAMS, f"No prompt {preview(name)}; this server has: {known}.")
    given = params.get("arguments") or {}
    if not isinstance(given, Mapping):
        raise MCPError(INVALID_PARAMS, f"{prompt.name}: `arguments` must be an object of argument names to text.")
    spec = {a.name: a for a in prompt.arguments or []}
    usage = ", ".join(f"`{a.name}`{'' if a.required else ' (optional)'}" for a in spec.values())
    unknown = [k for k in given if k not in spec]
    if unknown:
        names = ", ".join(preview(k, 40) for k in unknown[:5])
        raise MCPError(INVALID_PARAMS, f"{prompt.name} has no argument {names}; it takes {usage}.")
    missing = [a for a in spec.values() if a.required and a.name not in given]
    if missing:
        what = "; ".join(f"`{a.name}`: {a.description}" if a.description else f"`{a.name}`" for a in missing)
        raise MCPError(INVALID_PARAMS, f"{prompt.name} needs {what}")
    for key, value in given.items():
        if not isinstance(value, str):
            raise MCPError(INVALID_PARAMS, f"{prompt.name}: `{key}` must be text, not {type(value).__name__}.")


def _printable(text: str) -> str:
    """``text`` without control characters (a NUL or an escape sequence in an audience name)."""
    return "".join(ch if ch.isprintable() else " " for ch in text)


def register_prompts(server: MCPServer[App]) -> None:
    """Register ``open_incident`` and ``status_update`` on ``server``, and the check of their
    arguments (:class:`PromptArguments`)."""
    server.middleware.append(PromptArguments(server))

    @server.prompt(name="open_incident", title="Open an incident")
    async def open_incident(subject: SubjectArg, ctx: Context) -> str:
        """Open an incident with incident-command roles (commander, technical lead, communications
        lead, scribe), one channel, one status document and an update cadence, filled from
        incident_context for a service or group."""
        app, briefing = await _briefing(ctx, subject, "open_incident")
        return open_incident_text(briefing, app.now())

    @server.prompt(name="status_update", title="Draft a stakeholder status update")
    async def status_update(subject: SubjectArg, ctx: Context, audience: str = "stakeholders") -> str:
        """Draft a stakeholder status update (status, impact, what we know, what we are doing,
        next update) from the current incident_context of a service or group."""
        app, briefing = await _briefing(ctx, subject, "status_update")
        who = " ".join(_printable(audience).split())[:MAX_AUDIENCE] or "stakeholders"
        return status_update_text(briefing, app.now(), who)

