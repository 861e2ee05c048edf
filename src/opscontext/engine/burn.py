"""Error budgets and multi-window, multi-burn-rate alerts (the Google SRE workbook, chapter 5).

A burn rate is how fast an SLO spends its error budget: the error ratio observed over a window
divided by the ratio the SLO allows, ``(1 - good/total) / (1 - target)``. Burning at 1 spends
exactly the budget over the SLO's window; at 14.4, a 30-day budget's 2 % is gone in one hour.

An alert fires only when a long window *and* a short one both burn faster than the threshold:
the long window proves the burn is significant, the short one that it is still going on (so
the alert stops soon after a fix). The workbook's recommended pairs:

    page    1h and 5m   above 14.4   (2 % of a 30-day budget in an hour)
    page    6h and 30m  above 6      (5 % in six hours)
    ticket  1d and 2h   above 3      (10 % in a day)
    ticket  3d and 6h   above 1      (10 % in three days)

Pure functions over readings; no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from opscontext.models import SliReading, Slo
from opscontext.sli import short

Severity = Literal["page", "ticket"]
Alert = Literal["page", "ticket", "none", "unknown"]


@dataclass(frozen=True)
class WindowPair:
    severity: Severity
    long_seconds: int
    short_seconds: int
    threshold: float

    @property
    def label(self) -> str:
        return f"{short(self.long_seconds)}/{short(self.short_seconds)}"


PAIRS = (
    WindowPair("page", 3600, 300, 14.4),
    WindowPair("page", 6 * 3600, 1800, 6.0),
    WindowPair("ticket", 86_400, 2 * 3600, 3.0),
    WindowPair("ticket", 3 * 86_400, 6 * 3600, 1.0),
)
NOW_WINDOW = 300  # "the SLI now" is read over the shortest window


RULE = (
    "A burn rate of 1 spends the error budget exactly over the SLO window. Pages when 1h and 5m both "
    "burn above 14.4, or 6h and 30m above 6; tickets when 1d and 2h burn above 3, or 3d and 6h above 1."
)


class BurnWindow(BaseModel):
    """One window pair of the multi-window alert: both burn rates and whether the pair fires."""

    windows: str = Field(description="Long/short window pair.")
    long: float | None = Field(description="Over the long window; null: no data.")
    short: float | None
    firing: bool | None = Field(description="Both above the pair's threshold; null: unknown.")


class SloHealth(BaseModel):
    """How one SLO stands at an instant: SLI, budget left and the burn-rate alert conditions."""

    slo: str
    objective: str | None = None
    target: float = Field(description="Promised share of good events.")
    window: str
    sli_now: float | None = Field(default=None, description="Good share, last 5 min.")
    sli_window: float | None = Field(default=None, description="The same over the SLO window.")
    error_budget_remaining: float | None = Field(default=None, description="1 untouched, 0 spent, below 0 overspent.")
    burn_rates: list[BurnWindow] = Field(default_factory=list)
    alert: Alert = Field(description="What fires; unknown: a window had no data.")
    detail: str | None = Field(default=None, description="Why a value is missing.")


def windows_for(slo: Slo) -> tuple[int, ...]:
    """Every window the SLO's evaluation needs: the pairs' and its own, shortest first."""
    wanted = {slo.window_seconds, NOW_WINDOW}
    for pair in PAIRS:
        wanted |= {pair.long_seconds, pair.short_seconds}
    return tuple(sorted(wanted))


def burn_rate(error_ratio: float | None, target: float) -> float | None:
    """``error_ratio / (1 - target)``: 1 spends the budget exactly over the SLO's window."""
    if error_ratio is None:
        return None
    return error_ratio / (1.0 - target)


def fires(long_burn: float | None, short_burn: float | None, threshold: float) -> bool | None:
    """Both above the threshold: True; either known to be at or below it: False; else unknown."""
    known = [b for b in (long_burn, short_burn) if b is not None]
    if any(b <= threshold for b in known):
        return False
    return True if len(known) == 2 else None


def alert_of(firing: list[tuple[Severity, bool | None]]) -> Alert:
    """The most severe condition that fires; unknown when none fires but some could not be told."""
    for severity in ("page", "ticket"):
        if any(fired for sev, fired in firing if sev == severity):
            return severity  # type: ignore[return-value, unused-ignore]
    return "unknown" if any(fired is None for _, fired in firing) else "none"


def evaluate(slo: Slo, readings: Mapping[int, SliReading]) -> SloHealth:
    """The SLO's health from its readings by window length (missing windows count as no data)."""

    def ratio(seconds: int) -> float | None:
        reading = readings.get(seconds)
        return reading.error_ratio if reading is not None else None

    def burn(seconds: int) -> float | None:
        value = burn_rate(ratio(seconds), slo.target)
        return None if value is None else round(value, 2)

    pairs = []
    for pair in PAIRS:
        long_burn, short_burn = burn(pair.long_seconds), burn(pair.short_seconds)
        firing = fires(burn_rate(ratio(pair.long_seconds), slo.target),
                       burn_rate(ratio(pair.short_seconds), slo.target), pair.threshold)
        pairs.append(BurnWindow(windows=pair.label, long=long_burn, short=short_burn, firing=firing))
    spent = burn_rate(ratio(slo.window_seconds), slo.target)
    return SloHealth(
        slo=slo.name,
        objective=slo.display_name,
        target=slo.target,
        window=slo.window,
        sli_now=_sli(ratio(NOW_WINDOW)),
        sli_window=_sli(ratio(slo.window_seconds)),
        error_budget_remaining=None if spent is None else round(1.0 - spent, 3),
        burn_rates=pairs,
        alert=alert_of([(p.severity, b.firing) for p, b in zip(PAIRS, pairs, strict=True)]),
        detail=_why_missing(readings),
    )


def unevaluated(slo: Slo, why: str) -> SloHealth:
    """The SLO as defined, with nothing measured and the reason."""
    return SloHealth(
        slo=slo.name, objective=slo.display_name, target=slo.target, window=slo.window, alert="unknown", detail=why
    )


def _sli(error_ratio: float | None) -> float | None:
    return None if error_ratio is None else round(1.0 - error_ratio, 5)


def _why_missing(readings: Mapping[int, SliReading]) -> str | None:
    """One line naming the windows without a value and the first reason a source gave."""
    errors = [r.error for r in readings.values() if r.error]
    if errors:
        return errors[0]
    empty = sorted(seconds for seconds, r in readings.items() if r.error_ratio is None)
    if not empty:
        return None
    return f"no events in the {', '.join(short(s) for s in empty)} window(s)"
