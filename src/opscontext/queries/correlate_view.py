"""What correlate_alerts shows of each group: everything when it fits, a summary when it does not.

The engine's :class:`AlertGroup` is complete (every fingerprint, every alerting service). The
answer shows groups at one of a few levels of detail, chosen by the token budget in
:mod:`opscontext.queries.correlate_fit`; every list cut says how much it left out
(``*_omitted``, absent when nothing was), and the full member lists stay reachable page by page
(``correlate_alerts(group_id=…, cursor=…)``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, TypeVar

from pydantic import Field

from opscontext.budget import omitted
from opscontext.engine.correlation.models import AlertBrief, AlertGroup, Candidate
from opscontext.redact import redact


class CandidateView(Candidate):
    evidence_omitted: int = omitted()


class GroupView(AlertGroup):
    candidates: list[CandidateView] = Field(  # type: ignore[assignment]  # a narrower item type
        description="Ranked; the first is the primary contributor.")
    fingerprints: list[str] = Field(description="The fingerprints of the group's alerts.")
    alerts: list[AlertBrief] = Field(description="A few example alerts; alert_count counts all.")
    fingerprints_omitted: int = omitted()
    services_omitted: int = omitted()
    impacted_services_omitted: int = omitted()


@dataclass(frozen=True)
class Detail:
    """How much of each group an answer shows; ``None`` means all."""

    examples: int
    evidence: int | None  # lines of the primary contributor's evidence
    members: int | None  # services and impacted services listed
    flapping: int
    fingerprints: int | None = None
    others: int | None = -1  # lines of the other candidates' evidence; -1: as many as the primary's

    def capped(self, fingerprints: int) -> Detail:
        return replace(self, fingerprints=fingerprints)

    def lines(self, rank: int) -> int | None:
        """Evidence lines shown for the candidate ranked ``rank`` (0: the primary contributor)."""
        return self.evidence if rank == 0 or self.others == -1 else self.others


FULL = Detail(examples=5, evidence=None, members=None, flapping=20)
SUMMARY = Detail(examples=3, evidence=2, members=5, flapping=5)
BRIEF = Detail(examples=1, evidence=1, members=3, flapping=3)
# The bones of a group: which alerts, the ranked candidates (the summary says why the first leads).
BARE = Detail(examples=0, evidence=0, members=2, flapping=0)


T = TypeVar("T")


def _cut(items: list[T], most: int | None) -> tuple[list[T], int]:
    if most is None or len(items) <= most:
        return items, 0
    return items[:most], len(items) - most


def view(group: AlertGroup, detail: Detail) -> GroupView:
    """``group`` as the default answer shows it at ``detail``."""
    fingerprints, fp_cut = _cut(group.fingerprints, detail.fingerprints)
    services, svc_cut = _cut(group.services, detail.members)
    impacted, imp_cut = _cut(group.impacted_services, detail.members)
    return _made(group, detail, fingerprints=fingerprints, alerts=group.alerts[: detail.examples],
                 services=services, impacted_services=impacted,
                 fingerprints_omitted=fp_cut, services_omitted=svc_cut, impacted_services_omitted=imp_cut)


def members(group: AlertGroup) -> list[tuple[str, str]]:
    """Every member of ``group`` as (list name, value), in the order pages walk them."""
    return ([("fingerprints", f) for f in group.fingerprints] + [("services", s) for s in group.services]
            + [("impacted_services", s) for s in group.impacted_services])


def page(group: AlertGroup, start: int, size: int) -> GroupView:
    """``group`` with every candidate's evidence and members ``start .. start + size`` of
    :func:`members`; ``*_omitted`` count each list's members outside the page."""
    shown: dict[str, list[str]] = {"fingerprints": [], "services": [], "impacted_services": []}
    for name, value in members(group)[start:start + size]:
        shown[name].append(value)
    return _made(group, FULL, alerts=[], **shown,
                 fingerprints_omitted=len(group.fingerprints) - len(shown["fingerprints"]),
                 services_omitted=len(group.services) - len(shown["services"]),
                 impacted_services_omitted=len(group.impacted_services) - len(shown["impacted_services"]))


def _made(group: AlertGroup, detail: Detail, **changes: Any) -> GroupView:
    candidates = []
    for rank, c in enumerate(group.candidates):
        lines, cut = _cut(c.evidence, detail.lines(rank))
        candidates.append(CandidateView(service=c.service, score=c.score, alerting=c.alerting, evidence=lines,
                                        evidence_omitted=cut))
    values = group.model_dump(exclude={"candidates", "summary", *changes})
    return GroupView(**values, **changes, candidates=candidates, summary=redact(group.summary) or "")
