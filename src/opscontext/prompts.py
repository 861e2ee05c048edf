"""Incident command as MCP prompts: open an incident, draft a stakeholder update.

Each prompt runs ``incident_context`` for its subject and fills a plan from it (roles, one
channel, one status document, an update cadence; see :mod:`opscontext.briefing.command`). Bad
input reaches the client as an invalid-params error with the same actionable text a tool gives.
"""

from __future__ import annotations

import logging
from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from mcp.shared.exceptions import MCPError
from mcp_types import INTERNAL_ERROR, INVALID_PARAMS
from pydantic import Field

from opscontext.app import App
from opscontext.briefing.command import open_incident_text, status_update_text
from opscontext.briefing.models import IncidentContext
from opscontext.errors import OpsContextError
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


def register_prompts(server: MCPServer[App]) -> None:
    """Register ``open_incident`` and ``status_update`` on ``server``."""

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
        who = " ".join(audience.split())[:MAX_AUDIENCE] or "stakeholders"
        return status_update_text(briefing, app.now(), who)

