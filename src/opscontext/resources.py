"""MCP resources: a service's context document and runbooks by URI.

``opscontext://service/{name}`` is a Markdown page about one service (owner, on call, escalation,
what alerts now, dependencies, the last day's changes, runbooks, links), built from the tools'
answers at once. ``opscontext://runbook/{id}`` is one whole runbook (ids: see
:mod:`opscontext.runbook_uri`). An unknown name or id is a not-found error whose text says what
exists; a source that failed leaves its section out rather than failing the read.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import TypeVar

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError

from opscontext.app import App
from opscontext.briefing.documents import runbook_document, service_document
from opscontext.errors import InputError, OpsContextError, preview
from opscontext.queries.blast import blast
from opscontext.queries.common import find_service, one_deadline, require_some
from opscontext.queries.correlate import correlate_alerts
from opscontext.queries.get_runbook import get_runbook
from opscontext.queries.what_changed import what_changed
from opscontext.queries.who_owns import who_owns
from opscontext.runbook_uri import find_runbook

log = logging.getLogger(__name__)
T = TypeVar("T")
MARKDOWN = "text/markdown"


async def _optional(call: Awaitable[T]) -> T | None:
    """A section's answer, or None when its sources could not give one."""
    try:
        return await call
    except OpsContextError as exc:
        log.info("service document section left out: %s", exc)
        return None


@one_deadline
async def service_context(app: App, name: str) -> str:
    """The Markdown context document of the service ``name`` names."""
    world = await app.worlds.build()
    require_some(world.statuses, "catalog", "the service document")
    svc = find_service(world, name).name
    who, radius, changes, books, corr = await asyncio.gather(
        who_owns(app, svc),
        _optional(blast(app, svc, limit=10)),
        _optional(what_changed(app, svc, "24h", None, False, 10)),
        _optional(get_runbook(app, svc, None, None)),
        _optional(correlate_alerts(app, None, None, svc)),
    )
    return service_document(who, radius, changes, books, list(corr.groups) if corr else [])


@one_deadline
async def runbook_text(app: App, runbook: str) -> str:
    """The whole runbook with id ``runbook``."""
    got = await app.hub.runbooks()
    require_some(got.statuses, "runbooks", "the runbook")
    return runbook_document(find_runbook(got.items(), runbook))


async def _read(ctx: Context, what: str, call: Awaitable[str]) -> str:
    try:
        return await call
    except InputError as exc:
        raise ResourceNotFoundError(str(exc)[:2_000]) from None
    except OpsContextError as exc:
        raise ResourceError(str(exc)[:2_000]) from None
    except Exception:
        log.exception("resource %s failed", what)
        raise ResourceError(f"Reading {what} hit an internal error (logged on the server).") from None


def _app(ctx: Context) -> App:
    app = ctx.request_context.lifespan_context
    assert isinstance(app, App)
    return app


def register_resources(server: MCPServer[App]) -> None:
    """Register the service and runbook resource templates on ``server``."""

    @server.resource("opscontext://service/{name}", name="service", title="Service context", mime_type=MARKDOWN)
    async def service_resource(name: str, ctx: Context) -> str:
        """A service's context: owner, on call and escalation, what alerts now, dependencies,
        the last day's changes, runbooks and links (Markdown)."""
        return await _read(ctx, f"service {preview(name)}", service_context(_app(ctx), name))

    @server.resource("opscontext://runbook/{id}", name="runbook", title="Runbook", mime_type=MARKDOWN)
    async def runbook_resource(id: str, ctx: Context) -> str:
        """One whole runbook by id: its file name without extension (payment-service), or
        source.name when two sources hold the same name (Markdown)."""
        return await _read(ctx, f"runbook {preview(id)}", runbook_text(_app(ctx), id))
