"""Every tool's default answer on the demo world fits 2,000 o200k tokens (issue 9), every cut
says how much it left out, and the rest is reachable: group members by group_id and cursor,
further groups and older changes by cursor, longer lists by limit."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from mcp import Client

from evalkit.tokens import as_text, count_json
from opscontext.budget import estimate
from opscontext.cache import MemoryCache
from opscontext.server import build_server
from opscontext.settings import Settings

pytestmark = pytest.mark.anyio
BUDGET = 2_000
ANCHOR = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)  # the demo's time_anchor
DEFAULT_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("who_owns", {"service": "payment-service"}),
    ("who_owns", {"service": "api-gateway"}),
    ("what_changed", {}),
    ("what_changed", {"since": "7d"}),
    ("what_changed", {"service": "checkout-service", "since": "7d"}),
    ("blast_radius", {"service": "payments-db"}),
    ("blast_radius", {"service": "core-postgres"}),
    ("blast_radius", {"service": "events-kafka"}),
    ("get_runbook", {"service": "payment-service"}),
    ("get_runbook", {"query": "latency errors rollback deploy database"}),
    ("correlate_alerts", {}),
    ("correlate_alerts", {"since": "7d"}),
    ("correlate_alerts", {"service": "checkout-service"}),
    ("service_health", {}),
    ("service_health", {"service": "checkout-service"}),
    ("incident_context", {"subject": "checkout-service"}),
    ("incident_context", {"subject": "orders-db"}),
]


async def ok(client: Client, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, args)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


def at_anchor() -> datetime:
    """One clock for both servers: group ids (from alert times) then match between them."""
    return ANCHOR


@pytest.fixture
async def demo(demo_settings: Settings) -> AsyncIterator[Client]:
    async with Client(build_server(demo_settings, cache=MemoryCache(), clock=at_anchor)) as client:
        yield client


@pytest.fixture
async def roomy(demo_settings: Settings) -> AsyncIterator[Client]:
    """The demo with a budget no answer reaches: the answers as they were before budgets."""
    settings = demo_settings.model_copy(update={"limits": demo_settings.limits.model_copy(
        update={"answer_tokens": 100_000})})
    async with Client(build_server(settings, cache=MemoryCache(), clock=at_anchor)) as client:
        yield client


async def every_group(client: Client, args: dict[str, Any]) -> list[dict[str, Any]]:
    """Every group of a correlation, paged through by cursor (a page lists at most twenty)."""
    answer = await ok(client, "correlate_alerts", args)
    groups = list(answer["groups"])
    while "next_cursor" in answer:
        answer = await ok(client, "correlate_alerts", {"cursor": answer["next_cursor"]})
        groups += answer["groups"]
    return groups


@pytest.mark.parametrize(("tool", "args"), DEFAULT_CALLS)
async def test_each_default_answer_fits_the_budget_and_its_text_is_the_same_compact_json(
    demo: Client, tool: str, args: dict[str, Any]
) -> None:
    result = await demo.call_tool(tool, args)
    assert not result.is_error, result.content
    tokens = count_json(result.structured_content)
    assert tokens <= BUDGET, f"{tool} {args}: {tokens} tokens"
    text = " ".join(getattr(c, "text", "") for c in result.content)
    assert count_json(result.structured_content) == count_json(json.loads(text))
    assert "\n" not in text, "the text copy is compact, not indented"


@pytest.mark.parametrize(("tool", "args"), DEFAULT_CALLS)
async def test_the_runtime_estimate_errs_high_but_not_by_much(roomy: Client, tool: str, args: dict[str, Any]) -> None:
    answer = await ok(roomy, tool, args)
    exact = count_json(answer)
    guess = estimate(as_text(answer))
    assert exact <= guess <= exact * 1.25 + 10, f"{tool} {args}: estimate {guess} for {exact} o200k tokens"


async def test_an_answer_that_fits_whole_is_not_cut(roomy: Client, demo: Client) -> None:
    whole = await ok(roomy, "correlate_alerts", {"since": "7d"})
    assert not any(k.endswith("_omitted") and v for g in whole["groups"] for k, v in g.items())
    small = await ok(demo, "get_runbook", {"service": "payment-service"})
    assert small == await ok(roomy, "get_runbook", {"service": "payment-service"})


async def test_correlation_cuts_say_how_much_and_every_member_is_reachable_by_group_id(
    demo: Client, roomy: Client
) -> None:
    full = {g["id"]: g for g in await every_group(roomy, {})}
    answer = await ok(demo, "correlate_alerts", {})
    assert answer["groups_omitted"] == len(full) - len(answer["groups"]) > 0
    assert any("correlate_alerts(cursor=next_cursor)" in n for n in answer["notes"])
    window = {"since": answer["since"], "until": answer["until"]}
    for shown in answer["groups"]:
        whole = full[shown["id"]]  # the same id for the same alerts
        assert shown["fingerprints"] == whole["fingerprints"][: len(shown["fingerprints"])]
        assert len(shown["fingerprints"]) + shown.get("fingerprints_omitted", 0) == len(whole["fingerprints"])
        assert len(shown["services"]) + shown.get("services_omitted", 0) == len(whole["services"])
        assert [c["service"] for c in shown["candidates"]] == [c["service"] for c in whole["candidates"]]
        pages, members = 0, {"fingerprints": [], "services": [], "impacted_services": []}
        args: dict[str, Any] = {"group_id": shown["id"], **window}
        while True:
            page = await demo.call_tool("correlate_alerts", args)
            assert not page.is_error, page.content
            assert count_json(page.structured_content) <= BUDGET
            data = page.structured_content or {}
            pages += 1
            for key in members:
                members[key] += data["groups"][0][key]
            if "next_cursor" not in data:
                break
            args = {"group_id": shown["id"], "cursor": data["next_cursor"]}
        assert members == {k: whole[k] for k in members}, f"{shown['id']}: paging lost or repeated members"
        assert data["groups"][0]["candidates"] == whole["candidates"], "a page carries all the evidence"


async def test_groups_page_on_by_cursor_until_every_group_was_seen(demo: Client, roomy: Client) -> None:
    everything = [g["id"] for g in await every_group(roomy, {"since": "7d"})]
    seen: list[str] = []
    answer = await ok(demo, "correlate_alerts", {"since": "7d"})
    while True:
        seen += [g["id"] for g in answer["groups"]]
        if "next_cursor" not in answer:
            break
        answer = await ok(demo, "correlate_alerts", {"cursor": answer["next_cursor"]})
    assert seen == everything


async def test_older_changes_page_by_cursor_and_an_explicit_limit_is_honoured(demo: Client) -> None:
    first = await ok(demo, "what_changed", {"since": "7d"})
    changes, answer = list(first["changes"]), first
    while "next_cursor" in answer:
        answer = await ok(demo, "what_changed", {"cursor": answer["next_cursor"]})
        changes += answer["changes"]
    assert len(changes) == first["total"] > len(first["changes"])
    assert [c["at"] for c in changes] == sorted((c["at"] for c in changes), reverse=True)
    everything = await ok(demo, "what_changed", {"since": "7d", "limit": 500})
    assert everything["changes"] == changes and everything["omitted"] == 0


async def test_blast_radius_and_runbooks_take_an_explicit_limit_past_the_budget(demo: Client) -> None:
    cut = await ok(demo, "blast_radius", {"service": "core-postgres"})
    wide = await ok(demo, "blast_radius", {"service": "core-postgres", "limit": 200})
    assert len(wide["impacted"]) == wide["impacted_total"] >= len(cut["impacted"])
    one = await ok(demo, "get_runbook", {"query": "latency errors rollback deploy database", "limit": 1})
    assert len(one["runbooks"]) == 1 and one["omitted"] > 0
    assert any("raise `limit`" in n for n in one["notes"])


async def test_a_forged_cursor_asks_for_no_more_than_since_and_until_may(demo: Client) -> None:
    for tool in ("correlate_alerts", "what_changed"):
        for cursor in (f"{tool}|-62135596800|253402300799|o0", f"{tool}|0|253402300799|o0"):
            result = await demo.call_tool(tool, {"cursor": cursor})
            text = " ".join(getattr(c, "text", "") for c in result.content)
            assert result.is_error and "outside 1970" in text and "internal error" not in text
        result = await demo.call_tool(tool, {"cursor": f"{tool}|1773140000|1773150000|o²"})
        assert result.is_error and "damaged" in " ".join(getattr(c, "text", "") for c in result.content)


async def test_a_cursor_past_the_end_says_so_instead_of_numbering_nothing(demo: Client) -> None:
    first = await ok(demo, "what_changed", {"since": "7d"})
    late = first["next_cursor"].rsplit("|o", 1)[0] + "|o999999999"
    answer = await ok(demo, "what_changed", {"cursor": late})
    assert answer["changes"] == [] and not any("1000000000-" in n for n in answer["notes"])
    assert any(f"past the end: there are {first['total']} now" in n for n in answer["notes"])


@pytest.mark.parametrize(("args", "needle"), [
    ({"cursor": "garbage"}, "pass an answer's `next_cursor` back unchanged"),
    ({"cursor": "what_changed|1|2|o3"}, "not one correlate_alerts handed out"),
    ({"group_id": "grp-000000000000"}, "No group 'grp-000000000000' among the alerts"),
])
async def test_a_bad_cursor_or_unknown_group_gets_an_error_that_says_what_to_do(
    demo: Client, args: dict[str, Any], needle: str
) -> None:
    result = await demo.call_tool("correlate_alerts", args)
    assert result.is_error
    assert needle in " ".join(getattr(c, "text", "") for c in result.content)
