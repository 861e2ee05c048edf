"""Escalation policies with time thresholds per team, from our documented YAML format
(FORMAT.md beside this file). Capability: EscalationSource."""

from __future__ import annotations

from opscontext.registry import ConnectorSpec
from opscontext_connectors.escalation.config import EscalationConfig
from opscontext_connectors.escalation.connector import EscalationConnector

spec = ConnectorSpec(
    type="escalation",
    summary="Escalation policies (who is reached after how long) from YAML files.",
    config_model=EscalationConfig,
    factory=EscalationConnector,
    cacheable=False,
    example={"type": "escalation", "path": "escalation.yaml"},
)

__all__ = ["EscalationConfig", "EscalationConnector", "spec"]
