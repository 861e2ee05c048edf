"""Prometheus HTTP API v1 wire models (prometheus.io/docs/prometheus/latest/querying/api/).

Every answer is wrapped in ``{"status": "success"|"error", "data": ..., "errorType", "error",
"warnings"}``; the envelope is checked by the client before ``data`` is read with these models.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Envelope(Wire):
    status: str
    data: Any = None
    error_type: str | None = Field(default=None, alias="errorType")
    error: str | None = None
    warnings: list[str] = Field(default_factory=list)


class RuleAlert(Wire):
    """One entry of ``GET /api/v1/alerts`` -> ``data.alerts``."""

    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    state: str  # firing | pending (inactive alerts are not listed)
    active_at: datetime = Field(alias="activeAt")
    value: str | None = None


class AlertsData(Wire):
    alerts: list[dict[str, Any]] = Field(default_factory=list)  # validated one by one


class Sample(Wire):
    """One element of an instant vector: ``{"metric": {...}, "value": [<unix ts>, "<float>"]}``."""

    metric: dict[str, str] = Field(default_factory=dict)
    value: tuple[float, str]


class QueryData(Wire):
    result_type: str = Field(alias="resultType")
    result: list[dict[str, Any]] = Field(default_factory=list)


class BuildInfo(Wire):
    version: str = "unknown"
    revision: str | None = None
