"""CDEvents (CD Foundation) shapes, tolerant of spec versions 0.3 to 0.5.

Differences absorbed here: the spec version is ``context.version`` up to 0.4 and
``context.specversion`` from 0.5; ``subject.type`` is gone in 0.5 (the event type already says
it); 0.4 added ``chainId``/``links``/``schemaUri``, which are read past. Subject content differs
per event type, so one model carries the union of the fields opscontext reads.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

TYPE_PREFIX = "dev.cdevents."


class Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class SubjectRef(Wire):
    """A reference to another subject: `{"id": ..., "source": ...}`."""

    id: str = Field(min_length=1)
    source: str | None = None


def _ref(value: Any) -> Any:
    # Hand-written events often say `"environment": "production"`; read that as the id.
    return {"id": value} if isinstance(value, str) else value


class Content(Wire):
    environment: SubjectRef | None = None  # service.*, incident.*
    artifact_id: str | None = Field(default=None, alias="artifactId")  # service.*, incident.*
    repository: SubjectRef | None = None  # change.*
    service: SubjectRef | None = None  # incident.*
    description: str | None = None  # incident.*
    ticket_uri: str | None = Field(default=None, alias="ticketURI")  # incident.* (0.4+)
    name: str | None = None  # environment.*
    url: str | None = None  # environment.* up to 0.4
    uri: str | None = None  # environment.* from 0.5
    user: str | None = None  # artifact.published (0.4+)

    _refs = field_validator("environment", "repository", "service", mode="before")(_ref)


class Subject(Wire):
    id: str = Field(min_length=1)
    source: str | None = None
    type: str | None = None  # absent from 0.5 on
    content: Content = Field(default_factory=Content)

    @field_validator("content", mode="before")
    @classmethod
    def _content(cls, value: Any) -> Any:
        return {} if value is None else value


class Context(Wire):
    id: str = Field(min_length=1)
    type: str
    source: str | None = None
    timestamp: datetime
    version: str | None = None  # up to 0.4
    specversion: str | None = None  # from 0.5

    @property
    def spec_version(self) -> str | None:
        return self.specversion or self.version


class CDEvent(Wire):
    context: Context
    subject: Subject
    custom_data: Any = Field(default=None, alias="customData")

    @property
    def subject_and_predicate(self) -> tuple[str, str] | None:
        """("service", "deployed") from "dev.cdevents.service.deployed.0.3.0"."""
        if not self.context.type.startswith(TYPE_PREFIX):
            return None
        parts = self.context.type[len(TYPE_PREFIX) :].split(".")
        if len(parts) < 2:
            return None
        return parts[0].lower(), parts[1].lower()

    def custom(self, key: str) -> str | None:
        """A string field of `customData`, when it is a JSON object (it may be base64 text)."""
        if isinstance(self.custom_data, dict):
            value = self.custom_data.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
        return None
