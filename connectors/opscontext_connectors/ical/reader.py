"""Reads ``.ics`` files into queryable calendars, once per change on disk.

Parsing and building the recurrence index is the expensive part, so it happens only when a file
changed (``Reloading``); each ``on_call`` then asks the index for the few occurrences around one
instant instead of expanding the calendar's whole history.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import icalendar
import recurring_ical_events

from opscontext.errors import SourceDataError
from opscontext.files import Load, Reloading
from opscontext.problems import LoadReport
from opscontext_connectors.ical.config import IcalConfig
from opscontext_connectors.ical.schedules import Schedule, describe

log = logging.getLogger(__name__)

PATTERNS = ("*.ics",)


@dataclass(frozen=True)
class LoadedCalendar:
    """One parsed calendar file: the schedule it describes and a query for its expanded events."""

    path: Path
    schedule: Schedule
    query: Any  # recurring_ical_events.CalendarQuery (the library ships no type hints)


def _parse_one(path: Path, data: bytes, config: IcalConfig, instance: str) -> LoadedCalendar:
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except ValueError as exc:
        message = f"{path} is not a readable iCalendar file: {exc}"
        raise SourceDataError(message, instance=instance) from None
    if getattr(calendar, "name", None) != "VCALENDAR":
        raise SourceDataError(f"{path} holds no VCALENDAR", instance=instance)
    schedule = describe(calendar, path, config)
    try:
        # Series with a broken RRULE or an end before their start are skipped, not fatal: one bad
        # event must not hide the rest of the rotation.
        query = recurring_ical_events.of(calendar, skip_bad_series=True)
    except Exception as exc:  # its own errors and icalendar's: all mean "bad file"
        raise SourceDataError(f"{path} cannot be expanded: {exc}", instance=instance) from None
    return LoadedCalendar(path=path, schedule=schedule, query=query)


class CalendarReader:
    """The calendars under the configured path, re-read when any file changes."""

    def __init__(self, root: Path, config: IcalConfig, *, instance: str):
        self.root = root
        self.config = config
        self.instance = instance
        self._files = Reloading(
            root, self._parse, instance=instance, patterns=PATTERNS, max_file_mb=config.max_file_mb, per_file=True
        )

    def problems(self) -> LoadReport:
        """Calendars left out of the last load, each with its reason."""
        return self._files.problems()

    def _parse(self, load: Load) -> list[LoadedCalendar]:
        # A broken calendar is left out and reported; the other rotations still answer.
        read = load.each(lambda f: _parse_one(f, load.read_bytes(f), self.config, self.instance))
        loaded = [cal for _path, cal in read]
        log.debug("%s: loaded %d calendars", self.instance, len(loaded))
        return loaded

    async def get(self) -> list[LoadedCalendar]:
        return await self._files.get()
