"""Reading a source one item at a time: bounded concurrency, and a failure costs only its item.

A connector that asks its API once per repository, incident or table reads those items through
:func:`read_each`:

- at most ``limit`` items are read at once (the vendor's rate limits decide how many);
- an item whose read raises a :class:`~opscontext.errors.SourceError` is left out, and the call's
  problem report (:func:`opscontext.problems.report`) names it with the reason, so the hub reports
  the source ``degraded`` with what was skipped instead of failing the whole answer;
- an error that says every further request would fail too (``halts``: an exhausted rate limit,
  rejected credentials) stops new reads: the items not yet read are named as skipped for that
  reason, and nothing keeps hammering the API;
- when no item could be read at all, the call fails with the error the items met (the original
  one when there was a single item), because an answer made of nothing is not "partial".

Per-item problems that do not lose the item (a deployment whose status could not be looked up)
are reported with ``lost=False``; such reads never fail the call. Reads that only add to an
answer (the people of a catalog) pass ``required=False``: losing all of them degrades it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from opscontext.errors import (
    SourceAuthError,
    SourceDataError,
    SourceError,
    SourceNotFoundError,
    SourceUnavailableError,
)
from opscontext.problems import LoadReport, Problem, reason_of, report, take_reported

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_CONCURRENCY = 8
_KINDS: tuple[type[SourceError], ...] = (
    SourceAuthError,
    SourceNotFoundError,
    SourceUnavailableError,
    SourceDataError,
)


def never(_: SourceError) -> bool:
    """The default ``halts``: no error stops the other items."""
    return False


async def read_each(
    items: Sequence[T],
    read: Callable[[T], Awaitable[R]],
    *,
    name: Callable[[T], str],
    noun: str,
    instance: str,
    limit: int = DEFAULT_CONCURRENCY,
    halts: Callable[[SourceError], bool] = never,
    lost: bool = True,
    required: bool | None = None,
    partly: str = "partly read",
) -> list[tuple[T, R]]:
    """``read`` over ``items``, at most ``limit`` at a time: (item, result) for each item read,
    in item order. Items that failed are reported as problems of the current call (see the
    module docstring). ``lost``: a failed item is missing from the answer (else only some detail
    of it is). Raises when the items are ``required`` (by default: when they are ``lost``) and
    none could be read, or when ``read`` raised something other than a SourceError (a bug).
    """
    if not items:
        return []
    gate = asyncio.Semaphore(max(1, limit))
    stopped: list[SourceError] = []  # the first halting error, once one happened
    failures: dict[int, SourceError] = {}
    results: dict[int, R] = {}
    inner: list[LoadReport] = []  # what the reads reported themselves (each runs in its own task)

    async def one(index: int, item: T) -> None:
        async with gate:
            if stopped:
                return
            try:
                results[index] = await read(item)
            except SourceError as exc:
                failures[index] = exc
                if not stopped and halts(exc):
                    stopped.append(exc)
            finally:
                inner.extend(take_reported())

    settled = await asyncio.gather(*(one(i, item) for i, item in enumerate(items)), return_exceptions=True)
    for outcome in settled:
        if isinstance(outcome, BaseException):
            raise outcome  # a connector bug, after every read settled: no task outlives the call
    found = _report(items, name, failures, results, stopped, noun=noun, lost=lost, partly=partly)
    if (lost if required is None else required) and not results and failures:
        first = stopped[0] if stopped else failures[min(failures)]
        raise first if len(items) == 1 else _all_failed(first, found.summary(), instance)
    for each in (*inner, found):
        report(each)
    return [(item, results[i]) for i, item in enumerate(items) if i in results]


def _report(
    items: Sequence[T],
    name: Callable[[T], str],
    failures: dict[int, SourceError],
    results: dict[int, R],
    stopped: list[SourceError],
    *,
    noun: str,
    lost: bool,
    partly: str,
) -> LoadReport:
    problems: list[Problem] = []
    halt = f"not read: {reason_of(stopped[0])}" if stopped else ""
    for index, item in enumerate(items):
        if index in failures:
            problems.append(Problem(name(item), reason_of(failures[index]), skipped=lost))
        elif index not in results:  # never started: an earlier error halted the reads
            problems.append(Problem(name(item), halt, skipped=lost))
    return LoadReport(len(items), tuple(problems), noun=noun, partly=partly)


def _all_failed(first: SourceError, summary: str, instance: str) -> SourceError:
    kind = next((k for k in _KINDS if isinstance(first, k)), SourceUnavailableError)
    error = kind(summary, instance=instance or first.instance)
    error.status = first.status
    return error
