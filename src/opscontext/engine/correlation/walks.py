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

    def __init__(self, ids: Mapping[str, int], spans: Spans, margin: float, everyone: set[int]) -> None:
        self.width = max(margin, 1.0)
        self.margin = margin
        self.spans = spans
        self.everyone = everyone
        self.buckets: dict[int, set[int]] = {}
        # bucket b -> who alerts in b - 1, b or b + 1: the whole neighbourhood of a service whose
        # episodes all fall in bucket b (most of them), so it takes one intersection, not three
        self.around: dict[int, set[int]] = {}
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
        width, margin = self.width, self.margin
        keys: Iterable[int]
        episodes = self.spans[service]
        if len(episodes) == 1:  # most services: one episode, one range of buckets
            first, last = episodes[0]
            keys = range(int((first - margin) // width), int((last + margin) // width) + 1)
            if len(keys) == 3:
                return self._around(keys[1]).intersection(level)
        else:
            keys = {b for first, last in episodes
                    for b in range(int((first - margin) // width), int((last + margin) // width) + 1)}
        if len(keys) > 24:  # alerting for hours: most of the day is near, check everyone
            return self.everyone.intersection(level)
        found: set[int] | None = None
        buckets = self.buckets
        for b in keys:
            bucket = buckets.get(b)
            if bucket:
                hit = bucket.intersection(level)
                if hit:
                    found = hit if found is None else found | hit
        return found or ()

    def _around(self, b: int) -> set[int]:
        known = self.around.get(b)
        if known is None:
            buckets = self.buckets
            known = self.around[b] = set().union(*[buckets.get(k, ()) for k in (b - 1, b, b + 1)])
        return known
