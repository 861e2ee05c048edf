"""What an ``incident_context`` subject names, and which incident group answers it.

A subject is a group id as ``correlate_alerts`` reports it (``grp-`` and 12 hex digits), a
service any system's spelling of which the catalog knows, or an alert fingerprint active in the
window. For a service, the group it is the primary contributor of wins, then one it alerts in,
then one it is impacted by; bigger groups first within each.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from opscontext.app import App
from opscontext.engine.correlation.models import AlertGroup
from opscontext.errors import InputError, preview
from opscontext.models import Alert, AlertState, TimeWindow
from opscontext.queries.common import find_service, unhealthy
from opscontext.queries.correlate import CorrelationAnswer
from opscontext.world import World

GROUP_ID = re.compile(r"^grp-[0-9a-f]{12}$")
MAX_SUBJECT = 200


@dataclass(frozen=True)
class Subject:
    kind: Literal["service", "alert", "group"]
    text: str
    service: str | None = None


@dataclass
class Pick:
    group: AlertGroup | None
    focus: str  # the service the briefing centres on: the primary contributor when there is a group
    asked: str | None  # the service the subject named, if any
    others: list[AlertGroup] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # With no group: what does fire on the service, in one sentence (the headline's first words),
    # and those alerts' names (words for the runbook search).
    ungrouped: str | None = None
    alertnames: list[str] = field(default_factory=list)


def resolve_subject(world: World, text: str) -> Subject:
    """Classify the subject; a service is resolved here, an alert only once alerts are read."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise InputError("Give `subject`: a service name, an alert fingerprint, or a group id from correlate_alerts.")
    if len(cleaned) > MAX_SUBJECT:
        raise InputError(f"`subject` {preview(cleaned)} is too long; names, fingerprints and group ids are short.")
    if GROUP_ID.match(cleaned.lower()):
        return Subject("group", cleaned.lower())
    name = world.resolver.match(cleaned)
    if name is not None:
        return Subject("service", cleaned, name)
    return Subject("alert", cleaned)


def _involves(group: AlertGroup, name: str) -> bool:
    return name in group.services or name in group.impacted_services or any(c.service == name for c in group.candidates)


def _rank_for(groups: Sequence[AlertGroup], name: str) -> list[AlertGroup]:
    """The incident groups involving ``name``, best first; a lone warning is no incident (asked
    for by its group id, it is briefed all the same)."""
    def key(g: AlertGroup) -> tuple[int, int]:
        role = 0 if g.primary_contributor == name else 1 if name in g.services else 2
        return role, -g.alert_count

    return sorted((g for g in groups if not g.lone_warning and _involves(g, name)), key=key)


def _group_list(groups: Sequence[AlertGroup]) -> str:
    shown = ", ".join(f"{g.id} ({g.primary_contributor}, {g.alert_count} alerts)" for g in groups[:5])
    return shown or "none"


async def choose(app: App, world: World, corr: CorrelationAnswer, sub: Subject) -> Pick:
    """The group and the service to centre on; InputError when the subject names nothing known."""
    if sub.kind == "group":
        group = next((g for g in corr.groups if g.id == sub.text), None)
        if group is None:
            raise InputError(
                f"No group {sub.text} in the window: group ids follow the primary contributor and first alert, "
                f"so a group can change id as alerts arrive. Groups now: {_group_list(corr.groups)}. "
                "Pass one of these, or a service name."
            )
        others = [g for g in _rank_for(corr.groups, group.primary_contributor) if g.id != group.id]
        return Pick(group, group.primary_contributor, None, others)
    if sub.kind == "service":
        assert sub.service is not None
        ranked = _rank_for(corr.groups, sub.service)
        if not ranked:
            firing, why = await _firing_on(app, world, corr, sub.service)
            names = sorted({a.alertname for a in firing})
            return Pick(None, sub.service, sub.service, [], [], _alone(sub.service, firing, why), names)
        return Pick(ranked[0], ranked[0].primary_contributor, sub.service, ranked[1:])
    return await _by_fingerprint(app, world, corr, sub)


async def _firing_on(
    app: App, world: World, corr: CorrelationAnswer, service: str,
) -> tuple[list[Alert], str | None]:
    """The alerts firing on ``service``, and why the alert sources may have missed some (None
    when every one answered in full)."""
    got = await app.hub.alerts(TimeWindow(since=corr.since, until=corr.until))
    resolved = world.resolve_alerts(got.items(), app.settings.identity.service_labels)
    firing = [a for a in resolved if a.service == service and a.state is not AlertState.RESOLVED]
    return firing, unhealthy(got.statuses, "alerts")


def _alone(service: str, firing: list[Alert], why: str | None = None) -> str:
    """The headline for a service in no incident group. "No alert fires" only when every alert
    source answered: from a failed one, no alert read is no evidence of none firing."""
    if not firing:
        if why is not None:
            return f"No alert on {service} could be read in the window ({why}), so whether one fires is unknown"
        return f"No alert fires on {service} in the window"
    names = ", ".join(sorted({a.alertname for a in firing})[:3])
    partial = f"; the alerts were read only in part ({why})" if why is not None else ""
    return (
        f"{len(firing)} alert{'s' if len(firing) != 1 else ''} on {service} ({names}) but in no incident group "
        f"(a lone warning, suppressed or flapping){partial}"
    )


async def _by_fingerprint(app: App, world: World, corr: CorrelationAnswer, sub: Subject) -> Pick:
    got = await app.hub.alerts(TimeWindow(since=corr.since, until=corr.until))
    alerts = [a for a in got.items() if a.fingerprint == sub.text or a.fingerprint.lower() == sub.text.lower()]
    if not alerts:
        raise _unknown(world, sub.text)
    alert = world.resolve_alerts(alerts[:1], app.settings.identity.service_labels)[0]
    group = next((g for g in corr.groups if not g.lone_warning and alert.fingerprint in g.fingerprints), None)
    if group is not None:
        others = [g for g in _rank_for(corr.groups, group.primary_contributor) if g.id != group.id]
        return Pick(group, group.primary_contributor, alert.service, others)
    if alert.service is None:
        raise InputError(
            f"Alert {alert.fingerprint} ({alert.alertname}) is in no incident group and names no catalog "
            "service; pass the service it concerns instead."
        )
    alone = f"Alert {alert.fingerprint} ({alert.alertname} on {alert.service}) is in no incident group " \
        "(a lone warning, suppressed or flapping)"
    return Pick(None, alert.service, alert.service, _rank_for(corr.groups, alert.service), [], alone, [alert.alertname])


def _unknown(world: World, text: str) -> InputError:
    lead = (
        f"`subject` {preview(text)} is not a group id, an alert fingerprint active in the window, "
        "or a known service."
    )
    try:
        find_service(world, text)  # for its "did you mean" (or its word on a failed catalog)
    except InputError as exc:
        return InputError(f"{lead} {exc}")  # its text already carries any "did you mean"
    return InputError(lead)
