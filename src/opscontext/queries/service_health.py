"""service_health: what users feel, per service: each SLO's SLI, error budget and burn-rate alerts.

Reusable by other queries (``incident_context``): :func:`service_health` takes the app, the
services (None: every service with an SLO), the instant and a token budget (None: the whole answer),
and returns an answer cut to that budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from opscontext.answers import Answer, quoted
from opscontext.app import App
from opscontext.budget import UNBOUNDED, answer_tokens, omitted
from opscontext.engine.burn import RULE, Alert, SloHealth, evaluate, unevaluated, windows_for
from opscontext.errors import InputError
from opscontext.models import SliReading, SliRequest, Slo, SourceState, SourceStatus
from opscontext.queries.common import failure_notes, find_service, one_deadline, require_some
from opscontext.world import World

MAX_SERVICES_ASKED = 50
RANK: dict[str, int] = {"page": 0, "ticket": 1, "unknown": 2, "none": 3}


class ServiceSlos(BaseModel):
    service: str
    user_facing: bool = False
    alert: Alert = Field(description="The most severe among its SLOs.")
    slos: list[SloHealth] = Field(description="Worst first.")
    slos_omitted: int = omitted()


class ServiceHealthAnswer(Answer):
    untrusted_fields: str = quoted("service, slo, objective, window, detail")
    at: datetime = Field(description="When the SLIs were evaluated.")
    rule: str = Field(description="How burn rates read and when they alert.")
    services: list[ServiceSlos] = Field(
        description="Firing first, then user-facing, then least budget."
    )
    services_omitted: int = omitted()
    without_slos: list[str] = Field(default_factory=list, description="Services asked about that have no SLO.")


@one_deadline
async def service_health(
    app: App, services: Sequence[str] | None = None, at: datetime | None = None, budget: int | None = None
) -> ServiceHealthAnswer:
    """Each SLO of ``services`` (all services with SLOs when None or empty) evaluated at ``at``,
    cut to ``budget`` tokens (the MCP tool and the CLI pass ``limits.answer_tokens``; None: whole)."""
    now = app.now()
    at = at or now
    if at > now + timedelta(minutes=5):
        raise InputError("`at` is in the future; SLIs can only be evaluated up to now.")
    if services is not None and len(services) > MAX_SERVICES_ASKED:
        raise InputError(f"Ask about at most {MAX_SERVICES_ASKED} services at once.")
    world = await app.worlds.build()
    got = await app.hub.slos()
    require_some(got.statuses, "slos", "service health")
    slos: list[Slo] = got.items()
    by_service = _group(world, slos)
    wanted, without = _wanted(world, by_service, services)
    chosen = [slo for name in wanted for slo in by_service[name]]
    healths, sli_statuses = await _evaluate(app, chosen, at)
    statuses = [*world.statuses, *got.statuses, *sli_statuses]
    groups = [_service(world, name, [healths[s.name] for s in by_service[name]]) for name in wanted]
    groups.sort(key=lambda g: (RANK[g.alert], not g.user_facing, _least_budget(g)))
    answer = ServiceHealthAnswer(at=at, rule=RULE, services=groups, without_slos=without, sources=statuses)
    return _bounded(answer, [*failure_notes(statuses), *_notes(slos)], budget or UNBOUNDED)


def _group(world: World, slos: list[Slo]) -> dict[str, list[Slo]]:
    """SLOs by catalog service name (the SLO's own spelling when the catalog does not know it)."""
    out: dict[str, list[Slo]] = {}
    for slo in slos:
        out.setdefault(world.resolver.match(slo.service) or slo.service, []).append(slo)
    return out


def _wanted(world: World, by_service: dict[str, list[Slo]], asked: Sequence[str] | None) -> tuple[list[str], list[str]]:
    """(services to show, services asked about that have no SLO)."""
    if not asked:
        return sorted(by_service), []
    names: list[str] = []
    for text in dict.fromkeys(a.strip() for a in asked if a and a.strip()):
        name = text if text in by_service else find_service(world, text).name
        names.append(name)
    names = list(dict.fromkeys(names))
    return [n for n in names if n in by_service], [n for n in names if n not in by_service]


async def _evaluate(app: App, slos: list[Slo], at: datetime) -> tuple[dict[str, SloHealth], list[SourceStatus]]:
    """Every SLO's health, measured where an evaluator could be found, explained where not."""
    evaluators = [i.name for i in app.registry.of("sli")]
    requests, healths = [], {}
    for slo in slos:
        evaluator, why = _evaluator(slo, evaluators)
        if evaluator is None:
            healths[slo.name] = unevaluated(slo, why)
        else:
            requests.append(SliRequest(slo=slo.name, evaluator=evaluator, sli=slo.sli, windows=windows_for(slo)))
    if not requests:
        return healths, []
    got = await app.hub.sli_ratios(requests, at)
    readings: dict[str, dict[int, SliReading]] = {}
    for reading in got.items():
        readings.setdefault(reading.slo, {})[reading.window_seconds] = reading
    failed = {s.source: s for s in got.statuses if s.state is SourceState.FAILED}
    for request, slo in zip(requests, [s for s in slos if s.name not in healths], strict=True):
        mine = readings.get(request.slo)
        if mine:
            healths[slo.name] = evaluate(slo, mine)
        else:
            status = failed.get(request.evaluator)
            why = f"source {request.evaluator} failed: {status.detail}" if status else "the evaluator returned nothing"
            healths[slo.name] = unevaluated(slo, why)
    return healths, got.statuses


def _evaluator(slo: Slo, evaluators: list[str]) -> tuple[str | None, str]:
    if slo.evaluator:
        if slo.evaluator in evaluators:
            return slo.evaluator, ""
        return None, f"its evaluator {slo.evaluator!r} is not a configured SLI source (prometheus or openmetrics)"
    if len(evaluators) == 1:
        return evaluators[0], ""
    if not evaluators:
        return None, "no SLI source (prometheus or openmetrics) is configured to evaluate it"
    return None, (
        f"{len(evaluators)} SLI sources are configured; set `evaluator` or `data_sources` in the openslo "
        "connector's config to say which one evaluates it"
    )


def _service(world: World, name: str, healths: list[SloHealth]) -> ServiceSlos:
    healths.sort(key=lambda h: (RANK[h.alert], _budget(h)))
    service = next((s for s in world.catalog.services if s.name == name), None)
    worst = healths[0].alert if healths else "none"
    return ServiceSlos(service=name, user_facing=bool(service and service.user_facing), alert=worst, slos=healths)


def _budget(h: SloHealth) -> float:
    return h.error_budget_remaining if h.error_budget_remaining is not None else float("inf")


def _least_budget(group: ServiceSlos) -> float:
    return min((_budget(h) for h in group.slos), default=float("inf"))


def _notes(slos: list[Slo]) -> list[str]:
    notes = []
    if not slos:
        notes.append("No SLO is defined in the configured SLO sources.")
    if any(s.budgeting_method != "Occurrences" for s in slos):
        notes.append("Time-slice budgets are evaluated as event ratios (see each SLO's window).")
    return notes


def _bounded(answer: ServiceHealthAnswer, notes: list[str], budget: int) -> ServiceHealthAnswer:
    """The answer cut to ``budget`` tokens (estimated as :mod:`opscontext.budget` does): whole
    services from the end, then SLOs from the end of the last one kept, each cut counted; the
    worst always come first, so they stay."""
    groups = [g.model_copy(update={"slos": list(g.slos)}) for g in answer.services]
    omitted_services = 0

    def build() -> ServiceHealthAnswer:
        extra = []
        if omitted_services or any(g.slos_omitted for g in groups):
            extra.append("Cut to fit the answer's budget; ask for fewer services to see the rest.")
        return answer.model_copy(
            update={"services": groups, "services_omitted": omitted_services, "notes": [*notes, *extra]}
        )

    current = build()
    while answer_tokens(current) > budget and groups:
        last = groups[-1]
        if len(groups) > 1:
            groups.pop()
            omitted_services += 1
        elif len(last.slos) > 1:
            last.slos.pop()
            last.slos_omitted += 1
        else:
            break
        current = build()
    return current
