"""health.verdict: a quiet candidate's readings during its group against minutes before it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from opscontext.engine.correlation.health import Health, HealthVerdict, verdict
from opscontext.models import ServiceHealth

AT = datetime(2026, 3, 1, 12, tzinfo=UTC)


def reading(errors: float | None = None, p99: float | None = None, rate: float | None = None,
            source: str = "prom") -> ServiceHealth:
    return ServiceHealth(service="postgres", error_rate=errors, latency_p99_seconds=p99, request_rate=rate, at=AT,
                         source=source)


CALM = reading(errors=0.001, p99=0.05, rate=100.0)


def test_no_reading_during_the_group_is_no_verdict_whatever_came_before() -> None:
    assert verdict(None, None) is None
    assert verdict(CALM, None) is None


def test_a_during_reading_with_nothing_measured_is_no_verdict() -> None:
    assert verdict(CALM, reading()) is None
    assert verdict(None, reading()) is None


def test_without_an_earlier_reading_only_a_failing_error_ratio_counts() -> None:
    failing = verdict(None, reading(errors=0.05))
    assert failing == HealthVerdict(Health.DEGRADED, "error ratio 5% (prom)")
    assert verdict(None, reading(errors=0.049)) is None, "below the failing ratio: no verdict, not serving"
    assert verdict(None, reading(errors=0.0, p99=9.0, rate=0.0)) is None, "calm, but nothing to compare with"


def test_calm_errors_and_nothing_moved_is_serving() -> None:
    got = verdict(CALM, reading(errors=0.002, p99=0.06, rate=90.0))
    assert got == HealthVerdict(Health.SERVING, "error ratio 0.2% (prom)")


def test_errors_neither_calm_nor_moved_is_no_verdict() -> None:
    assert verdict(reading(errors=0.02), reading(errors=0.03)) is None


def test_errors_moving_up_by_enough_and_by_a_multiple_is_degraded() -> None:
    got = verdict(CALM, reading(errors=0.4, p99=0.05, rate=100.0))
    assert got == HealthVerdict(Health.DEGRADED, "error ratio 0.1% -> 40% (prom)")


def test_errors_up_by_a_multiple_but_a_small_step_are_not_degraded() -> None:
    got = verdict(reading(errors=0.001), reading(errors=0.005))
    assert got is not None and got.state is Health.SERVING


def test_errors_up_by_a_big_step_but_not_a_multiple_are_not_degraded() -> None:
    assert verdict(reading(errors=0.10), reading(errors=0.15)) is None


@pytest.mark.parametrize(("during", "why"), [
    (reading(errors=0.001, p99=0.5, rate=100.0), "p99 latency 0.05 s -> 0.5 s (prom)"),
    (reading(errors=0.001, p99=0.05, rate=10.0), "requests 100/s -> 10/s (prom)"),
])
def test_latency_or_traffic_moving_alone_is_degraded(during: ServiceHealth, why: str) -> None:
    assert verdict(CALM, during) == HealthVerdict(Health.DEGRADED, why)


def test_latency_and_traffic_need_an_earlier_reading_to_move() -> None:
    assert verdict(None, reading(p99=30.0, rate=0.0)) is None


def test_latency_below_double_and_traffic_above_a_fifth_have_not_moved() -> None:
    got = verdict(CALM, reading(errors=0.001, p99=0.099, rate=21.0))
    assert got is not None and got.state is Health.SERVING


def test_every_metric_that_moved_is_named() -> None:
    got = verdict(CALM, reading(errors=0.3, p99=1.0, rate=5.0))
    assert got is not None and got.state is Health.DEGRADED
    assert got.why == "error ratio 0.1% -> 30% (prom); p99 latency 0.05 s -> 1 s (prom); requests 100/s -> 5/s (prom)"
