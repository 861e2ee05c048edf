"""Calendar occurrences -> ``OnCallShift``: who covers one instant, in UTC."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from opscontext.errors import SourceDataError
from opscontext.models import OnCallShift
from opscontext_connectors.ical.conventions import responders
from opscontext_connectors.ical.reader import LoadedCalendar

log = logging.getLogger(__name__)

# Ask the recurrence index for a little around the instant, then decide coverage ourselves so
# that a handover instant belongs to the incoming shift only (start <= at < end).
_MARGIN = timedelta(seconds=1)


def to_utc(value: date | datetime, tz: ZoneInfo) -> datetime:
    """An iCalendar time in UTC; all-day dates start at midnight in ``tz``, floating times in it."""
    if isinstance(value, datetime):
        return (value if value.tzinfo is not None else value.replace(tzinfo=tz)).astimezone(UTC)
    return datetime.combine(value, time.min, tzinfo=tz).astimezone(UTC)


def _span(event: Any, tz: ZoneInfo) -> tuple[datetime, datetime] | None:
    try:
        start, end = event.start, event.end  # icalendar derives end from DURATION or all-day rules
    except Exception:  # missing or unreadable DTSTART/DTEND: the event names no time
        return None
    return to_utc(start, tz), to_utc(end, tz)


def _occurrences(calendar: LoadedCalendar, at: datetime, instance: str) -> list[Any]:
    # Query in the calendar's own zone: the library reads all-day and floating events in the
    # zone of the instant it is asked about.
    local = at.astimezone(calendar.schedule.tz)
    try:
        return list(calendar.query.between(local - _MARGIN, local + _MARGIN))
    except Exception as exc:  # recurrence errors surface lazily, per query
        message = f"{calendar.path} cannot be expanded: {exc}"
        raise SourceDataError(message, instance=instance) from None


def _is_cancelled(event: Any) -> bool:
    return str(event.get("STATUS", "")).upper() == "CANCELLED"


def shifts_of(calendar: LoadedCalendar, at: datetime, instance: str) -> list[OnCallShift]:
    """Shifts of one calendar that cover ``at``."""
    schedule = calendar.schedule
    shifts: list[OnCallShift] = []
    for event in _occurrences(calendar, at, instance):
        if _is_cancelled(event):
            continue
        span = _span(event, schedule.tz)
        if span is None:
            log.debug("%s: skipped an event without times in %s", instance, calendar.path.name)
            continue
        start, end = span
        if not start <= at < end:
            continue
        for who in responders(event):
            shifts.append(
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
            )
    return shifts


def shifts_at(calendars: list[LoadedCalendar], at: datetime, instance: str) -> list[OnCallShift]:
    """Every shift covering ``at`` across all calendars, overlaps included, duplicates dropped."""
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    seen: set[tuple[object, ...]] = set()
    found: list[OnCallShift] = []
    for calendar in calendars:
        for shift in shifts_of(calendar, at, instance):
            key = (shift.person, shift.email, shift.schedule, shift.start, shift.end)
            if key not in seen:
                seen.add(key)
                found.append(shift)
    return sorted(found, key=lambda s: (s.level, s.schedule, s.start, s.person))
