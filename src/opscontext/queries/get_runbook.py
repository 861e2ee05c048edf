"""get_runbook: the runbooks that apply, best first, with the section to read."""

from __future__ import annotations

from opscontext.answers import RunbookAnswer, RunbookHit
from opscontext.app import App
from opscontext.budget import UNBOUNDED, largest_fitting
from opscontext.engine.runbook_rank import rank
from opscontext.errors import InputError, preview
from opscontext.models import Runbook, Service
from opscontext.queries.common import empty_caveat, failure_notes, find_service, one_deadline, require_some
from opscontext.redact import clip

EXCERPT_CHARS = 1200
DEFAULT_LIMIT = 5
MAX_LIMIT = 20
MAX_QUERY = 500


@one_deadline
async def get_runbook(
    app: App, service: str | None = None, alert: str | None = None, query: str | None = None,
    limit: int | None = None,
    budget: int | None = None,
) -> RunbookAnswer:
    """Runbooks best first: ``limit`` of them, or by default up to five, as many as fit ``budget``
    (tokens; front ends pass ``limits.answer_tokens``, None means no budget)."""
    if not any(x and x.strip() for x in (service, alert, query)):
        raise InputError("Give at least one of `service`, `alert` (an alert name) or `query` (words to search for).")
    if query and len(query) > MAX_QUERY:
        raise InputError(
            f"`query` {preview(query)} is too long; keep it under {MAX_QUERY} characters (a few keywords work best)."
        )
    if alert and len(alert) > 200:
        raise InputError("`alert` should be an alert name such as PaymentLatencyHigh.")
    world = await app.worlds.build()
    svc = None
    if service and service.strip():
        require_some(world.statuses, "catalog", f"which service {service!r} is")
        svc = find_service(world, service)
    got = await app.hub.runbooks()
    require_some(got.statuses, "runbooks", "runbook lookup", degrade=True)
    books: list[Runbook] = got.items()
    alert = alert.strip() if alert else None
    declared = {a.lower() for rb in books for a in rb.alerts}
    undeclared = alert is not None and alert.lower() not in declared
    if alert and undeclared:
        _check_alert_known(alert, books)
    ranked = rank(books, service=svc.name if svc else None, alert=alert, query=query, resolve=world.resolver.match)
    most = max(1, min(limit or DEFAULT_LIMIT, MAX_LIMIT))
    hits = [
        RunbookHit(
            title=r.runbook.title,
            services=list(r.runbook.services),
            location=r.runbook.location + (f"#{r.section.anchor}" if r.section else ""),
            score=round(r.score, 3),
            matched_on=r.matched_on,
            section=r.section.heading if r.section else None,
            excerpt=clip(r.section.body if r.section else r.runbook.summary, EXCERPT_CHARS),
            source=r.runbook.source,
        )
        for r in ranked[:most]
    ]
    hits += _catalog_links(svc, {h.location for h in hits}) if svc and len(hits) < most else []
    notes = failure_notes(world.statuses + got.statuses)
    caveat = empty_caveat(got.statuses, "runbooks", "runbook") if not hits else None
    if caveat:  # a broken runbook source must never read as "no runbook matches"
        notes.insert(0, caveat)
    elif not hits:
        notes.append("No runbook matches. Try fewer or different words, or the service name alone.")
    elif undeclared:
        notes.append(f"No runbook declares alert {alert!r}; these match its words only.")
    matched = max(len(ranked), len(hits))

    def answer(count: int) -> RunbookAnswer:
        more = matched - min(count, len(hits))
        extra = [f"{more} more runbooks match; raise `limit` (up to {MAX_LIMIT}) to see them."] if more else []
        return RunbookAnswer(runbooks=hits[:count], omitted=more, sources=world.statuses + got.statuses,
                             notes=[*notes, *extra])

    if limit is not None:
        return answer(most)
    return largest_fitting(answer, len(hits), budget or UNBOUNDED, least=min(1, len(hits)))[0]


def _check_alert_known(alert: str, books: list[Runbook]) -> None:
    """An alert name no runbook declares is fine as text, but a likely typo deserves a hint."""
    from rapidfuzz import fuzz, process

    names = sorted({a for rb in books for a in rb.alerts})
    close = [m for m, score, _ in process.extract(alert, names, scorer=fuzz.ratio, limit=3) if score >= 85]
    if close and alert not in close:
        raise InputError(f"No runbook covers alert {preview(alert)}.", suggestions=close)


def _catalog_links(svc: Service, seen: set[str]) -> list[RunbookHit]:
    """Runbook links the catalog records for the service (no text to excerpt, but a place to go)."""
    return [
        RunbookHit(
            title=link.title or f"{svc.name} runbook",
            services=[svc.name],
            location=link.url,
            score=1.0,
            matched_on=[f"catalog link of {svc.name}"],
            source=svc.source,
        )
        for link in svc.links
        if (link.type or "").lower() == "runbook" and link.url not in seen
    ]
