"""Alertmanager API v2 wire models, as documented in Alertmanager's api/v2/openapi.yaml.

Only what opscontext reads is modelled; unknown fields are ignored so newer Alertmanager
versions (or Mimir/Cortex/Thanos front-ends speaking the same API) keep working. Optional
fields default to empty so a hand-written snapshot file need not carry every field.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from opscontext.models import unset_before


class Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Receiver(Wire):
    name: str


class AlertStatus(Wire):
    state: str = "active"  # unprocessed | active | suppressed
    silenced_by: list[str] = Field(default_factory=list, alias="silencedBy")
    inhibited_by: list[str] = Field(default_factory=list, alias="inhibitedBy")


class GettableAlert(Wire):
    """One entry of ``GET /api/v2/alerts`` (the ``gettableAlert`` definition), or one alert of a
    webhook notification (Alertmanager's ``webhook_config`` payload, version 4, and Grafana's,
    which copies it): there ``status`` is the string ``firing`` or ``resolved`` and a firing
    alert's ``endsAt`` is Go's zero time, ``0001-01-01T00:00:00Z``."""

    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    starts_at: datetime = Field(alias="startsAt")
    ends_at: datetime | None = Field(default=None, alias="endsAt")
    updated_at: datetime | None = Field(default=None, alias="updatedAt")
    fingerprint: str = ""
    receivers: list[Receiver] = Field(default_factory=list)
    status: AlertStatus = Field(default_factory=AlertStatus)
    generator_url: str | None = Field(default=None, alias="generatorURL")

    @model_validator(mode="before")
    @classmethod
    def _webhook_status(cls, data: Any) -> Any:
        """A webhook alert's string status as the API's: ``firing`` is active; ``resolved`` is
        resolved, last updated when it ended (so it wins over the same alert's firing entry)."""
        if isinstance(data, dict) and isinstance(data.get("status"), str):
            resolved = data["status"].strip().lower() == "resolved"
            data = {**data, "status": {"state": "resolved" if resolved else "active"}}
            if resolved and data.get("updatedAt") is None:
                data["updatedAt"] = data.get("endsAt")
        return data

    @field_validator("starts_at", "ends_at", "updated_at", mode="before")
    @classmethod
    def _a_time_string(cls, value: Any) -> Any:
        """Alertmanager writes RFC 3339 strings. A number would read as seconds since 1970 (12345
        became an alert from 1970, in no window): left out as malformed instead."""
        if isinstance(value, bool | int | float):
            raise ValueError("expected an RFC 3339 time like 2026-03-10T13:48:00Z, found a number")
        return value

    @field_validator("starts_at", "ends_at", "updated_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        """A time without an offset is UTC, as Alertmanager's own are: the same alert written
        with and without ``Z`` is one alert, not two."""
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value

    @field_validator("ends_at", "updated_at")
    @classmethod
    def _unset_before_start(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        """A time before the alert began (Go's zero time from a webhook) means "not set", as in
        the domain model, so :func:`~.mapping.state_of` does not read it as a resolution."""
        return unset_before(value, info.data.get("starts_at"))


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
