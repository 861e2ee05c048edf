"""blast_radius: what breaks if this service fails, what it depends on, and how they are serving."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Literal

from pydantic import Field

from opscontext.answers import Answer, quoted
from opscontext.app import App
from opscontext.budget import UNBOUNDED, largest_fitting
from opscontext.engine.blast import BlastRadius, blast_radius
from opscontext.errors import InputError, preview
from opscontext.models import ServiceHealth, SourceStatus
from opscontext.queries.common import failure_notes, find_service, has_source, one_deadline, require_some
from opscontext.world import World

log = logging.getLogger(__name__)

MAX_DEPTH = 20
MAX_TIER = 64
# Health is asked for in one query per metric; this bounds the matcher and the answer.
MAX_HEALTH_SERVICES = 60
MAX_LIMIT = 200


class BlastRadiusAnswer(BlastRadius, Answer):
    """The engine's blast radius plus live health and per-source status."""

    untrusted_fields: str = quoted("service names, paths and the diagram's labels")

    health: list[ServiceHealth] = Field(
        default_factory=list,
        description="Live health, failing service first; null: no data.",
    )


def health_targets(result: BlastRadius) -> tuple[list[str], int]:
    """The failing service, then impacted services and dependencies nearest first (impacted
    before dependencies at equal distance); and how many were left out to stay bounded."""
    near = [(i.distance, i.service) for i in result.impacted] + [(d.distance, d.service) for d in result.depends_on]
    near.sort(key=lambda hit: hit[0])  # stable: ranked order survives within one distance
    names = list(dict.fromkeys([result.service, *(name for _, name in near)]))
    return names[:MAX_HEALTH_SERVICES], max(0, len(names) - MAX_HEALTH_SERVICES)


async def fetch_health(app: App, names: Sequence[str]) -> tuple[list[ServiceHealth], list[SourceStatus], list[str]]:
    """Health of ``names`` from every health source at once, in the order of ``names``.

    No health source configured: nothing, not even a status. A failing source becomes a failed
    status through the hub; anything worse is logged and noted, never raised: health enriches a
    blast radius, it must not take it down.
    """
    if not has_source(app, "health"):
        return [], [], []
    try:
        got = await app.hub.health(names, app.now())
        order = {name: i for i, name in enumerate(names)}
        health = sorted(got.items(), key=lambda h: order[h.service])
    except Exception:
        log.exception("health lookup for the blast radius failed")
        return [], [], ["Live health could not be fetched (internal error; see the server log)."]
    return health, got.statuses, []


def _known_tier(tier: str | None, world: World) -> str | None:
    """Blank means no filter; a tier no service has is a mistake worth saying, not an empty answer."""
    if tier is None or not tier.strip():
        return None
    wanted = tier.strip()
    if len(wanted) > MAX_TIER:
        raise InputError(f"`tier` {preview(wanted)} is too long; tiers are short names such as tier-1.")
    known = sorted({s.tier for s in world.catalog.services if s.tier})
    normal = {t.lower(): t for t in known}
    candidates = (wanted.lower(), f"tier-{wanted}".lower())
    match = next((normal[c] for c in candidates if c in normal), None)
    if match is None:
        raise InputError(f"No service has tier {preview(wanted)}. Known tiers: {', '.join(known) or 'none recorded'}.")
    return match


@one_deadline
async def blast(
    app: App,
    service: str,
    max_depth: int | None = None,
    edge_kinds: list[str] | None = None,
    provenance: Literal["declared", "observed", "both"] | None = None,
    only_user_facing: bool = False,
    tier: str | None = None,
    limit: int | None = None,
    budget: int | None = None,
) -> BlastRadiusAnswer:
    """The blast radius of ``service``; ``budget``: the answer's token budget (front ends pass
    ``limits.answer_tokens``; None lists up to ``limits.max_items`` whatever the size)."""
    if max_depth is not None and not 1 <= max_depth <= MAX_DEPTH:
        raise InputError(f"`max_depth` must be between 1 and {MAX_DEPTH} (hops); omit it for no limit.")
    world = await app.worlds.build()
    require_some(world.statuses, "catalog", "the blast radius")
    svc = find_service(world, service)
    tier = _known_tier(tier, world)
    budget = budget or UNBOUNDED

    def radius(count: int) -> BlastRadius:
        return blast_radius(world.graph, svc.name, max_depth=max_depth, edge_kinds=edge_kinds,
                            provenance=provenance, only_user_facing=only_user_facing, tier=tier, limit=count)

    def answer(result: BlastRadius, health: Sequence[ServiceHealth] = (),
               statuses: Sequence[SourceStatus] = world.statuses, extra: Sequence[str] = ()) -> BlastRadiusAnswer:
        notes = [*failure_notes(statuses), *extra, *_notes(result, world)]
        return BlastRadiusAnswer(**result.model_dump(include=set(BlastRadius.model_fields)), health=list(health),
                                 sources=list(statuses), notes=notes)

    if limit is not None:  # an explicit limit is honoured exactly, past the budget if need be
        result: BlastRadius = radius(max(1, min(limit, MAX_LIMIT)))
    else:  # as many as fit the budget, up to the configured default
        most = max(1, min(app.settings.limits.max_items, MAX_LIMIT))
        result = largest_fitting(lambda n: answer(radius(n)), most, budget, least=1)[0]
    names, left_out = health_targets(result)
    health, health_statuses, health_notes = await fetch_health(app, names)
    statuses = [*world.statuses, *health_statuses]

    def with_health(count: int) -> BlastRadiusAnswer:
        extra = list(health_notes)
        omitted = left_out + len(health) - count
        if omitted and health_statuses:
            extra.append(f"Health listed for the {count} nearest services; {omitted} others left out.")
        return answer(result, health[:count], statuses, extra)

    if limit is not None or not health:
        return with_health(len(health))
    return largest_fitting(with_health, len(health), budget, least=1)[0]  # health is cut last, nearest kept


def _notes(result: BlastRadius, world: World) -> list[str]:
    notes = []
    if result.impacted_omitted or result.depends_on_omitted:
        notes.append(
            f"Lists cut to fit: {result.impacted_omitted} impacted and {result.depends_on_omitted} "
            f"dependencies left out; raise `limit` (up to {MAX_LIMIT}) or filter by tier / user-facing to see others."
        )
    if not any(s.capability == "topology" and s.state != "failed" for s in world.statuses):
        notes.append("No topology source answered; the graph may be incomplete.")
    return notes
