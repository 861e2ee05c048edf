"""Alerting rules over span metrics, as a team writes them for the spanmetrics connector, and
their evaluation the way Prometheus evaluates them (every 30 s, ``for:`` honoured, resolved when
the condition clears).

* ``SpanErrorRatioHigh``: errors / calls of a service's SERVER spans over 5 min above 1-5 %,
  per service or per span name, ``for:`` 1-5 min.
* ``SpanLatencyP95High``: p95 of a service's SERVER spans over 5 min above 2-4x its calm p95
  (a team reads the calm value off a dashboard), ``for:`` 2-5 min.
* ``SpanClientErrorRatioHigh``: errors / calls of a caller's CLIENT (or PRODUCER) spans to one
  callee over 5 min above 2-10 %, ``for:`` 1-3 min; on the caller, naming the callee in
  ``peer_service`` (``server_address`` for datastores and brokers).
* ``SLOErrorBudgetBurn`` on entry points: the multi-window pair of the SRE workbook, 14.4x the
  budget over 1 h and 5 min (page) and 6x over 6 h and 30 min (ticket); history before the
  simulated window is taken to be calm (the first ten minutes' ratio).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from itertools import accumulate
from statistics import median

from evalkit.families.trace_model import Estate, Node
from evalkit.families.trace_sim import MINUTES, Series

EVAL_S = 30
FIRST_EVAL_S = 600  # rules need ten minutes of data
Episode = tuple[int, int | None]  # seconds from the window's start: firing since, resolved at


@dataclass(frozen=True)
class Monitoring:
    """Which rules services have: each probability is drawn per service."""

    server: float = 0.8  # has SERVER error (and maybe latency) rules
    latency: float = 0.7  # ... and a latency rule
    per_span: float = 0.4  # the error rule is per span name rather than per service
    client: float = 0.5  # has CLIENT error rules on its calls
    slo: float = 1.0  # an entry point has the burn-rate pair


@dataclass(frozen=True)
class Rule:
    labels: tuple[tuple[str, str], ...]
    keys: tuple[str, ...]  # series summed
    expr: str  # ratio | p95 | burn
    threshold: float
    window: int  # minutes
    long_window: int = 0  # burn: the long window
    for_s: int = 0
    summary: str = ""


def _walk(node: Node, out: dict[str, set[str]]) -> None:
    if node.spans:
        out.setdefault(node.service, set()).add(f"S|{node.service}|{node.op}")
    for c in node.calls:
        out.setdefault(node.service, set()).add(f"{'P' if c.producer else 'C'}|{node.service}|{c.child.service}")
        _walk(c.child, out)


def series_keys(estate: Estate) -> dict[str, list[str]]:
    """service -> the span series it emits, sorted (independent of set order)."""
    out: dict[str, set[str]] = {}
    for ep in estate.endpoints:
        _walk(ep.tree, out)
    for consumers in estate.consumers.values():
        for con in consumers:
            _walk(con.tree, out)
    return {s: sorted(keys) for s, keys in out.items()}


def _calm_p95(series: Series, keys: tuple[str, ...]) -> float:
    vals = [p for k in keys for c, _, p in series.get(k, [])[:30] if c > 0]
    return median(vals) if vals else 0.0


def _calm_ratio(series: Series, keys: tuple[str, ...]) -> float:
    calls = sum(c for k in keys for c, _, _ in series.get(k, [])[:30])
    errors = sum(e for k in keys for _, e, _ in series.get(k, [])[:30])
    return errors / calls if calls else 0.0


def _threshold(choices: tuple[float, ...], calm: float, rng: random.Random) -> float:
    """A threshold as a team sets one: a round value at least twice the calm ratio of the series
    (a rule that fires all day is raised the first week)."""
    fit = [c for c in choices if c >= 2 * calm]
    return rng.choice(fit) if fit else round(2 * calm, 3)


def make_rules(estate: Estate, calm: Series, entries: frozenset[str], mon: Monitoring,
               rng: random.Random) -> list[Rule]:
    """Draw every service's rules (the same in every run of the world)."""
    rules: list[Rule] = []
    with_spans = series_keys_services(estate)
    labels: tuple[tuple[str, str], ...]
    for svc, keys in sorted(series_keys(estate).items()):
        server = tuple(k for k in keys if k.startswith("S|"))
        if server and rng.random() < mon.server:
            choices, for_s = (0.01, 0.02, 0.05), 60 * rng.choice((1, 2, 3, 5))
            kind = ("span_kind", "SPAN_KIND_SERVER")
            if rng.random() < mon.per_span:
                for k in server:
                    thr = _threshold(choices, _calm_ratio(calm, (k,)), rng)
                    labels = (("alertname", "SpanErrorRatioHigh"), ("service_name", svc), kind,
                              ("span_name", k.split("|", 2)[2]), ("severity", "warning"))
                    rules.append(Rule(labels, (k,), "ratio", thr, 5, 0, for_s,
                                      f"{{svc}}: more than {thr * 100:g} % of spans failing"))
            else:
                thr = _threshold(choices, _calm_ratio(calm, server), rng)
                labels = (("alertname", "SpanErrorRatioHigh"), ("service_name", svc), kind, ("severity", "critical"))
                rules.append(Rule(labels, server, "ratio", thr, 5, 0, for_s,
                                  f"{{svc}}: more than {thr * 100:g} % of requests failing"))
            if rng.random() < mon.latency:
                base = _calm_p95(calm, server)
                k_ = rng.uniform(2.0, 4.0)
                labels = (("alertname", "SpanLatencyP95High"), ("service_name", svc), kind, ("severity", "warning"))
                rules.append(Rule(labels, server, "p95", max(1.0, base) * k_, 5, 0, 60 * rng.randint(2, 5),
                                  f"{{svc}}: p95 latency above {max(1.0, base) * k_:.0f} ms"))
        clients = [k for k in keys if k[0] in "CP"]
        if clients and rng.random() < mon.client:
            for_s = 60 * rng.randint(1, 3)
            for k in clients:
                thr = _threshold((0.02, 0.05, 0.1), _calm_ratio(calm, (k,)), rng)
                kind_, _, callee = k.split("|")
                peer = ("peer_service", callee) if callee in with_spans else ("server_address", callee)
                labels = (("alertname", "SpanClientErrorRatioHigh"), ("service_name", svc),
                          ("span_kind", "SPAN_KIND_PRODUCER" if kind_ == "P" else "SPAN_KIND_CLIENT"), peer,
                          ("severity", "warning"))
                rules.append(Rule(labels, (k,), "ratio", thr, 5, 0, for_s,
                                  f"{{svc}}: more than {thr * 100:g} % of outgoing calls failing"))
        if svc in entries and server and rng.random() < mon.slo:
            # the objective a team can hold: the strictest usual one whose budget is 3x the calm ratio
            calm_ratio = _calm_ratio(calm, server)
            budget = next((b for b in (0.001, 0.005, 0.01, 0.02, 0.05, 0.1) if b >= 3 * calm_ratio), 0.2)
            for sev, short, long_, factor in (("critical", 5, 60, 14.4), ("warning", 30, 360, 6.0)):
                labels = (("alertname", "SLOErrorBudgetBurn"), ("service_name", svc), ("slo", "availability"),
                          ("objective", f"{100 * (1 - budget):g}"),
                          ("long_window", f"{long_}m"), ("short_window", f"{short}m"), ("severity", sev))
                rules.append(Rule(labels, server, "burn", factor * budget, short, long_, 120,
                                  f"{{svc}}: error budget burning {factor:g}x too fast"))
    return rules


