"""Deduplication and flap folding: many deliveries of one alert become one unit of work.

Two deliveries with the same fingerprint and start time are the same alert (HA Alertmanager
pairs, two connectors reading one source): duplicates. The same fingerprint starting again soon
after it started before is one alert flapping: it is counted once, and the answer says it
flapped and how often. A fingerprint that returns after a long quiet spell is a new occurrence.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import attrgetter

from opscontext.models import Alert, AlertState

# Severity words in the conventions alert sources use, on one scale (3 pages someone, 1 is worth
# a look, 0 is informational): Prometheus rules (critical / warning / info, page / ticket),
# PagerDuty (critical / error / warning / info), Zabbix (disaster / high / average / warning /
# information), Opsgenie priorities (P1-P5) and incident levels (SEV1-SEV4). Matched without
# case, spaces, dashes or underscores ("SEV-1", "p_1"). An unknown word ranks 0, as none does.
SEVERITY_RANK = {
    "critical": 3, "page": 3, "emergency": 3, "fatal": 3, "disaster": 3, "p1": 3, "sev1": 3, "sev0": 3,
    "error": 2, "high": 2, "major": 2, "p2": 2, "sev2": 2,
    "warning": 1, "warn": 1, "average": 1, "medium": 1, "moderate": 1, "minor": 1, "ticket": 1, "p3": 1, "sev3": 1,
}
_SPELLING = str.maketrans("", "", " -_")


# Severities are a handful of distinct strings; remembering each one's rank saves a lower()
# and two look-ups per call in loops that run once per delivery.
_RANK_MEMO: dict[str | None, int] = {}


def severity_rank(severity: str | None) -> int:
    rank = _RANK_MEMO.get(severity)
    if rank is None:
        rank = SEVERITY_RANK.get((severity or "").lower().translate(_SPELLING), 0)
        if len(_RANK_MEMO) < 1024:  # free-text severities must not grow it without bound
            _RANK_MEMO[severity] = rank
    return rank


@dataclass(slots=True)
class UniqueAlert:
    """One alert after dedup; ``alert`` is its first delivery. Service and start are copied
    out of the pydantic model because every later stage reads them in its inner loop."""

    alert: Alert
    firings: int
    severity: str | None
    service: str | None
    starts_at: datetime
    ts: float  # starts_at as epoch seconds


@dataclass(slots=True)
class Deduped:
    unique: list[UniqueAlert]
    duplicates_removed: int
    flapping: dict[str, int]
    suppressed: int


def deduplicate(alerts: Sequence[Alert], flap_window: timedelta) -> Deduped:
    by_fp: dict[str, list[Alert]] = defaultdict(list)
    suppressed = 0
    silenced = AlertState.SUPPRESSED
    for a in alerts:
        if a.state is silenced:
            suppressed += 1  # silenced by a human: known noise, kept out of every group
            continue
        by_fp[a.fingerprint].append(a)
    unique: list[UniqueAlert] = []
    flapping: dict[str, int] = {}
    for fp, deliveries in by_fp.items():
        if len(deliveries) == 1:  # most fingerprints: one delivery, one occurrence
            a = deliveries[0]
            start = a.starts_at  # (positional: a hundred thousand of these at scale)
            unique.append(UniqueAlert(a, 1, a.severity, a.service, start, start.timestamp()))
            continue
        deliveries.sort(key=_start)
        for occurrence in _occurrences(deliveries, flap_window):
            unique.append(occurrence)
            if occurrence.firings > 1:
                flapping[fp] = flapping.get(fp, 0) + occurrence.firings
    unique.sort(key=_ts)
    removed = len(alerts) - suppressed - len(unique)
    return Deduped(unique, removed, flapping, suppressed)


_start: Callable[[Alert], datetime] = attrgetter("starts_at")
_ts: Callable[[UniqueAlert], float] = attrgetter("ts")


def _occurrences(deliveries: list[Alert], flap_window: timedelta) -> list[UniqueAlert]:
    """Split one fingerprint's time-sorted deliveries into occurrences, counting firings."""
    out: list[UniqueAlert] = []
    current: UniqueAlert | None = None
    current_rank = 0
    last_start: datetime | None = None
    for a in deliveries:
        start = a.starts_at
        if current is None or last_start is None or start - last_start > flap_window:
            current = UniqueAlert(alert=a, firings=1, severity=a.severity, service=a.service,
                                  starts_at=start, ts=start.timestamp())
            current_rank = severity_rank(a.severity)
            out.append(current)
        else:
            if start != last_start:
                current.firings += 1
            rank = severity_rank(a.severity)
            if rank > current_rank:
                current.severity, current_rank = a.severity, rank
        last_start = start
    return out
