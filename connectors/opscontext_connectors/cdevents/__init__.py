"""CDEvents (CD Foundation): deployments, rollbacks, merges and incidents as JSON events."""

from __future__ import annotations

from opscontext.registry import ConnectorSpec
from opscontext_connectors.cdevents.connector import CdEvents, CdEventsConfig

spec = ConnectorSpec(
    type="cdevents",
    summary="CDEvents JSON/JSON-lines files: deployments, rollbacks, merges, incidents.",
    config_model=CdEventsConfig,
    factory=CdEvents,
    cacheable=False,
    example={"type": "cdevents", "path": "changes"},
)

__all__ = ["spec"]
