"""Helpers every query shares: one deadline per call, the world with its statuses, failure
summaries, and what an answer must admit when a source it depends on failed or was only partly read."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, Concatenate, ParamSpec, TypeVar

from opscontext.app import App
from opscontext.capability import Capability
from opscontext.deadline import call_deadline
from opscontext.engine.identity import MAX_QUERY
from opscontext.errors import InputError, preview
from opscontext.files import one_look
from opscontext.models import Alert, Service, SourceState, SourceStatus, TimeWindow
from opscontext.queries import NoSourceError
from opscontext.world import World

P = ParamSpec("P")
R = TypeVar("R")


def one_deadline(query: Callable[Concatenate[App, P], Awaitable[R]]) -> Callable[Concatenate[App, P], Awaitable[R]]:
    """Run a tool's query under one deadline for the whole call (``limits.call_timeout_seconds``).

    Every fan-out the query makes waits only for what is left of it, and a source that timed out
    once is not waited on again in the call; each file source is checked for edits once in the
    call (:func:`~opscontext.files.one_look`). Both front ends (MCP and CLI) reach the tools here.
    """

    @functools.wraps(query)
    async def run(app: App, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with call_deadline(app.settings.limits.call_seconds()), one_look():
            return await query(app, *args, **kwargs)

    return run


# What each capability's source provides, as noun phrases for "<source kind> 'name' failed:
# ...; <what> could not be read". A reader must learn what is missing, not only that a source broke.
_KIND = {
    "catalog": ("catalog source", "services, teams and people"),
    "topology": ("topology source", "dependencies between services"),
    "changes": ("change source", "changes"),
    "alerts": ("alert source", "alerts"),
    "oncall": ("on-call source", "who is on call"),
    "escalation": ("escalation source", "escalation policies"),
    "runbooks": ("runbook source", "runbooks"),
    "health": ("health source", "live health"),
}


def problem(status: SourceStatus) -> str | None:
    """What a source's state means for the answer, in one sentence; None when it is ok.

    "alert source 'alerts' failed: <why>; alerts could not be read" (degraded: "some alerts";
    stale: "alerts: served from its data of 300 s ago").
    """
    kind, what = _KIND.get(status.capability, (f"{status.capability} source", status.capability))
    head = f"{kind} '{status.source}' ({status.type})"
    if status.state is SourceState.FAILED:
        return f"{head} failed: {status.detail}; {what} could not be read"
    if status.state is SourceState.DEGRADED:
        return f"{head} is degraded: {status.detail}; some {what} could not be read"
    if status.state is SourceState.STALE:
        age = round(status.age_seconds or 0)
        return f"{head} failed: {status.detail}; {what}: served from its data of {age} s ago"
    return None


_WORST = {SourceState.OK: 0, SourceState.DEGRADED: 1, SourceState.STALE: 2, SourceState.FAILED: 3}


def merge_statuses(statuses: Sequence[SourceStatus]) -> list[SourceStatus]:
    """One status per source and capability: the worst state seen, the oldest data."""
    worst: dict[tuple[str, str], SourceStatus] = {}
    ages: dict[tuple[str, str], float] = {}
    for s in statuses:
        key = (s.source, s.capability)
        if key not in worst or _WORST[s.state] > _WORST[worst[key].state]:
            worst[key] = s
        if s.age_seconds is not None:
            ages[key] = max(ages.get(key, 0.0), s.age_seconds)
    merged = [s.model_copy(update={"age_seconds": ages.get(k)}) for k, s in worst.items()]
    return sorted(merged, key=lambda s: (-_WORST[s.state], s.source, s.capability))


def has_source(app: App, capability: str) -> bool:
    """Whether at least one configured source answers ``capability`` (health, sli, ...)."""
    return next(app.registry.of(capability), None) is not None


def failure_notes(statuses: Sequence[SourceStatus]) -> list[str]:
    """One note per source that was not ok, saying what its state means (see :func:`problem`)."""
    return [note for note in map(problem, statuses) if note]


def unhealthy(statuses: Sequence[SourceStatus], capability: str) -> str | None:
    """Why the sources of ``capability`` may be missing data, in one sentence; None when all ok."""
    bad = [note for s in statuses if s.capability == capability and (note := problem(s))]
    return "; ".join(bad) if bad else None


def empty_caveat(statuses: Sequence[SourceStatus], capability: str, noun: str) -> str | None:
    """For an empty answer from a source that was not ok: the failure first, then that the empty
    list is not evidence of no ``noun``. Never "no <noun>" on its own."""
    why = unhealthy(statuses, capability)
    return f"{why[0].upper()}{why[1:]}, so finding no {noun} is not evidence there are none." if why else None


def alert_window_limit(app: App) -> timedelta:
    """The longest window an alert query may ask for."""
    return timedelta(days=min(app.settings.limits.max_window_days, 7))


def _z(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def held_outside_notes(
    app: App, capability: Capability[..., Any], statuses: Sequence[SourceStatus], window: TimeWindow,
    noun: str, max_window: timedelta,
) -> list[str]:
    """For each file source that answered ``window`` with nothing although it holds ``noun``s:
    where its items are, and the ``since``/``until`` that shows them (the latest ``max_window``
    of them when they span more). A recording replayed later is the usual cause."""
    notes = []
    for source, (n, first, last, end) in app.hub.held_outside(capability, statuses):
        until = ((end or last) + timedelta(minutes=1)).replace(second=0, microsecond=0)  # whole minutes
        since = max(first.replace(second=0, microsecond=0), until - max_window)
        side = "before" if (end or last) < window.since else "after" if first > window.until else "around"
        ending = "" if end is None or end <= last else f", the last ending {_z(end)}"
        held = f"{n} {noun}{'' if n == 1 else 's'}"
        notes.append(
            f"{noun.capitalize()} source {source!r} holds {held}, none in the window asked ({_z(window.since)} "
            f"to {_z(window.until)}): they start {side} it, between {_z(first)} and {_z(last)}{ending}. A recorded "
            f"run keeps its own times; to see them ask with since={_z(since)!r} and until={_z(until)!r}."
        )
    return notes


# How many of the most common unattributed spellings a note names.
UNATTRIBUTED_SHOWN = 3


def unattributed_notes(raw: Sequence[Alert], resolved: Sequence[Alert], labels: Sequence[str]) -> list[str]:
    """A note when alerts name no service the catalog or graph knows (``resolved`` is ``raw`` with
    services resolved, in the same order): they are left out of every group, so say which label
    values were read and how to make them count. An alert read through a label is shown by that
    label (the first of ``labels`` it carries); one carrying none of them, by its own service
    field, or as carrying none."""
    spellings: Counter[str] = Counter()
    missing = 0
    for before, after in zip(raw, resolved, strict=True):
        if after.service is not None:
            continue
        label = next((name for name in labels if before.labels.get(name)), None)
        if label is not None:
            spellings[f"{label}={preview(before.labels[label])}"] += 1
        elif before.service:
            spellings[f"service={preview(before.service)}"] += 1
        else:
            missing += 1
    labelled = sum(spellings.values())
    n = labelled + missing
    if not n:
        return []
    top = spellings.most_common(UNATTRIBUTED_SHOWN)
    shown = [f"{k} ({v})" for k, v in top]
    rest = labelled - sum(v for _, v in top)
    if rest:
        shown.append(f"{rest} with other values")
    if missing:
        shown.append(f"{missing} carrying none of the labels {', '.join(labels)}")
    return [f"{n} of {len(raw)} alert{'' if len(raw) == 1 else 's'} name no service in the catalog or graph and are "
            f"left out of every group: {'; '.join(shown)}. Add the service (or an alias) to the catalog, or put "
            "the label that names it in [identity] service_labels."]


def find_service(world: World, text: str) -> Service:
    """The catalog service ``text`` names. When it is unknown and a catalog source failed or was
    only partly read, the error says so instead of suggesting a similar but different service."""
    try:
        return world.resolver.resolve(text)
    except InputError as exc:
        cleaned = (text or "").strip()
        why = unhealthy(world.statuses, "catalog")
        if why is None or not cleaned or len(cleaned) > MAX_QUERY:
            raise
        message = f"{cleaned!r} is not in the catalog, but {why}. It may be defined in what could not be read."
        if exc.suggestions:
            message += f" Similar names that did load: {', '.join(exc.suggestions)}."
        raise InputError(message) from None


def require_some(statuses: Sequence[SourceStatus], capability: str, what: str, *, degrade: bool = False) -> None:
    """Raise when no source of ``capability`` is configured, or when all failed and the answer
    cannot be degraded (``degrade=True``: an empty answer listing the failures is still useful)."""
    relevant = [s for s in statuses if s.capability == capability]
    if not relevant:
        raise NoSourceError(
            f"No {capability} source is configured, so {what} cannot be answered. "
            "Add one under [connectors.*] (see `opscontext connectors`)."
        )
    if not degrade and all(s.state is SourceState.FAILED for s in relevant):
        reasons = "; ".join(f"{s.source}: {s.detail}" for s in relevant)
        raise NoSourceError(f"Every {capability} source failed, so {what} cannot be answered: {reasons}")
