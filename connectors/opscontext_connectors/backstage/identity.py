"""One definition per entity: the first wins, every later one is reported.

Backstage identifies an entity by its ref, kind + namespace + name, compared case-insensitively,
and does not merge two definitions of one ref: the catalog keeps the one it already holds and
reports the other as a conflict. opscontext does the same, with a rule that needs no registration
history: the first definition in reading order (files sorted by path, documents in file order)
is used, and each later one is left out with a note naming the first one's file and, when the
two disagree, both owners. Left silent, the file that sorts last would decide who gets paged.

opscontext also names services (Components and Resources alike) and teams by name alone, without
kind or namespace, so two entities Backstage tells apart (``component:payments`` and
``resource:payments``, or one name in two namespaces) would become one service: the same rule
applies to them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from opscontext_connectors.backstage.conventions import ref_name
from opscontext_connectors.backstage.mapping import SERVICE_KINDS
from opscontext_connectors.backstage.wire import Entity, quoted


@dataclass(frozen=True)
class Duplicate:
    """A definition left out: where it was, where the one used was, and why."""

    where: str
    first_where: str
    reason: str


def _ref(entity: Entity) -> tuple[str, str, str]:
    namespace = (entity.metadata.namespace or "default").strip().lower()
    return entity.kind.lower(), namespace, entity.metadata.name.strip().lower()


def _opscontext_name(entity: Entity) -> tuple[str, str]:
    kind = entity.kind.lower()
    return "service" if kind in SERVICE_KINDS else kind, entity.metadata.name.strip().lower()


def _shown(entity: Entity) -> str:
    namespace = (entity.metadata.namespace or "default").strip().lower()
    where = "" if namespace == "default" else f"{namespace}/"
    return f"{entity.kind} {quoted(where + entity.metadata.name)}"


def _owner(entity: Entity) -> str:
    return ref_name(entity.spec.owner, default_kind="group") or "none"


def _why(entity: Entity, first: Entity, first_where: str) -> str:
    if _ref(entity) != _ref(first):
        noun = _opscontext_name(first)[0]
        without = "kind or namespace" if noun == "service" else "namespace"
        return (
            f"{_shown(entity)} left out: it and {_shown(first)} (in {first_where}, used) would be one "
            f"{noun}, as opscontext names them without {without}"
        )
    reason = f"{_shown(entity)} left out: defined again (first in {first_where}, used)"
    mine, theirs = _owner(entity), _owner(first)
    if mine != theirs:
        reason += f"; the owners disagree: {theirs} there, {mine} here"
    return reason


def first_definitions(
    placed: Iterable[tuple[str, Iterable[Entity]]],
) -> tuple[list[Entity], list[Duplicate]]:
    """The first definition of every entity, in order, and each later one with its reason;
    ``placed`` is (where, entities) in reading order."""
    seen: dict[tuple[str, ...], tuple[str, Entity]] = {}
    kept: list[Entity] = []
    dropped: list[Duplicate] = []
    for where, entities in placed:
        for entity in entities:
            clash = next(_earlier(seen, entity), None)
            if clash is not None:
                first_where, first = clash
                dropped.append(Duplicate(where, first_where, _why(entity, first, first_where)))
                continue
            seen[_ref(entity)] = seen[_opscontext_name(entity)] = (where, entity)
            kept.append(entity)
    return kept, dropped


def _earlier(seen: dict[tuple[str, ...], tuple[str, Entity]], entity: Entity) -> Iterator[tuple[str, Entity]]:
    for key in (_ref(entity), _opscontext_name(entity)):
        if key in seen:
            yield seen[key]
