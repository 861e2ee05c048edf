from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

import opscontext_connectors.servicenow as servicenow
from opscontext.capabilities import capabilities_of
from opscontext.models import AlertState, EdgeProvenance, TimeWindow
from opscontext.registry import ConnectorContext, build_http_client

pytestmark = pytest.mark.anyio

BASE = "https://acme.service-now.com"
PAYLOADS = Path(__file__).resolve().parents[2] / "fixtures" / "http" / "servicenow"
WINDOW = TimeWindow(
    since=datetime(2026, 3, 10, 12, 0, tzinfo=UTC), until=datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
)
# Tables whose answers carry the Table API's Link header; the others behave like an instance
# asked with sysparm_suppress_pagination_header, so offset arithmetic alone must find the end.
LINKED = {"cmdb_ci_service", "sys_user_group"}
RECORDED = {
    "cmdb_ci_service": ["cmdb_ci_service.page1", "cmdb_ci_service.page2"],
    "change_request": ["change_request.page1", "change_request.page2"],
}


def rows(table: str) -> list[Any]:
    out: list[Any] = []
    for name in RECORDED.get(table, [table]):
        out.extend(json.loads((PAYLOADS / f"{name}.json").read_text())["result"])
    return out


def link_header(table: str, offset: int, limit: int, total: int) -> str:
    def url(at: int) -> str:
        return f"<{BASE}/api/now/table/{table}?sysparm_limit={limit}&sysparm_offset={at}>"

    rels = [f'{url(0)};rel="first"']
    if offset + limit < total:
        rels.append(f'{url(offset + limit)};rel="next"')
    rels.append(f'{url(max(total - limit, 0))};rel="last"')
    return ",".join(rels)


def instance(seen: list[httpx.Request]) -> Callable[[httpx.Request], httpx.Response]:
    """Answers like a ServiceNow instance: slices recorded rows by sysparm_offset/limit."""

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/api/now/on_call_rota/whoisoncall":
            return httpx.Response(200, json=json.loads((PAYLOADS / "whoisoncall.json").read_text()))
        table = request.url.path.removeprefix("/api/now/table/")
        everything = rows(table)
        offset = int(request.url.params.get("sysparm_offset", "0"))
        limit = int(request.url.params["sysparm_limit"])
        headers = {"X-Total-Count": str(len(everything))}
        if table in LINKED:
            headers["Link"] = link_header(table, offset, limit, len(everything))
        return httpx.Response(
            200, json={"result": everything[offset : offset + limit]}, headers=headers
        )

    return answer


@pytest.fixture
def make(clients: list[httpx.AsyncClient]) -> Callable[..., Any]:
    def build(**overrides: Any) -> Any:
        raw = {**servicenow.spec.example, "page_size": 2, **overrides}
        config = servicenow.ServiceNowConfig.model_validate(raw)
        http = build_http_client(config)
        clients.append(http)
        return servicenow.ServiceNowConnector(
            ConnectorContext(name="snow", config=config, http=http)
        )

    return build


def calls(seen: list[httpx.Request], path: str) -> list[httpx.Request]:
    return [r for r in seen if r.url.path == path]


def test_the_connector_offers_every_capability_the_brief_names() -> None:
    assert capabilities_of(servicenow.spec.factory) == [
        "catalog",
        "topology",
        "changes",
        "alerts",
        "oncall",
    ]


@respx.mock
async def test_catalog_follows_the_link_header_to_the_last_page(make: Callable[..., Any]) -> None:
    seen: list[httpx.Request] = []
    respx.get(url__startswith=BASE).mock(side_effect=instance(seen))
    snapshot = await make().catalog()
    offsets = [
        r.url.params["sysparm_offset"] for r in calls(seen, "/api/now/table/cmdb_ci_service")
    ]
    assert offsets == ["0", "2"]
    assert {s.name for s in snapshot.services} == {
        "payment-service",
        "checkout-web",
        "ledger",
        "payments-db",
    }


@respx.mock
async def test_catalog_asks_for_display_values_without_links_and_only_used_fields(
    make: Callable[..., Any],
) -> None:
    seen: list[httpx.Request] = []
    respx.get(url__startswith=BASE).mock(side_effect=instance(seen))
    await make(service_query="operational_status=1^install_status=1").catalog()
    first = calls(seen, "/api/now/table/cmdb_ci_service")[0].url.params
    assert first["sysparm_display_value"] == "all"
    assert first["sysparm_exclude_reference_link"] == "true"
    assert first["sysparm_query"] == "operational_status=1^install_status=1"
    fields = first["sysparm_fields"].split(",")
    assert {
        "sys_id",
        "name",
        "support_group",
        "managed_by_group",
        "owned_by",
        "busines_criticality",
    } <= set(fields)
    assert "sys_created_by" not in fields


