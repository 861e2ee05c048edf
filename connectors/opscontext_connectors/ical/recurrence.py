"""Recurrence rules read before anything expands them: which events cannot be expanded safely,
and how many occurrences expanding the others up to an instant walks through.

recurring_ical_events expands a rule with dateutil, which walks every occurrence from DTSTART up
to the instant asked about and has no bound of its own: ``INTERVAL=0`` never moves on (the
process grew past 3 GB), ``FREQ=SECONDLY`` walks millions of seconds for one question, and a
broken ``UNTIL`` made the library fail the whole calendar. So each event's times and rules are
read here first, from what icalendar parsed (its ``errors`` say what it could not read): an event
that cannot be expanded safely raises :class:`BadEvent` with a reason its owner can act on, and
each rule of the others gets a :class:`Pace`, which a query consults before it asks the library.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from math import prod
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

# On-call shifts hand over a few times a day at most; a rule that starts more than one an hour is
# a mistake (or an attack on the expander), not a rotation.
MAX_STARTS_PER_DAY = 24
# Occurrences one series may need walked, from DTSTART, to answer one instant: an hourly rule
# reaches it after 5.7 years, a daily one after 137 (dateutil: about half a second of CPU).
MAX_EXPANDED = 50_000
_AT_MOST = f"on-call shifts start at most {MAX_STARTS_PER_DAY} times a day"

_PER_DAY = {"YEARLY": 1 / 365.2425, "MONTHLY": 12 / 365.2425, "WEEKLY": 1 / 7, "DAILY": 1.0, "HOURLY": 24.0}
_TOO_FINE = {"MINUTELY": "minute", "SECONDLY": "second"}
# BY parts that pick several times within one day, by the frequencies they multiply.
_TIME_PARTS = {"HOURLY": ("BYMINUTE", "BYSECOND")} | dict.fromkeys(
    ("YEARLY", "MONTHLY", "WEEKLY", "DAILY"), ("BYHOUR", "BYMINUTE", "BYSECOND")
)
# RFC 5545 3.3.10: the values each BY part allows (lowest, highest, negative ones counted back).
_RANGES = {
    "BYSECOND": (0, 60, False),
    "BYMINUTE": (0, 59, False),
    "BYHOUR": (0, 23, False),
    "BYMONTHDAY": (1, 31, True),
    "BYYEARDAY": (1, 366, True),
    "BYWEEKNO": (1, 53, True),
    "BYMONTH": (1, 12, False),
    "BYSETPOS": (1, 366, True),
}
_ORDINAL = re.compile(r"^([+-]?\d+)")
# Properties without which an event's times cannot be known.
TIME_PROPERTIES = ("DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID")
_SHOWN = 80


class BadEvent(ValueError):
    """An event that cannot be expanded safely; the message says why, for the calendar's owner."""


def to_utc(value: date | datetime, tz: ZoneInfo) -> datetime:
    """An iCalendar time in UTC; all-day dates start at midnight in ``tz``, floating times in it."""
    if isinstance(value, datetime):
        return (value if value.tzinfo is not None else value.replace(tzinfo=tz)).astimezone(UTC)
    return datetime.combine(value, time.min, tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True)
class Pace:
    """How densely one rule's occurrences come: enough to count them up to an instant."""

    rule: str  # as written, for messages
    start: datetime  # DTSTART, UTC
    per_day: float  # occurrences a day, at most
    until: datetime | None  # UTC
    count: int | None

    def walked(self, end: datetime) -> int:
        """Occurrences (at most) the expander walks from DTSTART to reach ``end``."""
        stop = end if self.until is None else min(end, self.until)
        days = max((stop - self.start) / timedelta(days=1), 0.0)
        walked = int(days * self.per_day) + 1
        return walked if self.count is None else min(walked, self.count + 1)


def vet(event: Any, tz: ZoneInfo) -> tuple[Pace, ...]:
    """The paces of ``event``'s rules (none for a single event); ``BadEvent`` if it cannot be
    expanded safely: times icalendar could not read, no DTSTART, a rule that is malformed, never
    moves on, never happens, or starts shifts more often than hourly. A negative COUNT is removed
    from the event (read as no limit)."""
    for name, message in getattr(event, "errors", ()):
        if name in TIME_PROPERTIES:
            raw = _broken_text(event.get(name))
            raise BadEvent(f"{name} {_clip(raw)} cannot be read ({message})" if raw else f"{name}: {message}")
    start = event.get("DTSTART")
    if start is None:
        raise BadEvent("it has no DTSTART")
    rules = event.get("RRULE")
    if rules is None:
        return ()
    paces = tuple(_pace(rule, start.dt, tz) for rule in (rules if isinstance(rules, list) else [rules]))
    per_day = sum(p.per_day for p in paces)
    if len(paces) > 1 and per_day > MAX_STARTS_PER_DAY:
        raise BadEvent(f"its {len(paces)} RRULEs start up to {per_day:,.0f} shifts a day; {_AT_MOST}")
    return paces


