"""The end-to-end world: demo files plus two fake live vendors, configured by a TOML file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from mcp import Client

from opscontext.server import build_server
from opscontext.settings import Settings, load

from .vendors import FIXTURES, PAGERDUTY, PROMETHEUS, Vendors

DEMO = FIXTURES / "demo"
# The demo files were recorded with the incident live at this moment; a fixed clock keeps them
# current without shifting anything (PagerDuty's permanent on-call and open incidents still hold).
NOW = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
SOURCE_TIMEOUT = 0.5
TTL = 0.2


def world_toml(max_retries: int) -> str:
    return f"""
[world]
name = "e2e-multi-source"

[connectors.catalog]
type = "backstage"
path = "{DEMO / "catalog"}"

[connectors.traffic]
type = "prometheus"
url = "{PROMETHEUS}"
max_retries = {max_retries}

[connectors.pagerduty]
type = "pagerduty"
url = "{PAGERDUTY}"
token = "u+e2e-dummy-key"
max_retries = {max_retries}

[connectors.alerts]
type = "alertmanager"
path = "{DEMO / "alerts"}"

[connectors.changes]
type = "cdevents"
path = "{DEMO / "changes"}"

[connectors.runbooks]
type = "runbooks"
path = "{DEMO / "runbooks"}"

[cache]
backend = "memory"

[cache.ttl]
catalog = {TTL}
topology = {TTL}
runbooks = {TTL}
escalation = {TTL}
changes = {TTL}
alerts = {TTL}
oncall = {TTL}

[limits]
source_timeout_seconds = {SOURCE_TIMEOUT}
# These tests call every tool against a failing vendor and expect its recovery to show at once;
# a circuit breaker would (rightly) skip it for a cool-down. tests/security/test_breaker.py covers it.
breaker_failures = 0
"""


@pytest.fixture
def vendors() -> Vendors:
    return Vendors()


@pytest.fixture
def world(tmp_path: Path) -> Callable[..., Settings]:
    """Settings read from a TOML file written into tmp_path, the way a user configures it."""

    def make(max_retries: int = 0) -> Settings:
        path = tmp_path / "opscontext.toml"
        path.write_text(world_toml(max_retries), encoding="utf-8")
        return load(path)

    return make


@pytest.fixture
def connect(vendors: Vendors) -> Callable[[Settings], Client]:
    """An MCP client session on a server whose HTTP goes to the fake vendors."""

    def make(settings: Settings) -> Client:
        return Client(build_server(settings, transport=vendors.transport, clock=lambda: NOW))

    return make
