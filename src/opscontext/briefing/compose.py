"""The headline (what, since when, why, who, what next) and the ordered first steps.

Both are written from the parts alone, so they never claim more than the parts show: a low
confidence says so, a failed source is named, and "roll it back" is only said of a change that
can be rolled back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from opscontext.briefing.models import GroupPart, ImpactPart, OwnerPart, RunbookPart, SuspectChange
from opscontext.engine.correlation.evidence import count
from opscontext.models import SourceState, SourceStatus

SUSPECT = 0.5  # a change at least this suspect is worth a first look
REVERSIBLE = {"deployment", "upgrade", "config", "feature_flag", "environment"}


def hhmm(at: datetime) -> str:
    return at.strftime("%H:%MZ")


def _when(top: SuspectChange) -> str:
    lead = top.minutes_before_start
    if lead is None:
        return f"at {hhmm(top.at)}"
    if lead >= 1:
        return f"at {hhmm(top.at)}, {lead} min before the first alert"
    if lead <= -1:
        return f"at {hhmm(top.at)}, {-lead} min after the first alert"
    return f"at {hhmm(top.at)}, as the first alert fired"


def _suspect(top: SuspectChange | None) -> SuspectChange | None:
    return top if top is not None and top.score >= SUSPECT else None


def _who(owner: OwnerPart | None) -> str | None:
    if owner is None:
        return None
    if owner.team is None:
        return f"no owner is recorded for {owner.service}: find one"
    if not owner.on_call:
        return f"nobody on call found for {owner.team} (owns {owner.service}); try {owner.chat_channel or 'the team'}"
    first = owner.on_call[0]
    contact = f" ({first.contact})" if first.contact else ""
    channel = f", in {owner.chat_channel}" if owner.chat_channel else ""
    return f"call {first.person}{contact}, {owner.team} on call for {owner.service}{channel}"


def _escalation(owner: OwnerPart | None) -> str | None:
    if owner is None or owner.next is None or owner.next_in_minutes is None:
        return None
    return f"next escalation {owner.next.target} in {owner.next_in_minutes} min"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def headline(
    subject: str,
    group: GroupPart | None,
    impact: ImpactPart | None,
    owner: OwnerPart | None,
    top: SuspectChange | None,
    alone: str | None = None,
) -> str:
    """One paragraph a responder can paste into the incident channel: what, since when, who feels it,
    why, who owns it (``next_steps`` says how to reach them and what to do). ``alone``: what fires
    on the subject when no incident group involves it."""
    if group is None:
        parts = [alone or f"No incident group involves {subject} in the window"]
    else:
        unsure = ", unsure" if group.uncertain_because else ""
        parts = [
            f"{group.primary_contributor} is the likely primary contributor of {count(group.alert_count, 'alert')} "
            f"across {count(len(group.services) + group.services_omitted, 'service')} since "
            f"{hhmm(group.started_at)} ({group.minutes_since_start} min ago; confidence {group.confidence:.2f}{unsure})"
        ]
    if impact is not None:  # the worst one; the impact part has the rest
        first, _, rest = impact.summary.partition("; ")
        parts.append(f"Users: {first}" + (" (and more)" if rest else ""))
    cause = _suspect(top)
    if cause is not None:
        parts.append(f"Most suspect change: {cause.kind} of {cause.service or 'an unnamed service'} {_when(cause)}")
    if owner is not None and owner.team is not None:
        first = f", {owner.on_call[0].person} on call" if owner.on_call else ", nobody on call found"
        parts.append(f"Owner: {owner.team}{first}")
    return ". ".join(p.rstrip(".") for p in parts) + "."


def next_steps(
    group: GroupPart | None,
    owners: Sequence[OwnerPart],
    top: SuspectChange | None,
    runbook: RunbookPart | None,
    sources: Sequence[SourceStatus],
) -> list[str]:
    """What to do first, in order, each step one short sentence."""
    owner = owners[0] if owners else None
    steps = []
    who = _who(owner)
    if who:
        steps.append(_cap(who) + ".")
    cause = _suspect(top)
    if cause is not None:
        act = "roll it back if it fits the symptoms" if cause.kind.lower() in REVERSIBLE else "check it first"
        steps.append(f"Check the {cause.kind} of {cause.service or 'an unnamed service'} {_when(cause)}; {act}.")
    if runbook is not None:
        section = f", section {runbook.section}" if runbook.section else ""
        steps.append(f"Follow {runbook.resource or runbook.location}{section}.")
    if group is not None and group.uncertain_because and group.alternatives:
        others = " and ".join(a.service for a in group.alternatives[:2])
        steps.append(f"Confidence is low: also check {others}.")
    escalation = _escalation(owner)
    if escalation:
        steps.append(_cap(escalation) + " if still unresolved.")
    bad = sorted({s.source for s in sources if s.state in (SourceState.FAILED, SourceState.STALE)})
    if bad:
        steps.append(f"Sources {', '.join(bad)} failed or are stale: parts of this picture may be missing.")
    return steps
