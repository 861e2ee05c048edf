"""The hub: fan-out, deadlines, cache, stale-if-error and replay, with in-test connectors."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from opscontext.cache import MemoryCache
from opscontext.config import ConnectorConfig
from opscontext.errors import SourceUnavailableError
from opscontext.hub import Hub
from opscontext.models import Alert, SourceState, TimeWindow
from opscontext.registry import ConnectorContext, ConnectorSpec, Registry
from opscontext.replay import replay
from opscontext.settings import Settings

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


class FakeConfig(ConnectorConfig):
    mode: str = "ok"
    delay: float = 0.0


class FakeAlerts:
    """An AlertSource whose behaviour the test flips between calls."""

    calls = 0

    def __init__(self, ctx: ConnectorContext):
        self.name = ctx.name
        self.mode = getattr(ctx.config, "mode", "ok")
        self.delay = getattr(ctx.config, "delay", 0.0)

    async def alerts(self, window: TimeWindow) -> list[Alert]:
        type(self).calls += 1
        await asyncio.sleep(self.delay)
        if self.mode == "down":
            raise SourceUnavailableError("HTTP 503 from http://x", instance=self.name)
        if self.mode == "bug":
            raise ValueError("oops")
        alerts = [
            Alert(
                fingerprint=f"{self.name}-1",
                alertname="HighLatency",
                starts_at=window.until - timedelta(minutes=5),
                source=self.name,
            )
        ]
        if self.mode == "with-old":  # resolved long before the window: must be filtered out
            old = window.since - timedelta(days=2)
            alerts.append(Alert(fingerprint="old", alertname="Old", starts_at=old, ends_at=old + timedelta(minutes=3)))
        return alerts


def make_hub(configs: dict[str, dict[str, Any]], *, cacheable: bool = True, **settings: Any) -> Hub:
    spec = ConnectorSpec(type="fake", summary="test", config_model=FakeConfig, factory=FakeAlerts, cacheable=cacheable)
    registry = Registry.build(configs, specs={"fake": spec})
    FakeAlerts.calls = 0
    return Hub(registry, Settings(**settings), MemoryCache(), clock=lambda: NOW)


WINDOW = TimeWindow(since=NOW - timedelta(hours=1), until=NOW)


async def test_all_instances_are_asked_and_their_answers_merged() -> None:
    hub = make_hub({"a": {"type": "fake"}, "b": {"type": "fake"}})
    got = await hub.alerts(WINDOW)
    assert sorted(a.fingerprint for a in got.items()) == ["a-1", "b-1"]
    assert [s.state for s in got.statuses] == [SourceState.OK, SourceState.OK]


async def test_a_failing_source_degrades_the_answer_and_names_the_reason() -> None:
    hub = make_hub({"good": {"type": "fake"}, "bad": {"type": "fake", "mode": "down"}})
    got = await hub.alerts(WINDOW)
    assert [a.source for a in got.items()] == ["good"]
    bad = next(s for s in got.statuses if s.source == "bad")
    assert bad.state is SourceState.FAILED and "503" in (bad.detail or "")


async def test_a_connector_bug_is_reported_not_raised() -> None:
    hub = make_hub({"buggy": {"type": "fake", "mode": "bug"}})
    got = await hub.alerts(WINDOW)
    assert got.statuses[0].state is SourceState.FAILED
    assert "connector bug: ValueError" in (got.statuses[0].detail or "")


async def test_a_slow_source_is_cut_off_at_the_deadline() -> None:
    hub = make_hub(
        {"slow": {"type": "fake", "delay": 5}, "fast": {"type": "fake"}}, limits={"source_timeout_seconds": 0.2}
    )
    got = await hub.alerts(WINDOW)
    assert [a.source for a in got.items()] == ["fast"]
    assert "no answer within 0.2 s" in (got.statuses[0].detail or "")
    await hub.aclose()


async def test_answers_are_cached_within_the_ttl() -> None:
    hub = make_hub({"a": {"type": "fake"}}, cache={"ttl": {"alerts": 60}})
    await hub.alerts(WINDOW)
    await hub.alerts(WINDOW)
    assert FakeAlerts.calls == 1


async def test_stale_data_is_served_with_its_age_when_the_source_fails() -> None:
    hub = make_hub({"a": {"type": "fake"}}, cache={"ttl": {"alerts": 0.01}})
    await hub.alerts(WINDOW)
    await asyncio.sleep(0.05)
    hub.registry.instances[0].connector.mode = "down"
    later = TimeWindow(since=WINDOW.since + timedelta(minutes=1), until=WINDOW.until + timedelta(minutes=1))
    got = await hub.alerts(later)
    assert got.statuses[0].state is SourceState.STALE
    assert got.statuses[0].age_seconds is not None and got.statuses[0].age_seconds >= 0.0
    assert [a.fingerprint for a in got.items()] == ["a-1"]


async def test_recovery_needs_no_restart() -> None:
    hub = make_hub({"a": {"type": "fake", "mode": "down"}}, cache={"ttl": {"alerts": 0}})
    assert (await hub.alerts(WINDOW)).statuses[0].state is SourceState.FAILED
    hub.registry.instances[0].connector.mode = "ok"
    assert (await hub.alerts(WINDOW)).statuses[0].state is SourceState.OK


async def test_items_outside_the_window_are_filtered_out() -> None:
    hub = make_hub({"a": {"type": "fake"}})
    hub.registry.instances[0].connector.mode = "with-old"
    got = await hub.alerts(WINDOW)
    assert [a.fingerprint for a in got.items()] == ["a-1"]


async def test_replay_shifts_queries_back_and_answers_forward() -> None:
    anchor = NOW - timedelta(days=100)
    hub = make_hub({"a": {"type": "fake"}})
    hub.registry = replay(hub.registry, NOW - anchor)  # what open_app does for a world with an anchor
    got = await hub.alerts(WINDOW)
    # The fake stamps its alert relative to the window it was asked about (recording time); the
    # answer comes back in our time, inside the window we asked for.
    (alert,) = got.items()
    assert alert.starts_at == NOW - timedelta(minutes=5)


async def test_concurrent_identical_questions_share_one_fetch() -> None:
    hub = make_hub({"a": {"type": "fake", "delay": 0.05}}, cache={"ttl": {"alerts": 60}})
    await asyncio.gather(*(hub.alerts(WINDOW) for _ in range(5)))
    assert FakeAlerts.calls == 1


async def test_a_changed_config_never_reads_another_configs_cache_entries() -> None:
    cache = MemoryCache()
    spec = ConnectorSpec(type="fake", summary="test", config_model=FakeConfig, factory=FakeAlerts)
    first = Hub(Registry.build({"a": {"type": "fake"}}, specs={"fake": spec}), Settings(), cache, clock=lambda: NOW)
    await first.alerts(WINDOW)
    calls = FakeAlerts.calls
    # Same world and instance name, different settings (think: another URL): a cache miss.
    second = Hub(Registry.build({"a": {"type": "fake", "delay": 0.001}}, specs={"fake": spec}), Settings(), cache,
                 clock=lambda: NOW)
    await second.alerts(WINDOW)
    assert FakeAlerts.calls == calls + 1
    # The identical config shares the entry.
    third = Hub(Registry.build({"a": {"type": "fake"}}, specs={"fake": spec}), Settings(), cache, clock=lambda: NOW)
    await third.alerts(WINDOW)
    assert FakeAlerts.calls == calls + 1
