"""SLI queries for a window: OpenSLO durations and the PromQL an evaluator actually runs.

An OpenSLO ratio SLI names PromQL for its good (or bad) and total events. Two shapes are read,
the two the ecosystem writes:

- a query holding the ``{{.window}}`` placeholder (Sloth's convention, used in the OpenSLO
  spec's own examples), e.g. ``sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))``: the
  placeholder becomes each window (``5m``, ``1h``, ``28d``) and the query is run as written;
- a bare series selector, e.g. ``http_requests_total{job="checkout"}``: a counter is wrapped as
  ``sum(increase(<selector>[<window>]))``, a gauge of per-interval counts as
  ``sum(sum_over_time(...))`` and a precomputed ratio as ``avg(avg_over_time(...))``.

Anything else (an aggregation without the placeholder) has no window to put the range on, and is
refused with a message that shows the placeholder form. Pure functions; no I/O.
"""

from __future__ import annotations

import re

from opscontext.models import RatioSli

# OpenSLO duration-shorthand units; M, Q and Y as fixed lengths, as the OpenSLO Go library does.
UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86_400, "w": 604_800, "M": 2_592_000, "Q": 7_776_000, "Y": 31_536_000}
_SHORTHAND = re.compile(r"^\s*(\d+)\s*([mhdwMQY])\s*$")
_PLACEHOLDER = re.compile(r"\{\{\s*\.window\s*\}\}")
_SELECTOR = re.compile(r'^\s*(?:[A-Za-z_:][A-Za-z0-9_:]*\s*)?(?:\{(?:[^{}"]|"(?:[^"\\]|\\.)*")*\})?\s*$')
MAX_WINDOW_SECONDS = 366 * 86_400


class SliQueryError(ValueError):
    """An SLI query or duration that cannot be evaluated; the message says how to write it."""


def parse_shorthand(text: object) -> int:
    """Seconds in an OpenSLO duration shorthand (``5m``, ``28d``, ``1M``); SliQueryError otherwise."""
    match = _SHORTHAND.match(str(text))
    if match is None:
        raise SliQueryError(f"duration {text!r} is not a number followed by one of m, h, d, w, M, Q, Y (e.g. 28d)")
    seconds = int(match[1]) * UNIT_SECONDS[match[2]]
    if not 0 < seconds <= MAX_WINDOW_SECONDS:
        raise SliQueryError(f"duration {text!r} must be more than 0 and at most 366 days")
    return seconds


def promql_duration(seconds: int) -> str:
    """``seconds`` as a PromQL range: the largest whole unit (``28d``, ``6h``, ``5m``, ``90s``)."""
    for unit, size in (("d", 86_400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def short(seconds: int) -> str:
    """A window as people write it: ``5m``, ``1h``, ``3d``, ``28d``."""
    return promql_duration(seconds)


def has_placeholder(query: str) -> bool:
    return _PLACEHOLDER.search(query) is not None


def render(query: str, window_seconds: int, *, wrap: str) -> str:
    """``query`` for one window. ``wrap`` is ``"increase"``, ``"sum_over_time"`` or
    ``"avg_over_time"``: how a bare selector is turned into events (or a ratio) over the window."""
    window = promql_duration(window_seconds)
    if has_placeholder(query):
        return _PLACEHOLDER.sub(window, query).strip()
    if _SELECTOR.match(query) and query.strip():
        outer = "avg" if wrap == "avg_over_time" else "sum"
        return f"{outer}({wrap}({query.strip()}[{window}]))"
    raise SliQueryError(
        "the query is neither a bare series selector nor holds the {{.window}} placeholder, so it has no "
        'window to range over; write e.g. sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))'
    )


def queries(sli: RatioSli, window_seconds: int) -> tuple[str, str | None]:
    """(numerator, total) PromQL for one window; total is None for a precomputed ratio."""
    if sli.kind in ("raw_success", "raw_failure"):
        return render(sli.numerator, window_seconds, wrap="avg_over_time"), None
    wrap = "increase" if sli.counter else "sum_over_time"
    assert sli.total is not None  # a good/bad ratio always has a total (checked at load)
    return render(sli.numerator, window_seconds, wrap=wrap), render(sli.total, window_seconds, wrap=wrap)


def error_ratio(sli: RatioSli, numerator: float | None, total: float | None) -> float | None:
    """The share of bad events (1 - SLI) from the two query values; None without traffic or data.

    A bad-events query with no series while the total has traffic means none happened (no 5xx
    series, say), so it counts as 0; a good-events query with no series is more likely a query
    that matches nothing than a total outage, so it is no data; so is a total of 0 or none.
    """
    if sli.kind == "raw_success":
        return None if numerator is None else _unit(1.0 - numerator)
    if sli.kind == "raw_failure":
        return None if numerator is None else _unit(numerator)
    if total is None or total <= 0 or (numerator is None and sli.kind == "good"):
        return None  # no good series at all is a query matching nothing, not a total outage
    counted = numerator or 0.0
    bad = counted if sli.kind == "bad" else total - counted
    return _unit(bad / total)


def _unit(value: float) -> float:
    return min(max(value, 0.0), 1.0)
