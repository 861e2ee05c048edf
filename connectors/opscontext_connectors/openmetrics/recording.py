"""Recorded samples from OpenMetrics text, indexed for range lookups.

The files are OpenMetrics exposition with a timestamp on every sample: the format
``promtool tsdb create-blocks-from openmetrics`` backfills a real Prometheus from, so a recording
can be loaded into one and queried there too. Parsed with the Prometheus client library's
OpenMetrics parser (strict: a malformed file is reported, not half-read).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from prometheus_client.openmetrics.parser import text_string_to_metric_families

from opscontext.files import Load
from opscontext_connectors.openmetrics.promql import COMBINE, Query, running_resets, to_edges, window_value

SeriesKey = tuple[tuple[str, str], ...]


@dataclass
class Series:
    labels: dict[str, str]
    times: list[int] = field(default_factory=list)  # ms, ascending
    values: list[float] = field(default_factory=list)
    # What counter resets added up to by each sample (the value before each drop to a lower one),
    # so the increase over any window is two lookups rather than a pass over its samples. Worked
    # out on first use; emptied whenever samples are added.
    _resets: list[float] | None = field(default=None, repr=False, compare=False)

    def cut(self, start: int, end: int) -> tuple[list[int], list[float]]:
        """Samples in ``(start, end]``."""
        low = bisect.bisect_right(self.times, start)
        high = bisect.bisect_right(self.times, end)
        return self.times[low:high], self.values[low:high]

    def added(self) -> None:
        """Samples were appended: what was worked out from the old ones no longer holds."""
        self._resets = None

    def counter(self, start: int, end: int, *, rate: bool) -> float | None:
        """``increase`` (or ``rate``) over ``(start, end]``, as :func:`~.promql.extrapolated`
        gives from the cut samples; None with fewer than two of them."""
        times, values = self.times, self.values
        low = bisect.bisect_right(times, start)
        high = bisect.bisect_right(times, end)
        if high - low < 2:
            return None
        resets = self._resets
        if resets is None:
            resets = self._resets = running_resets(values)
        result = values[high - 1] - values[low] + (resets[high - 1] - resets[low])
        return to_edges(times[low], times[high - 1], values[low], result, high - low, start, end, rate=rate)


@dataclass
class Recording:
    series: dict[SeriesKey, Series] = field(default_factory=dict)
    first_ms: int | None = None
    last_ms: int | None = None
    # The series each query selects, worked out on its first evaluation: the same SLO queries are
    # evaluated on every call that weighs impact, and scanning every series for each was most of
    # correlate_alerts' time on the demo. Emptied whenever series are added.
    _selected: dict[Query, list[Series]] = field(default_factory=dict, repr=False, compare=False)

    def add(self, name: str, labels: dict[str, str], at_ms: int, value: float) -> None:
        self._selected.clear()
        full = {"__name__": name, **labels}
        key = tuple(sorted(full.items()))
        series = self.series.get(key)
        if series is None:
            series = self.series[key] = Series(full)
        if series.times and at_ms <= series.times[-1]:
            raise ValueError(f"samples of {name}{labels} are not in increasing time order")
        series.times.append(at_ms)
        series.values.append(value)
        series.added()
        self.first_ms = at_ms if self.first_ms is None else min(self.first_ms, at_ms)
        self.last_ms = at_ms if self.last_ms is None else max(self.last_ms, at_ms)

    def merge(self, other: Recording) -> None:
        """Adds every series of ``other``; refuses (adding nothing) when one would go back in time."""
        self._selected.clear()
        for key, series in other.series.items():
            mine = self.series.get(key)
            if mine is not None and mine.times and series.times and series.times[0] <= mine.times[-1]:
                raise ValueError(f"series {series.labels} overlaps in time with the same series in another file")
        for key, series in other.series.items():
            mine = self.series.setdefault(key, Series(series.labels))
            mine.times.extend(series.times)
            mine.values.extend(series.values)
            mine.added()
        for edge in (other.first_ms, other.last_ms):
            if edge is not None:
                self.first_ms = edge if self.first_ms is None else min(self.first_ms, edge)
                self.last_ms = edge if self.last_ms is None else max(self.last_ms, edge)

    def matching(self, query: Query) -> list[Series]:
        found = self._selected.get(query)
        if found is None:
            found = self._selected[query] = [s for s in self.series.values() if query.selects(s.labels)]
        return found

    def evaluate(self, query: Query, at: datetime) -> float | None:
        """The query's value at ``at``: its series combined by the outer aggregation; None if empty."""
        end = int(at.timestamp() * 1000)
        start = end - query.range_ms
        values = []
        counter = query.function in ("rate", "increase")
        for series in self.matching(query):
            if counter:
                value = series.counter(start, end, rate=query.function == "rate")
            else:
                value = window_value(query.function, *series.cut(start, end), start, end)
            if value is not None:
                values.append(value)
        return COMBINE[query.outer](values) if values else None


def read_file(recording: Recording, text: str) -> int:
    """Adds one file's samples; returns how many. Raises ValueError on malformed text or a sample
    without a timestamp (a recording must say when each value was seen)."""
    count = 0
    for family in text_string_to_metric_families(text):  # type: ignore[no-untyped-call]
        for sample in family.samples:
            if sample.timestamp is None:
                raise ValueError(f"sample {sample.name} has no timestamp; recorded samples need one")
            stamp = sample.timestamp
            at_ms = int(stamp.sec * 1000 + stamp.nsec // 1_000_000) if hasattr(stamp, "sec") else int(stamp * 1000)
            recording.add(sample.name, dict(sample.labels), at_ms, float(sample.value))
            count += 1
    return count


def load_recording(load: Load) -> Recording:
    """Every readable file's samples; a file that does not parse is left out and reported."""
    recording = Recording()

    def read(path: Path) -> int:
        staged = Recording()  # a file counts whole or not at all
        read_file(staged, load.read_text(path))
        recording.merge(staged)
        return len(staged.series)

    load.each(read)
    return recording
