"""PagerDuty connector against recorded REST API v2 payloads: paging and mapping."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from opscontext.capabilities import capabilities_of
from opscontext.models import AlertState, EdgeProvenance, TimeWindow
from opscontext.registry import ConnectorContext, build_http_client
from opscontext_connectors.pagerduty import PagerDutyConfig, PagerDutyConnector, spec
from opscontext_connectors.pagerduty.mapping import FAR_FUTURE, FAR_PAST

pytestmark = pytest.mark.anyio

API = "https://api.pagerduty.com"
DATA = Path(__file__).resolve().parents[2] / "fixtures" / "http" / "pagerduty"
TOKEN = "u+pd-test-secret-key"
AT = datetime(2024, 5, 9, 10, 0, tzinfo=UTC)
WINDOW = TimeWindow(since=datetime(2024, 5, 9, 9, 0, tzinfo=UTC), until=AT)


def payload(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def by_offset(*pages: str) -> Callable[[httpx.Request], httpx.Response]:
    """Serve recorded pages by the `offset` each one was recorded at."""
    table = {payload(p)["offset"]: payload(p) for p in pages}
    return lambda request: httpx.Response(200, json=table[int(request.url.params["offset"])])


@pytest.fixture
async def make() -> AsyncIterator[Callable[..., PagerDutyConnector]]:
    clients: list[httpx.AsyncClient] = []

    def build(**overrides: Any) -> PagerDutyConnector:
        config = PagerDutyConfig(type="pagerduty", token=TOKEN, **overrides)
        http = build_http_client(config)
        clients.append(http)
        return PagerDutyConnector(ConnectorContext(name="pd", config=config, http=http))

    yield build
    for client in clients:
        await client.aclose()


@pytest.fixture
def api() -> respx.MockRouter:
    with respx.mock(base_url=API, assert_all_called=False) as router:
        router.get("/services").mock(
            side_effect=by_offset("services_page1.json", "services_page2.json")
        )
        router.get("/teams").respond(json=payload("teams.json"))
        router.get("/users").respond(json=payload("users.json"))
        for sid in ("PCHKOUT", "PPAYAPI", "PLEDGER"):
            router.get(f"/service_dependencies/technical_services/{sid}").respond(
                json=payload(f"dependencies_{sid}.json")
            )
        yield router


def test_spec_declares_every_pagerduty_capability() -> None:
    assert set(capabilities_of(spec.factory)) == {
        "catalog",
        "topology",
        "changes",
        "alerts",
        "oncall",
        "escalation",
    }
    assert PagerDutyConfig.model_validate(spec.example).token is not None


async def test_requests_carry_token_auth_and_the_version_2_accept_header(make, api) -> None:
    await make(page_size=2).catalog()
    request = api.calls[0].request
    assert request.headers["Authorization"] == f"Token token={TOKEN}"
    assert request.headers["Accept"] == "application/vnd.pagerduty+json;version=2"


async def test_catalog_follows_more_across_service_pages_to_the_end(make, api) -> None:
    snapshot = await make(page_size=2).catalog()
    offsets = [
        c.request.url.params["offset"] for c in api.calls if c.request.url.path == "/services"
    ]
    assert offsets == ["0", "2"]
    assert [s.name for s in snapshot.services] == ["checkout", "payments-api", "ledger-db"]


async def test_catalog_maps_owner_alias_annotation_and_link_per_service(make, api) -> None:
    services = {s.name: s for s in (await make(page_size=2).catalog()).services}
    pay = services["payments-api"]
    assert pay.owner == "Payments"  # first of its two teams
    assert "PPAYAPI" in pay.aliases
    assert pay.annotations["pagerduty.com/service-id"] == "PPAYAPI"
    assert pay.links[0].url.endswith("/service-directory/PPAYAPI")
    assert services["ledger-db"].owner is None
    assert all(s.source == "pd" for s in services.values())


async def test_catalog_derives_team_members_from_users_and_phone_from_contact_methods(
    make, api
) -> None:
    snapshot = await make().catalog()
    teams = {t.name: t for t in snapshot.teams}
    assert teams["Payments"].members == ("ana.mueller", "ben.okafor")
    assert teams["Platform"].members == ("ben.okafor", "chen.wei")
    people = {p.name: p for p in snapshot.people}
    assert people["ana.mueller"].phone == "+1 15555550101"
    assert people["ben.okafor"].phone is None
    assert people["chen.wei"].display_name == "Chen Wei"
    users_call = next(c for c in api.calls if c.request.url.path == "/users")
    assert users_call.request.url.params.get_list("include[]") == ["contact_methods"]


async def test_edges_are_declared_once_each_and_skip_unknown_business_services(make, api) -> None:
    edges = await make(page_size=2).edges()
    pairs = sorted((e.dependent, e.dependency) for e in edges)
    assert pairs == [("checkout", "payments-api"), ("payments-api", "ledger-db")]
    assert {e.provenance for e in edges} == {EdgeProvenance.DECLARED}


async def test_dependency_lookup_of_a_vanished_service_is_skipped(make, api) -> None:
    api.get("/service_dependencies/technical_services/PLEDGER").respond(404)
    edges = await make(page_size=2).edges()
    assert ("payments-api", "ledger-db") in {(e.dependent, e.dependency) for e in edges}


async def test_on_call_keeps_open_ended_shifts_and_drops_those_not_covering_at(make) -> None:
    with respx.mock(base_url=API) as router:
        route = router.get("/oncalls").respond(json=payload("oncalls.json"))
        shifts = await make().on_call(AT)
    params = route.calls.last.request.url.params
    assert params["since"] == "2024-05-09T10:00:00Z" and params["until"] == "2024-05-09T10:01:00Z"
    assert params.get_list("include[]") == ["users", "escalation_policies"]
    by_person = {s.person: s for s in shifts}
    assert set(by_person) == {"Ana Müller", "Ben Okafor"}  # Chen starts one second later
    ben = by_person["Ben Okafor"]
    assert (ben.start, ben.end) == (FAR_PAST, FAR_FUTURE)
    assert ben.schedule == "Payments On-Call" and ben.level == 2  # direct target: no schedule
    ana = by_person["Ana Müller"]
    assert ana.email == "ana.mueller@example.com" and ana.team == "Payments"
    assert ana.schedule == "Payments Primary" and ana.policy == "Payments On-Call"


async def test_escalation_thresholds_are_cumulative_across_rules(make) -> None:
    with respx.mock(base_url=API) as router:
        route = router.get("/escalation_policies").mock(
            side_effect=by_offset(
                "escalation_policies_page1.json", "escalation_policies_page2.json"
            )
        )
        policies = {p.name: p for p in await make(page_size=1).escalation_policies()}
    assert [c.request.url.params["offset"] for c in route.calls] == ["0", "1"]
    pay = policies["Payments On-Call"]
    steps = [(s.after_minutes, s.target, s.kind) for s in pay.steps]
    assert steps == [
        (0, "Payments Primary", "schedule"),
        (15, "Ben Okafor", "person"),
        (15, "Platform Weekly", "schedule"),
        (45, "Ana Müller", "person"),
        (55, "Payments Primary (repeat 1 of 2)", "schedule"),
        (70, "Ben Okafor (repeat 1 of 2)", "person"),
        (70, "Platform Weekly (repeat 1 of 2)", "schedule"),
        (100, "Ana Müller (repeat 1 of 2)", "person"),
        (110, "Payments Primary (repeat 2 of 2)", "schedule"),
        (125, "Ben Okafor (repeat 2 of 2)", "person"),
        (125, "Platform Weekly (repeat 2 of 2)", "schedule"),
        (155, "Ana Müller (repeat 2 of 2)", "person"),
    ]
    assert pay.team == "Payments" and pay.services == ("checkout", "payments-api")
    assert [s.after_minutes for s in policies["Platform Escalation"].steps] == [0]


def incident_routes(router: respx.MockRouter) -> respx.Route:
    def incidents(request: httpx.Request) -> httpx.Response:
        params = request.url.params
        name = (
            "incidents_open.json" if params.get("date_range") == "all" else "incidents_recent.json"
        )
        return httpx.Response(200, json=payload(name))

    return router.get("/incidents").mock(side_effect=incidents)


async def test_alerts_merge_open_and_recent_incidents_once_each(make) -> None:
    with respx.mock(base_url=API) as router:
        route = incident_routes(router)
        alerts = await make(incident_lookback_hours=2).alerts(WINDOW)
    assert sorted(a.fingerprint for a in alerts) == ["Q0OLD4CKD9", "Q1RSLVD8X3", "Q2LTZ6ZQ2MCBB"]
    open_q, recent_q = (c.request.url.params for c in route.calls)
    assert open_q.get_list("statuses[]") == ["triggered", "acknowledged"]
    assert (
        recent_q["since"] == "2024-05-09T07:00:00Z" and recent_q["until"] == "2024-05-09T10:00:00Z"
    )


async def test_alerts_map_urgency_state_priority_and_resolution_time(make) -> None:
    with respx.mock(base_url=API) as router:
        incident_routes(router)
        alerts = {a.fingerprint: a for a in await make().alerts(WINDOW)}
    firing = alerts["Q2LTZ6ZQ2MCBB"]
    assert firing.alertname == "Checkout error rate above 5%" and firing.service == "checkout"
    assert firing.severity == "critical" and firing.state is AlertState.ACTIVE
    assert firing.labels["priority"] == "P1" and firing.labels["incident_key"] == "f3c1a9e0d2b4"
    assert firing.ends_at is None
    resolved = alerts["Q1RSLVD8X3"]
    assert resolved.state is AlertState.RESOLVED
    assert resolved.ends_at == datetime(2024, 5, 9, 9, 20, 31, tzinfo=UTC)
    assert alerts["Q0OLD4CKD9"].severity == "warning"  # low urgency


async def test_incident_alerts_are_listed_only_when_expansion_is_configured(make) -> None:
    with respx.mock(base_url=API) as router:
        incident_routes(router)
        for iid in ("Q2LTZ6ZQ2MCBB", "Q0OLD4CKD9", "Q1RSLVD8X3"):
            router.get(f"/incidents/{iid}/alerts").respond(
                json=payload(f"incident_alerts_{iid}.json")
            )
        plain = await make().alerts(WINDOW)
        calls_before = len(router.calls)
        expanded = {
            a.fingerprint: a for a in await make(expand_incident_alerts=True).alerts(WINDOW)
        }
    assert calls_before == 2 and len(plain) == 3
    assert set(expanded) == {"f3c1a9e0d2b4", "9a8b7c6d", "payments-p99", "Q0OLD4CKD9"}
    latency = expanded["9a8b7c6d"]
    assert latency.state is AlertState.RESOLVED and latency.severity == "warning"
    assert latency.labels["incident_id"] == "Q2LTZ6ZQ2MCBB"
    assert expanded["payments-p99"].ends_at == datetime(2024, 5, 9, 9, 20, 31, tzinfo=UTC)


async def test_changes_map_service_link_author_and_version(make) -> None:
    with respx.mock(base_url=API) as router:
        route = router.get("/change_events").respond(json=payload("change_events.json"))
        changes = {c.id: c for c in await make().changes(WINDOW)}
    assert route.calls.last.request.url.params["since"] == "2024-05-09T09:00:00Z"
    deploy = changes["01BPW0P9DRH0AMYVCGLA03FAEA"]
    assert (deploy.service, deploy.kind, deploy.version) == ("checkout", "change", "v2.14.0")
    assert deploy.link == "https://github.com/acme/checkout/actions/runs/9012"
    assert deploy.author == "ana.mueller" and deploy.environment == "production"
    rotate = changes["01BPW0P9DRH0AMYVCGLA03FAEB"]
    assert rotate.service is None and rotate.link is None and rotate.author is None


async def test_check_counts_the_account_abilities(make) -> None:
    with respx.mock(base_url=API) as router:
        router.get("/abilities").respond(json=payload("abilities.json"))
        assert await make().check() == "authenticated; account has 9 abilities"


def test_after_the_first_pass_of_a_looping_policy_the_next_escalation_names_the_repeat() -> None:
    from datetime import UTC, datetime, timedelta

    from opscontext.answers import EscalationEntry
    from opscontext.queries.who_owns import _next_step
    from opscontext_connectors.pagerduty.mapping import to_policy
    from opscontext_connectors.pagerduty.wire import PDEscalationPolicy

    raw = next(p for p in payload("escalation_policies_page1.json")["escalation_policies"] if p["num_loops"])
    policy = to_policy(PDEscalationPolicy.model_validate(raw), "pd")
    started = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    steps = [EscalationEntry(**s.model_dump(), at=started + timedelta(minutes=s.after_minutes)) for s in policy.steps]
    last_first_pass = max(s.after_minutes for s in policy.steps if "(repeat" not in s.target)
    now = started + timedelta(minutes=last_first_pass + 1)
    upcoming = _next_step(steps, now)
    assert upcoming is not None and "(repeat 1 of" in upcoming
