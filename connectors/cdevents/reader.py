"""Reads CDEvents from files: JSON lines (``.jsonl``/``.ndjson``) or JSON (``.json``).

A ``.json`` file holds one event or an array of events. A line or array item that is not a
valid event is skipped and counted; a file from which not one event can be read is reported as
broken, because that is a wrong path or format, not a stray bad record.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from connectors.cdevents.wire import CDEvent

log = logging.getLogger(__name__)

PATTERNS = ("*.json", "*.jsonl", "*.ndjson")


class UnreadableEvents(ValueError):
    """Raised to Reloading, which reports it as SourceDataError naming the path."""


@dataclass(frozen=True)
class ReadEvents:
    events: list[CDEvent]
    files: int
    invalid: int  # records skipped because they were not valid JSON or not CDEvents


def _records(path: Path) -> tuple[list[Any], int]:
    """The JSON values in one file, and how many lines were not JSON at all."""
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UnreadableEvents(f"{path.name} is not valid JSON: {exc.msg} at line {exc.lineno}") from None
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


def _events(path: Path) -> tuple[list[CDEvent], int]:
    records, invalid = _records(path)
    events: list[CDEvent] = []
    for record in records:
        try:
            events.append(CDEvent.model_validate(record))
        except ValidationError as exc:
            invalid += 1
            log.debug("skipping invalid CDEvent in %s: %s", path.name, exc.errors()[0]["msg"])
    if invalid and not events:
        raise UnreadableEvents(f"{path.name}: none of its {invalid} records is a CDEvent")
    if invalid:
        log.warning("skipped %d invalid records in %s", invalid, path.name)
    return events, invalid


def read_event_files(paths: list[Path]) -> ReadEvents:
    events: list[CDEvent] = []
    invalid = 0
    for path in paths:
        found, bad = _events(path)
        events.extend(found)
        invalid += bad
    return ReadEvents(events, len(paths), invalid)
