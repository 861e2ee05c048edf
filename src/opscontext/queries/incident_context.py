"""incident_context: the whole picture of one incident in one bounded answer.

1. Correlate the window's alerts and pick the group the subject names (a group id, an alert
   fingerprint in it, or a service involved in it; see :mod:`.incident_subject`).
2. At once: who owns the primary contributor (and the asked service), what changed around the
   start (the estate for 90 minutes, the primary and its dependencies for a day), the blast
   radius, and user impact; the runbook follows the suspects (a bad deploy wants the rollback
   section). Each part that answers is reported as progress.
3. Rank suspect changes, re-time escalation from the incident's start, write the headline and
   first steps, and cut to the token budget.

A part whose sources failed becomes a note and a null part, never a failed call: the call fails
only when the subject cannot be understood or nothing could answer at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from opscontext.answers import ChangeEntry, RunbookAnswer, WhoOwnsAnswer
from opscontext.app import App
from opscontext.briefing import compose, suspects
from opscontext.briefing.budget import fit
from opscontext.briefing.models import ImpactPart, IncidentContext, More, SuspectChange, SuspectsPart
from opscontext.briefing.parts import blast_part, group_part, owner_part, runbook_part
from opscontext.capabilities import ALERTS
from opscontext.engine.blast import BlastRadius
from opscontext.engine.correlation.models import AlertGroup
from opscontext.errors import InputError, OpsContextError
from opscontext.models import SourceStatus, TimeWindow
from opscontext.queries.blast import blast
from opscontext.queries.common import (
    alert_window_limit,
    failure_notes,
    held_outside_notes,
    merge_statuses,
    one_deadline,
)
from opscontext.queries.correlate import CorrelationAnswer, Progress, correlate_alerts
from opscontext.queries.get_runbook import get_runbook
from opscontext.queries.incident_subject import Pick, Subject, choose, resolve_subject
from opscontext.queries.user_impact import user_impact
from opscontext.queries.what_changed import what_changed
from opscontext.queries.who_owns import who_owns
from opscontext.world import World

DEFAULT_MAX_TOKENS = 2_000
MIN_TOKENS, MAX_TOKENS = 1_500, 8_000  # about the smallest briefing that still answers
SUSPECTS_LISTED = 5
BLAST_LISTED = 8
MAX_CHANGES = 500
STEPS = 9  # progress: correlation, up to seven parts, assembly
T = TypeVar("T")
RUNBOOK_WORDS = {"deployment": "bad deploy rollback", "rollback": "rollback", "upgrade": "upgrade rollback",
                 "config": "config change revert", "feature_flag": "feature flag revert"}


async def _silent(done: float, total: float, message: str) -> None:
    return None


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Gathered:
    """What the parallel step brought back; None where a part's sources could not answer."""

    owners: list[WhoOwnsAnswer] = field(default_factory=list)
    radius: BlastRadius | None = None
    impact: ImpactPart | None = None
    changes: list[ChangeEntry] = field(default_factory=list)
    changes_answered: bool = False
    ranked: list[SuspectChange] = field(default_factory=list)
    runbooks: RunbookAnswer | None = None
    statuses: list[SourceStatus] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


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
    await progress(1, STEPS, "correlating the window's alerts")
    # Impact is evaluated below for the briefing's own services: not once more per group here.
    service = sub.service if sub.kind == "service" else None
    corr = await correlate_alerts(app, since, until, service, slo_summaries=False)
    pick = await choose(app, world, corr, sub)
    got = await _gather(app, world, pick, corr, progress)
    await progress(STEPS, STEPS, "assembling the briefing")
    window = {key: value.strip() for key, value in (("since", since), ("until", until)) if value and value.strip()}
    return fit(_assemble(app, sub, corr, pick, got, budget, window), budget)


