"""what_changed: deploys, rollbacks and config changes, for a service and what it depends on.

Newest first, as many as fit the answer's token budget (``limit`` asks for an exact number
instead); ``next_cursor`` pages on to older changes of the same window.
"""

from __future__ import annotations

from datetime import timedelta

from opscontext import cursor as cursors
from opscontext.answers import ChangeEntry, WhatChangedAnswer
from opscontext.app import App
from opscontext.budget import UNBOUNDED, largest_fitting
from opscontext.capabilities import CHANGES
from opscontext.engine.graph import ServiceGraph
from opscontext.engine.samechange import SameChange, merge_reports
from opscontext.queries.common import (
    empty_caveat,
    failure_notes,
    find_service,
    held_outside_notes,
    one_deadline,
    require_some,
)
from opscontext.redact import clip
from opscontext.timeparse import parse_window

DEFAULT_WINDOW = timedelta(hours=24)
DEPENDENCY_DEPTH = 3
MAX_LIMIT = 500
SERVICES_LISTED = 10
TOOL = "what_changed"


@one_deadline
async def what_changed(
    app: App,
    service: str | None = None,
    since: str | None = None,
    until: str | None = None,
    include_dependencies: bool = True,
    limit: int | None = None,
    cursor: str | None = None,
    budget: int | None = None,
) -> WhatChangedAnswer:
    """Changes newest first: ``limit`` of them, or up to ``limits.max_items`` that fit ``budget``
    (tokens; front ends pass ``limits.answer_tokens``, None means no budget)."""
    start = 0
    longest = timedelta(days=app.settings.limits.max_window_days)
    if cursor is not None and cursor.strip():
        window, position = cursors.decode(cursor, TOOL, now=app.now(), max_window=longest)
        service, include_dependencies = position.get("v"), cursors.offset(position, "d", default=1) == 1
        start = cursors.offset(position, "o")
    else:
        window = cursors.whole_seconds(parse_window(
            since, until, now=app.now(), default=DEFAULT_WINDOW, max_window=longest))
    world = await app.worlds.build()
    relation: dict[str, str] = {}
    service = service.strip() if service and service.strip() else None  # blank means no filter
    if service is not None:
        require_some(world.statuses, "catalog", f"which service {service!r} is")
        svc = find_service(world, service)
        relation[svc.name] = "the service itself"
        if include_dependencies:
            for name, distance in _dependencies(world.graph, svc.name, DEPENDENCY_DEPTH).items():
                relation.setdefault(name, f"dependency (distance {distance})")
    got = await app.hub.changes(window)
    require_some(got.statuses, "changes", "what changed", degrade=True)
    # One deploy reported by several sources is one change (engine/samechange.py says when).
    merged = merge_reports(world.resolve_changes(got.items()))
    if service is not None:
        merged = [m for m in merged if m.change.service in relation]
    merged.sort(key=lambda m: (m.change.at, m.change.id), reverse=True)
    statuses = world.statuses + got.statuses
    notes = failure_notes(statuses)
    caveat = empty_caveat(got.statuses, "changes", "changes") if not merged else None
    if caveat:  # an empty list from a broken source must never read as "nothing changed"
        notes.insert(0, caveat)
    if not got.items():
        notes += held_outside_notes(app, CHANGES, got.statuses, window, "change", longest)
    shared = sum(1 for m in merged if len(m.reports) > 1)
    if shared:
        notes.append(f"{shared} of these changes were reported by several sources; each is listed once (reported_by).")
    considered = list(relation)

    def page(count: int) -> WhatChangedAnswer:
        shown = merged[start:start + count]
        after = start + len(shown)
        more = after < len(merged)
        position: dict[str, str | int] = {"o": after, **({"v": service, "d": int(include_dependencies)}
                                                       if service else {})}
        extra = []
        if start or more:
            extra.append(cursors.past_end(start, len(merged), "change")
                         or f"Changes {start + 1}-{after} of {len(merged)}, newest first"
                         + ("; older ones: what_changed(cursor=next_cursor), or name a service or narrow the "
                            "window." if more else "."))
        return WhatChangedAnswer(
            service=next(iter(relation), None), since=window.since, until=window.until,
            services_considered=considered[:SERVICES_LISTED],
            services_considered_omitted=max(0, len(considered) - SERVICES_LISTED),
            changes=[_entry(m, relation) for m in shown], total=len(merged), omitted=len(merged) - len(shown),
            next_cursor=cursors.encode(TOOL, window, **position) if more else None,
            sources=statuses, notes=[*notes, *extra],
        )

    if limit is not None:
        return page(max(1, min(limit, MAX_LIMIT)))
    most = min(app.settings.limits.max_items, max(0, len(merged) - start))
    return largest_fitting(page, most, budget or UNBOUNDED, least=min(1, most))[0]


def _entry(merged: SameChange, relation: dict[str, str]) -> ChangeEntry:
    c = merged.change
    return ChangeEntry(
        id=c.id,
        service=c.service,
        relation=relation.get(c.service or "", "elsewhere"),
        kind=c.kind,
        summary=clip(c.summary, 300) or "",
        at=c.at,
        author=c.author,
        link=c.link,
        version=c.version,
        environment=c.environment,
        source=c.source,
        reported_by=merged.sources,
    )


def _dependencies(graph: ServiceGraph, name: str, depth: int) -> dict[str, int]:
    """Services ``name`` depends on within ``depth`` hops, with their distance."""
    seen = {name: 0}
    frontier = [name]
    for d in range(1, depth + 1):
        nxt = []
        for node in frontier:
            for dep in graph.dependencies(node):
                if dep not in seen:
                    seen[dep] = d
                    nxt.append(dep)
        frontier = nxt
    del seen[name]
    return seen

