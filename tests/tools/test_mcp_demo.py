"""The tools through a real MCP client session against the demo world."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

pytestmark = pytest.mark.anyio
DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
TOOLS = {
    "who_owns", "what_changed", "blast_radius", "get_runbook", "correlate_alerts", "service_health", "incident_context"
}


async def ok(client: Client, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, args)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


async def error_text(client: Client, tool: str, args: dict[str, Any]) -> str:
    result = await client.call_tool(tool, args)
    assert result.is_error, f"{tool}{args} should have failed"
    return " ".join(getattr(c, "text", "") for c in result.content)


async def test_exactly_the_six_tools_are_listed_with_schemas_and_read_only(demo: Client) -> None:
    tools = (await demo.list_tools()).tools
    assert {t.name for t in tools} == TOOLS
    for t in tools:
        assert t.input_schema["type"] == "object"
        assert t.output_schema is not None and "sources" in t.output_schema["properties"]
        assert t.annotations is not None and t.annotations.read_only_hint is True
        assert t.description and len(t.description) > 60


async def test_who_owns_names_team_on_call_and_escalation_thresholds(demo: Client) -> None:
    answer = await ok(demo, "who_owns", {"service": "payment-service"})
    assert answer["service"]["name"] == "payment-service"
    assert answer["owner"]["team"]
    assert answer["owner"]["chat_channel"].startswith("#")
    assert answer["on_call"], "someone is always on call in the demo world"
    assert answer["on_call"][0]["level"] == 1
    thresholds = [s["after_minutes"] for s in answer["escalation"]]
    assert thresholds == sorted(thresholds) and 15 in thresholds
    assert all(s["state"] == "ok" for s in answer["sources"])


async def test_who_owns_accepts_other_spellings_of_a_service(demo: Client) -> None:
    answer = await ok(demo, "who_owns", {"service": "Payment Service"})
    assert answer["service"]["name"] == "payment-service"


async def test_what_changed_finds_the_deploy_just_before_the_incident(demo: Client) -> None:
    answer = await ok(demo, "what_changed", {"service": "payment-service", "since": "2h"})
    kinds = [(c["service"], c["kind"]) for c in answer["changes"]]
    assert ("payment-service", "deployment") in kinds
    times = [c["at"] for c in answer["changes"]]
    assert times == sorted(times, reverse=True), "newest first"


async def test_what_changed_without_arguments_covers_the_last_day(demo: Client) -> None:
    answer = await ok(demo, "what_changed", {})
    assert answer["total"] >= 5
    assert answer["total"] == len(answer["changes"]) + answer["omitted"]


async def test_blast_radius_reports_dependents_paths_and_a_diagram(demo: Client) -> None:
    answer = await ok(demo, "blast_radius", {"service": "payment-service"})
    assert answer["impacted_total"] >= 2
    first = answer["impacted"][0]
    assert first["distance"] == 1 and first["path"][-1] == "payment-service"
    assert answer["diagram"].startswith(("flowchart", "graph"))


async def test_blast_radius_takes_the_limit_its_note_tells_the_model_to_raise(demo: Client) -> None:
    full = await ok(demo, "blast_radius", {"service": "payments-db"})
    cut = await ok(demo, "blast_radius", {"service": "payments-db", "limit": 2})
    assert full["impacted_total"] > 2
    assert len(cut["impacted"]) == 2
    assert cut["impacted_total"] == full["impacted_total"]
    assert cut["impacted_omitted"] == full["impacted_total"] - 2
    assert any("raise `limit`" in note for note in cut["notes"])
    assert (await demo.call_tool("blast_radius", {"service": "payments-db", "limit": 0})).is_error


async def test_get_runbook_ranks_the_services_runbook_first_with_a_section(demo: Client) -> None:
    answer = await ok(demo, "get_runbook", {"service": "payment-service", "query": "bad deploy rollback"})
    top = answer["runbooks"][0]
    assert "payment-service" in top["services"]
    assert top["excerpt"] and top["section"]


async def test_correlate_alerts_names_every_root_cause_and_keeps_noise_out(demo: Client) -> None:
    truth = json.loads((DEMO / "ground_truth.json").read_text())
    answer = await ok(demo, "correlate_alerts", {})
    assert answer["alerts_in"] >= 150
    primaries = {g["primary_contributor"] for g in answer["groups"]}
    roots = {cause["service"] for cause in truth["root_causes"]}
    assert roots <= primaries
    noise = set(truth.get("noise_fingerprints", []))
    for g in answer["groups"]:
        if g["primary_contributor"] in roots:
            assert not noise & set(g["fingerprints"]), f"noise leaked into {g['primary_contributor']}"
            assert 0 < g["confidence"] <= 1
            # The summary says why the primary leads; evidence cut to fit the budget is counted.
            assert f"{g['primary_contributor']} is the primary contributor (" in g["summary"]
            top = g["candidates"][0]
            assert top["evidence"] or top["evidence_omitted"] > 0


@pytest.mark.parametrize(
    ("tool", "args", "needle"),
    [
        ("who_owns", {"service": "paymnt-servce"}, "Did you mean"),
        ("who_owns", {"service": ""}, "service name"),
        ("what_changed", {"since": "1h", "until": "2h"}, "swap"),
        ("what_changed", {"since": "900d"}, "limit"),
        ("what_changed", {"since": "last tuesday"}, "ISO 8601"),
        ("blast_radius", {"service": "payment-service", "max_depth": 0}, "max_depth"),
        ("blast_radius", {"service": "nope-not-here"}, "Unknown service"),
        ("get_runbook", {}, "at least one"),
        ("blast_radius", {"service": "orders-db", "tier": "nope"}, "Known tiers"),
        ("correlate_alerts", {"since": "2026-99-99"}, "ISO 8601"),
    ],
)
async def test_bad_input_gets_a_clear_error(demo: Client, tool: str, args: dict[str, Any], needle: str) -> None:
    text = await error_text(demo, tool, args)
    assert needle in text
    assert "Traceback" not in text


async def test_correlation_reports_progress_to_the_client(demo: Client) -> None:
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))

    result = await demo.call_tool("correlate_alerts", {}, progress_callback=on_progress)
    assert not result.is_error
    # The server may still be loading its files at the first call; those steps come in the same count.
    steps = [p for p, _, _ in seen]
    assert steps == sorted(set(steps)), "progress rises with every notification"
    own = [m for _, _, m in seen if m and "background load" not in m]
    assert len(own) == 3 and own[0].startswith("fetching alerts") and "groups" in own[-1]


async def test_a_blank_service_filter_means_no_filter(demo: Client) -> None:
    answer = await ok(demo, "what_changed", {"service": "  "})
    assert answer["service"] is None and answer["total"] >= 1


async def test_an_unexpected_failure_names_the_tool_not_the_python_function() -> None:
    from opscontext.server import _guarded

    async def boom() -> None:
        raise RuntimeError("secret internals")

    from mcp.server.mcpserver.exceptions import ToolError

    with pytest.raises(ToolError) as info:
        await _guarded(boom, "who_owns")()
    assert str(info.value).startswith("who_owns hit an internal error")
    assert "secret internals" not in str(info.value)
