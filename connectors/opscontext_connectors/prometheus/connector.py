"""The ``prometheus`` type: rule alerts, observed service-graph edges and per-service health."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from opscontext.capabilities import AlertSource, HealthSource, SliSource, TopologySource
from opscontext.errors import SourceDataError
from opscontext.http import JsonClient
from opscontext.models import Alert, DependencyEdge, ServiceHealth, SliReading, SliRequest, TimeWindow
from opscontext.registry import ConnectorContext
from opscontext.sli_eval import evaluate
from opscontext_connectors.prometheus.config import PrometheusConfig
from opscontext_connectors.prometheus.health import expand, to_health, values_by_service
from opscontext_connectors.prometheus.mapping import parse_rule_alerts, rates_by_pair, to_alert, to_edges
from opscontext_connectors.prometheus.sli import vector_sum
from opscontext_connectors.prometheus.wire import AlertsData, BuildInfo, Envelope, QueryData


class Prometheus(AlertSource, TopologySource, HealthSource, SliSource):
    """Prometheus HTTP API: firing (and optionally pending) rule alerts, service-to-service edges
    observed in service-graph metrics, error rate / p99 latency / traffic per service, and the SLI
    error ratios of the SLOs that name this instance as their evaluator."""

    def __init__(self, ctx: ConnectorContext[PrometheusConfig]):
        self.ctx = ctx
        self.config = ctx.config
        self.client = JsonClient.configured(ctx.http_client(), self.config, instance=ctx.name)

    def _fail(self, message: str) -> SourceDataError:
        return SourceDataError(message, instance=self.ctx.name)

    async def _data(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """``data`` of a successful envelope; an error envelope becomes SourceDataError."""
        try:
            envelope = Envelope.model_validate(await self.client.get_json(path, params))
        except ValidationError:
            raise self._fail(f"{self.client.url_of(path)} did not answer in Prometheus' API format") from None
        if envelope.status != "success":
            # The vendor's own words help (a PromQL parse error), but a server may echo credentials.
            kind = self.client.scrub(envelope.error_type or "error")
            detail = self.client.scrub(envelope.error or "no detail")
            raise self._fail(f"Prometheus {self.client.url_of(path)} failed: {kind}: {detail}")
        return envelope.data

    async def alerts(self, window: TimeWindow) -> list[Alert]:
        try:
            data = AlertsData.model_validate(await self._data("/api/v1/alerts"))
        except ValidationError:
            raise self._fail(f"{self.client.url_of('/api/v1/alerts')} answered without data.alerts") from None
        wanted = {"firing", "pending"} if self.config.include_pending else {"firing"}
        alerts = [
            to_alert(a, source=self.ctx.name, config=self.config)
            for a in parse_rule_alerts(data.alerts)
            if a.state in wanted
        ]
        return [a for a in alerts if a.active_during(window)]

    async def _vector(self, query: str, what: str, at: datetime | None = None) -> list[Any]:
        """Samples of one instant query (at ``at``, else Prometheus' now), unvalidated."""
        params = {"query": query} if at is None else {"query": query, "time": f"{at.timestamp():.3f}"}
        try:
            data = QueryData.model_validate(await self._data("/api/v1/query", params))
        except ValidationError:
            raise self._fail(f"{self.client.url_of('/api/v1/query')} answered without data.result") from None
        if data.result_type != "vector":
            raise self._fail(f"{what} query must return an instant vector, got {data.result_type}")
        return data.result

    async def _instant(self, query: str) -> dict[tuple[str, str], float]:
        cfg = self.config
        samples = await self._vector(query, "topology")
        return rates_by_pair(samples, client=cfg.client_label, server=cfg.server_label)

    async def edges(self) -> list[DependencyEdge]:
        if not self.config.topology:
            return []
        requests = await self._instant(self.config.requests_query)
        failed = await self._instant(self.config.failed_query) if self.config.failed_query else {}
        return to_edges(requests, failed, source=self.ctx.name)

    async def health(self, services: Sequence[str], at: datetime) -> list[ServiceHealth]:
        """One instant query per enabled metric for all ``services`` at once, run concurrently."""
        names = list(dict.fromkeys(s for s in services if s))
        queries = self.config.health_queries()
        if not names or not queries:
            return []
        label = self.config.health_label
        answers = await asyncio.gather(
            *(self._vector(expand(q, label=label, services=names), f"{m} health", at) for m, q in queries.items()),
            return_exceptions=True,
        )
        for answer in answers:
            if isinstance(answer, BaseException):
                raise answer  # the first failure speaks for the call; the others are alike
        wanted = frozenset(names)
        metrics = {
            metric: values_by_service(samples, metric=metric, label=label, wanted=wanted)
            for metric, samples in zip(queries, answers, strict=True)
            if not isinstance(samples, BaseException)
        }
        return to_health(names, metrics, at=at, source=self.ctx.name)

    async def sli_ratios(self, requests: Sequence[SliRequest], at: datetime) -> list[SliReading]:
        """Error ratios of the SLOs addressed to this instance, per window ending at ``at``."""
        async def value_of(query: str, when: datetime) -> float | None:
            return vector_sum(await self._vector(query, "SLI", when))

        return await evaluate(requests, at, instance=self.ctx.name, value_of=value_of)

    async def check(self) -> str:
        try:
            info = BuildInfo.model_validate(await self._data("/api/v1/status/buildinfo"))
        except ValidationError:
            raise self._fail(f"{self.client.url_of('/api/v1/status/buildinfo')} answered without build data") from None
        return f"Prometheus {info.version} (revision {info.revision or 'unknown'})"
