"""Burn-rate math of the SRE workbook's multi-window, multi-burn-rate alerts, on readings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from opscontext.engine.burn import PAIRS, alert_of, burn_rate, evaluate, fires, windows_for
from opscontext.models import RatioSli, SliReading, Slo

AT = datetime(2026, 3, 10, 14, tzinfo=UTC)
SLI = RatioSli(kind="bad", numerator="errors_total", total="requests_total")


def slo(target: float = 0.999, window: int = 28 * 86_400) -> Slo:
    return Slo(name="api", service="api", target=target, window_seconds=window, window="28d rolling", sli=SLI)


def readings(ratios: dict[int, float | None]) -> dict[int, SliReading]:
    return {w: SliReading(slo="api", window_seconds=w, error_ratio=r, at=AT, source="prom") for w, r in ratios.items()}


def test_a_burn_rate_is_the_error_ratio_over_the_allowed_one() -> None:
    assert burn_rate(0.001, 0.999) == pytest.approx(1.0)
    assert burn_rate(0.0144, 0.999) == pytest.approx(14.4)
    assert burn_rate(0.05, 0.99) == pytest.approx(5.0)
    assert burn_rate(0.0, 0.999) == 0.0
    assert burn_rate(None, 0.999) is None


def test_the_workbook_pairs_and_thresholds_are_the_recommended_ones() -> None:
    assert [(p.severity, p.label, p.threshold) for p in PAIRS] == [
        ("page", "1h/5m", 14.4), ("page", "6h/30m", 6.0), ("ticket", "1d/2h", 3.0), ("ticket", "3d/6h", 1.0)]


def test_a_pair_fires_only_when_both_windows_burn_above_the_threshold() -> None:
    assert fires(20.0, 30.0, 14.4) is True
    assert fires(20.0, 14.4, 14.4) is False, "at the threshold is not above it"
    assert fires(10.0, 100.0, 14.4) is False, "a short spike alone does not page"
    assert fires(100.0, 1.0, 14.4) is False, "a burn that has stopped does not page"
    assert fires(None, 1.0, 14.4) is False, "one window under the threshold settles it"
    assert fires(None, 30.0, 14.4) is None
    assert fires(None, None, 14.4) is None


def test_the_alert_is_the_most_severe_pair_that_fires_else_unknown_or_none() -> None:
    assert alert_of([("page", False), ("ticket", True)]) == "ticket"
    assert alert_of([("page", True), ("ticket", True)]) == "page"
    assert alert_of([("page", None), ("ticket", False)]) == "unknown"
    assert alert_of([("page", False), ("ticket", False)]) == "none"


def test_windows_asked_cover_every_pair_and_the_slo_window_once() -> None:
    assert windows_for(slo()) == (300, 1800, 3600, 7200, 21_600, 86_400, 259_200, 28 * 86_400)
    assert windows_for(slo(window=86_400)).count(86_400) == 1


def test_an_slo_burning_fast_pages_with_its_budget_sli_and_burns() -> None:
    ratios = {300: 0.05, 1800: 0.03, 3600: 0.02, 7200: 0.012, 21_600: 0.004, 86_400: 0.0015,
              259_200: 0.0008, 28 * 86_400: 0.0004}
    health = evaluate(slo(), readings(ratios))
    burns = {b.windows: (b.long, b.short, b.firing) for b in health.burn_rates}
    assert burns == {"1h/5m": (20.0, 50.0, True), "6h/30m": (4.0, 30.0, False),
                     "1d/2h": (1.5, 12.0, False), "3d/6h": (0.8, 4.0, False)}
    assert health.alert == "page"
    assert health.sli_now == pytest.approx(0.95) and health.sli_window == pytest.approx(0.9996)
    assert health.error_budget_remaining == pytest.approx(0.6)
    assert health.detail is None


def test_an_overspent_budget_is_negative() -> None:
    health = evaluate(slo(), readings({28 * 86_400: 0.0025}))
    assert health.error_budget_remaining == pytest.approx(-1.5)


def test_missing_windows_make_the_alert_unknown_and_say_which() -> None:
    health = evaluate(slo(), readings({300: None, 3600: 0.0001, 1800: None, 21_600: None}))
    assert health.alert == "unknown"
    assert health.detail is not None and "5m" in health.detail and "30m" in health.detail
    assert health.burn_rates[0].firing is False, "1h under the threshold settles 1h/5m"


def test_a_refused_query_is_the_detail() -> None:
    reading = SliReading(slo="api", window_seconds=300, at=AT, error="the 5m window's query failed: HTTP 400")
    health = evaluate(slo(), {300: reading})
    assert health.detail == "the 5m window's query failed: HTTP 400"
