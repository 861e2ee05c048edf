"""Reads CDEvents from files: JSON lines (``.jsonl``/``.ndjson``) or JSON (``.json``).

A ``.json`` file holds one event or an array of events. A line or array item that is not a
valid event is skipped and reported; a file from which not one event can be read is left out and
reported, because that is a wrong path or format, not a stray bad record. Either way the source
is degraded, never silently ok.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import ValidationError

from opscontext.files import Load
from opscontext_connectors.cdevents.wire import CDEvent

PATTERNS = ("*.json", "*.jsonl", "*.ndjson")
T = TypeVar("T")


@dataclass(frozen=True)
class ReadEvents(Generic[T]):
    """What one read of the event files found: what ``convert`` made of the valid CDEvents (in
    file order), how many valid events there were, and how many records were not."""

    items: list[T]
    events: int
    files: int
    invalid: int  # records skipped because they were not valid JSON or not CDEvents


def _records(path: Path, text: str) -> tuple[list[Any], int]:
    """The JSON values in one file, and how many lines were not JSON at all."""
    if path.suffix.lower() == ".json":
        value = json.loads(text)  # a broken .json file is left out as a whole, with its line
        return (value if isinstance(value, list) else [value]), 0
    records: list[Any] = []
    broken = 0
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            broken += 1
    return records, broken


def _events(path: Path, text: str) -> tuple[list[CDEvent], int, str]:
    """Valid events of one file, how many records were not, and the first reason why."""
    records, invalid = _records(path, text)
    first = "not JSON" if invalid else ""
    events: list[CDEvent] = []
    for record in records:
        try:
            events.append(CDEvent.model_validate(record))
        except ValidationError as exc:
            invalid += 1
            err = exc.errors()[0]
            first = first or f"{'.'.join(map(str, err['loc'])) or 'record'}: {err['msg']}"
    if invalid and not events:
        raise ValueError(f"none of its {invalid} records is a CDEvent ({first})")
    return events, invalid, first


def read_event_files(load: Load, convert: Callable[[CDEvent], T | None]) -> ReadEvents[T]:
    """What ``convert`` makes of the events of every readable file (None: nothing); a broken file
    or invalid record is reported, not hidden. Each file's events are converted as soon as it is
    read, so its wire events are never kept: a per-file source (``Reloading(per_file=True)``)
    keeps each file's converted items for the next load, not its wire models."""

    def one(path: Path) -> tuple[list[T], int, int, str]:
        events, bad, why = _events(path, load.read_text(path))
        return [x for x in map(convert, events) if x is not None], len(events), bad, why

    items: list[T] = []
    events = invalid = 0
    for path, (found, count, bad, why) in load.each(one):
        items.extend(found)
        events += count
        invalid += bad
        if bad:
            load.dropped(path, f"{bad} invalid record{'s' if bad > 1 else ''} left out (first: {why})")
    return ReadEvents(items, events, len(load.files), invalid)
