"""Backstage software catalog: services, teams, people and declared dependencies.

Two connector types share one mapping: ``backstage`` reads descriptor files kept in git,
``backstage-api`` reads a running Backstage's catalog API.
"""

from __future__ import annotations

from opscontext.registry import ConnectorSpec
from opscontext_connectors.backstage.connector import (
    BackstageApi,
    BackstageApiConfig,
    BackstageFiles,
    BackstageFilesConfig,
)

spec = ConnectorSpec(
    type="backstage",
    summary="Backstage catalog-info.yaml files: services, owners, teams, people, dependencies.",
    config_model=BackstageFilesConfig,
    factory=BackstageFiles,
    cacheable=False,
    example={"type": "backstage", "path": "catalog"},
)

api_spec = ConnectorSpec(
    type="backstage-api",
    summary="Backstage catalog REST API: services, owners, teams, people, dependencies.",
    config_model=BackstageApiConfig,
    factory=BackstageApi,
    cacheable=True,
    example={
        "type": "backstage-api",
        "url": "https://backstage.example.com",
        "token": "dummy-token",
    },
)

__all__ = ["api_spec", "spec"]
