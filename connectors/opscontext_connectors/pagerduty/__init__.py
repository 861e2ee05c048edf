"""PagerDuty REST API v2 connector.

Capabilities: catalog (services, teams, users), topology (declared technical service
dependencies), on-call, escalation policies, alerts (incidents, optionally their alerts) and
changes (change events). Read-only.
"""

from __future__ import annotations

from opscontext.registry import ConnectorSpec
from opscontext_connectors.pagerduty.config import PagerDutyConfig
from opscontext_connectors.pagerduty.connector import PagerDutyConnector

spec = ConnectorSpec(
    type="pagerduty",
    summary="PagerDuty: services, teams, on-call, escalation, incidents and change events.",
    config_model=PagerDutyConfig,
    factory=PagerDutyConnector,
    cacheable=True,
    example={
        "type": "pagerduty",
        "url": "https://api.pagerduty.com",
        "token": "u+EXAMPLE-read-only-key",
    },
)

__all__ = ["PagerDutyConfig", "PagerDutyConnector", "spec"]
