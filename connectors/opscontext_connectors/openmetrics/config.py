"""Configuration of the ``openmetrics`` connector: recorded samples in OpenMetrics text."""

from __future__ import annotations

from opscontext.config import FileConnectorConfig


class OpenMetricsConfig(FileConnectorConfig):
    """``path``: a ``*.om`` file or a directory of them, every sample with its timestamp."""
