"""User impact for a briefing: which user-facing services hurt, and by how much.

Health comes from every configured health source (the same fan-out ``blast_radius`` uses). SLO
burn has one place to plug in, :func:`slo_burn`: it answers nothing until an SLO capability
exists, and the briefing then says its impact stands on health or alerts, never on SLOs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from opscontext.app import App
from opscontext.briefing.impact import health_lines, impact_part
from opscontext.briefing.models import ImpactPart, More, SloBurn
from opscontext.engine.correlation.models import AlertGroup
from opscontext.models import SourceState, SourceStatus
from opscontext.queries.blast import fetch_health
from opscontext.world import World

MAX_TARGETS = 12


async def slo_burn(app: App, services: Sequence[str], at: datetime) -> tuple[list[SloBurn], list[SourceStatus]]:
    """SLO burn of ``services`` at ``at``: THE place to plug SLO burn into the briefing.

    Wire ``opscontext.queries.service_health.service_health(app, services, at)`` here once it is
    on main: map each SLO it reports to :class:`SloBurn` (error budget left, 1 h and 6 h burn
    rates, whether a multi-window burn-rate alert fires) and return its source statuses. Until
    then there is no SLO source, so nothing is claimed about SLOs.
    """
    return [], []


def user_facing(world: World, name: str) -> bool:
    service = world.resolver.services.get(name)
    return service is not None and service.user_facing


def targets(world: World, group: AlertGroup | None, focus: str) -> tuple[list[str], list[str]]:
    """(user-facing services alerting in the group, the services to ask health for)."""
    alerting = [s for s in group.services if user_facing(world, s)] if group else []
    reached = [s for s in group.impacted_services if user_facing(world, s)] if group else []
    wanted = list(dict.fromkeys([*alerting, *reached, focus]))[:MAX_TARGETS]
    return alerting, wanted


async def user_impact(
    app: App, world: World, group: AlertGroup | None, focus: str
) -> tuple[ImpactPart, list[SourceStatus], list[str]]:
    """The impact part, the statuses of the sources asked and any notes."""
    alerting, wanted = targets(world, group, focus)
    health, health_statuses, notes = await fetch_health(app, wanted)
    slo, slo_statuses = await slo_burn(app, wanted, app.now())
    facing = {name for name in wanted if user_facing(world, name)}
    part = impact_part(
        user_facing_alerting=alerting,
        health=health_lines(health, facing),
        slo=slo,
        health_configured=bool(health_statuses),
        health_failed=bool(health_statuses) and all(s.state is SourceState.FAILED for s in health_statuses),
        more=More(tool="blast_radius", arguments={"service": focus, "only_user_facing": True}),
    )
    return part, [*health_statuses, *slo_statuses], notes
