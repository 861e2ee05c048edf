"""Dead and flaky sources for the resilience tests: an httpx transport that never answers in
time (a Prometheus that sleeps), and the demo world with such a source added."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from opscontext.settings import Settings, load

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo" / "opscontext.toml"


class SleepingTransport(httpx.AsyncBaseTransport):
    """Accepts every request and sleeps on it far longer than any deadline; counts requests."""

    def __init__(self, seconds: float = 30.0):
        self.seconds = seconds
        self.requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        await asyncio.sleep(self.seconds)
        return httpx.Response(200, json={"status": "success", "data": {"result": []}})


def demo_with_dead_prometheus(deadline: float, *, breaker_failures: int = 0) -> Settings:
    """The demo world plus a Prometheus (topology, alerts, health) behind a sleeping transport."""
    settings = load(DEMO)
    settings.connectors["prom"] = {"type": "prometheus", "url": "http://prometheus.test", "max_retries": 0}
    settings.limits.source_timeout_seconds = deadline
    settings.limits.breaker_failures = breaker_failures
    return settings
