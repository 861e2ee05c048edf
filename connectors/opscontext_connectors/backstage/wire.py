"""Backstage's own shapes: catalog entities (descriptor format) and the by-query response.

Only the fields opscontext reads are modelled; everything else a catalog carries (``relations``,
``status``, ``metadata.uid``, plugin-specific spec fields) is ignored. The same models read
``catalog-info.yaml`` files and API responses, which is what lets one mapping serve both.

:func:`triage` decides what each document is: an entity opscontext maps; read past, because it
is something else (an entity of a documented kind opscontext does not use, another API's object
such as a Kubernetes manifest, or other YAML a repository holds, with neither apiVersion nor
kind); or left out with a reason naming it, because it was meant as an entity and cannot be used
(an unknown kind, a misspelt apiVersion, a kind without an apiVersion, malformed).
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

log = logging.getLogger(__name__)

# Kinds opscontext maps (and asks the catalog API for).
MAPPED_KINDS = ("Component", "Resource", "System", "API", "Group", "User")
# Backstage's documented kinds (descriptor format, "Kind: ..." sections). The others are read past
# without complaint: a Location or Template is as valid as a Component, opscontext just has no use
# for it. Any other kind under a backstage.io apiVersion is reported: most likely a typo.
DOCUMENTED_KINDS = (*MAPPED_KINDS, "Domain", "Location", "Template")
BACKSTAGE_GROUP = "backstage.io"  # apiVersion backstage.io/v1alpha1; Template's is scaffolder.backstage.io/...
_MAPPED = {k.lower(): k for k in MAPPED_KINDS}
_DOCUMENTED = {k.lower(): k for k in DOCUMENTED_KINDS}
SHOWN = 60  # characters of a name or kind quoted from the file


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


class PageInfo(Wire):
    next_cursor: str | None = Field(default=None, alias="nextCursor")
    prev_cursor: str | None = Field(default=None, alias="prevCursor")


class QueryResponse(Wire):
    """`GET /entities/by-query`: items are kept raw so one bad entity cannot sink a page."""

    items: list[Any]
    total_items: int | None = Field(default=None, alias="totalItems")
    page_info: PageInfo = Field(default_factory=PageInfo, alias="pageInfo")


def _clipped(value: Any) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"


def quoted(value: Any) -> str:
    """A value read from the catalog, quoted for a message and clipped to ``SHOWN`` characters."""
    return repr(_clipped(value))


def _label(doc: dict[str, Any], position: int) -> str:
    """How a person finds the document: its kind and name, else its place in the file."""
    raw_kind, meta = doc.get("kind"), doc.get("metadata")
    kind = _clipped(raw_kind) if isinstance(raw_kind, str) and raw_kind.strip() else None
    name = meta.get("name") if isinstance(meta, dict) else None
    if isinstance(name, str) and name.strip():
        return f"{kind or 'entity'} {quoted(name)}"
    return f"document {position}" + (f" ({kind} without a name)" if kind else "")


def _nearest(word: str, choices: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The choice a typo most likely meant, if any is close."""
    choices = tuple(choices)
    found = difflib.get_close_matches(word.lower(), [c.lower() for c in choices], n=1, cutoff=cutoff)
    return next((c for c in choices if found and c.lower() == found[0]), None)


def _is_backstage(api_version: str) -> bool:
    group = api_version.partition("/")[0].strip().lower()
    return group == BACKSTAGE_GROUP or group.endswith("." + BACKSTAGE_GROUP)


def _invalid(exc: ValidationError) -> str:
    # msg only: pydantic's input_value may quote a secret someone pasted into the file.
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    more = f" and {len(exc.errors()) - 1} more" if len(exc.errors()) > 1 else ""
    return f"malformed ({where}: {first['msg']}{more})"


def _looks_like_entity(doc: Any) -> bool:
    api_version = doc.get("apiVersion") if isinstance(doc, dict) else None
    return isinstance(api_version, str) and _is_backstage(api_version)


def triage(doc: Any, position: int = 1) -> Entity | str | None:
    """An entity opscontext maps; None for a document read past on purpose (empty, a documented
    kind opscontext does not use, another API's object, other YAML a repository holds: a
    directory of descriptors is searched recursively, and a CI workflow or an OpenAPI document
    beside them is no fault of the catalog); else why it was left out, naming it (``position``
    counts documents in the file, from 1, for those without a name). What is reported is what
    looks meant as an entity and cannot be used: a kind without an apiVersion, a Backstage
    apiVersion without a kind or with an unknown kind, a misspelt apiVersion, a malformed one."""
    if doc is None:
        return None  # an empty document: a stray `---`
    if not isinstance(doc, dict):
        if isinstance(doc, list) and any(_looks_like_entity(d) for d in doc):
            return (f"document {position} left out: a list of entities; write each entity as its own "
                    "YAML document, separated by ---")
        return None  # other YAML in the repository (a playbook, a list of hosts): not ours to judge
    left = f"{_label(doc, position)} left out"
    api_version, kind = doc.get("apiVersion"), doc.get("kind")
    has_kind = isinstance(kind, str) and bool(kind.strip())
    if not isinstance(api_version, str) or not api_version.strip():
        if not has_kind:
            return None  # a CI workflow, mkdocs.yml, an OpenAPI document: no entity, no typo
        return f"{left}: no apiVersion; entities declare apiVersion: backstage.io/v1alpha1"
    if not _is_backstage(api_version):
        group = api_version.partition("/")[0].strip().lower()
        if _nearest(group, [BACKSTAGE_GROUP], cutoff=0.85) is not None:  # not backstage.example.com
            return f"{left}: apiVersion {quoted(api_version)} is not Backstage's; did you mean backstage.io/...?"
        return None  # another API's object (a Kubernetes manifest, a Helm Chart.yaml beside the descriptors)
    if not isinstance(kind, str) or not kind.strip():
        return f"{left}: no kind"
    if kind.lower() in _MAPPED:
        try:
            return Entity.model_validate(doc)
        except ValidationError as exc:
            return f"{left}: {_invalid(exc)}"
    if kind.lower() in _DOCUMENTED:
        return None
    guess = _nearest(kind, DOCUMENTED_KINDS)
    hint = f"did you mean {guess}?" if guess else f"Backstage's kinds are {', '.join(DOCUMENTED_KINDS)}"
    return f"{left}: unknown kind {quoted(kind)}; {hint}"


@dataclass
class Triaged:
    """What a run of documents held: the entities opscontext maps, and why the others were left out."""

    entities: list[Entity] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)

    def add(self, docs: Iterable[Any]) -> Triaged:
        for position, doc in enumerate(docs, 1):
            found = triage(doc, position)
            if isinstance(found, Entity):
                self.entities.append(found)
            elif found is not None:
                self.left_out.append(found)
        return self


def entities_from(docs: Iterable[Any]) -> tuple[list[Entity], int]:
    """Valid entities of the kinds we map, and how many documents were left out (their reasons:
    :class:`Triaged`). Read past uncounted: empty documents, entities of documented kinds we do
    not map, and other APIs' objects."""
    found = Triaged().add(docs)
    for reason in found.left_out:
        log.warning("%s", reason)
    return found.entities, len(found.left_out)
