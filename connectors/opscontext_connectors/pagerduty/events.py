"""PagerDuty incidents, incident alerts and change events -> Alert and Change. Pure functions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from opscontext.models import Alert, AlertState, Change
from opscontext_connectors.pagerduty.wire import PDAlert, PDChangeEvent, PDIncident

# Urgency is the one severity signal every PagerDuty plan has; priority is optional.
URGENCY_SEVERITY = {"high": "critical", "low": "warning"}


def make_alert(**fields: Any) -> Alert:
    """An Alert from the fields that are known.

    Unknown (None) fields are left out rather than passed: the core's UTC validator on
    `ends_at`/`updated_at` does not accept an explicit None, and None is every default anyway.
    """
    return Alert.model_validate({key: value for key, value in fields.items() if value is not None})


def incident_end(incident: PDIncident) -> datetime | None:
    if incident.status != "resolved":
        return None
    return incident.resolved_at or incident.last_status_change_at


def _incident_labels(incident: PDIncident) -> dict[str, str]:
    labels = {"incident_id": incident.id, "status": incident.status}
    if incident.incident_number is not None:
        labels["incident_number"] = str(incident.incident_number)
    if incident.incident_key:
        labels["incident_key"] = incident.incident_key
    if incident.urgency:
        labels["urgency"] = incident.urgency
    if incident.priority:
        labels["priority"] = incident.priority.label
    if incident.escalation_policy:
        labels["escalation_policy"] = incident.escalation_policy.label
    return labels


def _state(status: str | None) -> AlertState:
    return AlertState.RESOLVED if status == "resolved" else AlertState.ACTIVE


def incident_alert(incident: PDIncident, source: str) -> Alert:
    return make_alert(
        fingerprint=incident.id,
        alertname=incident.title or incident.summary or incident.id,
        service=incident.service.label if incident.service else None,
        severity=URGENCY_SEVERITY.get(incident.urgency or ""),
        summary=incident.summary,
        labels=_incident_labels(incident),
        starts_at=incident.created_at,
        ends_at=incident_end(incident),
        updated_at=incident.updated_at or incident.last_status_change_at,
        state=_state(incident.status),
        generator_url=incident.html_url,
        source=source,
    )


def alert_in_incident(alert: PDAlert, incident: PDIncident, source: str) -> Alert:
    """One alert grouped into `incident`; it ends when it resolved, at the latest with it."""
    labels = _incident_labels(incident)
    labels["status"] = alert.status or incident.status
    if alert.alert_key:
        labels["alert_key"] = alert.alert_key
    state = AlertState.SUPPRESSED if alert.suppressed else _state(alert.status)
    service = alert.service or incident.service
    return make_alert(
        fingerprint=alert.alert_key or alert.id,
        alertname=alert.summary or incident.title or alert.id,
        service=service.label if service else None,
        severity=alert.severity or URGENCY_SEVERITY.get(incident.urgency or ""),
        labels=labels,
        starts_at=alert.created_at,
        ends_at=incident_end(incident) if alert.status == "resolved" else None,
        state=state,
        generator_url=alert.html_url or incident.html_url,
        source=source,
    )


def _detail(event: PDChangeEvent, key: str) -> str | None:
    value = (event.custom_details or {}).get(key)
    return value if isinstance(value, str) and value else None


def to_change(event: PDChangeEvent, source: str) -> Change:
    link = event.links[0].href if event.links else event.html_url
    return Change(
        id=event.id,
        service=event.services[0].label if event.services else None,
        kind="change",
        summary=event.summary,
        at=event.timestamp,
        author=_detail(event, "author"),
        link=link,
        environment=_detail(event, "environment"),
        version=_detail(event, "version"),
        source=source,
    )
