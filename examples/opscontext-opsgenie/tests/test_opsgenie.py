"""The Opsgenie connector against Opsgenie's documented answers: requests, mapping and failures."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from opscontext.errors import SourceAuthError, SourceDataError, SourceNotFoundError
from opscontext.registry import Registry

from opscontext_opsgenie import OpsgenieOnCall, spec

from opsgenie_answers import NOW, PAYLOADS, opsgenie

pytestmark = pytest.mark.anyio
KEY = "og-test-key-0f3e9a"


@pytest.fixture
async def connect() -> AsyncIterator[Callable[..., OpsgenieOnCall]]:
    registries: list[Registry] = []

    def build(transport: httpx.AsyncBaseTransport, **config: Any) -> OpsgenieOnCall:
        table = {"type": "opsgenie", "token": KEY, "max_retries": 0, **config}
        registry = Registry.build({"opsgenie": table}, specs={"opsgenie": spec}, transport=transport)
        registries.append(registry)
        connector = registry.instances[0].connector
        assert isinstance(connector, OpsgenieOnCall)
        return connector

    yield build
    for registry in registries:
        await registry.aclose()


async def test_each_enabled_schedule_is_asked_who_is_on_call_at_the_instant(connect: Any) -> None:
    seen: list[httpx.Request] = []
    await connect(opsgenie(seen)).on_call(NOW)
    assert [r.url.path for r in seen] == [
        "/v2/schedules",
        "/v2/schedules/4f0c7b52-2f8e-4d3c-9a61-0d5e9b7c1a01/on-calls",
        "/v2/schedules/7c1e9d84-6a3b-4e25-b0f7-3d8a5c2e9b02/on-calls",
    ]  # not the disabled "Legacy Billing"
    asked = seen[1].url.params
    assert (asked["flat"], asked["scheduleIdentifierType"], asked["date"]) == ("true", "id", "2026-03-10T14:00:00Z")
    assert all(r.headers["Authorization"] == f"GenieKey {KEY}" for r in seen)


async def test_people_on_call_are_shifts_of_the_schedules_owner_team_with_no_known_end(connect: Any) -> None:
    shifts = await connect(opsgenie()).on_call(NOW)
    rows = [(s.person, s.email, s.team, s.schedule, s.level) for s in shifts]
    assert rows == [
        ("dana.reyes@larkspur.example", "dana.reyes@larkspur.example", "Payments", "Payments Primary", 1),
        ("priya.natarajan@larkspur.example", "priya.natarajan@larkspur.example", "Payments", "Payments Primary", 1),
        ("tomas.novak@larkspur.example", "tomas.novak@larkspur.example", "Checkout", "Checkout On-Call", 1),
    ]
    assert all(s.start == NOW and s.end > NOW and not s.end_known and s.source == "opsgenie" for s in shifts)


async def test_configured_schedules_are_the_only_ones_asked_matched_without_case(connect: Any) -> None:
    seen: list[httpx.Request] = []
    shifts = await connect(opsgenie(seen), schedules=["checkout on-call"]).on_call(NOW)
    assert {s.schedule for s in shifts} == {"Checkout On-Call"}
    assert len(seen) == 2


async def test_a_configured_schedule_that_does_not_exist_is_named(connect: Any) -> None:
    with pytest.raises(SourceNotFoundError, match="no enabled schedule named 'Legacy Billing', 'Nope'"):
        await connect(opsgenie(), schedules=["Legacy Billing", "Nope"]).on_call(NOW)


async def test_a_key_without_access_to_a_schedule_is_an_auth_error(connect: Any) -> None:
    forbidden = (PAYLOADS / "error-403.json").read_bytes()

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/on-calls"):
            return httpx.Response(403, content=forbidden, headers={"Content-Type": "application/json"})
        return opsgenie().handle_request(request)

    with pytest.raises(SourceAuthError, match="403") as info:
        await connect(httpx.MockTransport(answer)).on_call(NOW)
    assert info.value.instance == "opsgenie"


async def test_an_answer_in_another_shape_names_the_path_and_the_field(connect: Any) -> None:
    broken = json.loads((PAYLOADS / "schedules.json").read_text())
    del broken["data"][0]["name"]
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=broken))
    with pytest.raises(SourceDataError, match=r"/v2/schedules answered in an unexpected shape \(data.0.name"):
        await connect(transport).on_call(NOW)


async def test_doctor_check_lists_the_schedules_it_will_ask(connect: Any) -> None:
    line = await connect(opsgenie()).check()
    assert line == "authenticated; 2 schedule(s) to ask: Payments Primary, Checkout On-Call"
