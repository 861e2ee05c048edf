"""Rank recent changes by how likely each is to have started an incident.

Two things make a change suspect: where it landed (on the primary contributor, another
candidate, another alerting service of the incident, something the primary depends on, or
elsewhere) and when (shortly before the first alert beats hours before; after the first alert it
is more likely a response than a cause). The score is the product of the two weights, so an
explanation is always "the deploy on X 6 min before the first alert", never a hidden blend.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from opscontext.answers import ChangeEntry
from opscontext.briefing.models import SuspectChange
from opscontext.textcut import shorten

LOOKBACK = timedelta(minutes=90)  # as correlation's change_lookback: anywhere in the estate
LONG_LOOKBACK = timedelta(hours=24)  # the primary contributor and what it depends on: slow fuses too
GRACE = timedelta(minutes=2)  # clocks disagree: a change this soon after the first alert still counts
DEPENDENCY_DEPTH = 3
ELSEWHERE = 0.1
SUMMARY_CHARS = 120
LISTED = 0.15  # below this (a change elsewhere, whenever it was) a change is counted, not listed


@dataclass(frozen=True)
class Place:
    relation: str
    weight: float


def places(
    primary: str,
    candidates: Sequence[str],
    alerting: Iterable[str],
    dependencies: Callable[[str], Iterable[str]],
) -> dict[str, Place]:
    """Where a change may land, mapped to how suspect that place is (first match wins)."""
    out: dict[str, Place] = {primary: Place("primary contributor", 1.0)}
    for name in candidates:
        out.setdefault(name, Place("other candidate", 0.8))
    for name in alerting:
        out.setdefault(name, Place("alerting in the incident", 0.6))
    for name, distance in _below(primary, dependencies).items():
        out.setdefault(name, Place(f"dependency, distance {distance}", 0.5 / distance))
    return out


def _below(name: str, dependencies: Callable[[str], Iterable[str]]) -> dict[str, int]:
    seen, frontier = {name: 0}, [name]
    for distance in range(1, DEPENDENCY_DEPTH + 1):
        frontier = [d for node in frontier for d in dependencies(node) if d not in seen]
        for d in frontier:
            seen.setdefault(d, distance)
    del seen[name]
    return seen


def timing(at: datetime, start: datetime | None) -> float:
    """1.0 just before the first alert, 0.3 at :data:`LOOKBACK` before it, then slowly down to
    0.1 at :data:`LONG_LOOKBACK` (a paused replication slot fills a disk in hours); 0.2 well after."""
    if start is None:
        return 0.5
    before = start - at
    if before < -GRACE:
        return 0.2
    if before <= timedelta(0):
        return 0.9
    if before <= LOOKBACK:
        return 1.0 - 0.7 * (before / LOOKBACK)
    return max(0.1, 0.3 - 0.2 * ((before - LOOKBACK) / (LONG_LOOKBACK - LOOKBACK)))


def merge(*answers: Sequence[ChangeEntry]) -> list[ChangeEntry]:
    """Changes from several answers, each once (by id, else by service, time and summary)."""
    seen: dict[object, ChangeEntry] = {}
    for entries in answers:
        for c in entries:
            seen.setdefault(c.id or (c.service, c.at, c.summary), c)
    return list(seen.values())


def rank(
    changes: Sequence[ChangeEntry], where: dict[str, Place], start: datetime | None
) -> list[SuspectChange]:
    """Every change scored, most suspect first (ties: newest first). Changes elsewhere are
    scored too: the caller decides whether they are worth listing (:data:`LISTED`)."""
    scored = []
    for c in changes:
        place = where.get(c.service or "", Place("elsewhere", ELSEWHERE))
        score = round(place.weight * timing(c.at, start), 3)
        lead = None if start is None else round((start - c.at).total_seconds() / 60)
        scored.append(
            SuspectChange(
                service=c.service,
                kind=c.kind,
                summary=shorten(c.summary, SUMMARY_CHARS),
                at=c.at,
                minutes_before_start=lead,
                relation=place.relation,
                score=score,
                id=c.id,
                author=c.author,
            )
        )
    scored.sort(key=lambda s: (-s.score, -s.at.timestamp()))
    return scored
