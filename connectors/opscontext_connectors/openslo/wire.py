"""OpenSLO v1 objects as the specification writes them (github.com/OpenSLO/OpenSLO, README).

Only what opscontext reads is modelled; other fields (labels, annotations, alertPolicies, a
threshold's ``op``) are ignored, as the spec asks implementations to tolerate them. A file holds
one object per YAML document, or a YAML list of objects (the spec's own example files do both).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

API_VERSION = "openslo/v1"
KINDS = ("SLO", "SLI", "DataSource", "Service", "AlertPolicy", "AlertCondition", "AlertNotificationTarget")


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)


class Metadata(_Wire):
    name: str
    display_name: str | None = Field(default=None, alias="displayName")

    @field_validator("name")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("metadata.name is empty")
        return value.strip()


class MetricSource(_Wire):
    metric_source_ref: str | None = Field(default=None, alias="metricSourceRef")
    type: str | None = None
    spec: dict[str, Any] = Field(default_factory=dict)


class MetricSpec(_Wire):
    metric_source: MetricSource = Field(alias="metricSource")


class RatioMetric(_Wire):
    counter: bool = True  # the spec leaves it open; SLI metrics are counters far more often
    good: MetricSpec | None = None
    bad: MetricSpec | None = None
    total: MetricSpec | None = None
    raw_type: Literal["success", "failure"] | None = Field(default=None, alias="rawType")
    raw: MetricSpec | None = None


class SliSpec(_Wire):
    description: str | None = None
    threshold_metric: dict[str, Any] | None = Field(default=None, alias="thresholdMetric")
    ratio_metric: RatioMetric | None = Field(default=None, alias="ratioMetric")


class Indicator(_Wire):
    """An SLI: a ``kind: SLI`` object, or inlined in an SLO as ``indicator``."""

    metadata: Metadata
    spec: SliSpec


class TimeWindow(_Wire):
    duration: str
    is_rolling: bool | None = Field(default=None, alias="isRolling")
    calendar: dict[str, Any] | None = None


class Objective(_Wire):
    display_name: str | None = Field(default=None, alias="displayName")
    target: float | None = None
    target_percent: float | None = Field(default=None, alias="targetPercent")


class SloSpec(_Wire):
    description: str | None = None
    service: str
    indicator: Indicator | None = None
    indicator_ref: str | None = Field(default=None, alias="indicatorRef")
    time_window: list[TimeWindow] = Field(default_factory=list, alias="timeWindow")
    budgeting_method: str = Field(default="Occurrences", alias="budgetingMethod")
    objectives: list[Objective] = Field(min_length=1)


class SloObject(_Wire):
    metadata: Metadata
    spec: SloSpec


class DataSourceSpec(_Wire):
    type: str


class DataSourceObject(_Wire):
    metadata: Metadata
    spec: DataSourceSpec
