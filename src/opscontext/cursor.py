"""Paging cursors: an answer that cut a list hands out ``next_cursor``; passing it back gets the
next page of the same list over the same time window, however much later the call comes.

A cursor is opaque to the caller and short (it is paid for in tokens):
``<tool>|<since>|<until>|<key><value>|...`` with the window in whole epoch seconds (widened
outwards to them) and each position field one letter plus its URL-quoted value. It carries no
secret and grants nothing: a forged one can only ask for a page the caller could ask for with
plain arguments (its window is held to the limits of ``since``/``until``, its offsets are plain
ASCII digits).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, unquote

from opscontext.errors import InputError
from opscontext.models import TimeWindow
from opscontext.timeparse import check_window

MAX_CURSOR = 400  # characters; the cursors made here are well under 100


def whole_seconds(window: TimeWindow) -> TimeWindow:
    """``window`` widened outwards to whole seconds, as a cursor records it: answers then show
    short timestamps, and a page asked for with the cursor covers exactly the same window."""
    since = datetime.fromtimestamp(math.floor(window.since.timestamp()), UTC)
    until = datetime.fromtimestamp(math.ceil(window.until.timestamp()), UTC)
    return TimeWindow(since=since, until=until)


def encode(kind: str, window: TimeWindow, **position: str | int) -> str:
    """A cursor of ``kind`` (the tool's name) for ``window`` and ``position`` (one-letter keys)."""
    since = math.floor(window.since.timestamp())
    until = math.ceil(window.until.timestamp())
    fields = [f"{key}{quote(str(value), safe='')}" for key, value in position.items()]
    return "|".join([kind, str(since), str(until), *fields])


def decode(cursor: str, kind: str, *, now: datetime, max_window: timedelta) -> tuple[TimeWindow, dict[str, str]]:
    """The window and position of a cursor made by :func:`encode` for ``kind``; the window is
    checked as ``since``/``until`` would be (:func:`~opscontext.timeparse.check_window`).

    Raises ``InputError`` for anything else: a cursor from another tool, a truncated or edited one.
    """
    bad = InputError(f"`cursor` is not one {kind} handed out: pass an answer's `next_cursor` back unchanged, "
                     "or leave `cursor` out to start from the first page.")
    parts = cursor.strip().split("|")
    if len(cursor) > MAX_CURSOR or len(parts) < 3 or parts[0] != kind:
        raise bad
    try:
        since, until = (datetime.fromtimestamp(int(p), UTC) for p in parts[1:3])
        window = TimeWindow(since=since, until=until)
    except (ValueError, OverflowError, OSError):
        raise bad from None
    if since > until or any(not p for p in parts[3:]):
        raise bad
    try:
        checked = check_window(window, now=now, max_window=max_window)
    except InputError as exc:  # worded for since/until: say it is the cursor's window
        raise InputError(f"`cursor` asks for a window no call may ask for ({exc}); leave `cursor` out "
                         "to start from the first page.") from None
    return checked, {p[0]: unquote(p[1:]) for p in parts[3:]}


def offset(position: dict[str, str], key: str, default: int = 0) -> int:
    """A non-negative integer field of a decoded position (``default`` when absent)."""
    value = position.get(key, str(default))
    # isdigit alone lets through digits int() refuses ("²") or reads ("٣"): ASCII only.
    if not (value.isascii() and value.isdigit()) or len(value) > 9:
        raise InputError("`cursor` is damaged: pass an answer's `next_cursor` back unchanged.")
    return int(value)


def past_end(start: int, total: int, what: str) -> str | None:
    """A note for a page that starts at or after the end of its list (``None`` otherwise): the
    list shrank since the cursor was handed out (a source's data changed), or the cursor was
    edited. Said plainly, instead of "items 1000-999 of 23"."""
    if start == 0 or start < total:
        return None
    return (f"This cursor starts at {what} {start + 1}, past the end: there are {total} now (fewer than when "
            "it was handed out, or the cursor was edited). Leave `cursor` out for the first page.")
