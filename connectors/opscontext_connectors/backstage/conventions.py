"""Reading meaning out of Backstage conventions: entity refs, annotations, labels, links.

Everything opscontext infers from annotation or label names is listed here, in one place, so a
team can see which keys to set in its ``catalog-info.yaml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from opscontext_connectors.backstage.wire import Entity, EntityLink

# Annotations whose value names the same service in another tool. Each is documented by the
# Backstage plugin that reads it (PagerDuty, Kubernetes, GitHub, Dynatrace);
# `prometheus.io/service-name` and `opscontext.io/aliases` are opscontext's own conventions.
ALIAS_ANNOTATIONS = (
    "pagerduty.com/service-id",
    "backstage.io/kubernetes-id",
    "github.com/project-slug",
    "dynatrace.com/dynatrace-entity-id",
    "prometheus.io/service-name",
)
ALIASES = "opscontext.io/aliases"
TIER = "opscontext.io/tier"
USER_FACING = "opscontext.io/user-facing"
EXTERNAL = "opscontext.io/external"
CHAT_CHANNEL = ("opscontext.io/chat-channel", "slack.com/channel")
PHONE = "opscontext.io/phone"

# Annotations the catalog itself stamps on ingested entities. They say where the YAML lives,
# not anything about the service, and dropping them makes a file snapshot equal an API one.
CATALOG_BOOKKEEPING = frozenset(
    {
        "backstage.io/managed-by-location",
        "backstage.io/managed-by-origin-location",
        "backstage.io/view-url",
        "backstage.io/edit-url",
        "backstage.io/source-location",
        "backstage.io/orphan",
    }
)


def service_annotations(entity: Entity) -> dict[str, str]:
    return {k: v for k, v in entity.metadata.annotations.items() if k not in CATALOG_BOOKKEEPING}


@dataclass(frozen=True)
class Ref:
    """A Backstage entity reference ``kind:namespace/name``, lower-cased for matching."""

    kind: str  # lower-case
    namespace: str  # lower-case
    name: str  # lower-case: refs are matched case-insensitively


def parse_ref(ref: str, *, default_kind: str, default_namespace: str = "default") -> Ref:
    """Parse ``[kind:][namespace/]name``; kind and namespace fall back to the field's defaults."""
    kind, sep, rest = ref.strip().partition(":")
    if not sep:
        kind, rest = default_kind, kind
    namespace, sep, name = rest.partition("/")
    if not sep:
        namespace, name = default_namespace, namespace
    return Ref(kind.strip().lower(), namespace.strip().lower(), name.strip().lower())


def ref_name(ref: str | None, *, default_kind: str) -> str | None:
    if not ref or not ref.strip():
        return None
    return parse_ref(ref, default_kind=default_kind).name or None


def _truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() in {"true", "yes", "1"}


def _hint(entity: Entity, key: str) -> str | None:
    """A label or annotation value; labels win because they are the filterable form."""
    md = entity.metadata
    return md.labels.get(key) or md.annotations.get(key)


def tier_of(entity: Entity) -> str | None:
    """`1`, `tier1`, `Tier 1`, `tier-1` all mean "tier-1"; other words are kept lower-cased."""
    raw = entity.metadata.labels.get("tier") or _hint(entity, TIER)
    if not raw or not raw.strip():
        return None
    match = re.fullmatch(r"(?i)\s*(?:tier)?[\s_-]*(\d+)\s*", raw)
    return f"tier-{int(match.group(1))}" if match else raw.strip().lower()


def is_user_facing(entity: Entity) -> bool:
    if (entity.spec.type or "").lower() == "website":
        return True
    tags = {t.lower() for t in entity.metadata.tags}
    return _truthy(_hint(entity, USER_FACING)) or "user-facing" in tags


def is_external(entity: Entity) -> bool:
    return (entity.spec.type or "").lower() == "external" or _truthy(_hint(entity, EXTERNAL))


def aliases_of(entity: Entity) -> tuple[str, ...]:
    """Other names this service goes by, in first-seen order, without its own name."""
    annotations = entity.metadata.annotations
    found: list[str] = [a.strip() for a in annotations.get(ALIASES, "").split(",")]
    for key in ALIAS_ANNOTATIONS:
        value = annotations.get(key, "").strip()
        found.append(value)
        if key == "github.com/project-slug" and "/" in value:
            found.append(value.rsplit("/", 1)[1])  # the repo part: deploy tools name it so
    own = entity.metadata.name.lower()
    return tuple(dict.fromkeys(a for a in found if a and a.lower() != own))


def link_type(link: EntityLink) -> str | None:
    """Backstage's own `type` when set; otherwise a guess from the title and icon."""
    if link.type:
        return link.type
    words = f"{link.title or ''} {link.icon or ''}".lower()
    for needle, kind in (
        ("runbook", "runbook"),
        ("playbook", "runbook"),
        ("dashboard", "dashboard"),
        ("grafana", "dashboard"),
        ("slack", "chat"),
        ("chat", "chat"),
        ("github", "repo"),
        ("repo", "repo"),
        ("docs", "docs"),
    ):
        if needle in words:
            return kind
    return None


def chat_channel(entity: Entity) -> str | None:
    for key in CHAT_CHANNEL:
        value = entity.metadata.annotations.get(key)
        if value:
            return value
    for link in entity.metadata.links:
        if link_type(link) == "chat":
            return link.url
    return None
