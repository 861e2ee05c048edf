"""Opsgenie as an opscontext on-call source: who is on call for each schedule, and its owner team.

``spec`` is what the ``opscontext.connectors`` entry point names; opscontext validates a
``[connectors.<name>]`` table with ``type = "opsgenie"`` against :class:`OpsgenieConfig` and builds
an :class:`OpsgenieOnCall` from it.
"""

from __future__ import annotations

from opscontext.registry import ConnectorSpec

from opscontext_opsgenie.config import OpsgenieConfig
from opscontext_opsgenie.connector import OpsgenieOnCall

spec = ConnectorSpec(
    type="opsgenie",
    summary="Opsgenie: who is on call now for each schedule, under the schedule's owner team.",
    config_model=OpsgenieConfig,
    factory=OpsgenieOnCall,
    cacheable=True,
    example={"type": "opsgenie", "url": "https://api.opsgenie.com", "token": "example-api-integration-key"},
)

__all__ = ["OpsgenieConfig", "OpsgenieOnCall", "spec"]
