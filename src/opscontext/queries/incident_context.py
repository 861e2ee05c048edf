"""incident_context: the whole picture of one incident in one bounded answer.

1. Correlate the window's alerts and pick the group the subject names (a group id, an alert
   fingerprint in it, or a service involved in it; see :mod:`.incident_subject`).
2. At once: who owns the primary contributor (and the asked service), what changed around the
   start, the blast radius, and user impact; the runbook follows the suspects (a bad deploy
   wants the rollback section). Each finished part is reported as progress.
3. Rank suspect changes, re-time escalation from the incident's start, write the headline and
   first steps, and cut to the token budget.

A part whose sources failed becomes a note and a null part, never a failed call: the call fails
only when the subject cannot be understood or nothing could answer at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import datetime
from typing import Any, TypeVar

from opscontext.answers import RunbookAnswer, WhatChangedAnswer
from opscontext.app import App
from opscontext.briefing import compose, suspects
from opscontext.briefing.budget import fit
from opscontext.briefing.models import IncidentContext, More, SuspectChange, SuspectsPart
from opscontext.briefing.parts import blast_part, group_part, owner_part, runbook_part
from opscontext.engine.correlation.models import AlertGroup
from opscontext.errors import InputError, OpsContextError
from opscontext.models import SourceStatus
from opscontext.queries.blast import blast
from opscontext.queries.common import failure_notes, one_deadline
from opscontext.queries.correlate import Progress, correlate_alerts
from opscontext.queries.get_runbook import get_runbook
from opscontext.queries.incident_subject import choose, merge_statuses, resolve_subject
from opscontext.queries.user_impact import user_impact
from opscontext.queries.what_changed import what_changed
from opscontext.queries.who_owns import who_owns
from opscontext.world import World

DEFAULT_MAX_TOKENS = 2_000
MIN_TOKENS, MAX_TOKENS = 1_500, 8_000  # about the smallest briefing that still answers
SUSPECTS_LISTED = 5
BLAST_LISTED = 8
T = TypeVar("T")
RUNBOOK_WORDS = {"deployment": "bad deploy rollback", "rollback": "rollback", "upgrade": "upgrade rollback",
                 "config": "config change revert", "feature_flag": "feature flag revert"}


async def _silent(done: float, total: float, message: str) -> None:
    return None


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


@one_deadline
async def incident_context(
    app: App,
    subject: str,
    since: str | None = None,
    until: str | None = None,
    max_tokens: int | None = None,
    progress: Progress = _silent,
) -> IncidentContext:
    budget = max_tokens or DEFAULT_MAX_TOKENS
    if not MIN_TOKENS <= budget <= MAX_TOKENS:
        raise InputError(f"`max_tokens` must be between {MIN_TOKENS} and {MAX_TOKENS}; default {DEFAULT_MAX_TOKENS}.")
    world = await app.worlds.build()
    sub = resolve_subject(world, subject)
    await progress(1, 7, "correlating the window's alerts")
    corr = await correlate_alerts(app, since, until, sub.service if sub.kind == "service" else None)
    now = app.now()
    pick = await choose(app, world, corr, sub)
    group, focus = pick.group, pick.focus
    start = group.started_at if group else None
    changes_since = (start or corr.since) - suspects.LOOKBACK
    notes = list(pick.notes)
    done = 1

    async def part(label: str, call: Awaitable[T]) -> T | None:
        nonlocal done
        try:
            return await call
        except OpsContextError as exc:
            notes.append(f"{label}: {exc}")
            return None
        finally:
            done += 1
            await progress(done, 7, f"{label} answered")

    async def why_then_runbook() -> tuple[WhatChangedAnswer | None, list[SuspectChange], RunbookAnswer | None]:
        changed = await part("what_changed", what_changed(app, None, iso(changes_since), iso(now), False, 500))
        ranked = _rank(world, group, focus, changed, start)
        kind = ranked[0].kind.lower() if ranked and ranked[0].service == focus and ranked[0].score >= 0.5 else None
        words = RUNBOOK_WORDS.get(kind or "") or _alert_words(group, focus)
        book = await part("get_runbook", get_runbook(app, focus, None, words))
        return changed, ranked, book

    asked = pick.asked if pick.asked and pick.asked != focus else None
    owner, owner2, radius, impact, (changed, ranked, book) = await asyncio.gather(
        part("who_owns", who_owns(app, focus)),
        part("who_owns", who_owns(app, asked)) if asked else _none(),
        part("blast_radius", blast(app, focus, limit=BLAST_LISTED)),
        part("user impact", user_impact(app, world, group, focus)),
        why_then_runbook(),
    )
    await progress(7, 7, "assembling the briefing")
    statuses = _statuses(corr.sources, owner, owner2, radius, changed, book, impact)
    owners = [owner_part(o, start, now) for o in (owner, owner2) if o is not None]
    window = {"since": iso(corr.since), "until": iso(corr.until)}
    group_out = (
        group_part(group, pick.others, now, More(tool="correlate_alerts", arguments={"service": focus, **window}))
        if group
        else None
    )
    listed = [c for c in ranked if c.score >= suspects.LISTED][:SUSPECTS_LISTED]
    suspects_out = SuspectsPart(
        changes=listed,
        changes_omitted=(changed.total if changed else 0) - len(listed),
        more=More(tool="what_changed", arguments={"service": focus, "since": iso(changes_since), "until": iso(now)}),
    ) if changed is not None else None
    runbook_out = runbook_part(book, More(tool="get_runbook", arguments={"service": focus})) if book else None
    impact_out = impact[0] if impact else None
    top = ranked[0] if ranked else None
    answer = IncidentContext(
        subject=subject.strip(),
        subject_kind=sub.kind,
        since=corr.since,
        until=corr.until,
        headline=compose.headline(focus, group_out, impact_out, owners[0] if owners else None, top),
        next_steps=compose.next_steps(group_out, owners, top, runbook_out, statuses),
        group=group_out,
        impact=impact_out,
        owners=owners,
        suspects=suspects_out,
        blast=blast_part(radius) if radius else None,
        runbook=runbook_out,
        max_tokens=budget,
        tokens=0,
        sources=statuses,
        notes=[*failure_notes(statuses), *notes, *(impact[2] if impact else [])],
    )
    return fit(answer, budget)


async def _none() -> None:
    return None


def _rank(
    world: World, group: AlertGroup | None, focus: str, changed: WhatChangedAnswer | None, start: datetime | None
) -> list[SuspectChange]:
    if changed is None:
        return []
    candidates = [c.service for c in group.candidates[1:]] if group else []
    alerting = group.services if group else []
    where = suspects.places(focus, candidates, alerting, world.graph.dependencies)
    return suspects.rank(changed.changes, where, start)


def _alert_words(group: AlertGroup | None, focus: str) -> str | None:
    """The primary contributor's alert names, as words a runbook section may share."""
    if group is None:
        return None
    names = list(dict.fromkeys(a.alertname for a in group.alerts if a.service == focus))
    return " ".join(names[:3]) or None


def _statuses(corr: list[SourceStatus], *answers: Any) -> list[SourceStatus]:
    found: list[SourceStatus] = list(corr)
    for a in answers:
        if a is None:
            continue
        if isinstance(a, tuple):  # user impact: (part, statuses, notes)
            found += a[1]
        else:
            found += a.sources
    return merge_statuses(found)

