"""A deleted or corrupt fixture shows up as a failed source in the answer, never as a crash."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from mcp import Client

from opscontext.settings import Settings, load

pytestmark = pytest.mark.anyio
DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo"


@pytest.fixture
def world(tmp_path: Path) -> Path:
    copy = tmp_path / "demo"
    shutil.copytree(DEMO, copy)
    return copy


async def test_deleted_alerts_degrade_correlation_to_a_named_failed_source(
    world: Path, client_for: Callable[[Settings], Client]
) -> None:
    shutil.rmtree(world / "alerts")
    async with client_for(load(world / "opscontext.toml")) as client:
        result = await client.call_tool("correlate_alerts", {})
        assert not result.is_error
        data = result.structured_content or {}
        failed = [s for s in data["sources"] if s["state"] == "failed"]
        assert [s["source"] for s in failed] == ["alerts"]
        assert "does not exist" in failed[0]["detail"]
        assert data["groups"] == []
        # The other tools are untouched by the missing alerts.
        owner = await client.call_tool("who_owns", {"service": "payment-service"})
        assert not owner.is_error


async def test_a_briefing_on_a_quiet_service_never_says_no_alert_fires_when_alerts_were_not_read(
    world: Path, client_for: Callable[[Settings], Client]
) -> None:
    for f in (world / "alerts").iterdir():
        f.write_text(f.read_text()[:200])  # truncated mid-file: the alert source fails
    async with client_for(load(world / "opscontext.toml")) as client:
        result = await client.call_tool("incident_context", {"subject": "payment-service"})
        assert not result.is_error
        headline = (result.structured_content or {})["headline"]
        assert "No alert fires" not in headline
        assert headline.startswith("No alert on payment-service could be read in the window (alert source 'alerts'")
        assert "whether one fires is unknown" in headline


async def test_corrupt_changes_file_is_reported_and_other_tools_still_answer(
    world: Path, client_for: Callable[[Settings], Client]
) -> None:
    for f in (world / "changes").iterdir():
        f.write_bytes(b"\x00\xff garbage {{{")
    async with client_for(load(world / "opscontext.toml")) as client:
        result = await client.call_tool("what_changed", {})
        assert not result.is_error
        data = result.structured_content or {}
        assert any(s["source"] == "changes" and s["state"] == "failed" for s in data["sources"])
        blast = await client.call_tool("blast_radius", {"service": "payment-service"})
        assert not blast.is_error


async def test_without_a_catalog_ownership_fails_with_the_reason_not_a_wrong_guess(
    world: Path, client_for: Callable[[Settings], Client]
) -> None:
    shutil.rmtree(world / "catalog")
    async with client_for(load(world / "opscontext.toml")) as client:
        result = await client.call_tool("who_owns", {"service": "payment-service"})
        assert result.is_error
        text = " ".join(getattr(c, "text", "") for c in result.content)
        assert "catalog" in text and "does not exist" in text


async def test_edits_to_files_are_picked_up_without_a_restart(
    world: Path, client_for: Callable[[Settings], Client]
) -> None:
    async with client_for(load(world / "opscontext.toml")) as client:
        before = await client.call_tool("get_runbook", {"query": "zebra unicorn migration"})
        assert not (before.structured_content or {})["runbooks"]
        (world / "runbooks" / "zz-new.md").write_text(
            "---\ntitle: Zebra unicorn migration\nservices: [payment-service]\n---\n"
            "## Steps\nMigrate the zebra unicorn.\n"
        )
        after = await client.call_tool("get_runbook", {"query": "zebra unicorn migration"})
        titles = [r["title"] for r in (after.structured_content or {})["runbooks"]]
        assert titles[0] == "Zebra unicorn migration"
