"""Shared fixtures of the security suite: the demo world through an MCP client, and a private
copy of the demo world per test with every file source a directory to plant in."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from opscontext.app import App, open_app
from opscontext.cache import MemoryCache
from opscontext.hub import Gathered, Hub
from opscontext.models import TimeWindow
from opscontext.server import build_server
from opscontext.settings import Settings, load

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
DEMO_CONFIG = DEMO / "opscontext.toml"
ANCHOR = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)  # the demo's time_anchor: no replay shift
WINDOW = TimeWindow(since=ANCHOR - timedelta(days=7), until=ANCHOR)


@pytest.fixture
def client_for() -> Callable[[Settings], Client]:
    def make(settings: Settings) -> Client:
        return Client(build_server(settings, cache=MemoryCache()))

    return make


@pytest.fixture
async def demo() -> AsyncIterator[Client]:
    settings = load(DEMO_CONFIG)
    async with Client(build_server(settings, cache=MemoryCache())) as client:
        yield client


@dataclass(frozen=True)
class Source:
    """One file connector instance of the demo world: where to plant files and how to ask it."""

    instance: str
    directory: str  # relative to the world
    ext: str
    ask: Callable[[Hub], Awaitable[Gathered[Any]]]


SOURCES = [
    Source("catalog", "catalog/payments", ".yaml", lambda hub: hub.catalog()),
    Source("alerts", "alerts", ".json", lambda hub: hub.alerts(WINDOW)),
    Source("changes", "changes", ".jsonl", lambda hub: hub.changes(WINDOW)),
    Source("runbooks", "runbooks", ".md", lambda hub: hub.runbooks()),
    Source("oncall", "oncall", ".ics", lambda hub: hub.on_call(ANCHOR)),
    Source("escalation", "escalation", ".yaml", lambda hub: hub.escalation_policies()),
]


@pytest.fixture
def world(tmp_path: Path) -> Path:
    """The demo world under tmp_path/world, escalation moved into a directory of its own."""
    root = tmp_path / "world"
    shutil.copytree(DEMO, root)
    (root / "escalation").mkdir()
    (root / "escalation.yaml").rename(root / "escalation" / "escalation.yaml")
    toml = root / "opscontext.toml"
    toml.write_text(toml.read_text().replace('path = "escalation.yaml"', 'path = "escalation"'))
    return root


def set_option(world: Path, instance: str, line: str) -> None:
    """Add ``line`` to the ``[connectors.<instance>]`` table of the world's config."""
    toml = world / "opscontext.toml"
    header = f"[connectors.{instance}]\n"
    toml.write_text(toml.read_text().replace(header, header + line + "\n"))


def app_for(world: Path) -> AbstractAsyncContextManager[App]:
    """The world's app on a fixed clock (no replay shift) with an in-memory cache."""
    return open_app(load(world / "opscontext.toml"), cache=MemoryCache(), clock=lambda: ANCHOR)
