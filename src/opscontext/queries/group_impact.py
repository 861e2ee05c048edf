"""What users feel, put at the head of a correlated group's summary ("experience health, not
component health").

When an SLO source is configured, the SLOs of the services the first groups touch (their own
and the ones they impact) are evaluated once, and each group whose services have an SLO that
pages or tickets gets its summary led by the worst of them. Without an SLO source nothing is
asked and the summaries stay as the engine wrote them; a failed SLO source is listed among the
answer's sources and changes no summary.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from opscontext.app import App
from opscontext.briefing.impact import burning_first
from opscontext.briefing.models import SloBurn
from opscontext.engine.correlation.models import AlertGroup
from opscontext.models import SourceStatus
from opscontext.queries.user_impact import slo_burn

GROUPS = 5  # groups whose services are looked at: the largest, as the answer lists them
SERVICES = 24  # services asked about in all


async def lead_with_impact(
    app: App, largest: Callable[[int], Awaitable[list[AlertGroup]]], at: datetime
) -> tuple[dict[str, AlertGroup], list[SourceStatus]]:
    """The groups whose summaries user impact leads, by id, and the SLO sources asked.
    ``largest(n)``: the ``n`` largest groups, ties in the engine's order; asked for only when
    an SLO source is configured (it ranks those groups)."""
    if next(app.registry.of("slos"), None) is None:
        return {}, []
    first = await largest(GROUPS)
    if not first:
        return {}, []
    wanted = list(dict.fromkeys(s for g in first for s in (*g.services, *g.impacted_services)))[:SERVICES]
    burns, statuses, _ = await slo_burn(app, wanted, at)
    hurting = burning_first(burns)
    if not hurting:
        return {}, statuses
    return {g.id: _led(g, hurting) for g in first}, statuses


def _led(group: AlertGroup, hurting: list[SloBurn]) -> AlertGroup:
    mine = {*group.services, *group.impacted_services}
    worst = next((b for b in hurting if b.service in mine), None)
    if worst is None:
        return group
    return group.model_copy(update={"summary": f"{impact_phrase(worst)}. {group.summary}"})


def impact_phrase(b: SloBurn) -> str:
    """'Users: web-storefront checkout-availability pages (14% failing, burning 19.5x)'."""
    facts = []
    if b.failing_now is not None:
        facts.append(f"{b.failing_now:.0%} failing")
    if b.burn_rate_1h is not None:
        facts.append(f"burning {b.burn_rate_1h:g}x")
    verb = "pages" if b.alert == "page" else "opens a ticket"
    return f"Users: {b.service} {b.slo} {verb}" + (f" ({', '.join(facts)})" if facts else "")
