"""Prometheus: rule alerts, observed call edges from service-graph metrics, per-service health."""

from __future__ import annotations

from opscontext.registry import ConnectorSpec
from opscontext_connectors.prometheus.config import PrometheusConfig
from opscontext_connectors.prometheus.connector import Prometheus

spec = ConnectorSpec(
    type="prometheus",
    summary="Firing rule alerts, observed service-to-service calls, error rate / p99 latency / traffic per service, "
    "SLI error ratios and burn rates for SLOs.",
    config_model=PrometheusConfig,
    factory=Prometheus,
    cacheable=True,
    example={
        "type": "prometheus",
        "url": "https://prometheus.example.com",
        "token": "dummy-token",
        "external_labels": {"cluster": "prod-eu-1"},
    },
)

__all__ = ["Prometheus", "PrometheusConfig", "spec"]
