"""Hub.health: fan-out with two arguments, a cache keyed by the services asked, replay, stale."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest

from opscontext.cache import MemoryCache
from opscontext.config import ConnectorConfig
from opscontext.errors import SourceUnavailableError
from opscontext.hub import Hub
from opscontext.models import ServiceHealth, SourceState
from opscontext.registry import ConnectorContext, ConnectorSpec, Registry
from opscontext.replay import replay
from opscontext.settings import Settings

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


class FakeConfig(ConnectorConfig):
    error_rate: float = 0.25


class FakeHealth:
    """A HealthSource that records what it was asked and can be switched off between calls."""

    asked: ClassVar[list[tuple[tuple[str, ...], datetime]]] = []
    down = False

    def __init__(self, ctx: ConnectorContext):
        self.name = ctx.name
        self.error_rate = getattr(ctx.config, "error_rate", 0.25)

    async def health(self, services: Sequence[str], at: datetime) -> list[ServiceHealth]:
        type(self).asked.append((tuple(services), at))
        if type(self).down:
            raise SourceUnavailableError("HTTP 503 from http://prom", instance=self.name)
        # Also reports a service nobody asked about, as a sloppy template would.
        return [ServiceHealth(service=s, error_rate=self.error_rate, at=at, source=self.name) for s in (*services, "x")]


def make_hub(configs: dict[str, dict[str, Any]], **settings: Any) -> Hub:
    spec = ConnectorSpec(type="fake", summary="test", config_model=FakeConfig, factory=FakeHealth, cacheable=True)
    FakeHealth.asked, FakeHealth.down = [], False
    return Hub(Registry.build(configs, specs={"fake": spec}), Settings(**settings), MemoryCache(), clock=lambda: NOW)


async def test_every_health_source_is_asked_and_only_the_services_asked_come_back() -> None:
    hub = make_hub({"a": {"type": "fake"}, "b": {"type": "fake", "error_rate": 0.5}})
    got = await hub.health(["checkout", "payments"], NOW)
    assert sorted((h.source, h.service, h.error_rate) for h in got.items()) == [
        ("a", "checkout", 0.25),
        ("a", "payments", 0.25),
        ("b", "checkout", 0.5),
        ("b", "payments", 0.5),
    ]
    assert [(s.source, s.capability, s.state) for s in got.statuses] == [
        ("a", "health", SourceState.OK),
        ("b", "health", SourceState.OK),
    ]
    assert FakeHealth.asked[0] == (("checkout", "payments"), NOW)


async def test_the_same_services_in_any_order_share_one_cached_answer() -> None:
    hub = make_hub({"a": {"type": "fake"}})
    await hub.health(["checkout", "payments"], NOW)
    await hub.health(["payments", "checkout"], NOW + timedelta(seconds=1))
    assert len(FakeHealth.asked) == 1


async def test_other_services_are_a_different_cache_entry() -> None:
    hub = make_hub({"a": {"type": "fake"}})
    await hub.health(["checkout"], NOW)
    got = await hub.health(["checkout", "payments"], NOW)
    assert [asked for asked, _ in FakeHealth.asked] == [("checkout",), ("checkout", "payments")]
    assert {h.service for h in got.items()} == {"checkout", "payments"}


async def test_health_expires_after_its_own_short_ttl() -> None:
    hub = make_hub({"a": {"type": "fake"}}, cache={"ttl": {"health": 15}})
    await hub.health(["checkout"], NOW)
    await hub.health(["checkout"], NOW + timedelta(seconds=40))  # a later TTL bucket
    assert len(FakeHealth.asked) == 2


async def test_replay_asks_in_the_recordings_time_and_answers_in_ours() -> None:
    anchor = NOW - timedelta(days=3)
    hub = make_hub({"a": {"type": "fake"}})
    hub.registry = replay(hub.registry, NOW - anchor)
    got = await hub.health(["checkout"], NOW)
    assert FakeHealth.asked[0][1] == anchor
    assert [h.at for h in got.items()] == [NOW]


async def test_a_failing_source_serves_its_last_answer_as_stale_but_only_for_services_asked() -> None:
    hub = make_hub({"a": {"type": "fake"}}, cache={"ttl": {"health": 0.001}})
    await hub.health(["checkout", "payments"], NOW)
    FakeHealth.down = True
    got = await hub.health(["payments", "ledger"], NOW + timedelta(minutes=5))
    assert [h.service for h in got.items()] == ["payments"]
    assert got.statuses[0].state is SourceState.STALE
    assert "503" in (got.statuses[0].detail or "")


async def test_a_failing_source_without_history_is_reported_failed() -> None:
    hub = make_hub({"a": {"type": "fake"}})
    FakeHealth.down = True
    got = await hub.health(["checkout"], NOW)
    assert got.items() == []
    assert got.statuses[0].state is SourceState.FAILED
