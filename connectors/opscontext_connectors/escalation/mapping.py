"""Policy documents -> domain ``EscalationPolicy``, steps in the order they engage."""

from __future__ import annotations

from opscontext.models import EscalationPolicy, EscalationStep
from opscontext_connectors.escalation.wire import PolicyDoc, StepDoc


def to_step(doc: StepDoc) -> EscalationStep:
    return EscalationStep(
        after_minutes=doc.minutes, target=doc.target, kind=doc.kind, contact=doc.contact or None
    )


def to_policy(doc: PolicyDoc, *, source: str) -> EscalationPolicy:
    # Sorted by threshold so a file written out of order still reads "first this, then that";
    # thresholds are unique per policy (validated), so the order is total.
    steps = sorted((to_step(s) for s in doc.steps), key=lambda s: s.after_minutes)
    return EscalationPolicy(
        name=doc.name,
        team=doc.team or None,
        services=tuple(s.strip() for s in doc.services if s.strip()),
        steps=tuple(steps),
        source=source,
    )