def _pace(rule: Any, dtstart: date | datetime, tz: ZoneInfo) -> Pace:
    parts = {str(k).upper(): list(v) for k, v in rule.items()}
    count = int(parts["COUNT"][0]) if parts.get("COUNT") else None
    if count is not None and count < 0:
        # DAVx5 and Simple Calendar write COUNT=-1 for "no limit". recurring_ical_events means to
        # read it so, but fails on the whole series when COUNT ends the rule: drop it here.
        del rule["COUNT"]
        count = None
    text = _clip(rule.to_ical().decode())
    if not parts.get("FREQ"):
        raise BadEvent(f"RRULE {text} names no FREQ" if text else "RRULE names no FREQ")
    freq = str(parts["FREQ"][0]).upper()
    if freq in _TOO_FINE:
        raise BadEvent(f"RRULE {text} starts a shift every {_TOO_FINE[freq]}; {_AT_MOST}")
    if freq not in _PER_DAY:
        raise BadEvent(f"RRULE {text} has an unknown FREQ {freq}")
    interval = int(parts.get("INTERVAL", [1])[0])
    if interval < 1:
        raise BadEvent(f"RRULE {text} never moves on: INTERVAL must be 1 or more")
    _within_ranges(parts, text)
    _can_happen(parts, text)
    per_day = _per_day(freq, interval, parts)
    if per_day > MAX_STARTS_PER_DAY:
        raise BadEvent(f"RRULE {text} starts up to {per_day:,.0f} shifts a day; {_AT_MOST}")
    until = parts.get("UNTIL")
    return Pace(
        rule=text,
        start=to_utc(dtstart, tz),
        per_day=per_day,
        until=to_utc(until[0], tz) if until else None,
        count=count,
    )


def _per_day(freq: str, interval: int, parts: dict[str, list[Any]]) -> float:
    """Occurrences a day the rule starts at most. BY parts that only filter are not counted, so
    this errs high, never low."""
    picks_days = any(parts.get(p) for p in ("BYWEEKNO", "BYYEARDAY", "BYMONTHDAY", "BYDAY"))
    if freq == "HOURLY":
        hours = len(parts.get("BYHOUR", []))
        base = min(24 / interval, hours) if hours else 24 / interval
    elif freq in ("YEARLY", "MONTHLY") and picks_days:
        base = 1 / interval  # at most every day of the years or months it recurs in
    elif freq == "YEARLY" and parts.get("BYMONTH"):
        base = len(parts["BYMONTH"]) * _PER_DAY[freq] / interval
    elif freq == "WEEKLY" and parts.get("BYDAY"):
        base = len(parts["BYDAY"]) / 7 / interval
    else:
        base = _PER_DAY[freq] / interval
    return base * prod(max(len(parts.get(p, [])), 1) for p in _TIME_PARTS[freq])


def _within_ranges(parts: dict[str, list[Any]], text: str) -> None:
    for name, (low, high, signed) in _RANGES.items():
        for value in parts.get(name, []):
            n = int(value)
            if not (low <= n <= high or (signed and -high <= n <= -low)):
                span = f"{low} to {high}" + (f" (or -{high} to -{low})" if signed else "")
                raise BadEvent(f"RRULE {text} has {name}={n}, outside {span}")
    for day in parts.get("BYDAY", []):
        match = _ORDINAL.match(str(day))
        if match and not 1 <= abs(int(match.group(1))) <= 53:
            raise BadEvent(f"RRULE {text} has BYDAY={day}: the number before the day must be 1 to 53")


def _can_happen(parts: dict[str, list[Any]], text: str) -> None:
    # A day no month named has (30 February) would make dateutil search to the year 9999.
    days = [int(d) for d in parts.get("BYMONTHDAY", [])]
    if not days:
        return
    months: Sequence[int] = [int(m) for m in parts.get("BYMONTH", [])] or range(1, 13)
    longest = max(29 if m == 2 else calendar.monthrange(2001, m)[1] for m in months)
    if all(abs(d) > longest for d in days):
        raise BadEvent(f"RRULE {text} never happens: none of its months has day {days[0]}")


def _broken_text(value: Any) -> str:
    """The text icalendar could not read (it keeps it as a string), from one or several values."""
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, icalendar.vBroken):
            return str(item)
    return ""


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"
