"""The Redis cache against a real redis-server on loopback: round trip, expiry, single flight."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from opscontext.config import ConnectorConfig
from opscontext.hub import Hub
from opscontext.models import Alert, CatalogSnapshot, Service, SourceState, TimeWindow
from opscontext.redis_cache import RedisCache
from opscontext.registry import ConnectorContext, ConnectorSpec, Registry
from opscontext.settings import Settings

from .servers import Server

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "two_replicas.py"


def fresh(server: Server, **kwargs: bytes) -> RedisCache:
    cache = RedisCache.from_url(server.url, **kwargs)  # type: ignore[arg-type]
    cache._redis.flushdb()
    return cache


def test_models_round_trip_through_redis_with_their_stored_time(redis_server: Server) -> None:
    cache = fresh(redis_server)
    alerts = [Alert(fingerprint="f1", alertname="HighLatency", starts_at=NOW, labels={"service": "checkout"})]
    snapshot = CatalogSnapshot(services=(Service(name="checkout", tier="tier-1"),))
    cache.set("a", alerts, keep_seconds=60)
    cache.set("c", snapshot, keep_seconds=60)
    got = cache.get("a")
    assert got is not None and got.value == alerts and got.age() < 5
    assert cache.get("c") is not None and cache.get("c").value == snapshot  # type: ignore[union-attr]
    assert cache.get("missing") is None
    cache.close()


def test_entries_expire_after_their_keep_time(redis_server: Server) -> None:
    cache = fresh(redis_server)
    cache.set("short", [], keep_seconds=0.2)
    assert cache.get("short") is not None
    time.sleep(0.5)
    assert cache.get("short") is None


def test_an_entry_signed_with_another_key_is_a_miss(redis_server: Server) -> None:
    writer = fresh(redis_server, signing_key=b"theirs")
    reader = RedisCache.from_url(redis_server.url, signing_key=b"ours")
    writer.set("k", [], keep_seconds=60)
    assert reader.get("k") is None
    assert writer.get("k") is not None


def test_a_claim_is_exclusive_until_released(redis_server: Server) -> None:
    cache = fresh(redis_server)
    token = cache.claim("k", 5)
    assert token is not None
    assert cache.claim("k", 5) is None
    cache.release("k", "not-the-token")
    assert cache.claim("k", 5) is None  # only the holder releases
    cache.release("k", token)
    assert cache.claim("k", 5) is not None


def test_an_unreachable_redis_is_a_miss_and_every_replica_fetches_for_itself() -> None:
    cache = RedisCache.from_url("redis://127.0.0.1:1/0")
    cache.set("k", [], keep_seconds=60)
    assert cache.get("k") is None
    assert cache.claim("k", 5) is not None


class CountingAlerts:
    asked = 0

    def __init__(self, ctx: ConnectorContext):
        pass

    async def alerts(self, window: TimeWindow) -> list[Alert]:
        CountingAlerts.asked += 1
        await asyncio.sleep(0.2)
        return [Alert(fingerprint="f", alertname="A", starts_at=window.until - timedelta(minutes=1))]


@pytest.mark.anyio
async def test_two_hubs_sharing_redis_ask_the_upstream_once(redis_server: Server) -> None:
    spec = ConnectorSpec(type="count", summary="test", config_model=ConnectorConfig, factory=CountingAlerts)
    CountingAlerts.asked = 0
    settings = Settings(world={"name": "shared"}, cache={"ttl": {"alerts": 60}})
    fresh(redis_server)
    hubs = [
        Hub(
            Registry.build({"am": {"type": "count"}}, specs={"count": spec}),
            settings,
            RedisCache.from_url(redis_server.url),
            clock=lambda: NOW,
        )
        for _ in range(2)
    ]
    window = TimeWindow(since=NOW - timedelta(hours=1), until=NOW)
    first, second = await asyncio.gather(*(h.alerts(window) for h in hubs))
    assert CountingAlerts.asked == 1
    assert first.items() == second.items()
    assert [first.statuses[0].state, second.statuses[0].state] == [SourceState.OK, SourceState.OK]


def test_two_replica_processes_fetch_each_upstream_once_per_ttl(redis_server: Server) -> None:
    run = subprocess.run(
        [sys.executable, str(BENCH), "--seconds", "5", "--ttl", "1", "--redis", redis_server.url],
        capture_output=True,
        timeout=90,
        check=True,
    )
    summary = json.loads(run.stdout.decode().splitlines()[-1])
    assert all(calls > 20 for calls in summary["calls"])  # both replicas really hammered it
    assert 1 <= summary["upstream_requests"] <= summary["ttl_buckets"]
