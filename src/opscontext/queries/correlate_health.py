"""correlate_alerts asks the health source about the quiet candidates of the groups it shows.

A service that raised no alert is a candidate only on the graph's word; where a health source
measures it (error ratio, p99 latency, request rate), its own readings say whether it degraded
when its group began (:mod:`opscontext.engine.correlation.health`). For each group a page may
show, its quiet candidates are measured at two instants: ``before`` (15 minutes before the
group started) and ``during`` (5 minutes after it started, or the window's end if sooner). Both
are rounded down to the minute so that groups share calls, and one hub call covers every name
for one instant; the calls run concurrently, a few at a time, under the call's deadline.

No health source configured: nothing is asked and nothing is added (not even a status); nor
when the groups shown have no quiet candidate. A failing source is a failed status and a note;
the groups are then ranked as without it. The verdicts are of the call: the correlation kept
for the next call (``correlate_memo``) is never ranked with them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from opscontext.app import App
from opscontext.engine.correlation.health import HealthMap, HealthVerdict, is_degraded, verdict
from opscontext.engine.correlation.lazy import LazyCorrelation
from opscontext.models import ServiceHealth, SourceStatus
from opscontext.queries.common import has_source, merge_statuses
from opscontext.registry import Instance

log = logging.getLogger(__name__)

MAX_NAMES = 40  # distinct services asked about per call: the HealthSource contract's "few dozen"
BEFORE = timedelta(minutes=15)  # the service against itself this long before its group began
DURING = timedelta(minutes=5)  # ... and this long after (or at the window's end, if sooner)
MAX_INSTANTS = 24  # hub calls (one per instant) per answer: both instants of 12 groups at least
CONCURRENT = 4  # hub calls in flight at once
SAME_INSTANT = timedelta(minutes=1)  # a reading further from the instant asked is another instant's
Readings = Mapping[tuple[str, str], ServiceHealth]  # (service, source instance) -> its reading


@dataclass
class PageHealth:
    """Verdicts per group position, the health sources' statuses (one per source), and notes."""

    verdicts: dict[int, HealthMap] = field(default_factory=dict)
    statuses: list[SourceStatus] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Target:
    """One group's quiet candidates to measure, and the two instants to measure them at."""

    pos: int
    names: tuple[str, ...]
    before: datetime
    during: datetime


async def page_health(
    app: App, lazy: LazyCorrelation, shown: Callable[[], tuple[Sequence[int], int]], until: datetime,
    offload: bool,
) -> PageHealth:
    """Verdicts on the quiet candidates of the groups ``shown()`` lists (positions, the page's
    own first, and how many those are), measured at instants no later than ``until``. Without a
    health source: nothing is ranked or asked. ``offload``: rank in a worker thread."""
    if not has_source(app, "health"):
        return PageHealth()

    def prepare() -> tuple[list[Target], int]:
        return targets(lazy, *shown(), until)

    wanted, left_out = await asyncio.to_thread(prepare) if offload else prepare()
    return await measure(app, wanted, left_out)


def targets(lazy: LazyCorrelation, positions: Sequence[int], page: int, until: datetime) -> tuple[list[Target], int]:
    """The quiet candidates of the groups at ``positions`` (the ``page`` groups the page shows
    first, then as many that health may move onto it), within :data:`MAX_NAMES` distinct names
    and :data:`MAX_INSTANTS` instants; and how many of the page's own were left unasked. Ranks
    those groups (the page ranks them anyway): for a worker thread."""
    asked: set[str] = set()
    instants: set[datetime] = set()
    out: list[Target] = []
    left = 0
    for i, pos in enumerate(positions[: 2 * page]):
        quiet = lazy.silent_candidates(pos)
        if not quiet:
            continue
        start = lazy.group(pos).started_at
        when = (_minute(start - BEFORE), _minute(min(until, start + DURING)))
        kept = _within(quiet, asked) if len(instants.union(when)) <= MAX_INSTANTS else []
        if i < page:
            left += len(quiet) - len(kept)
        if kept:
            instants.update(when)
            out.append(Target(pos, tuple(kept), *when))
    return out, left


def _within(names: Sequence[str], asked: set[str]) -> list[str]:
    """``names`` already asked, or new while fewer than :data:`MAX_NAMES` are (added to ``asked``)."""
    kept = []
    for name in names:
        if name not in asked and len(asked) >= MAX_NAMES:
            continue
        asked.add(name)
        kept.append(name)
    return kept


async def measure(app: App, wanted: Sequence[Target], left_out: int = 0) -> PageHealth:
    """Ask every health source about ``wanted`` (one hub call per distinct instant) and turn
    each group's readings into verdicts. Never raises: health enriches the answer."""
    if not wanted:
        return PageHealth()
    by_instant: dict[datetime, set[str]] = {}
    for t in wanted:
        by_instant.setdefault(t.before, set()).update(t.names)
        by_instant.setdefault(t.during, set()).update(t.names)
    gate = asyncio.Semaphore(CONCURRENT)

    async def one(at: datetime) -> tuple[Readings, list[SourceStatus]]:
        async with gate:
            got = await app.hub.health(sorted(by_instant[at]), at)
        return _readings(got.results, at), got.statuses

    instants = sorted(by_instant)
    try:
        answers = await asyncio.gather(*(one(at) for at in instants))
    except Exception:
        log.exception("health lookup for correlate_alerts failed")
        return PageHealth(notes=["Quiet candidates could not be checked against the health source "
                                 "(internal error; see the server log)."])
    readings = {at: found for at, (found, _) in zip(instants, answers, strict=True)}
    statuses = merge_statuses([s for _, got in answers for s in got])
    notes = [f"{left_out} quiet candidates of the listed groups were not checked against the health source "
             f"(an answer asks about at most {MAX_NAMES} services, at {MAX_INSTANTS} instants)."] if left_out else []
    return PageHealth({t.pos: _verdicts(t, readings) for t in wanted}, statuses, notes)


def _readings(results: Sequence[tuple[Instance, list[ServiceHealth]]], at: datetime) -> Readings:
    """Each source's readings by (service, source instance), only those taken at ``at``: a
    stale answer the hub serves for a failed source was measured at another instant, and
    comparing it would invent a change (or hide one)."""
    return {(h.service, inst.name): h for inst, items in results for h in items if abs(h.at - at) <= SAME_INSTANT}


def _verdicts(t: Target, readings: Mapping[datetime, Readings]) -> HealthMap:
    """One verdict per name that has one: each source's reading compared with its own earlier
    reading; a source seeing it degraded wins over one seeing it serving."""
    before, during = readings[t.before], readings[t.during]
    wanted = set(t.names)
    out: dict[str, HealthVerdict] = {}
    for (name, src), now in during.items():
        v = verdict(before.get((name, src)), now) if name in wanted else None
        if v is not None and (name not in out or not is_degraded(out[name])):
            out[name] = v
    return out


def _minute(t: datetime) -> datetime:
    return t.replace(second=0, microsecond=0)

