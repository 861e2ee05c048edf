from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from mcp import Client

from opscontext.cache import MemoryCache
from opscontext.server import build_server
from opscontext.settings import Settings, load

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo"


@pytest.fixture
def demo_settings() -> Settings:
    return load(DEMO / "opscontext.toml")


@pytest.fixture
def client_for() -> Callable[[Settings], Client]:
    def make(settings: Settings) -> Client:
        return Client(build_server(settings, cache=MemoryCache()))

    return make


@pytest.fixture
async def demo(demo_settings: Settings) -> AsyncIterator[Client]:
    async with Client(build_server(demo_settings, cache=MemoryCache())) as client:
        yield client


@pytest.fixture
def checkout_payment(tmp_path: Path) -> Callable[[list[dict[str, object]]], Settings]:
    """Settings for a file world in ``tmp_path``: a Backstage catalog where checkout depends on
    payment, and an Alertmanager file holding the alerts given (API answer entries)."""

    def make(alerts: list[dict[str, object]]) -> Settings:
        (tmp_path / "catalog.yaml").write_text(
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: checkout}\n"
            "spec: {type: service, lifecycle: production, owner: team-a, dependsOn: ['component:default/payment']}\n"
            "---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: payment}\n"
            "spec: {type: service, lifecycle: production, owner: team-b}\n")
        (tmp_path / "alerts.json").write_text(json.dumps(alerts))
        return Settings(connectors={"catalog": {"type": "backstage", "path": "catalog.yaml"},
                                    "alerts": {"type": "alertmanager", "path": "alerts.json"}}, base_dir=tmp_path)

    return make
