"""The pieces of the meeting index that work on integer node ids and onset times.

:func:`down_levels` is one alerting service's bounded walk down its dependencies, hop by hop.
:class:`TimeNear` answers "which of these nodes alert at about the same time as this service?"
through time buckets, so the index can leave out entries that could never link anything.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence

Spans = Mapping[str, Sequence[tuple[float, float]]]


def down_levels(fwd: list[list[int]], start: int, max_hops: int, max_reach: int) -> tuple[tuple[int, ...], ...]:
    """:func:`down_reach` over integer ids: the nodes first reached at hop 1, 2, ... (the same
    nodes), without building a dict per walk.

    Each hop is one C-level set union and difference. Order inside a hop does not matter to any
    reader; only when the visit cap cuts a hop short does the order decide *which* nodes are
    kept, so such a walk is redone in :func:`down_reach`'s exact visiting order.
    """
    if max_hops == 2:  # the default: two set operations fewer per walk, 34k walks cold
        return _two_hops(fwd, start, max_reach)
    seen = {start}
    levels: list[tuple[int, ...]] = []
    frontier: Iterable[int] = (start,)
    for _ in range(max_hops):
        nxt = set().union(*[fwd[node] for node in frontier])
        nxt -= seen
        if len(seen) + len(nxt) >= max_reach:
            return _ordered_levels(fwd, start, max_hops, max_reach)
        seen |= nxt
        levels.append(tuple(nxt))
        frontier = nxt
    return tuple(levels)


def _two_hops(fwd: list[list[int]], start: int, max_reach: int) -> tuple[tuple[int, ...], ...]:
    """:func:`down_levels` for two hops (the same nodes per hop)."""
    first = set(fwd[start])
    first.discard(start)
    second = set().union(*[fwd[node] for node in first])
    second -= first
    second.discard(start)
    if 1 + len(first) + len(second) >= max_reach:  # (a cap reached at hop 1 is reached here too)
        return _ordered_levels(fwd, start, 2, max_reach)
    return (tuple(first), tuple(second))


def _ordered_levels(fwd: list[list[int]], start: int, max_hops: int, max_reach: int) -> tuple[tuple[int, ...], ...]:
    seen = {start}
    levels: list[tuple[int, ...]] = []
    frontier = [start]
    for _ in range(max_hops):
        nxt: list[int] = []
        for node in frontier:
            for dep in fwd[node]:
                if dep not in seen:
                    seen.add(dep)
                    nxt.append(dep)
                    if len(seen) >= max_reach:
                        levels.append(tuple(nxt))
                        return tuple(levels)
        levels.append(tuple(nxt))
        frontier = nxt
    return tuple(levels)


class TimeNear:
    """Alerting services with an episode within ``margin`` of a given service's episodes, found
    through time buckets ``margin`` wide: a hop's nodes are intersected with the sets of
    who alerts in three or four buckets instead of with every alerting service of the window."""

    def __init__(self, ids: Mapping[str, int], spans: Spans, margin: float, everyone: set[int],
                 centres: dict[str, tuple[int, ...]] | None = None) -> None:
        """``centres``: each service's covering buckets (:meth:`_centres`, a function of its spans
        and ``margin`` alone) known already, for services whose spans are the same; filled in."""
        self.width = max(margin, 1.0)
        self.margin = margin
        self.spans = spans
        self.everyone = everyone
        self.buckets: dict[int, set[int]] = {}
        # bucket b -> who alerts in b - 1, b or b + 1: the whole neighbourhood of a service whose
        # episodes all fall in bucket b (most of them), so it takes one intersection, not three
        self.around: dict[int, set[int]] = {}
        self.centres: dict[str, tuple[int, ...]] = {} if centres is None else centres
        width = self.width
        buckets = self.buckets
        for service, episodes in spans.items():
            i = ids.get(service)
            if i is None:
                continue
            for first, last in episodes:
                for b in range(int(first // width), int(last // width) + 1):
                    bucket = buckets.get(b)
                    if bucket is None:
                        buckets[b] = {i}
                    else:
                        bucket.add(i)

    def intersection(self, service: str, level: Collection[int]) -> Iterable[int]:
        """The nodes of ``level`` that alert in a bucket within ``margin`` of one of
        ``service``'s episodes: every one alerting that close, and possibly a few a bucket
        further (readers check exact times; they only need no close one missing)."""
        centres = self.centres.get(service)
        if centres is None:
            centres = self.centres[service] = self._centres(service)
        if not centres:  # alerting for hours: most of the day is near, check everyone
            return self.everyone.intersection(level)
        if len(centres) == 1:
            return self._around(centres[0]).intersection(level)
        found: set[int] = set()
        for b in centres:
            found |= self._around(b).intersection(level)
        return found

    def _centres(self, service: str) -> tuple[int, ...]:
        """Buckets whose three-bucket neighbourhoods cover every bucket within ``margin`` of the
        service's episodes (none: too many to be worth it)."""
        width, margin = self.width, self.margin
        episodes = self.spans[service]
        if len(episodes) == 1:  # most services: one run of buckets, covered every third one
            first, last = episodes[0]
            lo, hi = int((first - margin) // width), int((last + margin) // width)
            return tuple(range(lo + 1, hi + 2, 3)) if hi - lo < 24 else ()
        # several episodes: their bucket runs in time order, each covered from where the
        # previous cover ended (the buckets a greedy cover of the sorted union would pick)
        out: list[int] = []
        covered = -(2**62)  # highest bucket covered so far
        count = 0
        for first, last in sorted(episodes):
            lo = max(int((first - margin) // width), covered + 1)
            hi = int((last + margin) // width)
            if lo > hi:
                continue
            count += hi - lo + 1
            if count > 24:
                return ()
            out.extend(range(lo + 1, hi + 2, 3))
            covered = out[-1] + 1
        return tuple(out)

    def _around(self, b: int) -> set[int]:
        known = self.around.get(b)
        if known is None:
            buckets = self.buckets
            known = self.around[b] = set().union(*[buckets.get(k, ()) for k in (b - 1, b, b + 1)])
        return known
