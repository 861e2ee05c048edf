from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from mcp import Client

from opscontext.cache import MemoryCache
from opscontext.server import build_server
from opscontext.settings import Settings, load

DEMO_CONFIG = Path(__file__).resolve().parents[2] / "fixtures" / "demo" / "opscontext.toml"


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
