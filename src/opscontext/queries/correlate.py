"""correlate_alerts: hundreds of alerts in, a few incidents out, each with a named starting point.

The default answer lists the largest groups first, as much of each as its token budget holds
(:mod:`opscontext.queries.correlate_fit`); ``cursor`` pages on through the groups, and
``group_id`` (with ``cursor``) pages through one group's members. A cursor carries its window,
so a page asked for later is a page of the same alerts.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field

from opscontext import cursor as cursors
from opscontext.answers import Answer, quoted
from opscontext.app import App
from opscontext.budget import UNBOUNDED, omitted
from opscontext.capabilities import ALERTS
from opscontext.engine.correlate import correlate_lazy
from opscontext.engine.correlation.health import HealthMap
from opscontext.engine.correlation.lazy import LazyCorrelation
from opscontext.engine.correlation.models import AlertGroup, Correlation, CorrelationOptions
from opscontext.errors import InputError, preview
from opscontext.gcpause import paused
from opscontext.models import Service, TimeWindow
from opscontext.queries.common import (
    alert_window_limit,
    failure_notes,
    find_service,
    held_outside_notes,
    one_deadline,
    require_some,
    unattributed_notes,
    unhealthy,
)
from opscontext.queries.correlate_fit import fit_groups, fit_page
from opscontext.queries.correlate_health import page_health
from opscontext.queries.correlate_memo import memoised
from opscontext.queries.correlate_order import Listing, largest
from opscontext.queries.correlate_view import Detail, GroupView, members
from opscontext.queries.group_impact import lead_with_impact
from opscontext.timeparse import parse_window

DEFAULT_WINDOW = timedelta(hours=2)
MAX_GROUPS = 20
# Five listed alerts and three candidates per group: the most any answer shows (evalkit scores
# the engine with the same, so its AC@3 is what a user of the tool sees).
ANSWER_OPTIONS = CorrelationOptions(max_alerts_listed=5, max_candidates=3)
TOOL = "correlate_alerts"


class CorrelationAnswer(Correlation, Answer):
    untrusted_fields: str = quoted("groups[].summary, candidates[].evidence, alerts[].alertname, flapping keys")
    groups: list[GroupView] = Field(description="Largest first.")  # type: ignore[assignment]
    since: datetime
    until: datetime
    service: str | None = Field(default=None, description="The service filter applied, if any.")
    groups_omitted: int = Field(default=0, description="Groups not listed; next_cursor pages to them.")
    flapping_omitted: int = omitted()
    next_cursor: str | None = Field(
        default=None, exclude_if=lambda v: v is None,
        description="Pass as cursor for the next page.",
    )


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
    group_id: str | None = None,
    cursor: str | None = None,
    budget: int | None = None,
    slo_summaries: bool = True,
) -> CorrelationAnswer:
    """Groups of the window's alerts, largest first, from ``cursor`` on; or one page of group
    ``group_id``'s members. ``budget``: the answer's token budget (front ends pass
    ``limits.answer_tokens``); None gives every group of the page whole. ``slo_summaries=False``
    leaves SLOs unasked, for a caller that evaluates user impact itself."""
    window, position = _window(app, since, until, cursor)
    group_id = _group_id(group_id, position)
    # The call's bulk objects (100k resolved alerts, the engine's groups) are acyclic and die with
    # it, yet each collection while they lived traced them all: at 50k services / 100k alerts
    # 0.4-0.8 s of collections per call that found nothing. Paused until only the answer is left
    # (at most the call's deadline: what other calls leave meanwhile is collected afterwards).
    with paused():
        return await _answer(app, window, position, service, progress, group_id, cursor, budget, slo_summaries)


async def _answer(app: App, window: TimeWindow, position: dict[str, str], service: str | None, progress: Progress,
                  group_id: str | None, cursor: str | None, budget: int | None,
                  slo_summaries: bool) -> CorrelationAnswer:
    world = await app.worlds.build()
    svc = None
    wanted = position.get("v") if cursor else service
    if isinstance(wanted, str) and wanted.strip() and group_id is None:
        require_some(world.statuses, "catalog", f"which service {wanted!r} is")
        svc = find_service(world, wanted)
    options = ANSWER_OPTIONS
    # Changes from before the window still explain alerts inside it.
    change_window = window.model_copy(update={"since": window.since - options.change_lookback})
    await progress(1, 3, "fetching alerts and changes from every source")
    alerts, changes = await asyncio.gather(app.hub.alerts(window), app.hub.changes(change_window))
    require_some(alerts.statuses, "alerts", "alert correlation", degrade=True)
    raw = alerts.items()
    resolved = world.resolve_alerts(raw, app.settings.identity.service_labels)
    resolved_changes = world.resolve_changes(changes.items())
    await progress(2, 3, f"correlating {len(resolved)} alerts over {len(world.graph)} services")
    # Groups are ranked when a page shows them (correlate_order): most never are.
    run = functools.partial(correlate_lazy, resolved, world.graph, resolved_changes, now=window.until, options=options)
    # The same inputs again (a warm call, the next page): the last correlation, not a new one.
    run = functools.partial(memoised, run, resolved, world.graph, resolved_changes, window.until, options,
                            LazyCorrelation)
    big = len(resolved) > THREAD_ABOVE
    lazy = await asyncio.to_thread(run) if big else run()
    result = lazy.head
    await progress(3, 3, f"{result.groups_out} groups")
    impact: list[Any] = []
    led: dict[str, AlertGroup] = {}
    if group_id is None and slo_summaries:

        async def first(n: int) -> list[AlertGroup]:
            return await asyncio.to_thread(largest, lazy, n) if big else largest(lazy, n)

        led, impact = await lead_with_impact(app, first, window.until)
    page: Callable[[dict[str, Any], int, Mapping[int, HealthMap]], CorrelationAnswer]
    if group_id is None:
        made = functools.partial(Listing, lazy, svc.name if svc else None, led)  # a service filter ranks groups
        listing = await asyncio.to_thread(made) if big else made()
        start = cursors.offset(position, "o")
        shown: Callable[[], tuple[list[int], int]] = functools.partial(listing.span, start, MAX_GROUPS)
        page = functools.partial(_groups_page, lazy, listing, svc, start, window)
    else:
        shown = functools.partial(_one_group, lazy, group_id)
        page = functools.partial(_member_page, lazy, group_id, cursors.offset(position, "m"), window)
    # A health source's word on the quiet candidates of the groups shown (none configured: nothing).
    health = await page_health(app, lazy, shown, window.until, big)
    statuses = world.statuses + alerts.statuses + changes.statuses + impact + health.statuses
    base: dict[str, Any] = {
        **result.model_dump(exclude={"groups", "flapping", "explanation"}),
        "explanation": _explanation(result, alerts.statuses),
        "since": window.since, "until": window.until, "sources": statuses,
        "notes": failure_notes(statuses) + health.notes,
    }
    if result.ungrouped.get("no_service"):  # the engine counted them: only then read every alert again
        base["notes"] += unattributed_notes(raw, resolved, app.settings.identity.service_labels)
    prefixed = world.prefixed(resolved) if world.resolver.prefixes else 0
    if prefixed:  # an inferred mapping decided which service these alerts are about: say so
        prefixes = ", ".join(repr(p) for p in world.resolver.prefixes)
        base["notes"].append(
            f"{prefixed} alert{'s' if prefixed > 1 else ''} named {'their' if prefixed > 1 else 'its'} service "
            f"only by a workload name read without the release prefix {prefixes}, learnt from the alerts (it "
            "stands before the names of several catalog services). Where that is wrong, a catalog alias wins.")
    if not result.alerts_in:
        base["notes"] += held_outside_notes(app, ALERTS, alerts.statuses, window, "alert", alert_window_limit(app))
    shape = functools.partial(page, base, budget or UNBOUNDED, health.verdicts)
    # Ranking the page's groups and fitting them into the budget (a few answers built and
    # measured): off the loop too.
    return await asyncio.to_thread(shape) if big else shape()


def _window(app: App, since: str | None, until: str | None, cursor: str | None) -> tuple[TimeWindow, dict[str, str]]:
    """The cursor's window and position, or the window the arguments name (a cursor wins)."""
    if cursor is not None and cursor.strip():
        return cursors.decode(cursor, TOOL, now=app.now(), max_window=alert_window_limit(app))
    window = parse_window(since, until, now=app.now(), default=DEFAULT_WINDOW, max_window=alert_window_limit(app))
    return cursors.whole_seconds(window), {}


