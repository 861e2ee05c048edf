"""Reads ``.ics`` files into queryable calendars, once per change on disk.

Parsing and building the recurrence index is the expensive part, so it happens only when a file
changed (``Reloading``); each ``on_call`` then asks the index for the few occurrences around one
instant instead of expanding the calendar's whole history. An event that cannot be expanded
safely is left out at parse time and named (:mod:`.series`); the source is then degraded.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import icalendar

from opscontext.errors import SourceDataError
from opscontext.files import Load, Reloading
from opscontext.problems import LoadReport
from opscontext_connectors.ical.config import IcalConfig
from opscontext_connectors.ical.schedules import Schedule, describe
from opscontext_connectors.ical.series import LeftOut, Series, left_out, split

log = logging.getLogger(__name__)

PATTERNS = ("*.ics",)


@dataclass(frozen=True)
class LoadedCalendar:
    """One parsed calendar file: the schedule it describes, its series, and the events left out."""

    path: Path
    where: str  # how a person finds the file: relative to the configured path's directory
    schedule: Schedule
    series: tuple[Series, ...]
    dropped: tuple[LeftOut, ...]  # events or series left out, each with its reason


def _parse_one(path: Path, where: str, data: bytes, config: IcalConfig, instance: str) -> LoadedCalendar:
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except ValueError as exc:
        message = f"{path} is not a readable iCalendar file: {exc}"
        raise SourceDataError(message, instance=instance) from None
    if getattr(calendar, "name", None) != "VCALENDAR":
        raise SourceDataError(f"{path} holds no VCALENDAR", instance=instance)
    schedule = describe(calendar, path, config)
    # One bad event must not hide the rest of the rotation: it is left out, and named.
    series, dropped = split(calendar, schedule.tz)
    for name, why in dropped:
        log.warning("%s: %s: event %s left out: %s", instance, where, name, why)
    return LoadedCalendar(path, where, schedule, tuple(series), tuple(dropped))


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
        read = load.each(lambda f: _parse_one(f, load.name(f), load.read_bytes(f), self.config, self.instance))
        loaded = [cal for _path, cal in read]
        for cal in loaded:  # reported on every load: an unchanged file's earlier parse is reused
            if cal.dropped:
                load.dropped(cal.path, left_out(list(cal.dropped)))
        log.debug("%s: loaded %d calendars", self.instance, len(loaded))
        return loaded

    async def get(self) -> list[LoadedCalendar]:
        return await self._files.get()
