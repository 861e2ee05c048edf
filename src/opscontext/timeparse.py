"""Time arguments as people and models write them.

Accepted: ISO 8601 timestamps (``2026-03-10T13:45:00Z``; a naive one is UTC), relative durations
meaning "that long ago" (``90m``, ``2h``, ``1d12h``, ``45s``, ``1w``, optional leading ``-`` or
trailing `` ago``), and ``now``. Everything comes back timezone-aware UTC.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta

from opscontext.errors import InputError, preview
from opscontext.models import TimeWindow

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^(?:\d+(?:\.\d+)?[smhdw])+$")
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
MAX_INPUT = 64
MAX_DURATION_SECONDS = 10 * 365 * 86400
EARLIEST_YEAR = 1970
_WORD_UNIT = {
    "weeks": "w",
    "week": "w",
    "days": "d",
    "day": "d",
    "hours": "h",
    "hour": "h",
    "hrs": "h",
    "hr": "h",
    "minutes": "m",
    "minute": "m",
    "mins": "m",
    "min": "m",
    "seconds": "s",
    "second": "s",
    "secs": "s",
    "sec": "s",
}
_WORDS = re.compile("|".join(sorted(_WORD_UNIT, key=len, reverse=True)))


def parse_duration(text: str) -> timedelta | None:
    """``1h30m`` -> 90 minutes; None when ``text`` is not a duration."""
    compact = text.strip().lower().replace(" ", "")
    compact = compact.removeprefix("-").removesuffix("ago")
    compact = _WORDS.sub(lambda m: _WORD_UNIT[m.group(0)], compact)
    if not _DURATION.match(compact):
        return None
    seconds = sum(float(n) * _UNITS[u] for n, u in _PART.findall(compact))
    if seconds > MAX_DURATION_SECONDS:
        raise InputError(f"The duration {preview(text.strip())} is longer than ten years; use a shorter one.")
    return timedelta(seconds=seconds)


def parse_time(text: str, *, now: datetime, name: str = "time") -> datetime:
    """One time argument; raises InputError with an example when it cannot be read."""
    raw = text.strip()
    if not raw or len(raw) > MAX_INPUT or not raw.isascii():
        raise InputError(f"`{name}` must be an ISO 8601 time like 2026-03-10T13:45:00Z or a duration like 90m or 2h.")
    if raw.lower() == "now":
        return now
    delta = parse_duration(raw)
    if delta is not None:
        try:
            return now - delta
        except OverflowError:
            raise InputError(f"`{name}`={preview(raw)} reaches before year 1; use a shorter duration.") from None
    try:
        value = datetime.fromisoformat(raw.replace("z", "Z"))
    except ValueError:
        raise InputError(
            f"`{name}`={preview(raw)} is not a time. Use an ISO 8601 timestamp like 2026-03-10T13:45:00Z "
            "or a duration meaning that long ago, like 90m, 2h or 1d."
        ) from None
    if value.year < EARLIEST_YEAR or value.year > now.year + 1:
        # Far dates mean a typo, and they overflow the arithmetic done with windows downstream.
        raise InputError(f"`{name}`={preview(raw)} is outside {EARLIEST_YEAR}..{now.year + 1}; check the year.")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_window(
    since: str | None,
    until: str | None,
    *,
    now: datetime,
    default: timedelta,
    max_window: timedelta,
) -> TimeWindow:
    """A validated window: ``until`` defaults to now, ``since`` to ``until - default``."""
    end = parse_time(until, now=now, name="until") if until else now
    start = parse_time(since, now=now, name="since") if since else end - default
    if start > end:
        raise InputError(
            f"`since` ({start:%Y-%m-%dT%H:%M:%SZ}) is after `until` ({end:%Y-%m-%dT%H:%M:%SZ}); swap them."
        )
    return check_window(TimeWindow(since=start, until=end), now=now, max_window=max_window)


def check_window(window: TimeWindow, *, now: datetime, max_window: timedelta) -> TimeWindow:
    """``window`` if a caller may ask for it: no longer than ``max_window``, within the years a
    time argument may name, not wholly in the future. A paging cursor carries its window, so it
    is held to the same limits as ``since``/``until`` (a forged one asked for 1970-9999)."""
    start, end = window.since, window.until
    if start.year < EARLIEST_YEAR or end.year > now.year + 1:
        raise InputError(f"The window reaches outside {EARLIEST_YEAR}..{now.year + 1}; check `since`/`until`.")
    if end - start > max_window:
        days = max_window.total_seconds() / 86400
        raise InputError(f"The window is longer than the limit of {days:g} days; narrow `since`/`until`.")
    if start > now + timedelta(days=1):
        raise InputError("The window lies entirely in the future; nothing has happened there yet.")
    return window


def humanize(delta: timedelta) -> str:
    """``timedelta(minutes=6)`` -> ``"6 min"``; for summaries a person reads. Seconds round up, so
    a step due in 0.4 s reads "1 s", never "0 s"."""
    exact = abs(delta.total_seconds())
    seconds = int(exact)
    if exact < 90:
        return f"{math.ceil(exact)} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.1f} h".replace(".0 h", " h")
    return f"{seconds / 86400:.1f} d".replace(".0 d", " d")
