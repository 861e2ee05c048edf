"""ServiceNow records -> opscontext domain models. Pure functions; no I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta

from opscontext.models import (
    Alert,
    AlertState,
    Change,
    DependencyEdge,
    EdgeProvenance,
    Link,
    OnCallShift,
    Person,
    Service,
    Team,
)
from opscontext_connectors.servicenow.wire import (
    ChangeRecord,
    CiRecord,
    GroupRecord,
    IncidentRecord,
    OnCallEntry,
    RelationRecord,
    UserRecord,
)

_NON_WORD = re.compile(r"[^a-z0-9]+")
_LEADING_DIGIT = re.compile(r"^\s*(\d)")
# Incident states 6 Resolved, 7 Closed, 8 Canceled (base system choice values).
CLOSED_INCIDENT_STATES = frozenset({"6", "7", "8"})
# whoisoncall names who is on call at an instant but not when the shift ends; the hub keeps
# shifts with start <= at < end, so the shift is reported as this short span starting at `at`.
UNKNOWN_SHIFT_SPAN = timedelta(minutes=1)


def slug(text: str) -> str:
    """Catalog-style canonical name: ``Payment Service`` -> ``payment-service``."""
    return _NON_WORD.sub("-", text.strip().lower()).strip("-")


def tier(ci: CiRecord) -> str | None:
    """``1 - most critical`` -> ``tier-1``; None when the CI states no criticality."""
    for field in (ci.busines_criticality, ci.business_criticality):
        match = _LEADING_DIGIT.match(field.value) or _LEADING_DIGIT.match(field.display_value)
        if match:
            return f"tier-{match.group(1)}"
    return None


def _service_type(sys_class: str) -> str | None:
    if "service" in sys_class:
        return "service"
    if "appl" in sys_class:
        return "application"
    if "db" in sys_class or "database" in sys_class:
        return "database"
    return None


def service(
    ci: CiRecord, *, table: str, owner: str | None, base_url: str, source: str
) -> Service | None:
    name = ci.name.label.strip()
    if not name or not slug(name):
        return None
    sys_class = ci.sys_class_name.value or table
    status = ci.operational_status.display_value or None
    return Service(
        name=slug(name),
        title=name,
        type=_service_type(sys_class),
        description=ci.short_description.label or None,
        owner=owner,
        lifecycle=status.lower() if status else None,
        tier=tier(ci),
        aliases=(name,) if name != slug(name) else (),
        links=(
            Link(
                url=f"{base_url}/{sys_class}.do?sys_id={ci.sys_id.value}",
                title="ServiceNow CI",
                type="cmdb",
            ),
        ),
        annotations={
            "servicenow.com/ci-name": name,
            "servicenow.com/sys-id": ci.sys_id.value,
            "servicenow.com/table": sys_class,
        },
        source=source,
    )


def team(
    group: GroupRecord, members: tuple[str, ...], *, parent: str | None, source: str
) -> Team | None:
    name = group.name.label.strip()
    if not slug(name):
        return None
    return Team(
        name=slug(name),
        title=name,
        email=group.email.value or None,
        members=members,
        parent=parent,
        source=source,
    )


def person(user: UserRecord, *, source: str) -> Person | None:
    handle = user.user_name.value or user.email.value.split("@")[0]
    if not handle:
        return None
    return Person(
        name=handle,
        display_name=user.name.label or None,
        email=user.email.value or None,
        phone=user.phone.value or user.mobile_phone.value or None,
        source=source,
    )


def edge(
    rel: RelationRecord, *, forward_types: frozenset[str], source: str
) -> DependencyEdge | None:
    """Parent depends on child for the configured relation types; others are not dependencies."""
    if rel.type.display_value not in forward_types:
        return None
    parent, child = rel.parent.display_value.strip(), rel.child.display_value.strip()
    if not parent or not child or parent == child:
        return None
    return DependencyEdge(
        dependent=parent, dependency=child, provenance=EdgeProvenance.DECLARED, source=source
    )


def change(rec: ChangeRecord, *, base_url: str, source: str) -> Change | None:
    # The actual start when the change was implemented, else the planned one.
    at = rec.work_start.at() or rec.start_date.at()
    if at is None or not rec.sys_id.value:
        return None
    number = rec.number.value or rec.sys_id.value
    detail = ", ".join(p for p in (rec.type.display_value, rec.state.display_value) if p)
    summary = f"{number}: {rec.short_description.label or 'change request'}"
    return Change(
        id=number,
        service=rec.cmdb_ci.display_value or None,
        kind="change",
        summary=f"{summary} ({detail})" if detail else summary,
        at=at,
        author=rec.assigned_to.display_value or rec.requested_by.display_value or None,
        link=f"{base_url}/change_request.do?sys_id={rec.sys_id.value}",
        source=source,
    )


def alert(
    rec: IncidentRecord, *, severities: Mapping[str, str], base_url: str, source: str
) -> Alert | None:
    opened = rec.opened_at.at()
    if opened is None or not rec.sys_id.value:
        return None
    resolved = rec.resolved_at.at()
    closed = resolved is not None or rec.state.value in CLOSED_INCIDENT_STATES
    labels = {
        "number": rec.number.value,
        "priority": rec.priority.label,
        "state": rec.state.label,
        "incident_severity": rec.severity.label,
        "assignment_group": rec.assignment_group.display_value,
    }
    fields: dict[str, object] = {
        "fingerprint": rec.sys_id.value,
        "alertname": "ServiceNowIncident",
        "service": rec.cmdb_ci.display_value or None,
        "severity": severities.get(rec.priority.value),
        "summary": f"{rec.number.value}: {rec.short_description.label}".strip(": ") or None,
        "labels": {k: v for k, v in labels.items() if v},
        "starts_at": opened,
        "state": AlertState.RESOLVED if closed else AlertState.ACTIVE,
        "generator_url": f"{base_url}/incident.do?sys_id={rec.sys_id.value}",
        "source": source,
    }
    # Alert's UTC validator rejects an explicit None, so optional times go in only when set.
    for key, value in (("ends_at", resolved), ("updated_at", rec.sys_updated_on.at())):
        if value is not None:
            fields[key] = value
    return Alert.model_validate(fields)


def shift(
    entry: OnCallEntry,
    *,
    users: Mapping[str, UserRecord],
    groups: Mapping[str, GroupRecord],
    rotas: Mapping[str, str],
    at: datetime,
    source: str,
) -> OnCallShift | None:
    user = users.get(entry.userId)
    if user is None or entry.isDevice:
        return None
    group = groups.get(entry.group)
    group_name = group.name.label if group else ""
    return OnCallShift(
        person=user.name.label or user.user_name.value,
        email=user.email.value or None,
        team=slug(group_name) or None,
        schedule=rotas.get(entry.rota) or group_name or entry.rota or "on-call",
        level=max(entry.order, 1),
        start=at,
        end=at + UNKNOWN_SHIFT_SPAN,
        end_known=False,
        source=source,
    )
