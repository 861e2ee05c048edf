"""A call that arrives while the server is still loading its file sources waits for that load,
and a client that asked for progress hears how far the load has got (MCP notifications/progress),
through the official client: in memory, and over JSON-RPC streams."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from mcp import Client

from opscontext.cache import MemoryCache
from opscontext.config import ConnectorConfig
from opscontext.models import DependencyEdge
from opscontext.registry import ConnectorContext, ConnectorSpec, discover
from opscontext.server import build_server
from opscontext.settings import Settings

pytestmark = pytest.mark.anyio
Seen = list[tuple[float, float | None, str | None]]


class HeldTopology:
    """A local topology source whose read is held until the test lets it go: a big file mid-parse."""

    def __init__(self, release: asyncio.Event, asked: asyncio.Event) -> None:
        self.release = release
        self.asked = asked  # set when a call (not the preload) reads it

    async def preload(self) -> None:
        await self.release.wait()

    async def edges(self) -> list[DependencyEdge]:
        self.asked.set()
        await self.release.wait()
        return [DependencyEdge(dependent="search-service", dependency="ledger-service")]  # new to the demo


def held_server(settings: Settings, release: asyncio.Event, asked: asyncio.Event | None = None) -> Any:
    def build(_ctx: ConnectorContext[ConnectorConfig]) -> HeldTopology:
        return HeldTopology(release, asked or asyncio.Event())

    spec = ConnectorSpec(type="held", summary="test double", config_model=ConnectorConfig, factory=build,
                         cacheable=False)
    connectors = {**settings.connectors, "held": {"type": "held", "timeout_seconds": 20}}
    return build_server(settings.model_copy(update={"connectors": connectors}), cache=MemoryCache(),
                        specs={**discover(), "held": spec})


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_call_during_the_load_hears_how_far_it_is_and_then_answers_in_full(
    demo_settings: Settings, mode: str
) -> None:
    release = asyncio.Event()
    seen: Seen = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))
        release.set()  # the client has heard from the load: let it go on

    async with Client(held_server(demo_settings, release), mode=mode) as client:
        # The load cannot finish before a notification reaches the client: the call is in it.
        result = await client.call_tool("blast_radius", {"service": "ledger-service"}, progress_callback=on_progress)
    assert not result.is_error, result.content
    answer = result.structured_content or {}
    assert "search-service" in [i["service"] for i in answer["impacted"]], "the held source's edge counts"
    assert {s["source"]: s["state"] for s in answer["sources"]}["held"] == "ok"
    progress, total, message = seen[0]
    assert message is not None and message.startswith("waiting for the background load: reading catalog and topology")
    assert total is not None and progress < total
    steps = [p for p, _, _ in seen]
    assert steps == sorted(set(steps)), "progress rises with every notification"


async def test_a_call_without_a_progress_callback_waits_for_the_load_the_same(demo_settings: Settings) -> None:
    release, asked = asyncio.Event(), asyncio.Event()
    async with Client(held_server(demo_settings, release, asked)) as client:
        call = asyncio.ensure_future(client.call_tool("blast_radius", {"service": "ledger-service"}))
        await asked.wait()  # the call has reached the held source and waits on it
        assert not call.done()
        release.set()
        result = await call
    assert not result.is_error, result.content
    assert "search-service" in [i["service"] for i in (result.structured_content or {})["impacted"]]
