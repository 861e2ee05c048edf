"""Helpers every query shares: the world with its statuses, failure summaries."""

from __future__ import annotations

from collections.abc import Sequence

from opscontext.models import SourceState, SourceStatus
from opscontext.queries import NoSourceError


def failure_notes(statuses: Sequence[SourceStatus]) -> list[str]:
    notes = []
    for s in statuses:
        if s.state is SourceState.FAILED:
            notes.append(f"source {s.source} ({s.type}, {s.capability}) failed: {s.detail}")
        elif s.state is SourceState.STALE:
            notes.append(
                f"source {s.source} failed; serving its data from {round(s.age_seconds or 0)} s ago: {s.detail}"
            )
    return notes


def require_some(statuses: Sequence[SourceStatus], capability: str, what: str, *, degrade: bool = False) -> None:
    """Raise when no source of ``capability`` is configured, or when all failed and the answer
    cannot be degraded (``degrade=True``: an empty answer listing the failures is still useful)."""
    relevant = [s for s in statuses if s.capability == capability]
    if not relevant:
        raise NoSourceError(
            f"No {capability} source is configured, so {what} cannot be answered. "
            "Add one under [connectors.*] (see `opscontext connectors`)."
        )
    if not degrade and all(s.state is SourceState.FAILED for s in relevant):
        reasons = "; ".join(f"{s.source}: {s.detail}" for s in relevant)
        raise NoSourceError(f"Every {capability} source failed, so {what} cannot be answered: {reasons}")
