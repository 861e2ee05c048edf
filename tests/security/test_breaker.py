"""Circuit breaker per source: stop asking a source that keeps failing, try it again later."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from opscontext.breaker import Breaker, BreakerState
from opscontext.cache import MemoryCache
from opscontext.config import ConnectorConfig
from opscontext.errors import SourceUnavailableError
from opscontext.hub import Hub
from opscontext.models import CatalogSnapshot, Service, SourceState, TimeWindow
from opscontext.registry import ConnectorContext, ConnectorSpec, Registry
from opscontext.settings import Settings

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
WINDOW = TimeWindow(since=NOW - timedelta(hours=1), until=NOW)


class Ticker:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FlakyConfig(ConnectorConfig):
    delay: float = 0.0


class Flaky:
    """A catalog whose health the test flips; counts the requests that reached it."""

    down = True
    asked = 0

    def __init__(self, ctx: ConnectorContext):
        self.delay = getattr(ctx.config, "delay", 0.0)

    async def catalog(self) -> CatalogSnapshot:
        Flaky.asked += 1
        await asyncio.sleep(self.delay)
        if Flaky.down:
            raise SourceUnavailableError("HTTP 503 from http://cmdb.test")
        return CatalogSnapshot(services=(Service(name="checkout"),))


def flaky_hub(ticker: Ticker, *, delay: float = 0.0, **settings: Any) -> Hub:
    spec = ConnectorSpec(type="flaky", summary="test", config_model=FlakyConfig, factory=Flaky)
    Flaky.down, Flaky.asked = True, 0
    registry = Registry.build({"cmdb": {"type": "flaky", "delay": delay}}, specs={"flaky": spec})
    base = {"limits": {"breaker_failures": 3, "breaker_cooldown_seconds": 30, "source_timeout_seconds": 0.2}}
    return Hub(registry, Settings(**{**base, **settings}), MemoryCache(), clock=lambda: NOW, monotonic=ticker)


def test_the_breaker_opens_after_n_failures_half_opens_after_the_cool_down_and_closes_on_success() -> None:
    ticker = Ticker()
    breaker = Breaker(3, 30, 120, probe_timeout=10, clock=ticker)
    for _ in range(2):
        breaker.failure()
    assert breaker.state is BreakerState.CLOSED and breaker.admit() is None
    breaker.failure()
    assert breaker.admit() == "circuit open after 3 failures; next try in 30 s"
    ticker.now += 6
    assert breaker.admit() == "circuit open after 3 failures; next try in 24 s"
    ticker.now += 24
    assert breaker.admit() is None  # the one trial request
    assert breaker.state is BreakerState.HALF_OPEN
    assert "trial request is in flight" in (breaker.admit() or "")
    breaker.success()
    assert breaker.state is BreakerState.CLOSED and breaker.admit() is None


def test_a_failed_trial_doubles_the_cool_down_up_to_the_cap() -> None:
    ticker = Ticker()
    breaker = Breaker(1, 30, 100, probe_timeout=10, clock=ticker)
    breaker.failure()
    waits = []
    for _ in range(4):
        ticker.now = breaker.retry_at
        assert breaker.admit() is None
        breaker.failure()
        waits.append(breaker.retry_at - ticker.now)
    assert waits == [60, 100, 100, 100]


def test_a_trial_that_never_reports_back_is_given_up_after_the_probe_timeout() -> None:
    ticker = Ticker()
    breaker = Breaker(1, 30, 100, probe_timeout=10, clock=ticker)
    breaker.failure()
    ticker.now += 30
    assert breaker.admit() is None
    ticker.now += 11  # the caller was cancelled: no success, no failure
    assert breaker.admit() is None


def test_zero_failures_means_the_breaker_never_opens() -> None:
    breaker = Breaker(0, 30, 100, probe_timeout=10)
    for _ in range(10):
        breaker.failure()
    assert breaker.admit() is None


async def test_an_open_circuit_skips_the_source_and_says_when_it_tries_again() -> None:
    ticker = Ticker()
    hub = flaky_hub(ticker)
    for _ in range(3):
        assert (await hub.catalog()).statuses[0].state is SourceState.FAILED
    assert Flaky.asked == 3
    ticker.now += 6
    skipped = (await hub.catalog()).statuses[0]
    assert Flaky.asked == 3  # not asked at all
    assert skipped.state is SourceState.FAILED
    assert skipped.detail == "circuit open after 3 failures; next try in 24 s (last: HTTP 503 from http://cmdb.test)"


async def test_an_open_circuit_serves_the_last_good_answer_as_stale() -> None:
    ticker = Ticker()
    hub = flaky_hub(ticker, cache={"ttl": {"catalog": 0.01}})
    Flaky.down = False
    await hub.catalog()
    Flaky.down = True
    await asyncio.sleep(0.02)
    for _ in range(3):
        await hub.catalog()
    got = await hub.catalog()
    assert got.statuses[0].state is SourceState.STALE
    assert "circuit open after 3 failures" in (got.statuses[0].detail or "")
    assert [s.name for s in got.results[0][1].services] == ["checkout"]


async def test_after_the_cool_down_one_trial_goes_through_and_success_closes_the_circuit() -> None:
    ticker = Ticker()
    hub = flaky_hub(ticker, delay=0.05)
    for _ in range(3):
        await hub.catalog()
    Flaky.down = False
    ticker.now += 30
    trial, other = await asyncio.gather(hub.catalog(), hub.catalog())
    assert Flaky.asked == 4  # only the trial reached the source
    assert trial.statuses[0].state is SourceState.OK
    assert "half-open" in (other.statuses[0].detail or "")
    assert hub.breaker(hub.registry.instances[0]).state is BreakerState.CLOSED
    assert (await hub.catalog()).statuses[0].state is SourceState.OK


async def test_timeouts_count_once_per_fetch_however_many_callers_gave_up() -> None:
    ticker = Ticker()
    hub = flaky_hub(ticker, delay=5)
    await asyncio.gather(*(hub.catalog() for _ in range(5)))  # five callers, one shared fetch
    breaker = hub.breaker(hub.registry.instances[0])
    assert (Flaky.asked, breaker.failures, breaker.state) == (1, 1, BreakerState.CLOSED)
    await hub.aclose()


async def test_a_slow_bulk_load_that_lands_after_the_deadline_still_fills_the_cache_and_closes_the_circuit() -> None:
    ticker = Ticker()
    hub = flaky_hub(ticker, delay=0.4, limits={"breaker_failures": 1, "source_timeout_seconds": 0.1})
    Flaky.down = False
    first = await hub.catalog()
    assert first.statuses[0].state is SourceState.FAILED  # cut off at 0.1 s, still loading
    assert hub.breaker(hub.registry.instances[0]).state is BreakerState.OPEN
    await asyncio.sleep(0.5)  # the load lands in the background
    assert hub.breaker(hub.registry.instances[0]).state is BreakerState.CLOSED
    later = await hub.catalog()
    assert later.statuses[0].state is SourceState.OK
    assert Flaky.asked == 1
