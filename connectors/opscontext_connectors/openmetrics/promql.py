"""The few PromQL shapes SLI queries use, evaluated over recorded samples as Prometheus does.

Understood: an optional outer ``sum(...)`` or ``avg(...)`` around one of ``rate``,
``increase``, ``sum_over_time`` or ``avg_over_time`` applied to a selector with a range, e.g.
``sum(increase(http_requests_total{job="checkout-service",code=~"5.."}[1h]))``. Label matchers
``=``, ``!=``, ``=~`` and ``!~`` (regexes anchored at both ends, as in Prometheus). A range
selects the samples in ``(at - range, at]`` (Prometheus 3; 2.x also took a sample exactly at the
start). ``rate`` and ``increase`` follow Prometheus' ``extrapolatedRate``: counter resets
added back, then extrapolated to the range's edges (fully when the gap is under 1.1 average
sample intervals, else by half an interval, and never below a counter's zero). Anything else is
refused with :class:`Unsupported`, never guessed at.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

_OUTER = re.compile(r"^\s*(sum|avg)\s*\((.*)\)\s*$", re.S)
_FUNCTION = re.compile(
    r"^\s*(rate|increase|sum_over_time|avg_over_time)\s*\(\s*(.*?)\s*\[\s*([0-9a-z]+)\s*\]\s*\)\s*$", re.S
)
_SELECTOR = re.compile(r"^([A-Za-z_:][A-Za-z0-9_:]*)?\s*(?:\{(.*)\})?$", re.S)
_MATCHER = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)')
_DURATION = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000, "y": 31_536_000_000}


class Unsupported(ValueError):
    """A query outside the shapes a recording can answer."""


@dataclass(frozen=True)
class Matcher:
    label: str
    op: str
    value: str

    def __call__(self, labels: dict[str, str]) -> bool:
        have = labels.get(self.label, "")
        if self.op in ("=", "!="):
            return (have == self.value) == (self.op == "=")
        return (re.fullmatch(self.value, have) is not None) == (self.op == "=~")


@dataclass(frozen=True)
class Query:
    outer: str | None  # sum | avg | None (every series separately, summed by the caller)
    function: str
    matchers: tuple[Matcher, ...]
    range_ms: int

    def selects(self, labels: dict[str, str]) -> bool:
        return all(m(labels) for m in self.matchers)


@functools.lru_cache(maxsize=1024)  # an SLO's query text is parsed once, not on every evaluation
def parse(text: str) -> Query:
    """The query's shape, or :class:`Unsupported` saying what a recording can evaluate."""
    outer = None
    match = _OUTER.match(text)
    if match is not None and _FUNCTION.match(match[2]):
        outer, text = match[1], match[2]
    fn = _FUNCTION.match(text)
    if fn is None:
        raise Unsupported(
            "a recording evaluates only sum/avg of rate, increase, sum_over_time or avg_over_time "
            "over one selector with a range"
        )
    selector = _SELECTOR.match(fn[2].strip())
    if selector is None:
        raise Unsupported(f"cannot read the selector {fn[2].strip()[:80]!r}")
    matchers = _matchers(selector[2] or "")
    if selector[1]:
        matchers = (Matcher("__name__", "=", selector[1]), *matchers)
    if not any(m.label == "__name__" for m in matchers):
        raise Unsupported("the selector names no metric")
    return Query(outer, fn[1], matchers, duration_ms(fn[3]))


def _matchers(text: str) -> tuple[Matcher, ...]:
    found, position = [], 0
    text = text.strip()
    while position < len(text):
        match = _MATCHER.match(text, position)
        if match is None:
            raise Unsupported(f"cannot read the label matchers {text[:80]!r}")
        value = re.sub(r"\\(.)", r"\1", match[3])
        found.append(Matcher(match[1], match[2], value))
        position = match.end()
    return tuple(found)


def duration_ms(text: str) -> int:
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise Unsupported(f"cannot read the range {text!r}")
    return sum(int(n) * _UNIT_MS[u] for n, u in parts)


def window_value(function: str, times: Sequence[int], values: Sequence[float], start: int, end: int) -> float | None:
    """One series' value for ``function`` over the samples already cut to ``(start, end]``."""
    if not values:
        return None
    if function == "sum_over_time":
        return sum(values)
    if function == "avg_over_time":
        return sum(values) / len(values)
    return extrapolated(times, values, start, end, rate=function == "rate")


def extrapolated(times: Sequence[int], values: Sequence[float], start: int, end: int, *, rate: bool) -> float | None:
    """Prometheus' extrapolatedRate for a counter (times in ms); None with fewer than two samples."""
    if len(values) < 2:
        return None
    resets = running_resets(values)[-1]
    return to_edges(times[0], times[-1], values[0], values[-1] - values[0] + resets, len(values), start, end, rate=rate)


def running_resets(values: Sequence[float]) -> list[float]:
    """What a counter's resets add up to by each sample: at each drop to a lower value the counter
    started again from zero, so the value before the drop is added back."""
    out: list[float] = []
    total, last = 0.0, values[0] if values else 0.0
    for value in values:
        if value < last:
            total += last
        out.append(total)
        last = value
    return out


def to_edges(
    first_ms: int, last_ms: int, first: float, result: float, samples: int, start: int, end: int, *, rate: bool
) -> float:
    """The increase ``result`` seen between a window's first and last of ``samples`` samples (at
    ``first_ms`` and ``last_ms``, the first worth ``first``), extrapolated to the window
    ``(start, end]`` as Prometheus does; per second with ``rate``. Needs two samples or more."""
    sampled = (last_ms - first_ms) / 1000
    to_start = (first_ms - start) / 1000
    to_end = (end - last_ms) / 1000
    average = sampled / (samples - 1)
    if result > 0 and first >= 0:
        to_start = min(to_start, sampled * (first / result))  # a counter does not go below zero
    threshold = average * 1.1
    interval = sampled + (to_start if to_start < threshold else average / 2)
    interval += to_end if to_end < threshold else average / 2
    result *= interval / sampled
    return result / ((end - start) / 1000) if rate else result


Combine = Callable[[list[float]], float]
COMBINE: dict[str | None, Combine] = {"sum": sum, None: sum, "avg": lambda xs: sum(xs) / len(xs)}
