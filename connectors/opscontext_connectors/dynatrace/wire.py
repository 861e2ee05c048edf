"""Dynatrace API v2 payloads (entities, problems, events), keeping only the fields we map.

Unknown fields are ignored and optional ones may be absent. Times are UTC epoch milliseconds;
an `endTime` of -1 means "still open".
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

log = logging.getLogger(__name__)


class Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")




class EntityId(Wire):
    id: str
    type: str | None = None


class EntityStub(Wire):
    """`{"entityId": {"id", "type"}, "name"}` as problems and events reference entities."""

    entityId: EntityId
    name: str | None = None

    @property
    def label(self) -> str:
        return self.name or self.entityId.id


class Tag(Wire):
    context: str | None = None
    key: str
    value: str | None = None
    stringRepresentation: str | None = None


class ManagementZone(Wire):
    id: str | None = None
    name: str


class DTEntity(Wire):
    entityId: str
    displayName: str | None = None
    type: str | None = None
    tags: list[Tag] = Field(default_factory=list)
    managementZones: list[ManagementZone] = Field(default_factory=list)
    fromRelationships: dict[str, list[EntityId]] = Field(default_factory=dict)
    toRelationships: dict[str, list[EntityId]] = Field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.displayName or self.entityId


class DTProblem(Wire):
    problemId: str
    displayId: str | None = None
    title: str
    impactLevel: str | None = None
    severityLevel: str | None = None
    status: str  # OPEN | CLOSED
    affectedEntities: list[EntityStub] = Field(default_factory=list)
    impactedEntities: list[EntityStub] = Field(default_factory=list)
    rootCauseEntity: EntityStub | None = None
    managementZones: list[ManagementZone] = Field(default_factory=list)
    startTime: int
    endTime: int = -1


class EventProperty(Wire):
    key: str
    value: Any = None


class DTEvent(Wire):
    eventId: str
    eventType: str | None = None
    title: str | None = None
    startTime: int
    endTime: int | None = None
    status: str | None = None
    entityId: EntityStub | None = None
    properties: list[EventProperty] = Field(default_factory=list)

    def prop(self, key: str) -> str | None:
        for item in self.properties:
            if item.key == key and item.value not in (None, ""):
                return str(item.value)
        return None
