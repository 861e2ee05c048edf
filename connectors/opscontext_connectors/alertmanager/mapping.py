"""Alertmanager wire alerts -> ``opscontext.models.Alert``."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from opscontext.models import Alert, AlertState
from opscontext_connectors.alertmanager.config import LabelMapping
from opscontext_connectors.alertmanager.labels import fingerprint, first_label, summary_of
from opscontext_connectors.alertmanager.wire import GettableAlert

log = logging.getLogger(__name__)

_STATES = {
    "active": AlertState.ACTIVE,
    "suppressed": AlertState.SUPPRESSED,
    "unprocessed": AlertState.UNPROCESSED,
    "resolved": AlertState.RESOLVED,  # a webhook's resolved alert (see GettableAlert)
}


def state_of(wire: GettableAlert) -> AlertState:
    """Alertmanager's own state, except that an alert whose end precedes its last update was
    already resolved when that entry was written (how resolved alerts look in snapshots)."""
    if wire.ends_at is not None and wire.updated_at is not None and wire.ends_at <= wire.updated_at:
        return AlertState.RESOLVED
    return _STATES.get(wire.status.state, AlertState.ACTIVE)


def to_alert(
    wire: GettableAlert, *, source: str, mapping: LabelMapping, strings: dict[str, str] | None = None
) -> Alert:
    """The domain alert of one wire entry. With ``strings`` (a pool kept for one load), equal
    label and annotation names and values share one string object: a file decoder makes a new
    string for every occurrence, and 100k alerts repeat a few thousand distinct ones."""
    labels, annotations = wire.labels, wire.annotations
    if strings is not None:
        share = strings.setdefault
        labels = {share(k, k): share(v, v) for k, v in labels.items()}
        annotations = {share(k, k): share(v, v) for k, v in annotations.items()}
    return Alert(
        fingerprint=wire.fingerprint or fingerprint(labels),
        alertname=labels.get("alertname", ""),
        service=first_label(labels, mapping.service_labels),
        severity=labels.get(mapping.severity_label) or None,
        summary=summary_of(annotations),
        labels=labels if strings is not None else dict(labels),
        annotations=annotations if strings is not None else dict(annotations),
        starts_at=wire.starts_at,
        ends_at=wire.ends_at,
        updated_at=wire.updated_at,
        state=state_of(wire),
        generator_url=wire.generator_url or None,
        source=source,
    )


def parse_alerts(raw: Iterable[Any], *, where: str) -> list[GettableAlert]:
    """Valid entries of a ``gettableAlerts`` array; malformed ones are skipped and logged."""
    return [wire for index, item in enumerate(raw) if (wire := parse_alert(item, index, where=where)) is not None]


def parse_alert(item: Any, index: int, *, where: str) -> GettableAlert | None:
    """One ``gettableAlert`` entry, or None (logged) when it is malformed."""
    try:
        return GettableAlert.model_validate(item)
    except ValidationError as exc:
        # Only the location and the kind of error: label values may carry secrets.
        first = exc.errors()[0]
        log.warning("skipping alert #%d in %s: %s at %s", index, where, first["type"], first["loc"])
        return None


def collapse(alerts: Iterable[GettableAlert]) -> list[GettableAlert]:
    """One entry per (fingerprint, startsAt), the most recently updated one.

    Distinct startsAt for one fingerprint are distinct firings (a flapping alert) and are
    all kept; the engine decides how to present them.
    """
    best: dict[tuple[str, object], GettableAlert] = {}
    for alert in alerts:
        key = (alert.fingerprint or fingerprint(alert.labels), alert.starts_at)
        current = best.get(key)
        if current is None or _updated(alert) > _updated(current):
            best[key] = alert
    return sorted(best.values(), key=lambda a: (a.starts_at, a.fingerprint))


def collapse_mapped(alerts: Iterable[tuple[Alert, str]]) -> list[Alert]:
    """:func:`collapse` for entries already mapped, each with its wire ``fingerprint`` (empty when
    the entry had none): the same entries kept, in the same order."""
    best: dict[tuple[str, object], tuple[Alert, str]] = {}
    for entry in alerts:
        alert = entry[0]
        key = (alert.fingerprint, alert.starts_at)
        current = best.get(key)
        if current is None or _updated(alert) > _updated(current[0]):
            best[key] = entry
    return [a for a, _ in sorted(best.values(), key=lambda e: (e[0].starts_at, e[1]))]


def _updated(alert: GettableAlert | Alert) -> float:
    return alert.updated_at.timestamp() if alert.updated_at is not None else float("-inf")
