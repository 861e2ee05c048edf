"""correlate_alerts: hundreds of alerts in, a few incidents out, each with a named starting point."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from pydantic import Field

from opscontext.answers import Answer, quoted
from opscontext.app import App
from opscontext.engine.correlate import correlate
from opscontext.engine.correlation.models import AlertGroup, Correlation, CorrelationOptions
from opscontext.queries.common import empty_caveat, failure_notes, find_service, one_deadline, require_some
from opscontext.redact import redact
from opscontext.timeparse import parse_window

DEFAULT_WINDOW = timedelta(hours=2)
MAX_GROUPS = 20
MAX_FLAPPING_LISTED = 20


class CorrelationAnswer(Correlation, Answer):
    untrusted_fields: str = quoted("groups[].summary, candidates[].evidence, alerts[].alertname, flapping keys")
    since: datetime
    until: datetime
    service: str | None = Field(default=None, description="The service filter applied, if any.")
    groups_omitted: int = Field(default=0, description="Groups left out to fit (smallest, least confident).")


Progress = Callable[[float, float, str], Awaitable[None]]
THREAD_ABOVE = 2_000  # alerts; bigger correlations run off the event loop so other calls proceed


async def _silent(done: float, total: float, message: str) -> None:
    return None


@one_deadline
async def correlate_alerts(
    app: App,
    since: str | None = None,
    until: str | None = None,
    service: str | None = None,
    progress: Progress = _silent,
) -> CorrelationAnswer:
    now = app.now()
    window = parse_window(
        since,
        until,
        now=now,
        default=DEFAULT_WINDOW,
        max_window=timedelta(days=min(app.settings.limits.max_window_days, 7)),
    )
    world = await app.worlds.build()
    svc = None
    if service and service.strip():
        require_some(world.statuses, "catalog", f"which service {service!r} is")
        svc = find_service(world, service)
    # Five listed alerts and three candidates per group: enough to act on, small enough to read
    # (and to validate: clients check every nested item against the output schema).
    options = CorrelationOptions(max_alerts_listed=5, max_candidates=3)
    # Changes from before the window still explain alerts inside it.
    change_window = window.model_copy(update={"since": window.since - options.change_lookback})
    await progress(1, 3, "fetching alerts and changes from every source")
    alerts, changes = await asyncio.gather(app.hub.alerts(window), app.hub.changes(change_window))
    require_some(alerts.statuses, "alerts", "alert correlation", degrade=True)
    labels = app.settings.identity.service_labels
    resolved = world.resolve_alerts(alerts.items(), labels)
    resolved_changes = world.resolve_changes(changes.items())
    await progress(2, 3, f"correlating {len(resolved)} alerts over {len(world.graph)} services")
    run = functools.partial(correlate, resolved, world.graph, resolved_changes, now=window.until, options=options)
    result = await asyncio.to_thread(run) if len(resolved) > THREAD_ABOVE else run()
    await progress(3, 3, f"{result.groups_out} groups")
    groups = result.groups
    if svc is not None:
        groups = [
            g
            for g in groups
            if svc.name in g.services
            or svc.name in g.impacted_services
            or any(c.service == svc.name for c in g.candidates)
        ]
    statuses = world.statuses + alerts.statuses + changes.statuses
    notes = failure_notes(statuses)
    explanation = result.explanation
    caveat = empty_caveat(alerts.statuses, "alerts", "alerts") if not result.alerts_in else None
    if caveat:  # an empty window from a broken source must never read as "no alerts"
        explanation = caveat
        notes.insert(0, caveat)
    if len(groups) > MAX_GROUPS:
        notes.append(f"Showing the {MAX_GROUPS} largest of {len(groups)} groups.")
    # Biggest incidents first: what a responder (and a model with a small context) reads first.
    kept = [_redacted(g) for g in sorted(groups, key=lambda g: (-g.alert_count, -g.confidence))[:MAX_GROUPS]]
    flapping = dict(sorted(result.flapping.items(), key=lambda kv: -kv[1])[:MAX_FLAPPING_LISTED])
    return CorrelationAnswer(
        **result.model_dump(exclude={"groups", "flapping", "explanation"}),
        explanation=explanation,
        groups=kept,
        flapping=flapping,
        groups_omitted=len(groups) - len(kept),
        since=window.since,
        until=window.until,
        service=svc.name if svc else None,
        sources=statuses,
        notes=notes,
    )


def _redacted(group: AlertGroup) -> AlertGroup:
    return group.model_copy(update={"summary": redact(group.summary) or ""})
