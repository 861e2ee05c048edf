"""Dynatrace API v2 connector.

Capabilities: catalog (SERVICE entities, owner from a tag), topology (observed `calls`
relationships), alerts (Davis problems) and changes (deployment events). Read-only: every call
is a GET.
"""

from __future__ import annotations

from opscontext.registry import ConnectorSpec
from opscontext_connectors.dynatrace.config import DynatraceConfig
from opscontext_connectors.dynatrace.connector import DynatraceConnector

spec = ConnectorSpec(
    type="dynatrace",
    summary="Dynatrace: services and observed call topology, problems, deployment events.",
    config_model=DynatraceConfig,
    factory=DynatraceConnector,
    cacheable=True,
    example={
        "type": "dynatrace",
        "url": "https://abc12345.live.dynatrace.com",
        "token": "dt0c01.EXAMPLE.read-only-token",
        "owner_tag": "owner",
    },
)

__all__ = ["DynatraceConfig", "DynatraceConnector", "spec"]
