"""`prometheus` health(): templated instant queries, one per metric, against recorded vectors."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from pydantic import ValidationError

from opscontext.errors import SourceDataError, SourceUnavailableError
from opscontext.registry import ConnectorContext, build_http_client
from opscontext_connectors.prometheus import Prometheus, PrometheusConfig
from opscontext_connectors.prometheus.health import services_regex

pytestmark = pytest.mark.anyio

URL = "https://prometheus.example.com"
AT = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures/http/prometheus"
ASKED = ["payment-service", "checkout-service", "api-gateway", "refund-worker", "seo-renderer", "mobile-app"]
BY_METRIC = {  # a word only the default template of each metric contains -> its recorded answer
    "5..": "health_error_rate.json",
    "histogram_quantile": "health_latency_p99.json",
}


def payload(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def connect(**extra: Any) -> Prometheus:
    config = PrometheusConfig.model_validate({"type": "prometheus", "url": URL, "max_retries": 0, **extra})
    return Prometheus(ConnectorContext(name="prom", config=config, http=build_http_client(config)))


def recorded(request: httpx.Request) -> httpx.Response:
    query = request.url.params["query"]
    name = next((f for word, f in BY_METRIC.items() if word in query), "health_request_rate.json")
    return httpx.Response(200, json=payload(name))


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


async def test_one_query_per_metric_covers_every_service_asked(prom: Prometheus, prom_mock: respx.MockRouter) -> None:
    route = prom_mock.get("/api/v1/query").mock(side_effect=recorded)
    await prom.health(ASKED, AT)
    assert route.call_count == 3
    for call in route.calls:
        assert f'job=~"{services_regex(ASKED)}"' in call.request.url.params["query"]
        assert call.request.url.params["time"] == f"{AT.timestamp():.3f}"


async def test_values_map_back_to_the_services_asked_in_order(prom: Prometheus, prom_mock: respx.MockRouter) -> None:
    prom_mock.get("/api/v1/query").mock(side_effect=recorded)
    health = {h.service: h for h in await prom.health(ASKED, AT)}
    assert list(health) == ["payment-service", "checkout-service", "api-gateway", "refund-worker", "seo-renderer"]
    pay = health["payment-service"]
    assert pay.error_rate == pytest.approx(0.418235, rel=1e-5)
    assert pay.latency_p99_seconds == pytest.approx(2.8712)
    assert pay.request_rate == pytest.approx(41.6)
    assert (pay.at, pay.source) == (AT, "prom")


async def test_nan_values_become_none_and_a_real_zero_stays_zero(prom: Prometheus, prom_mock: respx.MockRouter) -> None:
    prom_mock.get("/api/v1/query").mock(side_effect=recorded)
    idle = next(h for h in await prom.health(ASKED, AT) if h.service == "refund-worker")
    assert (idle.error_rate, idle.latency_p99_seconds, idle.request_rate) == (None, None, 0.0)


async def test_missing_series_are_none_and_services_without_any_are_left_out(
    prom: Prometheus, prom_mock: respx.MockRouter
) -> None:
    prom_mock.get("/api/v1/query").mock(side_effect=recorded)
    health = {h.service: h for h in await prom.health(ASKED, AT)}
    seo = health["seo-renderer"]  # only the request-rate query knows it
    assert (seo.error_rate, seo.latency_p99_seconds, seo.request_rate) == (None, None, 0.8)
    assert "mobile-app" not in health


def unquote(promql_string: str) -> str:
    """Undo a double-quoted PromQL string's escaping, as Prometheus' parser does."""
    return re.sub(r"\\(.)", r"\1", promql_string)


def test_service_names_are_regex_escaped_for_an_exact_anchored_match() -> None:
    names = ["payments.v2", 'we"ird+name', "checkout-service", "a|b"]
    literal = services_regex(names)
    assert literal == r"a\\|b|checkout-service|payments\\.v2|we\"ird\\+name"
    pattern = re.compile(unquote(literal))
    assert all(pattern.fullmatch(n) for n in names)
    for other in ("paymentsXv2", "a", "b", 'we"irdddname', "checkout-service-canary"):
        assert not pattern.fullmatch(other), other


async def test_escaped_names_reach_prometheus_inside_the_matcher(prom_mock: respx.MockRouter) -> None:
    route = prom_mock.get("/api/v1/query").respond(json=payload("health_request_rate.json"))
    connector = connect(health_error_rate_query="", health_latency_p99_query="", health_label="service_name")
    assert await connector.health(["payments.v2", "checkout-service"], AT) == []  # recorded names differ
    assert route.call_count == 1
    assert 'service_name=~"checkout-service|payments\\\\.v2"' in route.calls[0].request.url.params["query"]


async def test_an_empty_template_disables_that_metric(prom_mock: respx.MockRouter) -> None:
    route = prom_mock.get("/api/v1/query").mock(side_effect=recorded)
    connector = connect(health_latency_p99_query="")
    health = await connector.health(ASKED, AT)
    assert route.call_count == 2
    assert all(h.latency_p99_seconds is None for h in health)
    assert any(h.error_rate is not None for h in health)


async def test_nothing_asked_means_no_query(prom: Prometheus, prom_mock: respx.MockRouter) -> None:
    route = prom_mock.get("/api/v1/query").mock(side_effect=recorded)
    assert await prom.health([], AT) == []
    assert route.call_count == 0


@pytest.mark.parametrize(("status", "fixture"), [(400, "error_bad_data.json"), (422, "query_error_execution.json")])
async def test_an_error_body_is_a_data_error(
    prom: Prometheus, prom_mock: respx.MockRouter, status: int, fixture: str
) -> None:
    prom_mock.get("/api/v1/query").respond(status, json=payload(fixture))
    with pytest.raises(SourceDataError) as info:
        await prom.health(ASKED, AT)
    assert info.value.instance == "prom"


async def test_an_error_envelope_with_200_is_a_data_error_naming_prometheus_reason(
    prom: Prometheus, prom_mock: respx.MockRouter
) -> None:
    prom_mock.get("/api/v1/query").respond(200, json=payload("query_error_execution.json"))
    with pytest.raises(SourceDataError, match="too many samples"):
        await prom.health(ASKED, AT)


async def test_a_matrix_answer_is_a_data_error(prom: Prometheus, prom_mock: respx.MockRouter) -> None:
    prom_mock.get("/api/v1/query").respond(json=payload("query_matrix.json"))
    with pytest.raises(SourceDataError, match="instant vector"):
        await prom.health(ASKED, AT)


async def test_one_failing_metric_fails_the_call(prom: Prometheus, prom_mock: respx.MockRouter) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if "histogram_quantile" in request.url.params["query"]:
            return httpx.Response(503, text="upstream down")
        return recorded(request)

    prom_mock.get("/api/v1/query").mock(side_effect=answer)
    with pytest.raises(SourceUnavailableError):
        await prom.health(ASKED, AT)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("health_request_rate_query", "sum by (job) (rate(http_server_request_duration_seconds_count[5m]))"),
        ("health_label", "service.name"),
    ],
)
def test_unbounded_templates_and_bad_label_names_are_refused_at_start_up(field: str, value: str) -> None:
    with pytest.raises(ValidationError, match=field):
        PrometheusConfig.model_validate({"type": "prometheus", "url": URL, field: value})
