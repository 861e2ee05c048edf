"""Config models of the ``alertmanager`` (snapshot files) and ``alertmanager-api`` types."""

from __future__ import annotations

import httpx
from pydantic import Field

from opscontext.config import FileConnectorConfig, HttpConnectorConfig
from opscontext.promfamily import BasicAuthMixin, LabelMapping

__all__ = ["AlertmanagerApiConfig", "AlertmanagerFileConfig", "BasicAuthMixin", "LabelMapping"]


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
