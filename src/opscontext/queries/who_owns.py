"""who_owns: owner team, contacts, who is on call now and the escalation ladder."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from opscontext.answers import Contact, EscalationEntry, OnCallEntry, OwnerInfo, ServiceInfo, WhoOwnsAnswer
from opscontext.app import App
from opscontext.budget import UNBOUNDED, largest_fitting
from opscontext.models import Alert, AlertState, EscalationPolicy, OnCallShift, Service, Team, TimeWindow
from opscontext.queries.common import failure_notes, find_service, one_deadline, require_some, unhealthy
from opscontext.timeparse import humanize
from opscontext.world import World

MAX_CONTACTS = 5
MAX_LINKS = 10


@one_deadline
async def who_owns(app: App, service: str, budget: int | None = None) -> WhoOwnsAnswer:
    """Owner, on-call and escalation of ``service``; its lists shrink only to fit ``budget``
    (tokens; front ends pass ``limits.answer_tokens``, None means no budget)."""
    world = await app.worlds.build()
    require_some(world.statuses, "catalog", "ownership")
    svc = find_service(world, service)
    now = app.now()
    shifts, policies, alerts = await asyncio.gather(
        app.hub.on_call(now),
        app.hub.escalation_policies(),
        app.hub.alerts(TimeWindow(since=now - timedelta(hours=2), until=now)),
    )
    team = world.team(svc.owner)
    policy = _policy_for(svc, team.name if team else svc.owner, policies.items(), world)
    on_call = _on_call(world, svc, team.name if team else svc.owner, policy, shifts.items())
    started = _incident_start(world, svc, alerts.items(), app.settings.identity.service_labels)
    steps = [
        EscalationEntry(**s.model_dump(), at=(started + timedelta(minutes=s.after_minutes)) if started else None)
        for s in (policy.steps if policy else ())
    ]
    statuses = world.statuses + shifts.statuses + policies.statuses + alerts.statuses
    notes = failure_notes(statuses)
    if started is None and unhealthy(alerts.statuses, "alerts"):
        notes.append("Without the alerts, when an incident on this service started, and so when each "
                     "escalation step engages, is unknown (not: no incident).")
    if svc.owner is None:
        notes.append(f"The catalog names no owner for {svc.name}: ownership is undefined, which is itself a risk.")

    def answer(most: int) -> WhoOwnsAnswer:
        return WhoOwnsAnswer(
            service=_info(svc, most), owner=_owner(world, svc, team, most), on_call=on_call[:max(most, 1)],
            on_call_omitted=max(0, len(on_call) - max(most, 1)), escalation_policy=policy.name if policy else None,
            escalation=steps, incident_started=started, next_escalation=_next_step(steps, now),
            sources=statuses, notes=notes,
        )

    # Lists shrink together (contacts, links, people on call) only when the budget requires it.
    most = max(MAX_CONTACTS, MAX_LINKS, len(on_call))
    return largest_fitting(answer, most, budget or UNBOUNDED)[0]


def _info(svc: Service, most: int) -> ServiceInfo:
    links = list(svc.links)[:min(most, MAX_LINKS)]
    return ServiceInfo(
        name=svc.name,
        title=svc.title,
        kind=svc.kind,
        type=svc.type,
        system=svc.system,
        tier=svc.tier,
        user_facing=svc.user_facing,
        lifecycle=svc.lifecycle,
        links=links,
        links_omitted=len(svc.links) - len(links),
    )


def _owner(world: World, svc: Service, team: Team | None, most: int) -> OwnerInfo | None:
    if svc.owner is None:
        return None
    if team is None:
        return OwnerInfo(team=svc.owner)
    people = world.people()
    contacts = []
    listed = team.members[:min(most, MAX_CONTACTS)]
    for member in listed:
        p = people.get(member)
        contacts.append(
            Contact(name=p.display_name or p.name, email=p.email, phone=p.phone, chat=p.chat)
            if p
            else Contact(name=member)
        )
    return OwnerInfo(
        team=team.name,
        title=team.title,
        email=team.email,
        chat_channel=team.chat_channel,
        parent=team.parent,
        contacts=contacts,
        contacts_omitted=len(team.members) - len(listed),
    )


def _policy_for(
    svc: Service, team: str | None, policies: list[EscalationPolicy], world: World
) -> EscalationPolicy | None:
    explicit = [p for p in policies if any(world.resolver.match(s) == svc.name for s in p.services)]
    if explicit:
        return explicit[0]
    for p in policies:
        if not p.services and team is not None and world.resolver.team(p.team) == world.resolver.team(team):
            return p
    return None


def _on_call(
    world: World, svc: Service, team: str | None, policy: EscalationPolicy | None, shifts: list[OnCallShift]
) -> list[OnCallEntry]:
    owner_key = world.resolver.team(team) if team else None
    people = {p.email: p for p in world.catalog.people if p.email}
    mine = [
        s
        for s in shifts
        if (owner_key is not None and world.resolver.team(s.team) == owner_key)
        or (policy is not None and s.policy is not None and s.policy == policy.name)
    ]
    mine.sort(key=lambda s: (s.level, s.person))
    seen: set[tuple[str, int]] = set()
    out: list[OnCallEntry] = []
    for s in mine:
        if (s.person, s.level) in seen:
            continue
        seen.add((s.person, s.level))
        phone = people[s.email].phone if s.email in people else None
        out.append(
            OnCallEntry(
                person=s.person,
                email=s.email,
                phone=phone,
                level=s.level,
                schedule=s.schedule,
                until=s.end if s.end_known else None,
                source=s.source,
            )
        )
    return out


def _incident_start(world: World, svc: Service, alerts: list[Alert], labels: list[str]) -> datetime | None:
    resolved = world.resolve_alerts(alerts, labels)
    mine = [a for a in resolved if a.service == svc.name and a.state is not AlertState.RESOLVED]
    return min((a.starts_at for a in mine), default=None)


def _next_step(steps: list[EscalationEntry], now: datetime) -> str | None:
    upcoming = [s for s in steps if s.at is not None and s.at > now]
    if not upcoming:
        return None
    s = upcoming[0]
    assert s.at is not None
    return f"{s.target} in {humanize(s.at - now)} ({s.after_minutes} min unresolved)"
