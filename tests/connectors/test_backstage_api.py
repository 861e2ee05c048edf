from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

import opscontext_connectors.backstage as backstage
from opscontext.capabilities import capabilities_of
from opscontext.errors import SourceAuthError, SourceDataError, SourceUnavailableError
from opscontext.problems import take_reported
from opscontext.registry import ConnectorContext, build_http_client
from opscontext_connectors.backstage.connector import (
    BackstageApi,
    BackstageApiConfig,
    BackstageFiles,
    BackstageFilesConfig,
)

pytestmark = pytest.mark.anyio

URL = "https://backstage.example.com"
QUERY = f"{URL}/api/catalog/entities/by-query"
TOKEN = "bs-token-do-not-leak"
PAGES = Path(__file__).resolve().parents[2] / "fixtures" / "http" / "backstage"
CATALOG = Path(__file__).parent / "data" / "backstage" / "catalog"


def page(n: int) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((PAGES / f"entities-by-query-page-{n}.json").read_text())
    return loaded


def failing_first(
    failure: httpx.Response, then: Callable[[httpx.Request], httpx.Response]
) -> Callable[[httpx.Request], httpx.Response]:
    calls: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return failure if len(calls) == 1 else then(request)

    return answer


def paged_backend(requests: list[httpx.Request]) -> Callable[[httpx.Request], httpx.Response]:
    """Answers like Backstage: the first page for a filtered query, later pages by cursor."""
    by_cursor = {page(n)["pageInfo"]["nextCursor"]: page(n + 1) for n in (1, 2)}

    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        cursor = request.url.params.get("cursor")
        if cursor is None:
            return httpx.Response(200, json=page(1))
        return httpx.Response(200, json=by_cursor[cursor])

    return answer


@pytest.fixture
def make(clients: list[httpx.AsyncClient]) -> Callable[..., Any]:
    def build(**overrides: Any) -> Any:
        raw = {"type": "backstage-api", "url": URL, "token": TOKEN, "page_size": 5, **overrides}
        config = BackstageApiConfig.model_validate(raw)
        http = build_http_client(config)
        clients.append(http)
        return BackstageApi(ConnectorContext(name="bs-api", config=config, http=http))

    return build


def test_api_connector_offers_catalog_and_topology_and_is_cached() -> None:
    assert capabilities_of(backstage.api_spec.factory) == ["catalog", "topology"]
    assert backstage.api_spec.cacheable is True


@respx.mock
async def test_paging_follows_next_cursor_to_the_end(make: Callable[..., Any]) -> None:
    requests: list[httpx.Request] = []
    respx.get(QUERY).mock(side_effect=paged_backend(requests))
    snapshot = await make().catalog()
    assert len(requests) == 3
    first, *rest = (r.url.params for r in requests)
    assert first.get_list("filter") == [
        "kind=component",
        "kind=resource",
        "kind=system",
        "kind=api",
        "kind=group",
        "kind=user",
    ]
    assert first["limit"] == "5" and "cursor" not in first
    # The cursor encodes the query; the docs say filter beside a cursor is ignored, so omit it.
    assert all("filter" not in p and p["cursor"] and p["limit"] == "5" for p in rest)
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r in requests)
    assert len(snapshot.services) == 5 and len(snapshot.teams) == 3 and len(snapshot.people) == 2


