"""Recorded metrics in OpenMetrics text: SLIs evaluated offline, for demos and reviews (SliSource)."""

from __future__ import annotations

from opscontext.registry import ConnectorSpec
from opscontext_connectors.openmetrics.config import OpenMetricsConfig
from opscontext_connectors.openmetrics.connector import OpenMetricsRecording

spec = ConnectorSpec(
    type="openmetrics",
    summary="SLI error ratios evaluated over recorded samples (OpenMetrics text with timestamps), "
    "for worlds without a live Prometheus.",
    config_model=OpenMetricsConfig,
    factory=OpenMetricsRecording,
    cacheable=False,
    example={"type": "openmetrics", "path": "metrics"},
)

__all__ = ["OpenMetricsConfig", "OpenMetricsRecording", "spec"]