def series_keys_services(estate: Estate) -> frozenset[str]:
    """Services that emit SERVER spans somewhere."""
    return frozenset(s for s, keys in series_keys(estate).items() if any(k.startswith("S|") for k in keys))


def _prefix(series: Series, keys: tuple[str, ...]) -> tuple[list[float], list[float], list[float]]:
    calls = [0.0] * MINUTES
    errs = [0.0] * MINUTES
    lat = [0.0] * MINUTES
    for k in keys:
        for m, (c, e, p) in enumerate(series.get(k, ())):
            calls[m] += c
            errs[m] += e
            lat[m] += c * p
    z = [0.0]
    return (list(accumulate(calls, initial=0.0)), list(accumulate(errs, initial=0.0)),
            list(accumulate(lat, initial=0.0))) if keys else (z, z, z)


def evaluate(rule: Rule, series: Series) -> list[Episode]:
    """Firing episodes of one rule over one run."""
    pc, pe, pl = _prefix(series, rule.keys)
    calm_rate = (pe[10] / pc[10]) if pc[10] > 0 else 0.0
    calm_calls = pc[10] / 10
    out: list[Episode] = []
    pending: int | None = None
    firing: int | None = None
    for t in range(FIRST_EVAL_S, MINUTES * 60 + 1, EVAL_S):
        end = t // 60
        lo = max(0, end - rule.window)
        calls = pc[end] - pc[lo]
        if calls <= 0:
            cond = False
        elif rule.expr == "ratio":
            cond = (pe[end] - pe[lo]) / calls > rule.threshold
        elif rule.expr == "p95":
            cond = (pl[end] - pl[lo]) / calls > rule.threshold
        else:
            llo = end - rule.long_window
            missing = max(0, -llo) * calm_calls
            lc = pc[end] - pc[max(0, llo)] + missing
            le = pe[end] - pe[max(0, llo)] + missing * calm_rate
            cond = (pe[end] - pe[lo]) / calls > rule.threshold and lc > 0 and le / lc > rule.threshold
        if cond:
            pending = t if pending is None else pending
            if firing is None and t - pending >= rule.for_s:
                firing = t
        else:
            if firing is not None:
                out.append((firing, t))
            pending = firing = None
    if firing is not None:
        out.append((firing, None))
    return out
