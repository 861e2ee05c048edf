"""The modelled health source over Prometheus' HTTP API, read back by the real connector."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from evalkit.prom_model import TOML, PrometheusModel
from opscontext.models import ServiceHealth, TimeWindow
from opscontext.registry import ConnectorContext, build_http_client
from opscontext_connectors.prometheus import Prometheus, PrometheusConfig

pytestmark = pytest.mark.anyio
AT = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
NAMES = ["payment", "cart.v2", "a|b", 'quote"d', "no-data"]


def fake_read(name: str, at: datetime) -> ServiceHealth | None:
    if name == "no-data":
        return None
    failing = at >= AT  # every service starts failing at AT
    return ServiceHealth(service=name, error_rate=0.3 if failing else 0.002, latency_p99_seconds=0.12,
                         request_rate=40.0 if name != "cart.v2" else None, at=at)


@pytest.fixture
def model() -> Iterator[PrometheusModel]:
    m = PrometheusModel(fake_read)
    yield m
    m.close()


def _connector(port: int) -> Prometheus:
    cfg = tomllib.loads(TOML.format(port=port))["connectors"]["health"]
    config = PrometheusConfig.model_validate({**cfg, "max_retries": 0})
    return Prometheus(ConnectorContext(name="health", config=config, http=build_http_client(config)))


async def test_the_connector_reads_back_each_service_s_reading_at_the_instant_asked(model: PrometheusModel) -> None:
    prom = _connector(model.port)
    try:
        await _read_back(prom, model)
    finally:
        await prom.ctx.http.aclose()


async def _read_back(prom: Prometheus, model: PrometheusModel) -> None:
    assert "Prometheus" in await prom.check()
    before = {h.service: h for h in await prom.health(NAMES, AT - timedelta(minutes=15))}
    during = {h.service: h for h in await prom.health(NAMES, AT + timedelta(minutes=5))}
    assert set(during) == {"payment", "cart.v2", "a|b", 'quote"d'}  # no series: not in the answer
    assert before["a|b"].error_rate == pytest.approx(0.002)
    assert during["a|b"].error_rate == pytest.approx(0.3)
    assert during['quote"d'].latency_p99_seconds == pytest.approx(0.12)
    assert during["cart.v2"].request_rate is None  # no data stays None, not 0
    assert model.queries == 6  # one query per metric per instant, every service in it
    # its alerts come from files: the model's rule alerts are none
    assert await prom.alerts(TimeWindow(since=AT - timedelta(hours=1), until=AT)) == []


async def test_a_query_it_does_not_model_is_refused_in_prometheus_format(model: PrometheusModel) -> None:
    code, body = model.answer("/api/v1/query", {"query": "up", "time": "0"})
    assert code == 400 and body["status"] == "error" and body["errorType"] == "bad_data"
    code, body = model.answer("/api/v1/query", {"query": 'evalkit_requests{job=~"x"}'})  # no time
    assert code == 400
    code, _ = model.answer("/api/v1/labels", {})
    assert code == 404
