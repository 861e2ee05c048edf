"""One calendar's events as series (a UID: its rule and the occurrences it overrides), each
expandable on its own.

recurring_ical_events expands a whole calendar in one call, so one series that fails or runs
away takes every rotation of the calendar with it, and with ``skip_bad_series`` it drops a bad
one without saying so. Here every event is vetted first (:mod:`.recurrence`); one that cannot be
expanded safely is left out and named, and each remaining UID gets a query of its own, so a
query can leave out exactly the series that fails or would cost too much, and say which.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from opscontext_connectors.ical.recurrence import MAX_EXPANDED, BadEvent, Pace, to_utc, vet

_LABEL = 60


@dataclass(frozen=True)
class Series:
    """The events of one UID and a query that expands only them."""

    label: str  # names the event for its owner: summary and UID
    paces: tuple[Pace, ...]  # one per RRULE of its events
    query: Any  # recurring_ical_events.CalendarQuery (the library ships no type hints)
    # How far past the instant asked about the library expands the rule: a RANGE=THISANDFUTURE
    # override that moves occurrences earlier (RECURRENCE-ID after its DTSTART) is looked for there.
    reach: timedelta = timedelta(0)

    def too_costly(self, at: datetime) -> str | None:
        """Why expanding this series to answer ``at`` is refused, or None when it is affordable."""
        end = at + self.reach
        walked = sum(p.walked(end) for p in self.paces)
        if walked <= MAX_EXPANDED:
            return None
        rule = max(self.paces, key=lambda p: p.walked(end))
        return (
            f"RRULE {rule.rule} from {rule.start:%Y-%m-%d} expands {walked:,} occurrences up to "
            f"{end:%Y-%m-%d} (limit {MAX_EXPANDED:,}); end the series (UNTIL) and start a new one"
        )


def label(event: Any) -> str:
    """How a person finds an event in the file: its summary and UID, quoted and clipped."""
    summary = _clip(str(event.get("SUMMARY", "")))
    uid = _clip(str(event.get("UID", "")))
    if summary and uid:
        return f'"{summary}" (UID {uid})'
    if summary or uid:
        return f'"{summary}"' if summary else f"UID {uid}"
    return f"(no SUMMARY or UID) starting {getattr(event.get('DTSTART'), 'dt', '?')}"


LeftOut = tuple[str, str]  # an event's label, and why it was left out


def left_out(events: list[LeftOut]) -> str:
    """One line for the events of one file left out: the first in full, the others counted."""
    (name, why), more = events[0], len(events) - 1
    return f"event {name} left out: {why}" if not more else f"{more + 1} events left out, first {name}: {why}"


def split(calendar: Any, tz: ZoneInfo) -> tuple[list[Series], list[LeftOut]]:
    """The calendar's series, and every event or series left out with its reason."""
    groups: dict[object, list[tuple[Any, tuple[Pace, ...]]]] = {}
    dropped: list[LeftOut] = []
    for event in calendar.walk("VEVENT"):
        try:
            paces = vet(event, tz)
        except BadEvent as exc:
            dropped.append((label(event), str(exc)))
            continue
        except Exception as exc:  # a value icalendar let through that no calendar can mean (year 1)
            dropped.append((label(event), f"its times cannot be used ({_clip(str(exc)) or type(exc).__name__})"))
            continue
        # The library's grouping: by UID, and an event without one is a series of its own.
        groups.setdefault(event.get("UID") or id(event), []).append((event, paces))
    series: list[Series] = []
    for members in groups.values():
        events = [event for event, _ in members]
        name = label(_master(events))
        try:
            query = recurring_ical_events.of(_calendar_of(calendar, events))
            reach = _reach(events, tz)
        except Exception as exc:  # its own errors and icalendar's: this series cannot be expanded
            dropped.append((name, f"it cannot be expanded: {_clip(str(exc)) or type(exc).__name__}"))
            continue
        series.append(Series(name, tuple(p for _, rules in members for p in rules), query, reach))
    return series, dropped


def _reach(events: list[Any], tz: ZoneInfo) -> timedelta:
    moved = [
        to_utc(e["RECURRENCE-ID"].dt, tz) - to_utc(e["DTSTART"].dt, tz)
        for e in events
        if "RECURRENCE-ID" in e and e["RECURRENCE-ID"].params.get("RANGE") == "THISANDFUTURE"
    ]
    return max([timedelta(0), *moved])


def _master(events: list[Any]) -> Any:
    """The event that holds the rule (no RECURRENCE-ID), else the first override."""
    return next((e for e in events if "RECURRENCE-ID" not in e), events[0])


def _calendar_of(calendar: Any, events: Iterable[Any]) -> Any:
    # The calendar's own properties (X-WR-TIMEZONE, CALSCALE) still apply; TZIDs were resolved,
    # VTIMEZONE blocks included, when the file was parsed.
    part = icalendar.Calendar()
    for key, value in calendar.items():
        part[key] = value
    for event in events:
        part.add_component(event)
    return part


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _LABEL else text[: _LABEL - 1] + "…"
