"""PagerDuty wire models -> opscontext domain models. Pure functions, no I/O."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Literal

from opscontext.models import (
    CatalogSnapshot,
    DependencyEdge,
    EdgeProvenance,
    EscalationPolicy,
    EscalationStep,
    Link,
    OnCallShift,
    Person,
    Service,
    Team,
)
from opscontext_connectors.pagerduty.wire import (
    PDEscalationPolicy,
    PDOnCall,
    PDService,
    PDTeam,
    PDUser,
    Ref,
    Relationship,
)

# PagerDuty leaves `start`/`end` null for permanent on-calls; the domain needs real instants.
FAR_PAST = datetime(1970, 1, 1, tzinfo=UTC)
FAR_FUTURE = datetime(2999, 12, 31, tzinfo=UTC)
SERVICE_ID_ANNOTATION = "pagerduty.com/service-id"
StepKind = Literal["person", "role", "schedule", "team", "vendor", "other"]


def person_name(user: PDUser) -> str:
    """Canonical person id: the email local part (how catalogs name people), else the PD id."""
    if user.email and "@" in user.email:
        return user.email.split("@", 1)[0].lower()
    return user.id


def _phone(user: PDUser) -> str | None:
    for method in user.contact_methods:
        if method.type in ("phone_contact_method", "sms_contact_method") and method.address:
            prefix = f"+{method.country_code} " if method.country_code else ""
            return prefix + method.address
    return None


def to_person(user: PDUser, source: str) -> Person:
    return Person(
        name=person_name(user),
        display_name=user.name,
        email=user.email,
        phone=_phone(user),
        source=source,
    )


def to_team(team: PDTeam, members: Iterable[str], source: str) -> Team:
    links = (Link(url=team.html_url, title="PagerDuty team"),) if team.html_url else ()
    return Team(
        name=team.name,
        members=tuple(sorted(set(members))),
        parent=team.parent.label if team.parent else None,
        links=links,
        source=source,
    )


def to_service(service: PDService, source: str) -> Service:
    links = (Link(url=service.html_url, title="PagerDuty service"),) if service.html_url else ()
    annotations = {SERVICE_ID_ANNOTATION: service.id}
    if service.escalation_policy:
        annotations["pagerduty.com/escalation-policy"] = service.escalation_policy.label
    return Service(
        name=service.name,
        description=service.description,
        owner=service.teams[0].label if service.teams else None,
        aliases=(service.id,),
        links=links,
        annotations=annotations,
        source=source,
    )


def to_catalog(
    services: Iterable[PDService], teams: Iterable[PDTeam], users: Iterable[PDUser], source: str
) -> CatalogSnapshot:
    users = list(users)
    members: dict[str, list[str]] = defaultdict(list)
    for user in users:
        for ref in user.teams:
            members[ref.id].append(person_name(user))
    return CatalogSnapshot(
        services=tuple(to_service(s, source) for s in services),
        teams=tuple(to_team(t, members.get(t.id, ()), source) for t in teams),
        people=tuple(to_person(u, source) for u in users),
    )


def to_edges(
    relationships: Iterable[Relationship], names: dict[str, str], source: str
) -> list[DependencyEdge]:
    """Declared edges between known technical services, each pair once.

    Every service's dependency list repeats the edges it shares with its neighbours, and may
    name business services that `/services` does not list; those are skipped.
    """
    seen: dict[tuple[str, str], DependencyEdge] = {}
    for rel in relationships:
        dependent = names.get(rel.dependent_service.id)
        dependency = names.get(rel.supporting_service.id)
        if dependent is None or dependency is None or (dependent, dependency) in seen:
            continue
        seen[(dependent, dependency)] = DependencyEdge(
            dependent=dependent,
            dependency=dependency,
            provenance=EdgeProvenance.DECLARED,
            source=source,
        )
    return list(seen.values())


def to_shift(oncall: PDOnCall, source: str) -> OnCallShift:
    policy = oncall.escalation_policy
    return OnCallShift(
        person=oncall.user.label,
        email=oncall.user.email,
        team=policy.teams[0].label if policy.teams else None,
        schedule=oncall.schedule.label if oncall.schedule else policy.label,
        level=oncall.escalation_level,
        policy=policy.label,
        start=oncall.start or FAR_PAST,
        end=oncall.end or FAR_FUTURE,
        source=source,
    )


def _target_kind(ref: Ref) -> StepKind:
    kind = (ref.type or "").removesuffix("_reference")
    if kind == "user":
        return "person"
    if kind == "schedule":
        return "schedule"
    return "other"


MAX_LOOPS = 9  # PagerDuty's own limit on num_loops


def to_policy(policy: PDEscalationPolicy, source: str) -> EscalationPolicy:
    """Rules become steps at cumulative thresholds: rule n engages once rules 1..n-1 timed out.

    After the last rule times out PagerDuty starts over at rule 1, ``num_loops`` more times
    (at most 9). Each repeat is spelled out as steps of its own, so "who is next" keeps an
    answer once the first pass is over: ``Payments Primary (repeat 1 of 2)`` at 55 minutes."""
    first_pass: list[tuple[int, Ref]] = []
    elapsed = 0
    for rule in policy.escalation_rules:
        first_pass.extend((elapsed, target) for target in rule.targets)
        elapsed += rule.escalation_delay_in_minutes
    steps = [EscalationStep(after_minutes=at, target=t.label, kind=_target_kind(t)) for at, t in first_pass]
    loops = min(policy.num_loops, MAX_LOOPS) if elapsed > 0 else 0
    for loop in range(1, loops + 1):
        steps.extend(
            EscalationStep(after_minutes=at + loop * elapsed, target=f"{t.label} (repeat {loop} of {loops})",
                           kind=_target_kind(t))
            for at, t in first_pass
        )
    return EscalationPolicy(
        name=policy.name,
        team=policy.teams[0].label if policy.teams else None,
        services=tuple(s.label for s in policy.services),
        steps=tuple(steps),
        source=source,
    )
