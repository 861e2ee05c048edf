"""Installed beside opscontext, the connector serves through `opscontext serve` like a built-in:
the CLI lists it, and who_owns answers from it through a real MCP client session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mcp import Client
from opscontext.cache import MemoryCache
from opscontext.cli import app
from opscontext.server import build_server
from opscontext.settings import Settings, demo_dir
from typer.testing import CliRunner

from opsgenie_answers import NOW, opsgenie


def test_the_cli_lists_the_type_with_its_capability_and_config() -> None:
    result = CliRunner().invoke(app, ["connectors", "--json"])
    assert result.exit_code == 0, result.output
    listed = {c["type"]: c for c in json.loads(result.output)}
    assert listed["opsgenie"]["capabilities"] == ["oncall"]
    assert "schedules" in listed["opsgenie"]["config"]["properties"]


@pytest.mark.anyio
async def test_who_owns_names_who_opsgenie_says_is_on_call_for_the_owner_team(tmp_path: Path) -> None:
    settings = Settings(
        connectors={
            "catalog": {"type": "backstage", "path": str(demo_dir() / "catalog")},
            "opsgenie": {"type": "opsgenie", "token": "og-test-key"},
        },
        base_dir=tmp_path,
    )
    server = build_server(settings, cache=MemoryCache(), transport=opsgenie(), clock=lambda: NOW)
    async with Client(server) as client:
        result = await client.call_tool("who_owns", {"service": "payment-service"})
    assert not result.is_error, result.content
    answer = result.structured_content
    assert answer is not None
    assert answer["owner"]["team"] == "payments"
    on_call = [(p["person"], p["phone"], p["until"], p["source"]) for p in answer["on_call"]]
    assert on_call == [
        ("dana.reyes@larkspur.example", "+1-555-0109", None, "opsgenie"),
        ("priya.natarajan@larkspur.example", "+1-555-0110", None, "opsgenie"),
    ]
    assert {s["source"]: s["state"] for s in answer["sources"]}["opsgenie"] == "ok"
