"""From the other tools' answers to the briefing's parts: the same facts, fewer of them.

Lists keep a generous first cut here (the budget cuts further); each part's ``more`` is the call
that returns what was left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from opscontext.answers import RunbookAnswer, WhoOwnsAnswer
from opscontext.briefing.escalation import position
from opscontext.briefing.models import (
    Alternative,
    BlastPart,
    GroupPart,
    More,
    OnCallLine,
    OwnerPart,
    RunbookPart,
)
from opscontext.engine.blast import BlastRadius
from opscontext.engine.correlation.models import AlertGroup
from opscontext.runbook_uri import runbook_uri
from opscontext.textcut import shorten

FIRST_CUT = 8
EXCERPT_CHARS = 600


def _listed(items: Sequence[str], keep: int = FIRST_CUT) -> tuple[list[str], int]:
    return list(items[:keep]), max(0, len(items) - keep)


def group_part(group: AlertGroup, others: Sequence[AlertGroup], now: datetime, more: More) -> GroupPart:
    top = group.candidates[0] if group.candidates else None
    alternatives = [
        Alternative(service=c.service, score=c.score, evidence=c.evidence[0] if c.evidence else None)
        for c in group.candidates[1:]
    ]
    services, services_omitted = _listed(group.services)
    other, other_omitted = _listed([f"{g.id}: {g.primary_contributor} ({g.alert_count} alerts)" for g in others], 3)
    return GroupPart(
        id=group.id,
        summary=group.summary,
        started_at=group.started_at,
        minutes_since_start=max(0, int((now - group.started_at).total_seconds() // 60)),
        alert_count=group.alert_count,
        services=services,
        services_omitted=services_omitted,
        primary_contributor=group.primary_contributor,
        confidence=group.confidence,
        uncertain_because=group.uncertain_because,
        evidence=list(top.evidence) if top else [],
        alternatives=alternatives,
        other_groups=other,
        other_groups_omitted=other_omitted,
        more=more,
    )


def owner_part(answer: WhoOwnsAnswer, start: datetime | None, now: datetime) -> OwnerPart:
    """Owner and on-call from ``who_owns``; escalation re-timed from the incident's ``start``."""
    engaged, nxt, minutes = position(answer.escalation, start, now)
    return OwnerPart(
        service=answer.service.name,
        team=answer.owner.team if answer.owner else None,
        chat_channel=answer.owner.chat_channel if answer.owner else None,
        on_call=[
            OnCallLine(person=e.person, level=e.level, contact=e.phone or e.email)
            for e in answer.on_call[:FIRST_CUT]
        ],
        on_call_omitted=max(0, len(answer.on_call) - FIRST_CUT),
        escalation_policy=answer.escalation_policy,
        engaged=engaged,
        next=nxt,
        next_in_minutes=minutes,
        more=More(tool="who_owns", arguments={"service": answer.service.name}),
    )


def blast_part(result: BlastRadius) -> BlastPart:
    nearest = [i.service for i in result.impacted]
    listed, left = _listed(nearest)
    user_facing, uf_left = _listed(result.user_facing_reached)
    high, high_left = _listed(result.high_tier_reached)
    return BlastPart(
        service=result.service,
        impacted_total=result.impacted_total,
        nearest=listed,
        nearest_omitted=left + max(0, result.impacted_total - len(nearest)),
        user_facing_reached=user_facing,
        user_facing_reached_omitted=uf_left + result.user_facing_reached_total - len(result.user_facing_reached),
        high_tier_reached=high,
        high_tier_reached_omitted=high_left + result.high_tier_reached_total - len(result.high_tier_reached),
        depends_on_total=result.depends_on_total,
        more=More(tool="blast_radius", arguments={"service": result.service}),
    )


def runbook_part(answer: RunbookAnswer, more: More) -> RunbookPart | None:
    if not answer.runbooks:
        return None
    best = answer.runbooks[0]
    from_catalog = any(m.startswith("catalog link") for m in best.matched_on)
    return RunbookPart(
        title=best.title,
        section=best.section,
        location=best.location,
        resource=None if from_catalog else runbook_uri(best.location),
        excerpt=shorten(best.excerpt, EXCERPT_CHARS) if best.excerpt else None,
        other_runbooks_omitted=len(answer.runbooks) - 1 + answer.omitted,
        more=more,
    )
