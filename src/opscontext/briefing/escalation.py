"""Escalation in time: who is already engaged and who is next, counted from the incident's start.

``who_owns`` counts from the first alert on the owner's own service; an incident that began on a
neighbour (the group's first alert) started earlier, and its clock is the one that runs. Repeats
of a looping policy (PagerDuty's ``num_loops``) arrive as steps of their own, so "next" keeps an
answer after the first pass.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from opscontext.briefing.models import StepLine
from opscontext.models import EscalationStep


def position(
    steps: Sequence[EscalationStep], start: datetime | None, now: datetime
) -> tuple[StepLine | None, StepLine | None, int | None]:
    """(last engaged step, next step, whole minutes until the next) for an incident begun at ``start``.

    With no start (nothing alerting) nothing is engaged yet and the first step is next, with no
    time. Minutes round up, so "in 3 min" never turns out to be late."""
    ordered = sorted(steps, key=lambda s: s.after_minutes)
    if not ordered:
        return None, None, None
    if start is None:
        return None, _line(ordered[0]), None
    elapsed = now - start
    engaged = [s for s in ordered if timedelta(minutes=s.after_minutes) <= elapsed]
    upcoming = [s for s in ordered if timedelta(minutes=s.after_minutes) > elapsed]
    last = _line(engaged[-1]) if engaged else None
    if not upcoming:
        return last, None, None
    due = start + timedelta(minutes=upcoming[0].after_minutes)
    return last, _line(upcoming[0]), math.ceil((due - now).total_seconds() / 60)


def _line(step: EscalationStep) -> StepLine:
    return StepLine(target=step.target, after_minutes=step.after_minutes, contact=step.contact)
