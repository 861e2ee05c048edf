"""Config model of the ``prometheus`` type."""

from __future__ import annotations

import re

import httpx
from pydantic import Field, field_validator

from opscontext.config import HttpConnectorConfig
from opscontext.promfamily import BasicAuthMixin, LabelMapping

# Metric names of the OpenTelemetry Collector `servicegraph` connector and Tempo's
# metrics-generator; both label each edge with `client` (caller) and `server` (callee).
DEFAULT_REQUESTS_QUERY = "sum by (client, server) (rate(traces_service_graph_request_total[5m]))"
DEFAULT_FAILED_QUERY = (
    "sum by (client, server) (rate(traces_service_graph_request_failed_total[5m]))"
)

# Health templates. Only the two placeholders `{label}` and `{services_regex}` are replaced (no
# str.format), so PromQL's own braces need no doubling. The defaults read the stable OpenTelemetry
# HTTP server histogram `http.server.request.duration` (unit s) as Prometheus stores it:
# `http_server_request_duration_seconds_{bucket,count,sum}` with the status code in
# `http_response_status_code`. A service without 5xx series gets an error ratio of 0, not
# "no data": the `or 0 * total` arm fills the gap only where the service has traffic.
_HTTP = "http_server_request_duration_seconds"
_MATCH = '{label}=~"{services_regex}"'
_ALL = "sum by ({label}) (rate(" + _HTTP + "_count{" + _MATCH + "}[5m]))"
_5XX = "sum by ({label}) (rate(" + _HTTP + "_count{" + _MATCH + ',http_response_status_code=~"5.."}[5m]))'
DEFAULT_HEALTH_ERROR_RATE_QUERY = f"({_5XX} or 0 * {_ALL}) / {_ALL}"
DEFAULT_HEALTH_LATENCY_P99_QUERY = (
    "histogram_quantile(0.99, sum by (le, {label}) (rate(" + _HTTP + "_bucket{" + _MATCH + "}[5m])))"
)
DEFAULT_HEALTH_REQUEST_RATE_QUERY = _ALL
LABEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TEMPLATE_HELP = (
    " `{label}` becomes `health_label`; `{services_regex}` becomes an alternation of the services "
    "asked, regex-escaped for a double-quoted PromQL string (use it as `{label}=~\"{services_regex}\"`)."
    " Must return one series per service carrying `{label}`. Empty string: do not report this metric."
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
    health_label: str = Field(
        default="job",
        description=(
            "Label naming the service in the health queries. OpenTelemetry's Prometheus translation "
            "puts `service.name` in `job` (`<service.namespace>/<service.name>` when a namespace is "
            "set); use `service_name` where resource attributes are promoted to labels, or `server` "
            "with service-graph metrics (Tempo metrics-generator, Collector servicegraph connector)."
        ),
    )
    health_error_rate_query: str = Field(
        default=DEFAULT_HEALTH_ERROR_RATE_QUERY,
        description=(
            "Instant PromQL giving the fraction (0..1) of requests failing per service; the default "
            "counts HTTP 5xx of `http.server.request.duration`. With service-graph metrics: "
            '`sum by (server) (rate(traces_service_graph_request_failed_total{server=~"{services_regex}"}[5m]))'
            ' / sum by (server) (rate(traces_service_graph_request_total{server=~"{services_regex}"}[5m]))`.'
            + _TEMPLATE_HELP
        ),
    )
    health_latency_p99_query: str = Field(
        default=DEFAULT_HEALTH_LATENCY_P99_QUERY,
        description=(
            "Instant PromQL giving the p99 server latency in seconds per service, by default from "
            "the `http_server_request_duration_seconds_bucket` histogram; with service graphs use "
            "`traces_service_graph_request_server_seconds_bucket` by (le, server)." + _TEMPLATE_HELP
        ),
    )
    health_request_rate_query: str = Field(
        default=DEFAULT_HEALTH_REQUEST_RATE_QUERY,
        description=(
            "Instant PromQL giving requests/s served per service, by default from "
            "`http_server_request_duration_seconds_count`; with service graphs "
            "`traces_service_graph_request_total` by server." + _TEMPLATE_HELP
        ),
    )

    @field_validator("health_label")
    @classmethod
    def _label_name(cls, value: str) -> str:
        if not LABEL_NAME.match(value):
            raise ValueError(f"{value!r} is not a Prometheus label name")
        return value

    @field_validator("health_error_rate_query", "health_latency_p99_query", "health_request_rate_query")
    @classmethod
    def _bounded_template(cls, value: str) -> str:
        # Without the matcher one query would fetch every service Prometheus knows.
        if value.strip() and "{services_regex}" not in value:
            raise ValueError("must contain {services_regex} (or be empty to disable this metric)")
        return value

    def health_queries(self) -> dict[str, str]:
        """ServiceHealth field -> template, for the metrics that are switched on."""
        templates = {
            "error_rate": self.health_error_rate_query,
            "latency_p99_seconds": self.health_latency_p99_query,
            "request_rate": self.health_request_rate_query,
        }
        return {field: t for field, t in templates.items() if t.strip()}

    def httpx_auth(self) -> httpx.Auth | None:
        return self.basic_auth()
