"""SLI evaluation shared by every evaluator: each SLO's error ratio over each window.

For a window ``w`` ending at ``at`` the numerator and total queries are rendered for ``w``
(``increase(...[w])`` or the query's own ``{{.window}}``) and run as instant queries at ``at``
by the evaluator's ``value_of`` (the sum of the query's instant vector, None when it is empty);
their ratio is the window's error ratio. Queries run concurrently, a few at a time, so one tool
call over a dozen SLOs does not flood the server.

Failure policy: a query the evaluator refuses (``SourceDataError``: HTTP 4xx, a result that is
not a vector, a query beyond a recording's reach) belongs to that SLO's definition and becomes
that window's ``error``; the source is failing only when it cannot be asked at all (down,
unauthorised) or refused every query, and then this raises.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from opscontext.errors import SourceDataError, SourceError
from opscontext.models import SliReading, SliRequest
from opscontext.sli import SliQueryError, error_ratio, queries, short

CONCURRENCY = 8
ValueOf = Callable[[str, datetime], Awaitable[float | None]]


async def evaluate(
    requests: Sequence[SliRequest], at: datetime, *, instance: str, value_of: ValueOf, local: bool = False,
) -> list[SliReading]:
    """Readings for the requests addressed to ``instance``, one per request and window.
    ``local``: ``value_of`` answers from memory without waiting on anything (a recording), so
    the queries run one after another: a task per query would cost more than the query."""
    mine = [r for r in requests if r.evaluator == instance]
    gate = asyncio.Semaphore(CONCURRENCY)

    async def run(query: str | None) -> float | None:
        if query is None:
            return None
        async with gate:
            return await value_of(query, at)

    async def one(query: str | None) -> float | BaseException | None:
        try:
            return None if query is None else await value_of(query, at)
        except Exception as exc:  # as gather(return_exceptions=True) hands them back
            return exc

    jobs, unusable = [], []
    for request in mine:
        try:
            jobs += [(request, w, queries(request.sli, w)) for w in request.windows]
        except SliQueryError as exc:  # a definition no evaluator can run: its own error, not the source's
            why = f"the SLI query cannot be run: {exc}"
            unusable += [_reading(request, w, at, instance, why) for w in request.windows]
    flat = [q for _, _, pair in jobs for q in pair]
    if local:
        answers: list[Any] = [await one(q) for q in flat]
    else:
        answers = await asyncio.gather(*(run(q) for q in flat), return_exceptions=True)
    _raise_if_the_source_failed(answers)
    readings = unusable
    for i, (request, window, _) in enumerate(jobs):
        numerator, total = answers[2 * i], answers[2 * i + 1]
        failed = next((a for a in (numerator, total) if isinstance(a, BaseException)), None)
        if failed is not None:
            readings.append(_refused(request, window, failed, at, instance))
            continue
        ratio = error_ratio(request.sli, numerator, total)
        if ratio is None and numerator is None and request.sli.kind == "good" and total:
            readings.append(_no_good_series(request, window, at, instance))
            continue
        counted = request.sli.total is not None and isinstance(total, int | float) and total >= 0
        events = float(total) if counted else None
        readings.append(
            SliReading(slo=request.slo, window_seconds=window, error_ratio=ratio, events=events, at=at, source=instance)
        )
    return readings


def _raise_if_the_source_failed(answers: list[Any]) -> None:
    errors = [a for a in answers if isinstance(a, BaseException)]
    for exc in errors:
        if not isinstance(exc, SourceDataError):
            raise exc  # down, unauthorised, a bug: the whole source failed
    if errors and len(errors) == len(answers):
        raise errors[0]  # every query refused: the source, not one SLO, is wrong


def _reading(request: SliRequest, window: int, at: datetime, instance: str, error: str) -> SliReading:
    return SliReading(slo=request.slo, window_seconds=window, at=at, error=error, source=instance)


def _no_good_series(request: SliRequest, window: int, at: datetime, instance: str) -> SliReading:
    why = f"the good-events query matched no series over {short(window)} while the total had events; check it"
    return _reading(request, window, at, instance, why)


def _refused(request: SliRequest, window: int, exc: BaseException, at: datetime, instance: str) -> SliReading:
    reason = str(exc).removeprefix(f"{instance}: ") if isinstance(exc, SourceError) else type(exc).__name__
    return SliReading(
        slo=request.slo,
        window_seconds=window,
        at=at,
        error=f"the {short(window)} window's query failed: {reason}",
        source=instance,
    )
