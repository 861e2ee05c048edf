"""The ``incident_context`` MCP tool: arguments and description; the work is in
:mod:`opscontext.queries.incident_context`. ``server.py`` registers it like the other tools."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from opscontext.app import App
from opscontext.briefing.models import IncidentContext
from opscontext.queries.incident_context import DEFAULT_MAX_TOKENS, MAX_TOKENS, MIN_TOKENS, incident_context

Subject = Annotated[
    str,
    Field(
        description="A service (any spelling the catalog knows, e.g. checkout-service), an alert fingerprint, "
        "or a group id from correlate_alerts (grp-...).",
        max_length=200,
    ),
]
Window = Annotated[
    str | None,
    Field(description="ISO 8601 time or how long ago (90m, 2h); default: the last 2 hours to now.", max_length=64),
]
Budget = Annotated[
    int | None,
    Field(
        description=f"Answer size limit in tokens ({MIN_TOKENS}-{MAX_TOKENS}); default {DEFAULT_MAX_TOKENS}.",
        ge=MIN_TOKENS,
        le=MAX_TOKENS,
    ),
]


async def incident_context_tool(
    subject: Subject,
    ctx: Context,
    since: Window = None,
    until: Window = None,
    max_tokens: Budget = None,
) -> IncidentContext:
    """Start here during an incident: one bounded answer (about 2,000 tokens) with what is going
    on, since when, how users are hurt, the likely primary contributor with evidence and
    confidence, the owner and who is on call now and next by escalation, suspect changes, the
    blast radius, the runbook section to follow, and what to do first. Every part names the tool
    and arguments that return it in full; cut lists say how much was left out."""
    app = ctx.request_context.lifespan_context
    assert isinstance(app, App)

    async def progress(done: float, total: float, message: str) -> None:
        await ctx.report_progress(done, total, message=message)

    return await incident_context(app, subject, since, until, max_tokens, progress=progress)
