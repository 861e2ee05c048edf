"""Calendar occurrences -> ``OnCallShift``: who covers one instant, in UTC.

Each series is expanded on its own, and only after its cost up to the instant was checked: one
that would walk too many occurrences, or that fails, is left out of this answer and named in a
``Problem``; the other series of its calendar still answer.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from opscontext.models import OnCallShift
from opscontext.problems import Problem
from opscontext_connectors.ical.conventions import responders
from opscontext_connectors.ical.reader import LoadedCalendar
from opscontext_connectors.ical.recurrence import to_utc
from opscontext_connectors.ical.series import LeftOut, Series, left_out

log = logging.getLogger(__name__)

# Ask the recurrence index for a little around the instant, then decide coverage ourselves so
# that a handover instant belongs to the incoming shift only (start <= at < end).
_MARGIN = timedelta(seconds=1)


class _Refused(Exception):
    """One series cannot answer this instant; the message says why, for the calendar's owner."""


def _span(event: Any, tz: ZoneInfo) -> tuple[datetime, datetime] | None:
    try:
        # icalendar derives end from DURATION or all-day rules
        return to_utc(event.start, tz), to_utc(event.end, tz)
    except Exception:  # missing or unreadable DTSTART/DTEND, or a time UTC cannot hold: no time
        return None


def _occurrences(calendar: LoadedCalendar, series: Series, at: datetime) -> list[Any]:
    """The occurrences of one series around ``at``; ``_Refused`` when it cannot answer."""
    refused = series.too_costly(at + _MARGIN)
    if refused:
        raise _Refused(refused)
    # Query in the calendar's own zone: the library reads all-day and floating events in the
    # zone of the instant it is asked about.
    local = at.astimezone(calendar.schedule.tz)
    try:
        return list(series.query.between(local - _MARGIN, local + _MARGIN))
    except Exception as exc:  # recurrence errors surface lazily, per query
        raise _Refused(f"it cannot be expanded at {at:%Y-%m-%d %H:%M} UTC: {exc}") from None


def _is_cancelled(event: Any) -> bool:
    return str(event.get("STATUS", "")).upper() == "CANCELLED"


def shifts_of(calendar: LoadedCalendar, at: datetime, instance: str, problems: list[Problem]) -> list[OnCallShift]:
    """Shifts of one calendar that cover ``at``; a series left out is added to ``problems``."""
    shifts: list[OnCallShift] = []
    dropped: list[LeftOut] = []
    for series in calendar.series:
        try:
            events = _occurrences(calendar, series, at)
        except _Refused as exc:
            log.debug("%s: %s: event %s left out: %s", instance, calendar.where, series.label, exc)
            dropped.append((series.label, str(exc)))
            continue
        for event in events:
            shifts.extend(_shifts(event, calendar, at, instance))
    if dropped:
        problems.append(Problem(calendar.where, left_out(dropped), skipped=False))
    return shifts


def _shifts(event: Any, calendar: LoadedCalendar, at: datetime, instance: str) -> list[OnCallShift]:
    schedule = calendar.schedule
    if _is_cancelled(event):
        return []
    span = _span(event, schedule.tz)
    if span is None:
        log.debug("%s: skipped an event without times in %s", instance, calendar.path.name)
        return []
    start, end = span
    if not start <= at < end:
        return []
    return [
        OnCallShift(
            person=who.name,
            email=who.email,
            team=schedule.team,
            schedule=schedule.name,
            level=schedule.level,
            policy=schedule.policy or who.policy,
            start=start,
            end=end,
            source=instance,
        )
        for who in responders(event)
    ]


def shifts_at(
    calendars: list[LoadedCalendar], at: datetime, instance: str
) -> tuple[list[OnCallShift], list[Problem]]:
    """Every shift covering ``at`` across all calendars, overlaps included, duplicates dropped;
    and the series left out of this answer, each with its reason."""
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    seen: set[tuple[object, ...]] = set()
    found: list[OnCallShift] = []
    problems: list[Problem] = []
    for calendar in calendars:
        for shift in shifts_of(calendar, at, instance, problems):
            key = (shift.person, shift.email, shift.schedule, shift.start, shift.end)
            if key not in seen:
                seen.add(key)
                found.append(shift)
    return sorted(found, key=lambda s: (s.level, s.schedule, s.start, s.person)), problems
