"""The ``incident_context`` MCP tool: arguments and description; the work is in
:mod:`opscontext.queries.incident_context`. ``server.py`` registers it like the other tools."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from opscontext.app import App
from opscontext.briefing.models import IncidentContext
from opscontext.call_progress import step_reporter
from opscontext.queries.incident_context import DEFAULT_MAX_TOKENS, MAX_TOKENS, MIN_TOKENS, incident_context

Subject = Annotated[
    str,
    Field(
        description="A service, an alert fingerprint or a correlate_alerts group id (grp-...).",
        max_length=200,
    ),
]
Since = Annotated[str | None, Field(description="ISO 8601 or ago, e.g. 90m; default 2h.", max_length=64)]
Until = Annotated[str | None, Field(description="As since; default now.", max_length=64)]
Budget = Annotated[
    int | None,
    Field(
        description=f"Answer size limit in tokens; default {DEFAULT_MAX_TOKENS}.",
        ge=MIN_TOKENS,
        le=MAX_TOKENS,
    ),
]


async def incident_context_tool(
    subject: Subject,
    ctx: Context,
    since: Since = None,
    until: Until = None,
    max_tokens: Budget = None,
) -> IncidentContext:
    """Start here in an incident: one bounded answer (~2,000 tokens): what is going on since when,
    user impact, the likely primary contributor with evidence and confidence, owner and who is on
    call now and next, suspect changes, blast radius, the runbook section, first steps. Each
    part's `more` is the call that returns it in full."""
    app = ctx.request_context.lifespan_context
    assert isinstance(app, App)

    return await incident_context(app, subject, since, until, max_tokens,
                                  progress=step_reporter(ctx.report_progress))
