from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest


@pytest.fixture
async def clients() -> AsyncIterator[list[httpx.AsyncClient]]:
    """HTTP clients a test builds for connectors; all closed when the test ends."""
    made: list[httpx.AsyncClient] = []
    yield made
    for client in made:
        await client.aclose()
