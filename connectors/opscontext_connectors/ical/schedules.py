"""What a calendar file stands for: schedule name, team, escalation level, time zone.

One calendar is one schedule. The configured ``calendars`` table wins; without it the calendar's
own name says it ("payments-primary": team payments, level 1), because that is how teams name
their rotations in every on-call tool.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from opscontext_connectors.ical.config import IcalConfig

# Words that name an escalation level rather than a team.
LEVEL_WORDS = {"primary": 1, "l1": 1, "secondary": 2, "l2": 2, "backup": 2, "tertiary": 3, "l3": 3}
# Words that describe the calendar, not the team ("payments_schedule" is Opsgenie's team schedule).
NOISE_WORDS = {"schedule", "oncall", "rotation", "calendar"}
_ON_CALL = re.compile(r"\bon[\s_-]?call\b", re.IGNORECASE)
# PagerDuty names its feeds "On Call Schedule for <schedule>"; the bare form names nothing.
_PAGERDUTY_CALNAME = re.compile(r"^On[- ]?Call Schedule(?:\s+for\b)?\s*", re.IGNORECASE)
TEAM_PROPERTY = "X-OPSCONTEXT-TEAM"


@dataclass(frozen=True)
class Schedule:
    """What a calendar stands for: the schedule's name, team, escalation level, policy and zone."""

    name: str
    team: str | None
    level: int
    policy: str | None
    tz: ZoneInfo  # where all-day and floating events of this calendar live


def _tokens(name: str) -> list[str]:
    return [t for t in re.split(r"[^0-9a-z]+", _ON_CALL.sub(" ", name.lower())) if t]


def level_from_name(name: str) -> int:
    """Escalation level named by a word in ``name``; 1 (primary) when none is."""
    for token in _tokens(name):
        if token in LEVEL_WORDS:
            return LEVEL_WORDS[token]
    return 1


def team_from_name(name: str) -> str | None:
    """``name`` without level and calendar words, as a catalog-style slug; None if nothing is left.

    "Payments Primary" -> "payments"; "payments_schedule" -> "payments".
    """
    kept = [t for t in _tokens(name) if t not in LEVEL_WORDS and t not in NOISE_WORDS]
    return "-".join(kept) or None


def schedule_name(calname: str | None, stem: str) -> str:
    """X-WR-CALNAME without PagerDuty's boilerplate, else the file stem."""
    name = _PAGERDUTY_CALNAME.sub("", (calname or "").strip()).strip()
    return name or stem


def _text(calendar: Any, prop: str) -> str | None:
    value = calendar.get(prop)
    text = str(value).strip() if value is not None else ""
    return text or None


def _zone(name: str | None, default: str) -> ZoneInfo:
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass  # Windows zone names and typos: fall back to the configured zone
    return ZoneInfo(default)


def describe(calendar: Any, path: Path, config: IcalConfig) -> Schedule:
    """The schedule one parsed calendar file stands for."""
    calname = _text(calendar, "X-WR-CALNAME")
    name = schedule_name(calname, path.stem)
    settings = config.settings_for(path.stem, name, calname or "")
    team = settings.team or _text(calendar, TEAM_PROPERTY) or team_from_name(name)
    level = settings.level or level_from_name(name)
    tz = _zone(_text(calendar, "X-WR-TIMEZONE"), config.timezone)
    return Schedule(name=name, team=team, level=level, policy=settings.policy, tz=tz)
