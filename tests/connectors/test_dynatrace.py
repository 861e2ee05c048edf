"""Dynatrace connector against recorded API v2 payloads: cursor paging and mapping."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from opscontext.capabilities import capabilities_of
from opscontext.models import AlertState, EdgeProvenance, TimeWindow
from opscontext.registry import ConnectorContext, build_http_client
from opscontext_connectors.dynatrace import DynatraceConfig, DynatraceConnector, spec

pytestmark = pytest.mark.anyio

BASE = "https://abc12345.live.dynatrace.com"
DATA = Path(__file__).resolve().parents[2] / "fixtures" / "http" / "dynatrace"
TOKEN = "dt0c01.TESTTOKEN.secret-part"
WINDOW = TimeWindow(since=datetime(2024, 5, 9, 9, 0, tzinfo=UTC), until=datetime(2024, 5, 9, 10, 0, tzinfo=UTC))


def payload(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def by_cursor(first: str, second: str) -> Callable[[httpx.Request], httpx.Response]:
    """Page one without a cursor, page two for the cursor page one handed out."""
    cursor = payload(first)["nextPageKey"]

    def serve(request: httpx.Request) -> httpx.Response:
        key = request.url.params.get("nextPageKey")
        if key is None:
            return httpx.Response(200, json=payload(first))
        assert key == cursor
        return httpx.Response(200, json=payload(second))

    return serve


@pytest.fixture
async def make() -> AsyncIterator[Callable[..., DynatraceConnector]]:
    clients: list[httpx.AsyncClient] = []

    def build(**overrides: Any) -> DynatraceConnector:
        config = DynatraceConfig(type="dynatrace", url=BASE, token=TOKEN, **overrides)
        http = build_http_client(config)
        clients.append(http)
        return DynatraceConnector(ConnectorContext(name="dt", config=config, http=http))

    yield build
    for client in clients:
        await client.aclose()


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        router.get("/api/v2/entities", name="entities").mock(
            side_effect=by_cursor("entities_page1.json", "entities_page2.json")
        )
        router.get("/api/v2/problems", name="problems").mock(
            side_effect=by_cursor("problems_page1.json", "problems_page2.json")
        )
        router.get("/api/v2/events", name="events").respond(json=payload("events.json"))
        yield router


def test_spec_declares_catalog_topology_alerts_and_changes() -> None:
    assert set(capabilities_of(spec.factory)) == {"catalog", "topology", "alerts", "changes"}
    assert DynatraceConfig.model_validate(spec.example).owner_tag == "owner"


async def test_requests_authenticate_with_an_api_token_header(make, api) -> None:
    await make().catalog()
    assert api["entities"].calls[0].request.headers["Authorization"] == f"Api-Token {TOKEN}"


async def test_second_entities_request_carries_only_the_next_page_key(make, api) -> None:
    await make(page_size=2).catalog()
    first, second = (c.request.url.params for c in api["entities"].calls)
    assert first["entitySelector"] == 'type("SERVICE")'
    assert first["fields"] == "+fromRelationships,+toRelationships,+tags,+managementZones"
    assert first["from"] == "now-72h" and first["pageSize"] == "2"
    assert dict(second) == {"nextPageKey": payload("entities_page1.json")["nextPageKey"]}


async def test_catalog_maps_every_service_with_entity_id_alias_and_owner_tag(make, api) -> None:
    snapshot = await make().catalog()
    services = {s.name: s for s in snapshot.services}
    assert set(services) == {"checkout", "payments-api", "ledger-db", "fraud-check"}
    checkout = services["checkout"]
    assert checkout.owner == "payments"
    assert checkout.aliases == ("SERVICE-8F2C1D3E4A5B6C7D",)
    assert checkout.annotations["dynatrace.com/entity-id"] == "SERVICE-8F2C1D3E4A5B6C7D"
    assert checkout.annotations["dynatrace.com/management-zones"] == "production"
    assert set(checkout.tags) == {"owner:payments", "critical"}
    assert services["ledger-db"].owner == "platform"  # tag context does not matter
    assert services["fraud-check"].owner is None
    assert snapshot.teams == () and snapshot.people == ()


async def test_owner_tag_key_is_configurable(make, api) -> None:
    services = {s.name: s for s in (await make(owner_tag="app").catalog()).services}
    assert services["payments-api"].owner == "payments"
    assert services["checkout"].owner is None


async def test_observed_edges_come_from_both_directions_once_each(make, api) -> None:
    edges = await make().edges()
    pairs = sorted((e.dependent, e.dependency) for e in edges)
    assert pairs == [
        ("checkout", "payments-api"),  # seen from both ends, kept once
        ("fraud-check", "payments-api"),  # both ends too, one on each page
        ("payments-api", "ledger-db"),
    ]
    assert {(e.kind, e.provenance) for e in edges} == {("calls", EdgeProvenance.OBSERVED)}


async def test_edges_drop_self_calls_and_callers_that_are_not_services(make, api) -> None:
    edges = await make().edges()
    ends = {e.dependent for e in edges} | {e.dependency for e in edges}
    assert not any(name.startswith("APPLICATION-") for name in ends)
    assert all(e.dependent != e.dependency for e in edges)


async def test_problems_page_with_only_the_cursor_and_keep_the_window(make, api) -> None:
    alerts = await make(problem_selector='managementZones("production")').alerts(WINDOW)
    first, second = (c.request.url.params for c in api["problems"].calls)
    assert first["from"] == str(int(datetime(2024, 5, 8, 9, 0, tzinfo=UTC).timestamp() * 1000))
    assert first["to"] == str(int(WINDOW.until.timestamp() * 1000))
    assert first["problemSelector"] == 'managementZones("production")'
    assert dict(second) == {"nextPageKey": payload("problems_page1.json")["nextPageKey"]}
    assert len(alerts) == 3


async def test_problems_map_to_alerts_with_root_cause_and_state(make, api) -> None:
    alerts = {a.labels["display_id"]: a for a in await make().alerts(WINDOW)}
    failing = alerts["P-24051042"]
    assert failing.fingerprint == "-6004362228644432354_1715247600000V2"
    assert failing.alertname == "Failure rate increase"
    assert failing.service == "payments-api"  # the root cause, not the affected checkout
    assert failing.labels["root_cause_entity"] == "payments-api"
    assert failing.labels["root_cause_entity_id"] == "SERVICE-1B2C3D4E5F607182"
    assert failing.labels["affected_entities"] == "checkout"
    assert failing.severity == "critical" and failing.labels["severity_level"] == "ERROR"
    assert failing.state is AlertState.ACTIVE and failing.ends_at is None
    assert failing.starts_at == datetime(2024, 5, 9, 9, 40, tzinfo=UTC)
    slow = alerts["P-24051038"]
    assert slow.service == "payments-api"  # no root cause: first affected entity
    assert "root_cause_entity" not in slow.labels
    assert slow.state is AlertState.RESOLVED
    assert slow.ends_at == datetime(2024, 5, 9, 8, 25, tzinfo=UTC)
    assert alerts["P-24051040"].severity == "warning"


async def test_deployment_events_become_changes_on_their_entity(make, api) -> None:
    changes = {c.service: c for c in await make().changes(WINDOW)}
    params = api["events"].calls.last.request.url.params
    assert params["eventSelector"] == 'eventType("CUSTOM_DEPLOYMENT")'
    assert params["from"] == str(int(WINDOW.since.timestamp() * 1000))
    checkout = changes["checkout"]
    assert checkout.kind == "deployment" and checkout.version == "2.14.0"
    assert checkout.summary == "Deploy checkout (2.14.0)"
    assert checkout.environment == "production"
    assert checkout.link == "https://ci.example.com/checkout/9012"
    assert checkout.at == datetime(2024, 5, 9, 9, 21, tzinfo=UTC)
    ledger = changes["ledger-db"]
    assert ledger.summary == "Deploy ledger schema v41"  # version already in the title
    assert ledger.link == "https://runbooks.example.com/ledger/rollback"


async def test_check_reads_entity_types_with_a_get(make) -> None:
    with respx.mock(base_url=BASE) as router:
        route = router.get("/api/v2/entityTypes").respond(json=payload("entity_types.json"))
        assert await make().check() == "authenticated; 212 entity types visible"
    assert route.calls.last.request.url.params["pageSize"] == "1"


async def test_a_managed_environment_path_prefix_is_kept(make) -> None:
    managed = "https://dynatrace.example.com/e/0f1e2d3c"
    with respx.mock() as router:
        route = router.get(f"{managed}/api/v2/entityTypes").respond(json=payload("entity_types.json"))
        config = DynatraceConfig(type="dynatrace", url=managed, token=TOKEN)
        async with build_http_client(config) as http:
            connector = DynatraceConnector(ConnectorContext(name="dt", config=config, http=http))
            await connector.check()
    assert route.called