@respx.mock
async def test_catalog_owner_follows_support_group_then_managed_by_then_the_owners_group(
    make: Callable[..., Any],
) -> None:
    respx.get(url__startswith=BASE).mock(side_effect=instance([]))
    services = {s.name: s for s in (await make().catalog()).services}
    assert services["payment-service"].owner == "payments-team"  # support_group
    assert services["checkout-web"].owner == "platform-sre"  # managed_by_group
    assert services["ledger"].owner == "database-admins"  # owned_by David Loo's group
    pay = services["payment-service"]
    assert (pay.title, pay.tier, pay.lifecycle) == ("Payment Service", "tier-1", "operational")
    assert pay.annotations["servicenow.com/ci-name"] == "Payment Service"
    assert (
        pay.links[0].url
        == f"{BASE}/cmdb_ci_service_discovered.do?sys_id=3a70f789c0a8ce010091b0ea635b982a"
    )
    assert services["payments-db"].tier is None


@respx.mock
async def test_owner_field_order_is_configurable(make: Callable[..., Any]) -> None:
    respx.get(url__startswith=BASE).mock(side_effect=instance([]))
    snapshot = await make(owner_fields=["managed_by_group", "support_group"]).catalog()
    assert {s.name: s.owner for s in snapshot.services}["payment-service"] == "platform-sre"


@respx.mock
async def test_catalog_teams_list_members_and_people_carry_contacts(
    make: Callable[..., Any],
) -> None:
    respx.get(url__startswith=BASE).mock(side_effect=instance([]))
    snapshot = await make().catalog()
    teams = {t.name: t for t in snapshot.teams}
    assert teams["payments-team"].members == ("abel.tuter", "beth.anglin")
    assert teams["payments-team"].email == "payments@example.com"
    assert teams["database-admins"].parent == "platform-sre"
    people = {p.name: p for p in snapshot.people}
    assert people["abel.tuter"].display_name == "Abel Tuter"
    assert people["abel.tuter"].phone == "+1 555 0101"
    assert people["beth.anglin"].phone is None
    assert all(p.source == "snow" for p in snapshot.people)


@respx.mock
async def test_edges_map_dependency_types_between_catalog_cis_only(
    make: Callable[..., Any],
) -> None:
    seen: list[httpx.Request] = []
    respx.get(url__startswith=BASE).mock(side_effect=instance(seen))
    edges = await make().edges()
    pairs = {(e.dependent, e.dependency) for e in edges}
    assert pairs == {
        ("Checkout Web", "Payment Service"),
        ("Payment Service", "payments-db"),
        ("Payment Service", "Ledger"),
    }
    assert all(e.provenance is EdgeProvenance.DECLARED for e in edges)
    query = calls(seen, "/api/now/table/cmdb_rel_ci")[0].url.params["sysparm_query"]
    assert query.startswith("type.nameINDepends on::Used by,")


@respx.mock
async def test_edges_may_reach_cis_outside_the_catalog_tables(make: Callable[..., Any]) -> None:
    seen: list[httpx.Request] = []
    respx.get(url__startswith=BASE).mock(side_effect=instance(seen))
    edges = await make(relations_between_services_only=False).edges()
    assert ("Checkout Web", "Email Relay") in {(e.dependent, e.dependency) for e in edges}
    assert not calls(seen, "/api/now/table/cmdb_ci_service")


@respx.mock
async def test_changes_use_the_actual_start_else_the_planned_one_in_utc(
    make: Callable[..., Any],
) -> None:
    seen: list[httpx.Request] = []
    respx.get(url__startswith=BASE).mock(side_effect=instance(seen))
    changes = {c.id: c for c in await make().changes(WINDOW)}
    assert set(changes) == {"CHG0040007", "CHG0040008", "CHG0040009"}  # CHG0040010 has no dates
    upgrade = changes["CHG0040007"]
    assert upgrade.at == datetime(2026, 3, 10, 13, 5, tzinfo=UTC)  # work_start's raw UTC value
    assert upgrade.service == "Payment Service"
    assert upgrade.author == "Abel Tuter"
    assert upgrade.link == f"{BASE}/change_request.do?sys_id=c286d61347c12200e0ef563dbb9a71df"
    assert "Implement" in upgrade.summary
    assert changes["CHG0040008"].at == datetime(2026, 3, 10, 14, 30, tzinfo=UTC)  # planned start
    assert changes["CHG0040008"].author == "Beth Anglin"  # requested_by when nobody is assigned


