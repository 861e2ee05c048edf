"""blast_radius: what breaks if this service fails, and what it depends on (the suspects)."""

from __future__ import annotations

from typing import Literal

from opscontext.answers import Answer
from opscontext.app import App
from opscontext.engine.blast import BlastRadius, blast_radius
from opscontext.errors import InputError
from opscontext.queries.common import failure_notes, require_some

MAX_DEPTH = 20


class BlastRadiusAnswer(BlastRadius, Answer):
    """The engine's blast radius plus per-source status."""


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
    svc = world.resolver.resolve(service)
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
    notes = failure_notes(world.statuses)
    if result.impacted_omitted or result.depends_on_omitted:
        notes.append(
            f"Lists cut to fit: {result.impacted_omitted} impacted and {result.depends_on_omitted} "
            "dependencies left out; raise `limit` or filter by tier / user-facing to see others."
        )
    if not any(s.capability == "topology" and s.state != "failed" for s in world.statuses):
        notes.append("No topology source answered; the graph may be incomplete.")
    return BlastRadiusAnswer(**result.model_dump(), sources=world.statuses, notes=notes)
