"""Prometheus as an SLI evaluator: instant queries per window at the asked instant, a refused
query kept to its SLO, and a source that cannot be asked reported as such."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs

import httpx
import pytest

from opscontext.errors import SourceDataError, SourceUnavailableError
from opscontext.models import RatioSli, SliRequest
from opscontext.registry import ConnectorContext, build_http_client
from opscontext_connectors.prometheus import Prometheus, PrometheusConfig

pytestmark = pytest.mark.anyio
AT = datetime(2026, 3, 10, 14, tzinfo=UTC)


def vector(value: float | None) -> dict[str, object]:
    result = [] if value is None else [{"metric": {}, "value": [AT.timestamp(), str(value)]}]
    return {"status": "success", "data": {"resultType": "vector", "result": result}}


def prometheus(handler: httpx.MockTransport) -> Prometheus:
    config = PrometheusConfig.model_validate({"type": "prometheus", "url": "http://prom.test", "max_retries": 0})
    return Prometheus(ConnectorContext(name="prom", config=config, http=build_http_client(config, transport=handler)))


def request(slo: str, bad: str, windows: tuple[int, ...] = (300, 3600)) -> SliRequest:
    return SliRequest(slo=slo, evaluator="prom", windows=windows,
                      sli=RatioSli(kind="bad", numerator=bad, total='http_requests_total{job="api"}'))


async def test_each_window_is_two_instant_queries_at_the_asked_instant() -> None:
    seen: list[tuple[str, str]] = []

    def answer(req: httpx.Request) -> httpx.Response:
        params = parse_qs(req.url.query.decode())
        seen.append((params["query"][0], params["time"][0]))
        return httpx.Response(200, json=vector(50.0 if "5.." in params["query"][0] else 1000.0))

    readings = await prometheus(httpx.MockTransport(answer)).sli_ratios(
        [request("api", 'http_requests_total{job="api",code=~"5.."}')], AT)
    got = [(r.window_seconds, r.error_ratio, r.events) for r in readings]
    assert got == [(300, 0.05, 1000.0), (3600, 0.05, 1000.0)]
    assert ('sum(increase(http_requests_total{job="api",code=~"5.."}[1h]))', f"{AT.timestamp():.3f}") in seen
    assert len(seen) == 4


async def test_a_query_prometheus_refuses_stays_with_its_slo() -> None:
    def answer(req: httpx.Request) -> httpx.Response:
        if "oops" in req.url.query.decode():
            return httpx.Response(400, json={"status": "error", "errorType": "bad_data", "error": "parse error"})
        return httpx.Response(200, json=vector(10.0))

    readings = await prometheus(httpx.MockTransport(answer)).sli_ratios(
        [request("fine", 'http_requests_total{code="500"}'), request("broken", "oops_total")], AT)
    broken = [r for r in readings if r.slo == "broken"]
    assert broken and all(r.error_ratio is None and "HTTP 400" in (r.error or "") for r in broken)
    assert all(r.error is None and r.error_ratio == 1.0 for r in readings if r.slo == "fine")


async def test_every_query_refused_or_a_dead_server_fails_the_source() -> None:
    refuse = httpx.MockTransport(lambda req: httpx.Response(400, json={"status": "error"}))
    with pytest.raises(SourceDataError):
        await prometheus(refuse).sli_ratios([request("a", "x")], AT)
    down = httpx.MockTransport(lambda req: httpx.Response(503, text="down"))
    with pytest.raises(SourceUnavailableError):
        await prometheus(down).sli_ratios([request("a", "x")], AT)


async def test_requests_for_another_evaluator_are_not_asked() -> None:
    def fail(req: httpx.Request) -> httpx.Response:
        raise AssertionError("no request expected")

    other = request("a", "x").model_copy(update={"evaluator": "other-prom"})
    assert await prometheus(httpx.MockTransport(fail)).sli_ratios([other], AT) == []
