"""One deadline per tool call: a dead source costs a call its deadline once, never per fan-out."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from mcp import Client

from opscontext.cache import MemoryCache
from opscontext.config import ConnectorConfig
from opscontext.deadline import call_deadline
from opscontext.hub import Hub
from opscontext.models import Alert, Change, SourceState, TimeWindow
from opscontext.registry import ConnectorContext, ConnectorSpec, Registry
from opscontext.server import build_server
from opscontext.settings import Settings

from .deadpool import SleepingTransport, demo_with_dead_prometheus

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
DEADLINE = 1.0
WINDOW = TimeWindow(since=NOW - timedelta(hours=1), until=NOW)


class SlowConfig(ConnectorConfig):
    delay: float = 30.0


class SlowAlerts:
    """Alerts that take ``delay`` seconds; counts how often a slow source is asked."""

    asked = 0

    def __init__(self, ctx: ConnectorContext):
        self.delay = getattr(ctx.config, "delay", 30.0)

    async def alerts(self, window: TimeWindow) -> list[Alert]:
        SlowAlerts.asked += 1
        await asyncio.sleep(self.delay)
        return []


class SlowChanges(SlowAlerts):
    async def changes(self, window: TimeWindow) -> list[Change]:
        SlowAlerts.asked += 1
        await asyncio.sleep(self.delay)
        return []


class OnlyChanges:
    def __init__(self, ctx: ConnectorContext):
        self.inner = SlowChanges(ctx)

    async def changes(self, window: TimeWindow) -> list[Change]:
        return await self.inner.changes(window)


def slow_hub(configs: dict[str, dict[str, Any]], **limits: Any) -> Hub:
    specs = {
        kind: ConnectorSpec(type=kind, summary="test", config_model=SlowConfig, factory=factory)
        for kind, factory in (("slow", SlowChanges), ("slow-alerts", SlowAlerts), ("slow-changes", OnlyChanges))
    }
    SlowAlerts.asked = 0
    settings = Settings(limits={"source_timeout_seconds": DEADLINE, "breaker_failures": 0} | limits)
    return Hub(Registry.build(configs, specs=specs), settings, MemoryCache(), clock=lambda: NOW)


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("who_owns", {"service": "payment-service"}),
        ("blast_radius", {"service": "payment-service"}),
        ("correlate_alerts", {}),
    ],
)
async def test_a_dead_source_asked_by_several_fan_outs_costs_one_deadline_and_is_named(
    tool: str, args: dict[str, Any]
) -> None:
    dead = SleepingTransport()
    server = build_server(demo_with_dead_prometheus(DEADLINE), cache=MemoryCache(), transport=dead)
    async with Client(server) as client:
        await client.call_tool("get_runbook", {"service": "payment-service"})  # the world built once
        # The tool's own first-call work (the correlation engine's cold start is about half a
        # second) is no part of what the dead source costs: it is paid before the timed call.
        await client.call_tool(tool, args)
        started = time.monotonic()
        result = await client.call_tool(tool, args)
        took = time.monotonic() - started
    assert not result.is_error, result.content
    # Sequential fan-outs would wait 2 x the deadline; one budget waits it once (generous bound).
    assert took < 1.6 * DEADLINE, f"{tool} took {took:.2f} s with a {DEADLINE} s deadline"
    prom = [s for s in (result.structured_content or {})["sources"] if s["source"] == "prom"]
    assert prom and all(s["state"] == "failed" for s in prom)
    assert all("no answer" in s["detail"] for s in prom)


async def test_a_later_fan_out_gets_only_what_is_left_of_the_calls_budget() -> None:
    hub = slow_hub({"a": {"type": "slow"}}, call_timeout_seconds=DEADLINE)
    started = time.monotonic()
    with call_deadline(DEADLINE):
        alerts = await hub.alerts(WINDOW)
        changes = await hub.changes(WINDOW)  # another capability of the same dead source
    took = time.monotonic() - started
    assert took < 1.6 * DEADLINE
    assert alerts.statuses[0].state is SourceState.FAILED
    assert "not asked again" in (changes.statuses[0].detail or "")
    assert SlowAlerts.asked == 1
    await hub.aclose()


async def test_two_different_slow_sources_share_one_budget_instead_of_adding_up() -> None:
    deadline = 3.0  # b gets a 1 s grace after a eats the budget: 4 s, where two deadlines are 6 s
    hub = slow_hub({"a": {"type": "slow-alerts"}, "b": {"type": "slow-changes"}}, source_timeout_seconds=deadline)
    started = time.monotonic()
    with call_deadline(deadline):
        await hub.alerts(WINDOW)  # a eats the whole budget ...
        got = await hub.changes(WINDOW)  # ... so b gets the short grace, not a second deadline
    took = time.monotonic() - started
    assert got.statuses[0].state is SourceState.FAILED
    assert SlowAlerts.asked == 2
    assert took < 1.6 * deadline
    await hub.aclose()


async def test_without_a_call_deadline_each_fan_out_keeps_the_per_source_limit() -> None:
    hub = slow_hub({"a": {"type": "slow", "delay": 0.05}})
    got = await hub.alerts(WINDOW)
    assert got.statuses[0].state is SourceState.OK


async def test_the_call_deadline_defaults_to_the_per_source_deadline() -> None:
    settings = Settings(limits={"source_timeout_seconds": 7})
    assert settings.limits.call_seconds() == 7
    assert Settings(limits={"call_timeout_seconds": 3}).limits.call_seconds() == 3
