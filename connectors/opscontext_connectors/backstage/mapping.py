"""Backstage entities -> opscontext catalog and dependency edges.

The one mapping both the file and the API connector use, so switching a team from
``catalog-info.yaml`` files to a running Backstage is a configuration change that yields the
same snapshot. Names are lower-cased: Backstage matches refs case-insensitively.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

from opscontext.models import (
    CatalogSnapshot,
    DependencyEdge,
    EdgeProvenance,
    Link,
    Person,
    Service,
    Team,
)
from opscontext_connectors.backstage.conventions import (
    PHONE,
    aliases_of,
    chat_channel,
    is_external,
    is_user_facing,
    link_type,
    parse_ref,
    ref_name,
    service_annotations,
    tier_of,
)
from opscontext_connectors.backstage.wire import Entity

SERVICE_KINDS = ("component", "resource")


def _of_kind(entities: Iterable[Entity], *kinds: str) -> list[Entity]:
    return [e for e in entities if e.kind.lower() in kinds]


def _links(entity: Entity) -> tuple[Link, ...]:
    return tuple(Link(url=x.url, title=x.title, type=link_type(x)) for x in entity.metadata.links)


def _system_owners(entities: Iterable[Entity]) -> dict[str, str]:
    owners: dict[str, str] = {}
    for system in _of_kind(entities, "system"):
        owner = ref_name(system.spec.owner, default_kind="group")
        if owner:
            owners[system.metadata.name.lower()] = owner
    return owners


def to_service(entity: Entity, *, source: str, system_owners: dict[str, str]) -> Service:
    md, spec = entity.metadata, entity.spec
    system = ref_name(spec.system, default_kind="system")
    owner = ref_name(spec.owner, default_kind="group") or system_owners.get(system or "")
    kind = "external" if is_external(entity) else entity.kind.lower()
    return Service(
        name=md.name.lower(),
        title=md.title,
        kind=kind,
        type=spec.type,
        description=md.description,
        owner=owner,
        system=system,
        lifecycle=spec.lifecycle,
        tier=tier_of(entity),
        user_facing=is_user_facing(entity),
        aliases=aliases_of(entity),
        tags=tuple(md.tags),
        links=_links(entity),
        annotations=service_annotations(entity),
        source=source,
    )


def _team_members(entities: list[Entity]) -> dict[str, list[str]]:
    """Group name -> member user names: the group's own list, then users' `memberOf`."""
    members: dict[str, list[str]] = {}
    for group in _of_kind(entities, "group"):
        names = (ref_name(m, default_kind="user") for m in group.spec.members)
        members[group.metadata.name.lower()] = [n for n in names if n]
    for user in _of_kind(entities, "user"):
        for ref in user.spec.member_of:
            team = ref_name(ref, default_kind="group")
            if team:
                members.setdefault(team, []).append(user.metadata.name.lower())
    return {team: list(dict.fromkeys(names)) for team, names in members.items()}


def to_team(entity: Entity, *, source: str, members: list[str]) -> Team:
    profile = entity.spec.profile
    return Team(
        name=entity.metadata.name.lower(),
        title=profile.display_name or entity.metadata.title,
        email=profile.email,
        chat_channel=chat_channel(entity),
        members=tuple(members),
        parent=ref_name(entity.spec.parent, default_kind="group"),
        links=_links(entity),
        source=source,
    )


def to_person(entity: Entity, *, source: str) -> Person:
    profile = entity.spec.profile
    return Person(
        name=entity.metadata.name.lower(),
        display_name=profile.display_name or entity.metadata.title,
        email=profile.email,
        phone=entity.metadata.annotations.get(PHONE),
        source=source,
    )


def build_catalog(entities: list[Entity], *, source: str) -> CatalogSnapshot:
    owners = _system_owners(entities)
    members = _team_members(entities)
    services = [
        to_service(e, source=source, system_owners=owners)
        for e in _of_kind(entities, *SERVICE_KINDS)
    ]
    teams = [
        to_team(e, source=source, members=members.get(e.metadata.name.lower(), []))
        for e in _of_kind(entities, "group")
    ]
    people = [to_person(e, source=source) for e in _of_kind(entities, "user")]
    return CatalogSnapshot(
        services=tuple(sorted(services, key=lambda s: s.name)),
        teams=tuple(sorted(teams, key=lambda t: t.name)),
        people=tuple(sorted(people, key=lambda p: p.name)),
    )


def _api_providers(entities: list[Entity]) -> dict[str, list[str]]:
    providers: dict[str, list[str]] = {}
    for entity in _of_kind(entities, *SERVICE_KINDS):
        for ref in entity.spec.provides_apis:
            api = parse_ref(ref, default_kind="api").name
            providers.setdefault(api, []).append(entity.metadata.name.lower())
    return providers


def _declared_pairs(
    entity: Entity, providers: dict[str, list[str]], dep: Callable[[str], str]
) -> Iterable[tuple[str, str, str]]:
    """(dependent, dependency, kind) for everything one entity declares; ``dep`` names the
    component a dependency ref points at."""
    me, spec = entity.metadata.name.lower(), entity.spec
    for ref in spec.depends_on:
        yield me, dep(ref), "depends_on"
    for ref in spec.dependency_of:
        yield dep(ref), me, "depends_on"
    for ref in spec.consumes_apis:
        api = parse_ref(ref, default_kind="api").name
        # An API nobody provides still shows up, as itself, so the gap is visible in the graph.
        for provider in providers.get(api) or [api]:
            if provider != me:
                yield me, provider, "api"


def _component_names() -> Callable[[str], str]:
    """A dependency ref's component name, each distinct ref parsed once: at 50k services the
    250k refs name ~50k components."""
    return functools.cache(lambda ref: parse_ref(ref, default_kind="component").name)


def build_edges(
    entities: list[Entity], *, source: str, names: dict[str, str] | None = None
) -> list[DependencyEdge]:
    """Declared dependencies of every component and resource. ``names`` (name -> the one string
    object to use, e.g. the catalog's service names) is filled as it goes: an edge's endpoint is
    then the same string as its service's name and every other edge's, instead of one new string
    per reference (at 250k edges, ~30 MiB of copies)."""
    providers = _api_providers(entities)
    share = (names if names is not None else {}).setdefault
    seen: dict[tuple[str, str, str], DependencyEdge] = {}
    dep = _component_names()
    for entity in _of_kind(entities, *SERVICE_KINDS):
        for dependent, dependency, kind in _declared_pairs(entity, providers, dep):
            if not dependent or not dependency or (dependent, dependency, kind) in seen:
                continue
            seen[(dependent, dependency, kind)] = DependencyEdge(
                dependent=share(dependent, dependent),
                dependency=share(dependency, dependency),
                kind=kind,
                provenance=EdgeProvenance.DECLARED,
                source=source,
            )
    return sorted(seen.values(), key=lambda e: (e.dependent, e.dependency, e.kind))
