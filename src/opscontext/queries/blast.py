"""blast_radius: what breaks if this service fails, what it depends on, and how they are serving."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Literal

from pydantic import Field

from opscontext.answers import Answer, quoted
from opscontext.app import App
from opscontext.engine.blast import BlastRadius, blast_radius
from opscontext.errors import InputError, preview
from opscontext.models import ServiceHealth, SourceStatus
from opscontext.queries.common import failure_notes, find_service, one_deadline, require_some
from opscontext.world import World

log = logging.getLogger(__name__)

MAX_DEPTH = 20
MAX_TIER = 64
# Health is asked for in one query per metric; this bounds the matcher and the answer.
MAX_HEALTH_SERVICES = 60


class BlastRadiusAnswer(BlastRadius, Answer):
    """The engine's blast radius plus live health and per-source status."""

    untrusted_fields: str = quoted("service names, paths and the diagram's labels")

    health: list[ServiceHealth] = Field(
        default_factory=list,
        description=(
            "How the failing service (first) and its nearest impacted services and dependencies are "
            "serving right now: error_rate (fraction 0..1), latency_p99_seconds, request_rate (req/s). "
            "null means no data, not zero. Empty when no health source is configured or none answered."
        ),
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
    if next(app.registry.of("health"), None) is None:
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
) -> BlastRadiusAnswer:
    if max_depth is not None and not 1 <= max_depth <= MAX_DEPTH:
        raise InputError(f"`max_depth` must be between 1 and {MAX_DEPTH} (hops); omit it for no limit.")
    world = await app.worlds.build()
    require_some(world.statuses, "catalog", "the blast radius")
    svc = find_service(world, service)
    tier = _known_tier(tier, world)
    limit = max(1, min(limit or app.settings.limits.max_items, 200))
    result = blast_radius(
        world.graph,
        svc.name,
        max_depth=max_depth,
        edge_kinds=edge_kinds,
        provenance=provenance,
        only_user_facing=only_user_facing,
        tier=tier,
        limit=limit,
    )
    names, left_out = health_targets(result)
    health, health_statuses, notes = await fetch_health(app, names)
    statuses = [*world.statuses, *health_statuses]
    notes = [*failure_notes(statuses), *notes]
    if result.impacted_omitted or result.depends_on_omitted:
        notes.append(
            f"Lists cut to fit: {result.impacted_omitted} impacted and {result.depends_on_omitted} "
            "dependencies left out; raise `limit` or filter by tier / user-facing to see others."
        )
    if left_out and health_statuses:
        notes.append(f"Health asked for the {len(names)} nearest services only; {left_out} others left out.")
    if not any(s.capability == "topology" and s.state != "failed" for s in world.statuses):
        notes.append("No topology source answered; the graph may be incomplete.")
    return BlastRadiusAnswer(**result.model_dump(), health=health, sources=statuses, notes=notes)
