"""The order correlate_alerts lists groups in, with only the groups a page shows ranked.

The answer lists groups largest first and, among groups of one size, the most confident first
(then in the engine's order: the sort is stable). Size is known before ranking, confidence is
not: a page ranks only the groups of the sizes it shows (a page boundary inside a run of
equal-sized groups ranks that whole run, so the page is the one sorting every group gives).
A ``service`` filter reads each group's candidates and impacted services, and so ranks the
groups the graph cannot rule out (:meth:`LazyCorrelation.could_involve`) whose alerting services
do not already name the service.
"""

from __future__ import annotations

import heapq

from opscontext.engine.correlation.lazy import LazyCorrelation
from opscontext.engine.correlation.models import AlertGroup


class Listing:
    """``corr``'s groups involving ``service`` (all without one), in answer order; ``led``
    replaces groups by id (summaries led by user impact)."""

    def __init__(self, corr: LazyCorrelation, service: str | None = None,
                 led: dict[str, AlertGroup] | None = None) -> None:
        self._corr, self._led = corr, led or {}
        shown = range(len(corr)) if service is None else [
            p for p in corr.could_involve(service) if _involves(corr, p, service)]
        self._by_size = sorted(shown, key=lambda p: -corr.alert_count(p))  # stable: engine order within a size

    def __len__(self) -> int:
        return len(self._by_size)

    def page(self, start: int, count: int) -> list[AlertGroup]:
        """Groups ``start .. start + count`` of the listing, made (ranked) as needed."""
        order, size = self._by_size, self._corr.alert_count
        end = min(start + count, len(order))
        if start >= end:
            return []
        lo, hi = start, end
        while lo > 0 and size(order[lo - 1]) == size(order[start]):
            lo -= 1
        while hi < len(order) and size(order[hi]) == size(order[end - 1]):
            hi += 1
        run = [self._corr.group(p) for p in order[lo:hi]]
        run.sort(key=lambda g: (-g.alert_count, -g.confidence))
        return [self._led.get(g.id, g) for g in run[start - lo:end - lo]]


def largest(corr: LazyCorrelation, n: int) -> list[AlertGroup]:
    """The ``n`` largest groups, ties in the engine's order (as a stable sort by size gives)."""
    return [corr.group(p) for p in heapq.nsmallest(n, range(len(corr)), key=lambda p: (-corr.alert_count(p), p))]


def _involves(corr: LazyCorrelation, pos: int, service: str) -> bool:
    if service in corr.services(pos):
        return True  # known without ranking the group
    g = corr.group(pos)
    return service in g.impacted_services or any(c.service == service for c in g.candidates)