@respx.mock
async def test_changes_query_the_window_and_page_by_offset_without_a_link_header(
    make: Callable[..., Any],
) -> None:
    seen: list[httpx.Request] = []
    respx.get(url__startswith=BASE).mock(side_effect=instance(seen))
    await make(change_query="cmdb_ciISNOTEMPTY").changes(WINDOW)
    pages = calls(seen, "/api/now/table/change_request")
    assert [r.url.params["sysparm_offset"] for r in pages] == ["0", "2", "4"]
    query = pages[0].url.params["sysparm_query"]
    actual, planned = query.split("^NQ")
    assert (
        actual
        == "work_start>=2026-03-10 12:00:00^work_start<=2026-03-10 15:00:00^cmdb_ciISNOTEMPTY"
    )
    assert planned.startswith("work_startISEMPTY^start_date>=2026-03-10 12:00:00")
    assert planned.endswith("^cmdb_ciISNOTEMPTY")


@respx.mock
async def test_alerts_are_open_or_recently_resolved_incidents_on_cis(
    make: Callable[..., Any],
) -> None:
    seen: list[httpx.Request] = []
    respx.get(url__startswith=BASE).mock(side_effect=instance(seen))
    alerts = {a.labels["number"]: a for a in await make().alerts(WINDOW)}
    assert set(alerts) == {"INC0010012", "INC0010013"}  # INC0010014 has no opened_at
    auth = alerts["INC0010012"]
    assert (auth.alertname, auth.service, auth.severity) == (
        "ServiceNowIncident",
        "Payment Service",
        "critical",
    )
    assert auth.fingerprint == "ed92e8d173d023002728660c4cf6a7bc"
    assert auth.starts_at == datetime(2026, 3, 10, 13, 20, tzinfo=UTC)
    assert (auth.state, auth.ends_at) == (AlertState.ACTIVE, None)
    slow = alerts["INC0010013"]
    assert (slow.severity, slow.state) == ("warning", AlertState.RESOLVED)
    assert slow.ends_at == datetime(2026, 3, 10, 13, 40, tzinfo=UTC)
    query = calls(seen, "/api/now/table/incident")[0].url.params["sysparm_query"]
    assert "active=true" in query.split("^NQ")[0]
    assert "resolved_at>=2026-03-10 12:00:00" in query.split("^NQ")[1]


@respx.mock
async def test_on_call_names_each_person_with_level_rota_and_team(make: Callable[..., Any]) -> None:
    seen: list[httpx.Request] = []
    respx.get(url__startswith=BASE).mock(side_effect=instance(seen))
    at = datetime(2026, 3, 10, 13, 30, tzinfo=UTC)
    shifts = {s.person: s for s in await make().on_call(at)}
    assert set(shifts) == {"Abel Tuter", "Beth Anglin", "Charlie Whitherspoon"}
    beth = shifts["Beth Anglin"]
    assert (beth.level, beth.team, beth.schedule) == (2, "payments-team", "Payments Primary")
    assert beth.email == "beth.anglin@example.com"
    assert shifts["Charlie Whitherspoon"].schedule == "SRE 24x7"
    assert all(s.start <= at < s.end for s in shifts.values())
    # whoisoncall says who, not until when: the shift must not claim a handover time.
    assert not any(s.end_known for s in shifts.values())
    asked = calls(seen, "/api/now/on_call_rota/whoisoncall")[0].url.params
    assert asked["date_time"] == "2026-03-10 13:30:00"
    assert "0a52d3dcd7011200f2d224837e6103f2" in asked["group_ids"].split(",")


@respx.mock
async def test_check_counts_visible_groups_with_one_small_request(make: Callable[..., Any]) -> None:
    seen: list[httpx.Request] = []
    respx.get(url__startswith=BASE).mock(side_effect=instance(seen))
    answer = await make().check()
    assert "3 groups visible" in answer
    assert len(seen) == 1 and seen[0].url.params["sysparm_limit"] == "1"