async def _gather(app: App, world: World, pick: Pick, corr: CorrelationAnswer, progress: Progress) -> Gathered:
    """Every part at once; each failure becomes a note, each answer a progress step."""
    got = Gathered(notes=list(pick.notes))
    group, focus, now = pick.group, pick.focus, app.now()
    start = group.started_at if group else None
    anchor = start or corr.since
    asked = pick.asked if pick.asked and pick.asked != focus else None
    done = 1

    async def part(label: str, call: Awaitable[T]) -> T | None:
        nonlocal done
        try:
            return await call
        except OpsContextError as exc:
            got.notes.append(f"{label}: {exc}")
            return None
        finally:
            done += 1
            await progress(done, STEPS, f"{label} answered")

    async def owner(name: str) -> None:
        answer = await part(f"who_owns {name}", who_owns(app, name))
        if answer is not None:
            got.owners.append(answer)

    async def radius() -> None:
        answer = await part("blast_radius", blast(app, focus, limit=BLAST_LISTED))
        if answer is not None:
            got.radius, got.statuses = answer, [*got.statuses, *answer.sources]

    async def impact() -> None:
        answer = await part("user impact", user_impact(app, world, group, focus))
        if answer is not None:
            got.impact, got.statuses, got.notes = answer[0], [*got.statuses, *answer[1]], [*got.notes, *answer[2]]

    async def why_then_runbook() -> None:
        estate = what_changed(app, None, iso(anchor - suspects.LOOKBACK), iso(now), False, MAX_CHANGES)
        below = what_changed(app, focus, iso(anchor - suspects.LONG_LOOKBACK), iso(now), True, MAX_CHANGES)
        near, deep = await asyncio.gather(part("what_changed", estate), part("what_changed", below))
        answered = [a for a in (near, deep) if a is not None]
        got.changes = suspects.merge(*(a.changes for a in answered))
        got.changes_answered = bool(answered)
        got.statuses = [*got.statuses, *(s for a in answered for s in a.sources)]
        got.ranked = _rank(world, group, focus, got.changes, start)
        top = got.ranked[0] if got.ranked else None
        kind = top.kind.lower() if top and top.service == focus and top.score >= compose.SUSPECT else ""
        words = RUNBOOK_WORDS.get(kind) or _alert_words(group, focus) or " ".join(pick.alertnames[:3]) or None
        got.runbooks = await part("get_runbook", get_runbook(app, focus, None, words))

    await asyncio.gather(owner(focus), *([owner(asked)] if asked else []), radius(), impact(), why_then_runbook())
    got.owners.sort(key=lambda o: o.service.name != focus)  # the primary contributor's owner first
    got.statuses += [s for o in got.owners for s in o.sources] + (got.runbooks.sources if got.runbooks else [])
    return got


def _assemble(
    app: App, sub: Subject, corr: CorrelationAnswer, pick: Pick, got: Gathered, budget: int, window: dict[str, str]
) -> IncidentContext:
    """``window``: the caller's own since/until, passed on to the calls that fetch parts in full."""
    group, focus, now = pick.group, pick.focus, app.now()
    start = group.started_at if group else None
    statuses = merge_statuses([*corr.sources, *got.statuses])
    owners = [owner_part(o, start, now) for o in got.owners]
    more_group = More(tool="correlate_alerts", arguments={"service": focus, **window})
    group_out = group_part(group, pick.others, now, more_group) if group else None
    listed = [c for c in got.ranked if c.score >= suspects.LISTED][:SUSPECTS_LISTED]
    since = iso((start or corr.since) - suspects.LONG_LOOKBACK)
    suspects_out = SuspectsPart(
        changes=listed,
        changes_omitted=len(got.changes) - len(listed),
        more=More(tool="what_changed", arguments={"service": focus, "since": since, "until": iso(now)}),
    ) if got.changes_answered else None
    runbook_out = runbook_part(got.runbooks, More(tool="get_runbook", arguments={"service": focus})) \
        if got.runbooks else None
    top = got.ranked[0] if got.ranked else None
    lead_owner = owners[0] if owners else None
    return IncidentContext(
        subject=sub.text,
        subject_kind=sub.kind,
        since=corr.since,
        until=corr.until,
        headline=compose.headline(focus, group_out, got.impact, lead_owner, top, pick.ungrouped),
        next_steps=compose.next_steps(group_out, owners, top, runbook_out, statuses),
        group=group_out,
        impact=got.impact,
        owners=owners,
        suspects=suspects_out,
        blast=blast_part(got.radius) if got.radius else None,
        runbook=runbook_out,
        max_tokens=budget,
        tokens=0,
        sources=statuses,
        notes=[*failure_notes(statuses), *got.notes, *_held_outside(app, corr)],
    )


def _held_outside(app: App, corr: CorrelationAnswer) -> list[str]:
    """Where a file source's alerts are when the window held none of them (a replayed recording)."""
    if corr.alerts_in:
        return []
    window = TimeWindow(since=corr.since, until=corr.until)
    return held_outside_notes(app, ALERTS, corr.sources, window, "alert", alert_window_limit(app))


def _rank(
    world: World, group: AlertGroup | None, focus: str, changes: list[ChangeEntry], start: datetime | None
) -> list[SuspectChange]:
    candidates = [c.service for c in group.candidates[1:]] if group else []
    alerting = group.services if group else []
    where = suspects.places(focus, candidates, alerting, world.graph.dependencies)
    return suspects.rank(changes, where, start)


def _alert_words(group: AlertGroup | None, focus: str) -> str | None:
    """The primary contributor's alert names, as words a runbook section may share."""
    if group is None:
        return None
    names = list(dict.fromkeys(a.alertname for a in group.alerts if a.service == focus))
    return " ".join(names[:3]) or None
