"""Config model of the ``prometheus`` type."""

from __future__ import annotations

import httpx
from pydantic import Field

from connectors.alertmanager.config import BasicAuthMixin, LabelMapping
from opscontext.config import HttpConnectorConfig

# Metric names of the OpenTelemetry Collector `servicegraph` connector and Tempo's
# metrics-generator; both label each edge with `client` (caller) and `server` (callee).
DEFAULT_REQUESTS_QUERY = "sum by (client, server) (rate(traces_service_graph_request_total[5m]))"
DEFAULT_FAILED_QUERY = (
    "sum by (client, server) (rate(traces_service_graph_request_failed_total[5m]))"
)


class PrometheusConfig(HttpConnectorConfig, LabelMapping, BasicAuthMixin):
    """A Prometheus server (or a compatible query API: Thanos, Mimir, VictoriaMetrics)."""

    include_pending: bool = Field(
        default=False, description="Also report alerts still waiting out their `for:` duration."
    )
    external_labels: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Prometheus' global external_labels. Prometheus adds them only when sending to "
            "Alertmanager, so they are needed here for fingerprints to match Alertmanager's."
        ),
    )
    topology: bool = Field(default=True, description="Read observed call edges from metrics.")
    requests_query: str = Field(
        default=DEFAULT_REQUESTS_QUERY,
        description="Instant PromQL giving requests/s per caller-callee pair.",
    )
    failed_query: str | None = Field(
        default=DEFAULT_FAILED_QUERY,
        description="Instant PromQL giving failed requests/s per pair; null to skip error rates.",
    )
    client_label: str = Field(default="client", description="Label naming the caller.")
    server_label: str = Field(default="server", description="Label naming the callee.")

    def httpx_auth(self) -> httpx.Auth | None:
        return self.basic_auth()