def _group_id(group_id: str | None, position: dict[str, str]) -> str | None:
    from_cursor = position.get("g")
    given = group_id.strip() if group_id and group_id.strip() else None
    if given is not None and from_cursor is not None and given != from_cursor:
        raise InputError(f"This cursor pages group {from_cursor}, not {preview(given)}: pass the cursor that "
                         "group's answer handed out, or leave `cursor` out to start the group from its first page.")
    return given or from_cursor


def _explanation(result: Correlation, statuses: list[Any]) -> str:
    """The engine's explanation, led by what a failed or partial alert source means for it: an
    empty window from a broken source must never read as "no alerts"."""
    why = unhealthy(statuses, "alerts")
    if why is None:
        return result.explanation
    if not result.alerts_in:
        return f"{why[0].upper()}{why[1:]}, so finding no alerts is not evidence there are none."
    return f"{why[0].upper()}{why[1:]}; what follows covers only the alerts that were read. {result.explanation}"


def _one_group(lazy: LazyCorrelation, group_id: str) -> tuple[list[int], int]:
    """The position of group ``group_id`` (none if no group has that id), as ``Listing.span``."""
    pos = lazy.position(group_id)
    return ([], 0) if pos is None else ([pos], 1)


def _groups_page(lazy: LazyCorrelation, groups: Listing, svc: Service | None, start: int, window: TimeWindow,
                 base: dict[str, Any], budget: int, health: Mapping[int, HealthMap]) -> CorrelationAnswer:
    flapping = lazy.head.flapping
    ranked_flaps = sorted(flapping.items(), key=lambda kv: -kv[1])
    chunk = groups.page(start, MAX_GROUPS, health)

    def make(views: list[GroupView], detail: Detail) -> CorrelationAnswer:
        shown = dict(ranked_flaps[:detail.flapping])
        after = start + len(views)
        more = after < len(groups)
        position: dict[str, str | int] = {"o": after, **({"v": svc.name} if svc else {})}
        notes = [*base["notes"], *_group_notes(views, start, len(groups), more, window)]
        return CorrelationAnswer(
            **{**base, "notes": notes}, groups=views, flapping=shown, flapping_omitted=len(flapping) - len(shown),
            groups_omitted=len(groups) - len(views), service=svc.name if svc else None,
            next_cursor=cursors.encode(TOOL, window, **position) if more else None,
        )

    return fit_groups(chunk, make, budget)


