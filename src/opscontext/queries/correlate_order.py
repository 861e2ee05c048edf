"""The order correlate_alerts lists groups in, with only the groups a page shows ranked.

The answer lists groups largest first and, among groups of one size, the most confident first
(then in the engine's order: the sort is stable). Size is known before ranking, confidence is
not: a page ranks only the groups of the sizes it shows (a page boundary inside a run of
equal-sized groups ranks that whole run, so the page is the one sorting every group gives).
A ``service`` filter reads each group's candidates and impacted services, and so ranks the
groups the graph cannot rule out whose alerting services do not already name the service
(:meth:`LazyCorrelation.involving`).

With a health source's verdicts on quiet candidates (:mod:`.correlate_health`), the groups a
page may show (:meth:`Listing.span`) are ranked again with them for that page alone
(:meth:`LazyCorrelation.group_with`) and sorted by the confidence that gives; the kept groups
stay those of the alerts.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping

from opscontext.engine.correlation.health import HealthMap
from opscontext.engine.correlation.lazy import LazyCorrelation
from opscontext.engine.correlation.models import AlertGroup

_NO_HEALTH: Mapping[int, HealthMap] = {}


class Listing:
    """``corr``'s groups involving ``service`` (all without one), in answer order; ``led``
    replaces groups by id (summaries led by user impact)."""

    def __init__(self, corr: LazyCorrelation, service: str | None = None,
                 led: dict[str, AlertGroup] | None = None) -> None:
        self._corr, self._led = corr, led or {}
        shown = range(len(corr)) if service is None else corr.involving(service)
        self._by_size = sorted(shown, key=lambda p: -corr.alert_count(p))  # stable: engine order within a size

    def __len__(self) -> int:
        return len(self._by_size)

    def page(self, start: int, count: int, health: Mapping[int, HealthMap] = _NO_HEALTH) -> list[AlertGroup]:
        """Groups ``start .. start + count`` of the listing, made (ranked) as needed; a group
        whose position has verdicts in ``health`` is ranked with them (and sorted by the
        confidence that gives)."""
        lo, hi, end = self._runs(start, count)
        if start >= end:
            return []
        run = [self._made(p, health) for p in self._by_size[lo:hi]]
        run.sort(key=lambda g: (-g.alert_count, -g.confidence))
        return run[start - lo:end - lo]

    def span(self, start: int, count: int) -> tuple[list[int], int]:
        """Positions of every group the page ``start .. start + count`` may show, and how many
        it shows: the groups it shows without health first, then the rest of the size runs it
        cuts into (health may move one of them onto the page), the most confident first."""
        lo, hi, end = self._runs(start, count)
        if start >= end:
            return [], 0
        corr = self._corr
        run = sorted(self._by_size[lo:hi], key=lambda p: (-corr.alert_count(p), -corr.group(p).confidence))
        return [*run[start - lo:end - lo], *run[:start - lo], *run[end - lo:]], end - start

    def _runs(self, start: int, count: int) -> tuple[int, int, int]:
        """``(lo, hi, end)``: the page ends at ``end``; ``lo .. hi`` widens it to whole size runs."""
        order, size = self._by_size, self._corr.alert_count
        end = min(start + count, len(order))
        if start >= end:
            return start, end, end
        lo, hi = start, end
        while lo > 0 and size(order[lo - 1]) == size(order[start]):
            lo -= 1
        while hi < len(order) and size(order[hi]) == size(order[end - 1]):
            hi += 1
        return lo, hi, end

    def _made(self, pos: int, health: Mapping[int, HealthMap]) -> AlertGroup:
        """The group at ``pos``, ranked with its verdicts if any, its summary led by user impact."""
        kept = self._corr.group(pos)
        return led_again(self._led.get(kept.id), kept, self._corr.group_with(pos, health.get(pos, {})))


def led_again(led: AlertGroup | None, kept: AlertGroup, made: AlertGroup) -> AlertGroup:
    """``made`` with the user-impact lead ``led`` gave ``kept`` (the same group before health
    ranked it again): the lead's words before ``made``'s own summary."""
    if led is None:
        return made
    if made is kept:
        return led
    if not led.summary.endswith(kept.summary):
        return made  # not a lead put before the summary: nothing to carry over
    lead = led.summary[: len(led.summary) - len(kept.summary)]
    return made.model_copy(update={"summary": lead + made.summary})


def largest(corr: LazyCorrelation, n: int) -> list[AlertGroup]:
    """The ``n`` largest groups, ties in the engine's order (as a stable sort by size gives)."""
    return [corr.group(p) for p in heapq.nsmallest(n, range(len(corr)), key=lambda p: (-corr.alert_count(p), p))]
