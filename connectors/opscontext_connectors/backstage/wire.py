"""Backstage's own shapes: catalog entities (descriptor format) and the by-query response.

Only the fields opscontext reads are modelled; everything else a catalog carries (``relations``,
``status``, ``metadata.uid``, plugin-specific spec fields) is ignored. The same models read
``catalog-info.yaml`` files and API responses, which is what lets one mapping serve both.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

log = logging.getLogger(__name__)

# Kinds opscontext maps; Location, Domain, Template and others are read past without complaint.
KNOWN_KINDS = ("Component", "Resource", "System", "API", "Group", "User")


class Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


def _stringify(value: Any) -> Any:
    """YAML 1.1 turns `user-facing: true`, `tier: 1` or `since: 2024-01-15` into a bool, an int
    or a date; Backstage (YAML 1.2) means strings. A date reads back as written; a timestamp in
    ISO 8601 (`2024-01-15T10:00:00+00:00` for `...T10:00:00Z`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    return value


def _string_map(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _stringify(v) for k, v in value.items() if v is not None}
    return value


def _string_list(value: Any) -> Any:
    """A single ref written as a scalar is read as a one-element list."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return value


class EntityLink(Wire):
    url: str
    title: str | None = None
    icon: str | None = None
    type: str | None = None


class Metadata(Wire):
    name: str
    namespace: str | None = None
    title: str | None = None
    description: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    links: list[EntityLink] = Field(default_factory=list)

    _maps = field_validator("labels", "annotations", mode="before")(_string_map)
    _lists = field_validator("tags", mode="before")(_string_list)


class Profile(Wire):
    display_name: str | None = Field(default=None, alias="displayName")
    email: str | None = None


class Spec(Wire):
    """The union of the spec fields of the kinds we map; each kind fills its own subset."""

    type: str | None = None
    lifecycle: str | None = None
    owner: str | None = None
    system: str | None = None
    depends_on: list[str] = Field(default_factory=list, alias="dependsOn")
    dependency_of: list[str] = Field(default_factory=list, alias="dependencyOf")
    provides_apis: list[str] = Field(default_factory=list, alias="providesApis")
    consumes_apis: list[str] = Field(default_factory=list, alias="consumesApis")
    profile: Profile = Field(default_factory=Profile)
    parent: str | None = None
    members: list[str] = Field(default_factory=list)
    member_of: list[str] = Field(default_factory=list, alias="memberOf")

    _type = field_validator("type", mode="before")(_stringify)
    _lists = field_validator(
        "depends_on",
        "dependency_of",
        "provides_apis",
        "consumes_apis",
        "members",
        "member_of",
        mode="before",
    )(_string_list)

    @field_validator("profile", mode="before")
    @classmethod
    def _profile(cls, value: Any) -> Any:
        return {} if value is None else value


class Entity(Wire):
    api_version: str = Field(alias="apiVersion")
    kind: str
    metadata: Metadata
    spec: Spec = Field(default_factory=Spec)

    @field_validator("spec", mode="before")
    @classmethod
    def _spec(cls, value: Any) -> Any:
        return {} if value is None else value


def is_backstage_entity(doc: Any) -> bool:
    """True for a mapping that declares a backstage.io apiVersion and a kind we map."""
    if not isinstance(doc, dict):
        return False
    api_version = doc.get("apiVersion")
    return (
        isinstance(api_version, str)
        and api_version.startswith("backstage.io/")
        and str(doc.get("kind", "")).lower() in {k.lower() for k in KNOWN_KINDS}
    )


class PageInfo(Wire):
    next_cursor: str | None = Field(default=None, alias="nextCursor")
    prev_cursor: str | None = Field(default=None, alias="prevCursor")


class QueryResponse(Wire):
    """`GET /entities/by-query`: items are kept raw so one bad entity cannot sink a page."""

    items: list[Any]
    total_items: int | None = Field(default=None, alias="totalItems")
    page_info: PageInfo = Field(default_factory=PageInfo, alias="pageInfo")


def entities_from(docs: Iterable[Any]) -> tuple[list[Entity], int]:
    """Valid entities of the kinds we map, and how many Backstage entities were malformed.

    Documents that are not Backstage entities at all, or are of kinds we do not map, are
    neither returned nor counted: a catalog directory legitimately holds other YAML.
    """
    entities: list[Entity] = []
    bad = 0
    for doc in docs:
        if not is_backstage_entity(doc):
            continue
        try:
            entities.append(Entity.model_validate(doc))
        except ValidationError as exc:
            bad += 1
            name = (
                doc.get("metadata", {}).get("name")
                if isinstance(doc.get("metadata"), dict)
                else None
            )
            log.warning(
                "skipping malformed %s entity %r: %s", doc.get("kind"), name, exc.errors()[0]["msg"]
            )
    return entities, bad
