"""Prometheus Alertmanager: alerts from saved API answers or from the live API."""

from __future__ import annotations

from opscontext.registry import ConnectorSpec
from opscontext_connectors.alertmanager.api import AlertGroup, AlertmanagerApi
from opscontext_connectors.alertmanager.config import AlertmanagerApiConfig, AlertmanagerFileConfig
from opscontext_connectors.alertmanager.file import AlertmanagerFile

spec = ConnectorSpec(
    type="alertmanager",
    summary="Alerts from saved Alertmanager API v2 answers, recorded webhook notifications or Prometheus "
    "/api/v1/alerts answers (JSON, a file or a directory).",
    config_model=AlertmanagerFileConfig,
    factory=AlertmanagerFile,
    cacheable=False,
    example={"type": "alertmanager", "path": "alerts"},
)

api_spec = ConnectorSpec(
    type="alertmanager-api",
    summary="Firing, silenced and inhibited alerts from a live Alertmanager (API v2).",
    config_model=AlertmanagerApiConfig,
    factory=AlertmanagerApi,
    cacheable=True,
    example={
        "type": "alertmanager-api",
        "url": "https://alertmanager.example.com",
        "token": "dummy-token",
        "filter": ['env="prod"'],
    },
)

__all__ = ["AlertGroup", "AlertmanagerApi", "AlertmanagerFile", "api_spec", "spec"]
