"""Incident-command prompts, context resources and tool profiles through a real MCP client."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from opscontext.cache import MemoryCache
from opscontext.errors import ConfigError
from opscontext.server import build_server
from opscontext.settings import Settings, load

pytestmark = pytest.mark.anyio
DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
ANCHOR = datetime.fromisoformat("2026-03-10T14:00:00+00:00")


@pytest.fixture
async def at_anchor() -> AsyncIterator[Client]:
    server = build_server(load(DEMO / "opscontext.toml"), cache=MemoryCache(), clock=lambda: ANCHOR)
    async with Client(server) as client:
        yield client


async def test_both_prompts_are_listed_with_their_arguments(at_anchor: Client) -> None:
    prompts = {p.name: p for p in (await at_anchor.list_prompts()).prompts}
    assert set(prompts) == {"open_incident", "status_update"}
    assert [(a.name, a.required) for a in prompts["open_incident"].arguments or []] == [("subject", True)]
    assert {a.name for a in prompts["status_update"].arguments or []} == {"subject", "audience"}
    assert all(p.description and len(p.description) > 60 for p in prompts.values())


async def test_open_incident_fills_roles_channel_status_document_and_cadence(at_anchor: Client) -> None:
    prompt = await at_anchor.get_prompt("open_incident", {"subject": "payment-service"})
    (message,) = prompt.messages
    text = message.content.text  # type: ignore[union-attr]
    assert message.role == "user"
    for role in ("Incident commander:", "Technical lead: Dana Reyes (+1-555-0109), payments on call",
                 "Communications lead:", "Scribe:"):
        assert role in text
    assert "#inc-20260310-payment-service" in text and "invite #team-payments" in text
    assert "**Status document** (the only one)" in text
    assert "every 15 min; next update at 14:15Z" in text
    assert "13:42Z deployment of payment-service" in text and "13:48Z first alert" in text
    briefing = json.loads(re.search(r"~~~json\n(.*)\n~~~", text, re.S).group(1))  # type: ignore[union-attr]
    assert briefing["group"]["primary_contributor"] == "payment-service"


async def test_status_update_drafts_from_the_current_briefing_for_an_audience(at_anchor: Client) -> None:
    groups = (await at_anchor.call_tool("correlate_alerts", {})).structured_content or {}
    orders = next(g["id"] for g in groups["groups"] if g["primary_contributor"] == "orders-db")
    prompt = await at_anchor.get_prompt("status_update", {"subject": orders, "audience": "customer support"})
    text = prompt.messages[0].content.text  # type: ignore[union-attr]
    assert text.startswith("Draft a status update for customer support")
    assert "**Status:** Investigating (as of 14:00Z)" in text, "an unsure primary is not 'identified'"
    assert "**Next update:** 14:15Z" in text and "orders-db" in text


async def test_a_prompt_for_an_unknown_service_is_an_actionable_error(at_anchor: Client) -> None:
    with pytest.raises(MCPError, match="Did you mean: payment-service"):
        await at_anchor.get_prompt("open_incident", {"subject": "paymnt-service"})


@pytest.mark.parametrize(("name", "args", "needle"), [
    ("open_incident", {}, "open_incident needs `subject`: The service, or a group id"),
    ("status_update", {"audience": "board"}, "status_update needs `subject`"),
    ("open_incident", {"subject": "payment-service", "extra": "1"}, "has no argument 'extra'; it takes `subject`"),
    ("no_such_prompt", {"subject": "x"}, "No prompt 'no_such_prompt'; this server has: open_incident, status_update"),
])
async def test_a_prompt_asked_for_wrongly_says_what_to_fix_not_internal_error(
    at_anchor: Client, name: str, args: dict[str, str], needle: str,
) -> None:
    """The SDK answers these with a bare "Internal server error" and logs a traceback."""
    with pytest.raises(MCPError) as caught:
        await at_anchor.get_prompt(name, args)
    assert needle in str(caught.value) and "internal" not in str(caught.value).lower()
    assert caught.value.error.code == -32602  # invalid params


async def test_control_characters_in_an_audience_do_not_reach_the_prompt_text(at_anchor: Client) -> None:
    args = {"subject": "payment-service", "audience": "ops\x00\x1b[31m team"}
    prompt = await at_anchor.get_prompt("status_update", args)
    text = prompt.messages[0].content.text  # type: ignore[union-attr]
    assert text.startswith("Draft a status update for ops [31m team") and "\x00" not in text and "\x1b" not in text


async def test_resource_templates_are_listed(at_anchor: Client) -> None:
    templates = (await at_anchor.list_resource_templates()).resource_templates
    assert {t.uri_template for t in templates} == {"opscontext://service/{name}", "opscontext://runbook/{id}"}
    assert all(t.mime_type == "text/markdown" and t.description for t in templates)


async def test_a_service_context_document_has_owner_incident_dependencies_changes_and_runbooks(
    at_anchor: Client,
) -> None:
    result = await at_anchor.read_resource("opscontext://service/Payment%20Service")
    (content,) = result.contents
    text = content.text  # type: ignore[union-attr]
    assert content.mime_type == "text/markdown" and text.startswith("# payment-service: Payment Service")
    assert "On call (level 1): Dana Reyes, +1-555-0109" in text
    assert "primary contributor payment-service" in text
    assert "Depends on (8): " in text and "Paystream API v3 serializer" in text
    assert "opscontext://runbook/payment-service" in text


async def test_the_runbook_a_briefing_points_at_reads_whole_by_uri(at_anchor: Client) -> None:
    briefing = (await at_anchor.call_tool("incident_context", {"subject": "payment-service"})).structured_content
    uri = (briefing or {})["runbook"]["resource"]
    text = (await at_anchor.read_resource(uri)).contents[0].text  # type: ignore[union-attr]
    assert text.startswith("# payment-service") and "## 3. Bad deploy / rollback" in text
    assert "Quoted from the organisation's systems" in text


@pytest.mark.parametrize(
    ("uri", "needle"),
    [("opscontext://runbook/paymnt", "No runbook has id 'paymnt'"),
     ("opscontext://service/paymnt", "Did you mean: payment-service")],
)
async def test_unknown_resources_say_what_exists(at_anchor: Client, uri: str, needle: str) -> None:
    with pytest.raises(MCPError, match=needle):
        await at_anchor.read_resource(uri)


async def test_the_core_profile_lists_six_tools_and_a_list_of_names_only_those(demo_settings: Settings) -> None:
    async with Client(build_server(demo_settings, cache=MemoryCache(), tools="core")) as client:
        core = {t.name for t in (await client.list_tools()).tools}
    async with Client(build_server(demo_settings, cache=MemoryCache(), tools="incident_context")) as client:
        one = [t.name for t in (await client.list_tools()).tools]
        assert (await client.list_prompts()).prompts, "prompts stay available whatever the profile"
        assert (await client.call_tool("who_owns", {"service": "payment-service"})).is_error
    assert core == {"who_owns", "what_changed", "blast_radius", "get_runbook", "correlate_alerts", "incident_context"}
    assert one == ["incident_context"]


def test_an_unknown_tool_in_a_profile_fails_at_start_listing_the_valid_ones(demo_settings: Settings) -> None:
    with pytest.raises(ConfigError, match=r"unknown tool 'whoowns'.*incident_context"):
        build_server(demo_settings, tools="whoowns,incident_context")
