"""Dynatrace wire models -> opscontext domain models. Pure functions, no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from opscontext.models import (
    Alert,
    AlertState,
    Change,
    DependencyEdge,
    EdgeProvenance,
    Service,
)
from opscontext_connectors.dynatrace.wire import DTEntity, DTEvent, DTProblem, Tag

ENTITY_ID_ANNOTATION = "dynatrace.com/entity-id"
# Davis severity levels ranked onto the shared scale; the raw level stays in the labels.
SEVERITY = {
    "AVAILABILITY": "critical",
    "ERROR": "critical",
    "PERFORMANCE": "warning",
    "RESOURCE_CONTENTION": "warning",
    "CUSTOM_ALERT": "warning",
    "MONITORING_UNAVAILABLE": "warning",
    "INFO": "info",
}


def from_millis(millis: int) -> datetime:
    return datetime.fromtimestamp(millis / 1000, tz=UTC)


def _tag_text(tag: Tag) -> str:
    if tag.stringRepresentation:
        return tag.stringRepresentation
    return f"{tag.key}:{tag.value}" if tag.value else tag.key


def _owner(entity: DTEntity, owner_tag: str) -> str | None:
    for tag in entity.tags:
        if tag.key == owner_tag and tag.value:
            return tag.value
    return None


def to_service(entity: DTEntity, owner_tag: str, source: str) -> Service:
    annotations = {ENTITY_ID_ANNOTATION: entity.entityId}
    if entity.managementZones:
        zones = ", ".join(z.name for z in entity.managementZones)
        annotations["dynatrace.com/management-zones"] = zones
    return Service(
        name=entity.name,
        type="service",
        owner=_owner(entity, owner_tag),
        aliases=(entity.entityId,),
        tags=tuple(_tag_text(t) for t in entity.tags),
        annotations=annotations,
        source=source,
    )


def to_edges(entities: Iterable[DTEntity], source: str) -> list[DependencyEdge]:
    """Observed `calls` between known services, from both ends, each caller->callee pair once.

    A calls B appears as B in A's `fromRelationships.calls` and as A in B's
    `toRelationships.calls`; the caller depends on the callee. Callers that are not services
    (web applications, synthetic monitors) are not in the map and are skipped.
    """
    entities = list(entities)
    names = {e.entityId: e.name for e in entities}
    pairs: list[tuple[str, str]] = []
    for entity in entities:
        pairs += [(entity.entityId, c.id) for c in entity.fromRelationships.get("calls", [])]
        pairs += [(c.id, entity.entityId) for c in entity.toRelationships.get("calls", [])]
    seen: dict[tuple[str, str], DependencyEdge] = {}
    for caller, callee in pairs:
        if caller == callee or caller not in names or callee not in names:
            continue
        seen.setdefault(
            (caller, callee),
            DependencyEdge(
                dependent=names[caller],
                dependency=names[callee],
                kind="calls",
                provenance=EdgeProvenance.OBSERVED,
                source=source,
            ),
        )
    return list(seen.values())


def _problem_labels(problem: DTProblem) -> dict[str, str]:
    labels = {"problem_id": problem.problemId, "status": problem.status}
    optional = {
        "display_id": problem.displayId,
        "impact_level": problem.impactLevel,
        "severity_level": problem.severityLevel,
    }
    labels.update({k: v for k, v in optional.items() if v})
    root = problem.rootCauseEntity
    if root is not None:
        labels["root_cause_entity"] = root.label
        labels["root_cause_entity_id"] = root.entityId.id
        if root.entityId.type:
            labels["root_cause_entity_type"] = root.entityId.type
    if problem.affectedEntities:
        labels["affected_entities"] = ", ".join(e.label for e in problem.affectedEntities)
    if problem.managementZones:
        labels["management_zones"] = ", ".join(z.name for z in problem.managementZones)
    return labels


def _make_alert(**fields: Any) -> Alert:
    # None fields are left out: the core's UTC validator rejects an explicit None for ends_at.
    return Alert.model_validate({k: v for k, v in fields.items() if v is not None})


def to_alert(problem: DTProblem, source: str) -> Alert:
    root = problem.rootCauseEntity
    affected = problem.affectedEntities
    service = root.label if root else (affected[0].label if affected else None)
    closed = problem.status != "OPEN"
    return _make_alert(
        fingerprint=problem.problemId,
        alertname=problem.title,
        service=service,
        severity=SEVERITY.get(problem.severityLevel or ""),
        summary=f"{problem.displayId}: {problem.title}" if problem.displayId else None,
        labels=_problem_labels(problem),
        starts_at=from_millis(problem.startTime),
        ends_at=from_millis(problem.endTime) if problem.endTime > 0 else None,
        state=AlertState.RESOLVED if closed else AlertState.ACTIVE,
        source=source,
    )


def to_change(event: DTEvent, source: str) -> Change:
    version = event.prop("dt.event.deployment.version")
    title = event.title or event.prop("dt.event.deployment.name") or event.eventId
    summary = f"{title} ({version})" if version and version not in title else title
    link = event.prop("dt.event.deployment.ci_back_link") or event.prop(
        "dt.event.deployment.remediation_action_link"
    )
    return Change(
        id=event.eventId,
        service=event.entityId.label if event.entityId else None,
        kind="deployment",
        summary=summary,
        at=from_millis(event.startTime),
        link=link,
        environment=event.prop("dt.event.deployment.release_stage"),
        version=version,
        source=source,
    )
