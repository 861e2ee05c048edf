"""ServiceNow per-item reads: a service table the account may not read, or a chunk of look-ups
by id that fails, costs only its records; a list cut at max_pages says so."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from servicenow_pages import one_new_incident_per_offset  # beside this file

import opscontext_connectors.servicenow as servicenow
from opscontext.errors import SourceAuthError
from opscontext.models import TimeWindow
from opscontext.problems import Partial, attach, take_reported
from opscontext.registry import ConnectorContext, build_http_client

pytestmark = pytest.mark.anyio

BASE = "https://acme.service-now.com"
PAYLOADS = Path(__file__).resolve().parents[2] / "fixtures" / "http" / "servicenow"
PAGES = {"cmdb_ci_service": ["cmdb_ci_service.page1", "cmdb_ci_service.page2"]}


def rows(table: str) -> list[Any]:
    pages = [json.loads((PAYLOADS / f"{name}.json").read_text())["result"] for name in PAGES.get(table, [table])]
    return [row for page in pages for row in page]


def instance(refuse: dict[str, int]) -> Callable[[httpx.Request], httpx.Response]:
    """Recorded rows sliced by sysparm_offset/limit; tables in ``refuse`` answer that status."""

    def answer(request: httpx.Request) -> httpx.Response:
        table = request.url.path.removeprefix("/api/now/table/")
        if table in refuse:
            return httpx.Response(refuse[table], json={"error": {"message": "Operation Failed"}, "status": "failure"})
        offset, limit = int(request.url.params.get("sysparm_offset", "0")), int(request.url.params["sysparm_limit"])
        return httpx.Response(200, json={"result": rows(table)[offset : offset + limit]})

    return answer


@pytest.fixture
def make(clients: list[httpx.AsyncClient]) -> Callable[..., Any]:
    def build(**overrides: Any) -> Any:
        raw = {**servicenow.spec.example, "page_size": 100, "max_retries": 0, **overrides}
        config = servicenow.ServiceNowConfig.model_validate(raw)
        http = build_http_client(config)
        clients.append(http)
        return servicenow.ServiceNowConnector(ConnectorContext(name="snow", config=config, http=http))

    return build


async def with_detail(call: Any) -> tuple[Any, str | None]:
    take_reported()
    value = await call
    wrapped = attach(object(), value)
    return value, wrapped.detail if isinstance(wrapped, Partial) else None


@respx.mock
async def test_a_service_table_the_account_may_not_read_costs_only_that_table(make: Callable[..., Any]) -> None:
    respx.get(url__startswith=BASE).mock(side_effect=instance({"cmdb_ci_appl": 403}))
    snapshot, detail = await with_detail(make().catalog())
    assert {s.name for s in snapshot.services} >= {"payment-service", "ledger"}
    assert detail is not None
    assert detail.startswith("1 of 2 service tables failed: cmdb_ci_appl: HTTP 403 from ")
    assert f"{BASE}/api/now/table/cmdb_ci_appl?" in detail


@respx.mock
async def test_when_no_service_table_can_be_read_the_catalog_fails(make: Callable[..., Any]) -> None:
    respx.get(url__startswith=BASE).mock(side_effect=instance({"cmdb_ci_appl": 403, "cmdb_ci_service": 403}))
    with pytest.raises(SourceAuthError, match="2 of 2 service tables failed"):
        await make().catalog()


@respx.mock
async def test_a_failed_chunk_of_user_look_ups_leaves_those_people_out_and_says_so(make: Callable[..., Any]) -> None:
    respx.get(url__startswith=BASE).mock(side_effect=instance({"sys_user": 500}))
    snapshot, detail = await with_detail(make().catalog())
    assert snapshot.services and snapshot.teams and not snapshot.people
    assert detail is not None
    assert "1 of 1 sys_user look-ups failed: sys_user by sys_id, ids 1-4 of 4: HTTP 500 from " in detail
    # The recorded table holds two applications without a name: left out, and said so too.
    assert detail.startswith("records dropped for bad data: cmdb_ci_appl: 2 malformed cmdb_ci_appl records left "
                             "out (first: `name`: Field required)")


@respx.mock
async def test_a_list_cut_at_max_pages_is_reported_partial(make: Callable[..., Any]) -> None:
    respx.get(f"{BASE}/api/now/table/incident").mock(side_effect=one_new_incident_per_offset())
    window = TimeWindow(since=datetime(2026, 3, 10, 12, tzinfo=UTC), until=datetime(2026, 3, 10, 15, tzinfo=UTC))
    _, detail = await with_detail(make(page_size=1, max_pages=2).alerts(window))
    assert detail == "lists cut short: incident: more than max_pages=2 pages; raise max_pages or narrow the query"
