"""One real subprocess: `opscontext serve --demo` over stdio, as a desktop client runs it."""

from __future__ import annotations

import sys

import pytest
from mcp import Client, StdioServerParameters

pytestmark = pytest.mark.anyio


async def test_serve_over_stdio_lists_tools_and_answers_a_call() -> None:
    params = StdioServerParameters(command=sys.executable, args=["-m", "opscontext", "serve", "--demo"])
    async with Client(params, read_timeout_seconds=60) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert names == {
            "who_owns", "what_changed", "blast_radius", "get_runbook", "correlate_alerts", "service_health",
            "incident_context",
        }
        result = await client.call_tool("who_owns", {"service": "payment-service"})
        assert not result.is_error
        assert (result.structured_content or {})["service"]["name"] == "payment-service"
        briefing = await client.call_tool("incident_context", {"subject": "checkout-service"})
        assert not briefing.is_error, briefing.content
        answer = briefing.structured_content or {}
        assert answer["group"]["primary_contributor"] == "payment-service"
        assert answer["tokens"] <= answer["max_tokens"] == 2000
