"""User impact for a briefing: which user-facing services hurt, and by how much.

SLO burn comes from ``service_health`` (error budget, burn rates, which alert fires) for the
services the incident reaches; live health from every configured health source (the same fan-out
``blast_radius`` uses). The impact part says which of them it stands on.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from opscontext.app import App
from opscontext.briefing.impact import health_lines, impact_part
from opscontext.briefing.models import ImpactPart, More, SloBurn
from opscontext.engine.burn import SloHealth
from opscontext.engine.correlation.models import AlertGroup
from opscontext.errors import OpsContextError
from opscontext.models import SourceState, SourceStatus
from opscontext.queries.blast import fetch_health
from opscontext.queries.service_health import ServiceSlos, service_health
from opscontext.world import World

MAX_TARGETS = 12


async def slo_burn(
    app: App, services: Sequence[str], at: datetime
) -> tuple[list[SloBurn], list[SourceStatus], list[str]]:
    """SLO burn of ``services`` at ``at`` from ``service_health``: nothing (and no status) when no
    SLO source is configured; a failure becomes a note, never a failed briefing."""
    if next(app.registry.of("slos"), None) is None:
        return [], [], []
    try:
        answer = await service_health(app, list(services), at)
    except OpsContextError as exc:
        return [], [], [f"SLO burn: {exc}"]
    burns = [_burn(group, h) for group in answer.services for h in group.slos]
    return burns, answer.sources, []


def _burn(group: ServiceSlos, h: SloHealth) -> SloBurn:
    rates = {b.windows: b.long for b in h.burn_rates}
    return SloBurn(
        service=group.service,
        user_facing=group.user_facing,
        slo=h.slo,
        failing_now=None if h.sli_now is None else round(1 - h.sli_now, 4),
        error_budget_remaining=None if h.error_budget_remaining is None else round(h.error_budget_remaining, 3),
        burn_rate_1h=None if rates.get("1h/5m") is None else round(rates["1h/5m"] or 0, 1),
        burn_rate_6h=None if rates.get("6h/30m") is None else round(rates["6h/30m"] or 0, 1),
        alert=h.alert,
    )


def _more(focus: str, slo: Sequence[SloBurn]) -> More:
    if slo:  # every SLO, worst first
        return More(tool="service_health", arguments={})
    return More(tool="blast_radius", arguments={"service": focus, "only_user_facing": True})


def user_facing(world: World, name: str) -> bool:
    service = world.resolver.services.get(name)
    return service is not None and service.user_facing


def targets(world: World, group: AlertGroup | None, focus: str) -> tuple[list[str], list[str]]:
    """(user-facing services alerting in the group, the services to ask health for)."""
    alerting = [s for s in group.services if user_facing(world, s)] if group else []
    reached = [s for s in group.impacted_services if user_facing(world, s)] if group else []
    others = group.services if group else []  # an alerting service's own SLO is felt by its callers
    wanted = list(dict.fromkeys([*alerting, *reached, focus, *others]))[:MAX_TARGETS]
    return alerting, wanted


async def user_impact(
    app: App, world: World, group: AlertGroup | None, focus: str
) -> tuple[ImpactPart, list[SourceStatus], list[str]]:
    """The impact part, the statuses of the sources asked and any notes."""
    alerting, wanted = targets(world, group, focus)
    health, health_statuses, notes = await fetch_health(app, wanted)
    slo, slo_statuses, slo_notes = await slo_burn(app, wanted, app.now())
    facing = {name for name in wanted if user_facing(world, name)}
    part = impact_part(
        user_facing_alerting=alerting,
        health=health_lines(health, facing),
        slo=slo,
        health_configured=bool(health_statuses),
        health_failed=bool(health_statuses) and all(s.state is SourceState.FAILED for s in health_statuses),
        more=_more(focus, slo),
        slo_configured=next(app.registry.of("slos"), None) is not None,
    )
    return part, [*health_statuses, *slo_statuses], [*notes, *slo_notes]
