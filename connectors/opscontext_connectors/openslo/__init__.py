"""OpenSLO v1 files: service level objectives, their indicators and data sources (SloSource)."""

from __future__ import annotations

from opscontext.registry import ConnectorSpec
from opscontext_connectors.openslo.config import OpenSloConfig
from opscontext_connectors.openslo.connector import OpenSlo

spec = ConnectorSpec(
    type="openslo",
    summary="Service level objectives from OpenSLO v1 YAML (SLO, SLI, DataSource); SLIs evaluated by Prometheus.",
    config_model=OpenSloConfig,
    factory=OpenSlo,
    cacheable=False,
    example={"type": "openslo", "path": "slos"},
)

__all__ = ["OpenSlo", "OpenSloConfig", "spec"]
