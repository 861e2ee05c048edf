"""What a health source says about a service that raised no alert.

An alert is a rule that fired; a service can fail without one (no rule covers it, its rules'
``for:`` has not elapsed, a killed datastore takes its exporter down with it). Where a health
source measures how a quiet candidate is serving (error ratio, p99 latency, request rate), that
is evidence of its own, the kind the alerts cannot carry:

* **degraded**: its error ratio, latency or traffic moved when its callers began to alert. A
  quiet candidate that degraded is no longer a guess from the graph (full support). With
  nothing alerting below it, it is the deepest failing service, alert or not: the alerting
  services that depend on it are no longer "deepest", and it pays half the silence penalty
  (``ranking.HEALTH_RELIEF``). With alerting services below it, it is on the fault's path,
  which says nothing more: it pays the whole penalty.
* **serving**: it was measured, before and during, and looked as before with calm errors.
  Being depended on is then all that points at it, and the measurement says otherwise: it
  keeps only the floor of a silent candidate's score.

Only the quiet candidates a group already weighs are read (the shortlist is chosen without
health): a server asks its health source about those, for the groups a page shows.

Anything else (no data, one side of the comparison missing where it is needed) is no verdict:
the candidate is ranked as without a health source. The comparison is the service against
itself minutes before the group began, so a service that always errs a little (or is always
slow) is not "degraded" for it; an error ratio of 5 % or more with no earlier reading counts
on its own, as a failing ratio almost anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypeGuard

from opscontext.models import ServiceHealth


class Health(StrEnum):
    DEGRADED = "degraded"
    SERVING = "serving"


@dataclass(frozen=True, slots=True)
class HealthVerdict:
    state: Health
    why: str  # what was measured, for the candidate's evidence ("error ratio 0.2% -> 31%")
    # Not measured but reported: an alerting caller's alert names this quiet service as the peer
    # its failing calls go to (a client span, a peer label). ``why`` then says which alert.
    reported: bool = False


def is_degraded(v: HealthVerdict | None) -> TypeGuard[HealthVerdict]:
    """Whether a verdict (or its absence) says degraded."""
    return v is not None and v.state is Health.DEGRADED


HealthMap = Mapping[str, HealthVerdict]
# Verdicts for a group that began at the given instant (what a health source said then).
HealthAt = Callable[[datetime], HealthMap]

# An error ratio this high is failing on its own, with no earlier reading to compare.
ERRORS_FAILING = 0.05
# Compared with the reading before the group began: errors up by this much (absolute) and to at
# least this multiple; p99 latency up to this multiple; traffic down to this share.
ERRORS_UP = 0.02
ERRORS_TIMES = 3.0
LATENCY_TIMES = 2.0
TRAFFIC_SHARE = 0.2
# A reading this calm counts as serving normally (errors), when latency and traffic did not move.
ERRORS_CALM = 0.01


def verdict(before: ServiceHealth | None, during: ServiceHealth | None) -> HealthVerdict | None:
    """A quiet candidate's health while its group alerts (``during``) against minutes before it
    began (``before``): degraded, serving, or None (no verdict)."""
    if during is None:
        return None
    moved = _moved(before, during)
    if moved:
        return HealthVerdict(Health.DEGRADED, "; ".join(moved))
    err = during.error_rate
    if before is None or err is None or err >= ERRORS_CALM:
        return None  # nothing to compare with, nothing measured, or errors neither failing nor calm
    # Calm errors, and latency and traffic did not move (where both readings have them).
    return HealthVerdict(Health.SERVING, f"error ratio {_pct(err)}" + (f" ({during.source})" if during.source else ""))


def _moved(before: ServiceHealth | None, during: ServiceHealth) -> list[str]:
    out: list[str] = []
    src = f" ({during.source})" if during.source else ""
    err, was = during.error_rate, before.error_rate if before else None
    if err is not None:
        if was is None:
            if err >= ERRORS_FAILING:
                out.append(f"error ratio {_pct(err)}{src}")
        elif err - was >= ERRORS_UP and err >= ERRORS_TIMES * was:
            out.append(f"error ratio {_pct(was)} -> {_pct(err)}{src}")
    if before is not None:
        p99, p99_was = during.latency_p99_seconds, before.latency_p99_seconds
        if p99 is not None and p99_was and p99 >= LATENCY_TIMES * p99_was:
            out.append(f"p99 latency {p99_was:.3g} s -> {p99:.3g} s{src}")
        rate, rate_was = during.request_rate, before.request_rate
        if rate is not None and rate_was and rate <= TRAFFIC_SHARE * rate_was:
            out.append(f"requests {rate_was:.3g}/s -> {rate:.3g}/s{src}")
    return out


def _pct(x: float) -> str:
    return f"{100 * x:.2g}%"
