"""What users feel: the impact part, from the best evidence there is.

In order of preference: SLO burn (error budget and burn rates: what users feel, weighed against
what was promised), live health of the user-facing services (share of requests failing, p99),
or only which user-facing services alert. The summary says which one it stands on, and a health
source that failed is never read as "users are fine".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from opscontext.briefing.models import HealthLine, ImpactPart, More, SloBurn
from opscontext.models import ServiceHealth

Basis = Literal["slo", "health", "alerts", "none"]
HOT_ERROR_RATE = 0.01  # 1 % of requests failing is felt
HOT_P99_SECONDS = 1.0


def health_lines(health: Sequence[ServiceHealth], user_facing: set[str]) -> list[HealthLine]:
    """User-facing services first, then worst error rate first."""
    lines = [
        HealthLine(
            service=h.service,
            user_facing=h.service in user_facing,
            error_rate=None if h.error_rate is None else round(h.error_rate, 4),
            latency_p99_seconds=None if h.latency_p99_seconds is None else round(h.latency_p99_seconds, 3),
            request_rate=None if h.request_rate is None else round(h.request_rate, 2),
        )
        for h in health
    ]
    lines.sort(key=lambda h: (not h.user_facing, -(h.error_rate or 0.0)))
    return lines


def burning_first(slo: Sequence[SloBurn]) -> list[SloBurn]:
    """The SLOs that alert: pages before tickets, user-facing first, fastest burn first."""
    burning = [s for s in slo if s.alert in ("page", "ticket")]
    return sorted(burning, key=lambda s: (s.alert != "page", not s.user_facing, -(s.burn_rate_1h or 0)))


def _slo_sentence(slo: Sequence[SloBurn]) -> str | None:
    """The SLOs that alert (page, then ticket), user-facing first: failing share, burn, budget."""
    worst = burning_first(slo)[:2]
    if not worst:
        return None
    parts = []
    for s in worst:
        bits = [f"{s.failing_now:.0%} of requests failing"] if s.failing_now is not None else []
        if s.burn_rate_1h is not None:
            bits.append(f"budget burning {s.burn_rate_1h:.1f}x")
        if s.error_budget_remaining is not None:
            bits.append(f"{max(s.error_budget_remaining, 0):.0%} left")
        parts.append(f"{s.service} ({s.alert}s): {', '.join(bits) or 'burning'}")
    return "; ".join(parts)


def _health_sentence(lines: Sequence[HealthLine]) -> str | None:
    hot = [
        h
        for h in lines
        if (h.error_rate or 0) >= HOT_ERROR_RATE or (h.latency_p99_seconds or 0) >= HOT_P99_SECONDS
    ]
    felt = [h for h in hot if h.user_facing] or hot
    if not felt:
        return None
    parts = []
    for h in felt[:3]:
        bits = []
        if h.error_rate is not None:
            bits.append(f"{h.error_rate:.0%} of requests failing")
        if h.latency_p99_seconds is not None:
            bits.append(f"p99 {h.latency_p99_seconds:.2g} s")
        parts.append(f"{h.service}: {', '.join(bits)}")
    return "; ".join(parts)


def impact_part(
    *,
    user_facing_alerting: Sequence[str],
    health: Sequence[HealthLine],
    slo: Sequence[SloBurn],
    health_configured: bool,
    health_failed: bool,
    more: More,
    slo_configured: bool = False,
) -> ImpactPart:
    """The impact part and the sentence that leads it, naming what it stands on."""
    felt = _slo_sentence(slo)
    basis: Basis = "slo"
    if felt is None:
        felt, basis = _health_sentence(health), "health"
    alerting = list(user_facing_alerting)
    if felt is None and alerting:
        names = ", ".join(alerting[:4]) + (f" and {len(alerting) - 4} more" if len(alerting) > 4 else "")
        felt, basis = f"user-facing services alerting: {names}", "alerts"
    if felt is None:
        felt, basis = "no user-facing service is alerting", "none" if not health else "health"
    return ImpactPart(
        summary=felt + _caveat(basis, health, slo, health_configured, health_failed, slo_configured),
        basis=basis,
        user_facing_alerting=alerting,
        health=list(health),
        slo=list(slo),
        more=more,
    )


def _caveat(
    basis: Basis, health: Sequence[HealthLine], slo: Sequence[SloBurn], health_configured: bool,
    health_failed: bool, slo_configured: bool,
) -> str:
    if health_failed:
        return " (health source failed: measured impact unknown)"
    if basis not in ("alerts", "none") or health or slo:
        return ""
    if health_configured or slo_configured:
        return " (inferred from alerts: no SLO or health data covers these services)"
    return " (inferred from alerts: no health or SLO source configured)"
