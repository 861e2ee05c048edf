"""The `prometheus` connector against recorded Prometheus HTTP API v1 answers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from opscontext.errors import SourceAuthError, SourceDataError, SourceUnavailableError
from opscontext.models import AlertState, EdgeProvenance, TimeWindow
from opscontext.registry import ConnectorContext, build_http_client
from opscontext_connectors.alertmanager.labels import fingerprint
from opscontext_connectors.prometheus import Prometheus, PrometheusConfig

pytestmark = pytest.mark.anyio

URL = "https://prometheus.example.com"
WINDOW = TimeWindow(
    since=datetime(2025, 3, 14, 9, tzinfo=UTC), until=datetime(2025, 3, 14, 10, tzinfo=UTC)
)
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures/http/prometheus"
AM_FIXTURES = FIXTURES.parent / "alertmanager"


def payload(name: str, root: Path = FIXTURES) -> Any:
    return json.loads((root / name).read_text())


def connect(**extra: Any) -> Prometheus:
    config = PrometheusConfig.model_validate(
        {"type": "prometheus", "url": URL, "max_retries": 1, **extra}
    )
    return Prometheus(ConnectorContext(name="prom", config=config, http=build_http_client(config)))


@pytest.fixture
def prom_mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=URL, assert_all_called=False) as router:
        yield router


@pytest.fixture
async def prom() -> AsyncIterator[Prometheus]:
    connector = connect()
    yield connector
    assert connector.ctx.http is not None
    await connector.ctx.http.aclose()


def route_queries(router: respx.MockRouter, requests: Any, failed: Any) -> respx.Route:
    """Answer the two default topology queries by the metric each one names."""

    def answer(request: httpx.Request) -> httpx.Response:
        query = request.url.params["query"]
        return httpx.Response(200, json=failed if "failed" in query else requests)

    return router.get("/api/v1/query").mock(side_effect=answer)


async def test_firing_alerts_are_mapped_and_pending_ones_skipped(
    prom: Prometheus, prom_mock: respx.MockRouter
) -> None:
    prom_mock.get("/api/v1/alerts").respond(json=payload("alerts.json"))
    alerts = {a.alertname: a for a in await prom.alerts(WINDOW)}
    assert set(alerts) == {"HighErrorRate", "KubePodCrashLooping"}
    high = alerts["HighErrorRate"]
    assert (high.service, high.severity, high.state) == (
        "payments-api",
        "critical",
        AlertState.ACTIVE,
    )
    assert high.summary == "payments-api 5xx ratio above 5%"
    assert high.starts_at == datetime(2025, 3, 14, 9, 12, 30, 482137, tzinfo=UTC)
    assert alerts["KubePodCrashLooping"].service == "ledger-worker"


async def test_pending_alerts_are_included_as_unprocessed_when_asked(
    prom_mock: respx.MockRouter,
) -> None:
    prom_mock.get("/api/v1/alerts").respond(json=payload("alerts.json"))
    alerts = {a.alertname: a for a in await connect(include_pending=True).alerts(WINDOW)}
    assert alerts["DiskFillingUp"].state is AlertState.UNPROCESSED


async def test_fingerprints_match_alertmanagers_once_external_labels_are_added(
    prom_mock: respx.MockRouter,
) -> None:
    prom_mock.get("/api/v1/alerts").respond(json=payload("alerts.json"))
    connector = connect(external_labels={"cluster": "prod-eu-1"})
    from_prometheus = {a.alertname: a.fingerprint for a in await connector.alerts(WINDOW)}
    from_alertmanager = {
        a["labels"]["alertname"]: a["fingerprint"] for a in payload("alerts.json", AM_FIXTURES)
    }
    assert from_prometheus["HighErrorRate"] == from_alertmanager["HighErrorRate"]
    assert from_prometheus["KubePodCrashLooping"] == from_alertmanager["KubePodCrashLooping"]


async def test_fingerprint_is_computed_from_the_labels(
    prom: Prometheus, prom_mock: respx.MockRouter
) -> None:
    prom_mock.get("/api/v1/alerts").respond(json=payload("alerts.json"))
    for alert in await prom.alerts(WINDOW):
        assert alert.fingerprint == fingerprint(alert.labels) and len(alert.fingerprint) == 16


async def test_edges_carry_request_and_error_rates_and_drop_idle_pairs(
    prom: Prometheus, prom_mock: respx.MockRouter
) -> None:
    route = route_queries(prom_mock, payload("query_requests.json"), payload("query_failed.json"))
    edges = {(e.dependent, e.dependency): e for e in await prom.edges()}
    assert set(edges) == {
        ("web-frontend", "checkout"),
        ("checkout", "payments-api"),
        ("payments-api", "postgresql"),
        ("user", "web-frontend"),
    }
    pay = edges[("checkout", "payments-api")]
    assert (pay.kind, pay.provenance, pay.source) == ("calls", EdgeProvenance.OBSERVED, "prom")
    assert pay.request_rate == pytest.approx(18.2) and pay.error_rate == pytest.approx(1.092 / 18.2)
    assert edges[("payments-api", "postgresql")].error_rate == 0.0
    queries = [c.request.url.params["query"] for c in route.calls]
    assert "traces_service_graph_request_total" in queries[0]
    assert "traces_service_graph_request_failed_total" in queries[1]


async def test_custom_queries_and_endpoint_labels_are_used(prom_mock: respx.MockRouter) -> None:
    answer = {
        "status": "success",
        "data": {
            "resultType": "vector",
            "result": [{"metric": {"src": "a", "dst": "b"}, "value": [1741944450.781, "3"]}],
        },
    }
    route = prom_mock.get("/api/v1/query").respond(json=answer)
    connector = connect(
        requests_query="sum by (src, dst) (rate(calls_total[1m]))",
        failed_query=None,
        client_label="src",
        server_label="dst",
    )
    edges = await connector.edges()
    assert [(e.dependent, e.dependency, e.request_rate) for e in edges] == [("a", "b", 3.0)]
    assert route.call_count == 1 and route.calls.last.request.url.params["query"].startswith(
        "sum by (src"
    )


async def test_topology_can_be_switched_off(prom_mock: respx.MockRouter) -> None:
    route = prom_mock.get("/api/v1/query").respond(json=payload("query_requests.json"))
    assert await connect(topology=False).edges() == []
    assert route.call_count == 0


async def test_an_error_envelope_becomes_a_data_error_with_prometheus_message(
    prom: Prometheus, prom_mock: respx.MockRouter
) -> None:
    prom_mock.get("/api/v1/query").respond(json=payload("error_bad_data.json"))
    with pytest.raises(SourceDataError, match="bad_data: invalid parameter") as info:
        await prom.edges()
    assert info.value.instance == "prom"


async def test_a_range_result_is_refused_for_topology(
    prom: Prometheus, prom_mock: respx.MockRouter
) -> None:
    prom_mock.get("/api/v1/query").respond(json=payload("query_matrix.json"))
    with pytest.raises(SourceDataError, match="instant vector"):
        await prom.edges()


async def test_unreadable_and_nan_samples_are_skipped(
    prom: Prometheus, prom_mock: respx.MockRouter
) -> None:
    good = payload("query_requests.json")
    good["data"]["result"] += [
        {"metric": {"client": "x", "server": "y"}, "value": [1741944450.781, "NaN"]},
        {"metric": {"client": "x", "server": "z"}, "value": "oops"},
        {"metric": {"server": "z"}, "value": [1741944450.781, "4"]},
    ]
    route_queries(prom_mock, good, payload("query_failed.json"))
    assert len(await prom.edges()) == 4


async def test_check_reports_the_build(prom: Prometheus, prom_mock: respx.MockRouter) -> None:
    prom_mock.get("/api/v1/status/buildinfo").respond(json=payload("buildinfo.json"))
    assert (
        await prom.check()
        == "Prometheus 2.53.1 (revision 14cfec3f6048b735e08c1e9c64c8d4211d32bab4)"
    )


@pytest.mark.parametrize("status", [401, 403])
async def test_rejected_credentials_are_auth_errors(
    prom: Prometheus, prom_mock: respx.MockRouter, status: int
) -> None:
    route = prom_mock.get("/api/v1/alerts").respond(status)
    with pytest.raises(SourceAuthError):
        await prom.alerts(WINDOW)
    assert route.call_count == 1


async def test_basic_auth_is_sent(prom_mock: respx.MockRouter) -> None:
    route = prom_mock.get("/api/v1/status/buildinfo").respond(json=payload("buildinfo.json"))
    await connect(username="reader", password="pw").check()
    assert route.calls.last.request.headers["Authorization"] == "Basic cmVhZGVyOnB3"


async def test_rate_limits_are_retried_honouring_retry_after(
    prom: Prometheus, prom_mock: respx.MockRouter
) -> None:
    route = prom_mock.get("/api/v1/alerts")
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "0"}),
        httpx.Response(200, json=payload("alerts.json")),
    ]
    assert len(await prom.alerts(WINDOW)) == 2 and route.call_count == 2


async def test_503_and_timeouts_are_unavailable(
    prom: Prometheus, prom_mock: respx.MockRouter
) -> None:
    prom_mock.get("/api/v1/alerts").respond(503, headers={"Retry-After": "0"})
    with pytest.raises(SourceUnavailableError, match="503"):
        await prom.alerts(WINDOW)
    prom_mock.get("/api/v1/query").side_effect = httpx.ConnectTimeout("slow")
    with pytest.raises(SourceUnavailableError, match="timed out"):
        await prom.edges()


async def test_garbage_and_foreign_json_are_data_errors(
    prom: Prometheus, prom_mock: respx.MockRouter
) -> None:
    prom_mock.get("/api/v1/alerts").respond(200, text="not json{")
    with pytest.raises(SourceDataError, match="JSON"):
        await prom.alerts(WINDOW)
    prom_mock.get("/api/v1/query").respond(json=[1, 2, 3])
    with pytest.raises(SourceDataError, match="API format"):
        await prom.edges()


async def test_an_oversized_answer_is_refused(prom_mock: respx.MockRouter) -> None:
    big = payload("query_requests.json")
    big["data"]["result"] *= 50
    prom_mock.get("/api/v1/query").respond(json=big)
    with pytest.raises(SourceDataError, match="max_response_bytes"):
        await connect(max_response_bytes=4096).edges()
