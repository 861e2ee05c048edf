"""Live connectors, end to end: several sources at once through a real MCP client session.

The world is the demo's Backstage catalog, Alertmanager snapshots, CDEvents and runbooks (files),
plus two live vendors answering over HTTP: Prometheus (observed service-graph traffic between demo
services) and PagerDuty (on-call, escalation, incidents, change events, its own services).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from mcp import Client

from opscontext.settings import Settings

from .conftest import SOURCE_TIMEOUT, TTL
from .vendors import DECLARED_AND_OBSERVED, FAILURES, OBSERVED_ONLY, Mode, Vendors

pytestmark = pytest.mark.anyio

CALLS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("blast_radius", {"service": "payment-service"}),
    ("correlate_alerts", {}),
    ("who_owns", {"service": "payment-service"}),
    ("what_changed", {"service": "payment-service", "since": "2h"}),
    ("get_runbook", {"service": "payment-service"}),
)
# What a person reading `detail` learns about each way a vendor fails.
DETAIL: dict[Mode, tuple[str, ...]] = {
    "down": ("cannot reach", "ConnectError"),
    "slow": (f"no answer within {SOURCE_TIMEOUT:g} s",),
    "rate-limited": ("HTTP 429",),
    "garbage": ("did not return JSON",),
}


async def answer(client: Client, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, args)
    assert not result.is_error, f"{tool} failed: {result.content}"
    data: dict[str, Any] | None = result.structured_content
    assert data is not None
    return data


def states(data: dict[str, Any], source: str) -> set[str]:
    return {s["state"] for s in data["sources"] if s["source"] == source}


def answered_from_the_rest(tool: str, data: dict[str, Any]) -> None:
    """The part of each answer the demo files alone can give is there."""
    if tool == "blast_radius":
        assert {i["service"] for i in data["impacted"]} >= {"checkout-service", "refund-worker", "web-storefront"}
    elif tool == "correlate_alerts":
        assert data["alerts_in"] >= 200 and data["groups"]  # the demo's Alertmanager snapshots
    elif tool == "who_owns":
        assert data["owner"]["team"] == "payments"
    elif tool == "what_changed":
        assert ("payment-service", "deployment") in {(c["service"], c["kind"]) for c in data["changes"]}
    else:
        assert data["runbooks"][0]["location"].startswith("payment-service.md")


async def test_blast_radius_merges_declared_and_observed_topology_with_provenance(
    world: Callable[..., Settings], connect: Callable[[Settings], Client]
) -> None:
    async with connect(world()) as client:
        data = await answer(client, "blast_radius", {"service": "payment-service"})
    via = {i["service"]: i["via_provenance"] for i in data["impacted"]}
    assert via["checkout-service"] == "both"  # the catalog declares it and traffic confirms it
    assert via["api-gateway"] == "both"  # two hops, each declared and observed
    assert via["fulfillment-worker"] == "observed"  # only traffic knows this caller
    assert via["refund-worker"] == "declared"  # the catalog says so; no traffic seen
    assert "feature-flags-service" in {d["service"] for d in data["depends_on"]}
    drift = {(e["dependent"], e["dependency"]) for e in data["observed_only_edges"]}
    assert drift == OBSERVED_ONLY and not drift & DECLARED_AND_OBSERVED
    assert data["observed_only_edges_total"] == len(OBSERVED_ONLY)
    assert {e["kind"] for e in data["observed_only_edges"]} == {"calls"}
    assert {(s["source"], s["capability"]) for s in data["sources"]} >= {
        ("catalog", "topology"),
        ("traffic", "topology"),
        ("pagerduty", "topology"),
    }
    assert {s["state"] for s in data["sources"]} == {"ok"}


async def test_every_tool_answers_from_all_sources_when_every_vendor_is_up(
    world: Callable[..., Settings], connect: Callable[[Settings], Client]
) -> None:
    async with connect(world()) as client:
        for tool, args in CALLS:
            data = await answer(client, tool, args)
            assert {s["state"] for s in data["sources"]} == {"ok"}, data["sources"]
            answered_from_the_rest(tool, data)
        owner = await answer(client, "who_owns", {"service": "payment-service"})
    assert owner["escalation_policy"] == "Payments On-Call"  # PagerDuty's, via the payments-api alias
    assert [s["after_minutes"] for s in owner["escalation"]][:2] == [0, 15]
    assert [(o["person"], o["source"]) for o in owner["on_call"]] == [("Ben Okafor", "pagerduty")]


def assert_degraded(instance: str, mode: Mode, tool: str, data: dict[str, Any]) -> None:
    """The failing vendor is named with a useful reason; everything else answered."""
    mine = [s for s in data["sources"] if s["source"] == instance]
    assert mine, f"{tool} did not list {instance}"  # every tool builds the world it asks
    for status in mine:
        assert status["state"] == "failed", status
        assert all(words in status["detail"] for words in DETAIL[mode]), status["detail"]
    assert {s["state"] for s in data["sources"] if s["source"] != instance} == {"ok"}
    assert any(f" source '{instance}' (" in note for note in data["notes"]), data["notes"]
    assert any(" could not be read" in note for note in data["notes"]), "a failure says what is missing"
    answered_from_the_rest(tool, data)
    if instance == "traffic" and tool == "blast_radius":
        assert data["observed_only_edges"] == []  # no traffic, no drift: declared edges only
        assert {i["via_provenance"] for i in data["impacted"]} == {"declared"}
    if instance == "pagerduty" and tool == "who_owns":
        assert data["on_call"] == [] and data["escalation"] == []  # only PagerDuty knew them


@pytest.mark.parametrize("mode", FAILURES)
@pytest.mark.parametrize("instance", ["pagerduty", "traffic"])
async def test_a_failing_vendor_is_named_while_every_tool_answers_and_it_recovers_without_restart(
    instance: str,
    mode: Mode,
    world: Callable[..., Settings],
    connect: Callable[[Settings], Client],
    vendors: Vendors,
) -> None:
    vendor = vendors.by_instance(instance)
    vendor.mode = mode
    # One retry, honouring Retry-After: 0, shows a rate limit is retried before it is reported.
    settings = world(max_retries=1 if mode == "rate-limited" else 0)
    async with connect(settings) as client:
        for tool, args in CALLS:
            assert_degraded(instance, mode, tool, await answer(client, tool, args))
        if mode == "rate-limited":
            assert vendor.hits and all(n % 2 == 0 for n in vendor.hits.values()), vendor.hits

        vendor.mode = "ok"  # the vendor comes back; the same server session must notice at once
        for tool, args in CALLS:
            data = await answer(client, tool, args)
            assert {s["state"] for s in data["sources"]} == {"ok"}, (tool, data["sources"])
            answered_from_the_rest(tool, data)
        blast = await answer(client, "blast_radius", {"service": "payment-service"})
    assert {(e["dependent"], e["dependency"]) for e in blast["observed_only_edges"]} == OBSERVED_ONLY
    assert states(blast, instance) == {"ok"}


async def test_a_vendor_that_dies_after_answering_is_served_stale_with_age_and_reason_then_recovers(
    world: Callable[..., Settings], connect: Callable[[Settings], Client], vendors: Vendors
) -> None:
    async with connect(world()) as client:
        await answer(client, "who_owns", {"service": "payment-service"})
        vendors.pagerduty.mode = "down"
        await asyncio.sleep(TTL * 1.5)  # past every TTL: the hub must ask PagerDuty again
        owner = await answer(client, "who_owns", {"service": "payment-service"})
        windowed = {s["capability"]: s for s in owner["sources"] if s["source"] == "pagerduty"}
        for capability in ("oncall", "alerts"):
            status = windowed[capability]
            assert status["state"] == "stale", status
            assert status["age_seconds"] >= TTL and "cannot reach" in status["detail"]
        # The last good on-call answer is still shown, and the notes say how old it is.
        assert [o["person"] for o in owner["on_call"]] == ["Ben Okafor"]
        assert any("'pagerduty' (pagerduty) failed" in n and "served from its data of" in n for n in owner["notes"])

        vendors.pagerduty.mode = "ok"
        await asyncio.sleep(TTL * 1.5)
        owner = await answer(client, "who_owns", {"service": "payment-service"})
    assert {s["state"] for s in owner["sources"]} == {"ok"}
    assert all(s["age_seconds"] < TTL for s in owner["sources"] if s["capability"] in ("oncall", "alerts"))


async def test_bulk_data_of_a_dead_vendor_turns_stale_with_the_reason_once_its_refresh_failed(
    world: Callable[..., Settings], connect: Callable[[Settings], Client], vendors: Vendors
) -> None:
    async with connect(world()) as client:
        await answer(client, "who_owns", {"service": "payment-service"})
        vendors.pagerduty.mode = "down"
        await asyncio.sleep(TTL * 1.5)
        await answer(client, "who_owns", {"service": "payment-service"})  # refresh starts, fails
        await asyncio.sleep(0.1)
        owner = await answer(client, "who_owns", {"service": "payment-service"})
    bulk = {s["capability"]: s for s in owner["sources"] if s["source"] == "pagerduty"}
    for capability in ("catalog", "topology", "escalation"):
        assert bulk[capability]["state"] == "stale", bulk[capability]
        assert "cannot reach" in (bulk[capability]["detail"] or "")
