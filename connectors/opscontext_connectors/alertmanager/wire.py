"""Alertmanager API v2 wire models, as documented in Alertmanager's api/v2/openapi.yaml.

Only what opscontext reads is modelled; unknown fields are ignored so newer Alertmanager
versions (or Mimir/Cortex/Thanos front-ends speaking the same API) keep working. Optional
fields default to empty so a hand-written snapshot file need not carry every field.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Receiver(Wire):
    name: str


class AlertStatus(Wire):
    state: str = "active"  # unprocessed | active | suppressed
    silenced_by: list[str] = Field(default_factory=list, alias="silencedBy")
    inhibited_by: list[str] = Field(default_factory=list, alias="inhibitedBy")


class GettableAlert(Wire):
    """One entry of ``GET /api/v2/alerts`` (the ``gettableAlert`` definition)."""

    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    starts_at: datetime = Field(alias="startsAt")
    ends_at: datetime | None = Field(default=None, alias="endsAt")
    updated_at: datetime | None = Field(default=None, alias="updatedAt")
    fingerprint: str = ""
    receivers: list[Receiver] = Field(default_factory=list)
    status: AlertStatus = Field(default_factory=AlertStatus)
    generator_url: str | None = Field(default=None, alias="generatorURL")


class AlertGroup(Wire):
    """One entry of ``GET /api/v2/alerts/groups`` (the ``alertGroup`` definition)."""

    labels: dict[str, str] = Field(default_factory=dict)
    receiver: Receiver
    alerts: list[dict[str, object]] = Field(default_factory=list)  # parsed one by one


class ClusterStatus(Wire):
    status: str  # ready | settling | disabled
    name: str | None = None
    peers: list[dict[str, object]] = Field(default_factory=list)


class VersionInfo(Wire):
    version: str = "unknown"
    revision: str | None = None


class AlertmanagerStatus(Wire):
    """``GET /api/v2/status`` (the ``alertmanagerStatus`` definition)."""

    cluster: ClusterStatus
    version_info: VersionInfo = Field(alias="versionInfo")
    uptime: datetime | None = None