def _group_notes(views: list[GroupView], start: int, total: int, more: bool, window: TimeWindow) -> list[str]:
    notes = []
    if start or more:
        notes.append(cursors.past_end(start, total, "group")
                     or f"Groups {start + 1}-{start + len(views)} of {total}, largest first"
                     + ("; the rest: correlate_alerts(cursor=next_cursor)." if more else "."))
    cut = [v.id for v in views if v.fingerprints_omitted or v.services_omitted or v.impacted_services_omitted]
    if cut:
        notes.append(f"{len(cut)} groups list only part of their members (see *_omitted); all of one group: "
                     f"correlate_alerts(group_id='{cut[0]}', since='{_iso(window.since)}', "
                     f"until='{_iso(window.until)}').")
    return notes


def _member_page(lazy: LazyCorrelation, group_id: str, start: int, window: TimeWindow, base: dict[str, Any],
                 budget: int, health: Mapping[int, HealthMap]) -> CorrelationAnswer:
    pos = lazy.position(group_id)
    group = None if pos is None else lazy.group_with(pos, health.get(pos, {}))
    if group is None:
        raise InputError(f"No group {preview(group_id)} among the alerts from {_iso(window.since)} to "
                         f"{_iso(window.until)}. Group ids hold for the same alerts: call correlate_alerts "
                         "with the window of the answer that named it, or without group_id for the current groups.")
    total = len(members(group))

    def make(view: GroupView) -> CorrelationAnswer:
        shown = len(view.fingerprints) + len(view.services) + len(view.impacted_services)
        more = start + shown < total
        note = cursors.past_end(start, total, f"member of group {group_id}") or (
            f"Group {group_id}: members {start + 1}-{start + shown} of {total} (fingerprints, then services, "
            "then impacted services)" + ("; the rest: pass cursor=next_cursor with this group_id." if more else "."))
        return CorrelationAnswer(
            **{**base, "notes": [*base["notes"], note]}, groups=[view], flapping={},
            flapping_omitted=len(lazy.head.flapping), groups_omitted=len(lazy) - 1,
            next_cursor=cursors.encode(TOOL, window, g=group_id, m=start + shown) if more else None,
        )

    return fit_page(group, start, make, budget)[0]


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")