@respx.mock
async def test_paging_stops_at_max_pages_and_says_so(
    make: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    requests: list[httpx.Request] = []
    respx.get(QUERY).mock(side_effect=paged_backend(requests))
    with caplog.at_level(logging.WARNING):
        snapshot = await make(max_pages=2).catalog()
    assert len(requests) == 2
    seen = {s.name for s in snapshot.services} | {t.name for t in snapshot.teams}
    last_page = {e["metadata"]["name"].lower() for e in page(3)["items"]}
    assert not seen & last_page
    assert "max_pages=2" in caplog.text


@respx.mock
async def test_file_and_api_give_equal_snapshots_and_edges(make: Callable[..., Any]) -> None:
    respx.get(QUERY).mock(side_effect=paged_backend([]))
    api = make()
    files_config = BackstageFilesConfig.model_validate({"type": "backstage", "path": CATALOG})
    files = BackstageFiles(ConnectorContext(name="bs-api", config=files_config))
    assert await api.catalog() == await files.catalog()
    assert await api.edges() == await files.edges()


@respx.mock
async def test_unauthorised_is_an_auth_error_without_retry_or_token(
    make: Callable[..., Any],
) -> None:
    route = respx.get(QUERY).mock(
        return_value=httpx.Response(401, json={"error": {"name": "AuthenticationError"}})
    )
    with pytest.raises(SourceAuthError) as info:
        await make().catalog()
    assert route.call_count == 1
    assert info.value.instance == "bs-api"
    assert TOKEN not in str(info.value)


@respx.mock
async def test_rate_limit_is_retried_after_the_servers_delay(make: Callable[..., Any]) -> None:
    limited = httpx.Response(429, headers={"Retry-After": "0"})
    route = respx.get(QUERY).mock(side_effect=failing_first(limited, paged_backend([])))
    snapshot = await make().catalog()
    assert route.call_count == 4
    assert len(snapshot.services) == 5


@respx.mock
async def test_server_error_then_success_is_retried(make: Callable[..., Any]) -> None:
    failing = failing_first(httpx.Response(500), paged_backend([]))
    route = respx.get(QUERY).mock(side_effect=failing)
    edges = await make().edges()
    assert route.call_count == 4
    assert len(edges) == 5


@respx.mock
async def test_a_server_that_stays_down_is_unavailable(make: Callable[..., Any]) -> None:
    route = respx.get(QUERY).mock(return_value=httpx.Response(503))
    with pytest.raises(SourceUnavailableError):
        await make(max_retries=1).catalog()
    assert route.call_count == 2


@respx.mock
async def test_malformed_json_is_a_data_error(make: Callable[..., Any]) -> None:
    respx.get(QUERY).mock(return_value=httpx.Response(200, text="<html>login</html>"))
    with pytest.raises(SourceDataError):
        await make().catalog()


@respx.mock
async def test_json_of_the_wrong_shape_is_a_data_error(make: Callable[..., Any]) -> None:
    # The deprecated GET /entities answers with a bare array: a sign of a wrong base URL.
    respx.get(QUERY).mock(return_value=httpx.Response(200, json=[{"kind": "Component"}]))
    with pytest.raises(SourceDataError, match="items, pageInfo"):
        await make().catalog()


@respx.mock
async def test_a_malformed_entity_is_skipped_not_fatal(make: Callable[..., Any]) -> None:
    body = page(3) | {"pageInfo": {}}
    body["items"] = [*body["items"], {"apiVersion": "backstage.io/v1alpha1", "kind": "Component"}]
    respx.get(QUERY).mock(return_value=httpx.Response(200, json=body))
    snapshot = await make().catalog()
    expected = {e["metadata"]["name"].lower() for e in page(3)["items"]}
    got = {s.name for s in snapshot.services} | {t.name for t in snapshot.teams}
    got |= {p.name for p in snapshot.people}
    assert got == expected
    # Was: logged only; the answer is partial, so the call reports it (the hub: degraded).
    (found,) = take_reported()
    assert "document 3 (Component without a name) left out: malformed (metadata: Field required)" in found.summary()


@respx.mock
async def test_one_name_in_two_namespaces_is_one_service_and_the_second_is_reported(
    make: Callable[..., Any],
) -> None:
    body = page(3) | {"pageInfo": {}}
    service = next(e for e in body["items"] if e["kind"] == "Component")
    other = json.loads(json.dumps(service))
    other["metadata"] |= {"namespace": "payments", "annotations": {}}
    other["spec"]["owner"] = "group:payments/orders"
    body["items"] = [*body["items"], other]
    respx.get(QUERY).mock(return_value=httpx.Response(200, json=body))
    snapshot = await make().catalog()
    assert [(s.name, s.owner) for s in snapshot.services] == [("payment-service", "payments-team")]
    (found,) = take_reported()
    assert "Component 'payments/payment-service' left out: it and Component 'payment-service' (in " in found.summary()


@respx.mock
async def test_a_page_boundary_repeating_an_entity_is_not_a_second_definition(make: Callable[..., Any]) -> None:
    body = page(3) | {"pageInfo": {}}
    body["items"] = [*body["items"], *body["items"]]
    respx.get(QUERY).mock(return_value=httpx.Response(200, json=body))
    snapshot = await make().catalog()
    assert [s.name for s in snapshot.services] == ["payment-service"]
    assert take_reported() == ()


@respx.mock
async def test_a_catalog_without_services_is_reported_not_ok(make: Callable[..., Any]) -> None:
    respx.get(QUERY).mock(return_value=httpx.Response(200, json={"items": [], "totalItems": 0, "pageInfo": {}}))
    assert (await make().catalog()).services == ()
    (found,) = take_reported()
    assert "the catalog holds no services the token can see" in found.summary()


@respx.mock
async def test_check_asks_for_one_item_and_reports_the_total(make: Callable[..., Any]) -> None:
    requests: list[httpx.Request] = []
    respx.get(QUERY).mock(side_effect=paged_backend(requests))
    assert await make().check() == "authenticated; 12 catalog entities visible"
    assert [r.url.params["limit"] for r in requests] == ["1"]


@respx.mock
async def test_a_base_url_with_a_path_prefix_is_kept(make: Callable[..., Any]) -> None:
    route = respx.get(f"{URL}/portal/api/catalog/entities/by-query").mock(
        return_value=httpx.Response(200, json={"items": [], "totalItems": 0, "pageInfo": {}})
    )
    assert (await make(url=f"{URL}/portal").catalog()).services == ()
    assert route.called
