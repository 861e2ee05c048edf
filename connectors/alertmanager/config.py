"""Config models of the ``alertmanager`` (snapshot files) and ``alertmanager-api`` types."""

from __future__ import annotations

import httpx
from pydantic import BaseModel, Field, SecretStr, model_validator

from connectors.alertmanager.labels import DEFAULT_SERVICE_LABELS
from opscontext.config import FileConnectorConfig, HttpConnectorConfig


class LabelMapping(BaseModel):
    """How alert labels map onto opscontext's alert fields; shared with the Prometheus type."""

    service_labels: list[str] = Field(
        default_factory=lambda: list(DEFAULT_SERVICE_LABELS),
        min_length=1,
        description="Labels naming the affected service, first present wins.",
    )
    severity_label: str = Field(default="severity", description="Label holding the severity.")


class BasicAuthMixin(BaseModel):
    """Basic auth (common in front of Alertmanager and Prometheus) or the inherited bearer token."""

    username: str | None = Field(default=None, description="Basic-auth user name.")
    password: SecretStr | None = Field(
        default=None, description="Basic-auth password (never logged)."
    )

    @model_validator(mode="after")
    def _one_scheme(self) -> BasicAuthMixin:
        if (self.username is None) != (self.password is None):
            raise ValueError("set both `username` and `password` for basic auth, or neither")
        if self.username is not None and getattr(self, "token", None) is not None:
            raise ValueError("set either `token` (bearer) or `username`/`password`, not both")
        return self

    def basic_auth(self) -> httpx.Auth | None:
        if self.username is None or self.password is None:
            return None
        return httpx.BasicAuth(self.username, self.password.get_secret_value())


class AlertmanagerFileConfig(FileConnectorConfig, LabelMapping):
    """A JSON file holding a ``GET /api/v2/alerts`` answer, or a directory of such snapshots."""


class AlertmanagerApiConfig(HttpConnectorConfig, LabelMapping, BasicAuthMixin):
    """A live Alertmanager (or an API-compatible Mimir/Cortex/Thanos front-end)."""

    filter: list[str] = Field(
        default_factory=list,
        description='Alertmanager matchers limiting the alerts read, e.g. ["env=\\"prod\\""].',
    )
    receiver: str | None = Field(default=None, description="Regex of receivers to keep.")

    def httpx_auth(self) -> httpx.Auth | None:
        return self.basic_auth()
