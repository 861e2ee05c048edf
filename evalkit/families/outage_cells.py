"""The cells of :mod:`evalkit.families.outage_replay` and the per-incident draws that realise them.

A cell states shares per incident (how often the root alerts first, is silent, ...). Each share is
realised by a low-discrepancy draw: incident ``j`` of seed ``s`` is point ``n = s + 100003 j`` of a
Weyl sequence ``frac(c + n * alpha)``, one irrational ``alpha`` per attribute, so that over any run of
consecutive seeds each share is met to within a few points and the attributes are independent of
one another (the alphas, the golden ratio's and square roots of distinct primes, are linearly
independent over Q). Silent root and root-first share one draw (:func:`root_draws`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# The outage classes (see outage_replay's docstring for what each one models).
CLASSES: tuple[str, ...] = (
    "bad_deploy", "config_push", "cert_dns_secret", "db_saturation", "slow_burn", "retry_storm",
    "broker_backlog", "external",
)

MIX: tuple[tuple[str, float], ...] = (
    ("bad_deploy", 0.26), ("config_push", 0.12), ("cert_dns_secret", 0.1), ("db_saturation", 0.14),
    ("slow_burn", 0.1), ("retry_storm", 0.08), ("broker_backlog", 0.08), ("external", 0.12),
)


@dataclass(frozen=True)
class OutageCell:
    """One cell of the sweep: every share is per incident unless said otherwise."""

    assumption: str
    classes: tuple[tuple[str, float], ...] = MIX  # outage class mix (weights) for non-hub roots
    root_first: float = 0.65  # of incidents whose root alerts: its first alert precedes all others
    silent: float = 0.10  # the root raises no alert at all
    silent_hop: float = 0.20  # a degraded caller in the middle of the path raises nothing
    lag_min: tuple[float, float] = (0.0, 2.0)  # detection lag added to every monitor, minutes
    storm: float = 0.15  # the callers page per pod, per symptom and from a second team's monitors
    noise: float = 0.15  # share of all alerts that belong to no incident
    concurrent: tuple[int, int] = (1, 2)  # incidents per world, inclusive range
    hub_root: float = 0.10  # the root is a shared, high in-degree service
    spread_min: tuple[float, float] = (1.0, 5.0)  # onset to the farthest caller degrading, minutes
    onset_gap_min: float = 25.0  # concurrent incidents start within this many minutes
    tol: float = 0.07  # how far a realised share may stray over ~100 seeds (the tests' tolerance)


_ALPHAS: dict[str, float] = {
    "root": (math.sqrt(5) - 1) / 2,
    **{name: math.sqrt(p) % 1.0 for name, p in (("hop", 2), ("storm", 3), ("hub", 7), ("class", 11),
                                                ("k", 13), ("noise", 19), ("innocent", 29))},
}


def draw(attr: str, seed: int, j: int = 0) -> float:
    """The low-discrepancy point in [0, 1) of ``attr`` for incident ``j`` of world ``seed``."""
    n = seed + 100_003 * j
    return (0.5 + n * _ALPHAS[attr]) % 1.0


def root_draws(cell: OutageCell, seed: int, j: int) -> tuple[bool, bool]:
    """(silent, root first) for one incident, from one draw cut in three: silent below ``silent``,
    then root-first over the first ``root_first`` of the rest. One draw keeps the root-first share
    exact among the roots that alert, whatever the silent share."""
    u = draw("root", seed, j)
    if u < cell.silent:
        return True, False
    return False, (u - cell.silent) / (1.0 - cell.silent) < cell.root_first


def pick(weights: tuple[tuple[str, float], ...], u: float) -> str:
    total = sum(w for _, w in weights)
    acc = 0.0
    for name, w in weights:
        acc += w / total
        if u < acc:
            return name
    return weights[-1][0]


def _only(cls: str) -> tuple[tuple[str, float], ...]:
    return ((cls, 1.0),)


CELLS: dict[str, OutageCell] = {
    # -- the axes, over the full class mix
    "baseline": OutageCell(
        "mixed postmortem classes; root alerts first in 65% of incidents, 10% silent roots"),
    "root_leads": OutageCell(
        "95% of alerting roots page first (tight monitors on the failing component)",
        root_first=0.95, silent=0.0, silent_hop=0.1),
    "callers_lead": OutageCell(
        "only 40% of alerting roots page first: callers and entry points notice before the root",
        root_first=0.40, silent=0.10),
    "silent_roots": OutageCell(
        "30% of roots raise nothing (unmonitored component); callers carry the incident",
        silent=0.30, root_first=0.60),
    "silent_hops": OutageCell(
        "70% of incidents have a quiet caller in the middle of the path (no monitor on it)",
        silent_hop=0.70, spread_min=(2.0, 6.0)),
    "late_detection": OutageCell(
        "every monitor lags its signal by 2-5 minutes (long `for:` windows, slow scrapes)",
        lag_min=(2.0, 5.0)),
    "caller_storm": OutageCell(
        "80% of incidents page per pod, per symptom and twice (two teams' monitors) on callers",
        storm=0.80),
    "noisy": OutageCell(
        "40% of alerts are chronic noise: flapping warnings, host alerts, batch jobs",
        noise=0.40),
    "concurrent": OutageCell(
        "3-4 unrelated incidents within 15 minutes of each other",
        concurrent=(3, 4), onset_gap_min=15.0, noise=0.10),
    "hub_roots": OutageCell(
        "85% of roots are shared high in-degree services (flags, config, broker, auth, shared store)",
        hub_root=0.85, silent=0.20, root_first=0.55),
    # -- one cell per outage class
    "bad_deploy": OutageCell(
        "bad deploys; an innocent deploy elsewhere often lands just before",
        classes=_only("bad_deploy"), root_first=0.70, silent=0.05),
    "config_push": OutageCell(
        "bad config or flag push: consumers fail together, the pushing service mostly quiet",
        classes=_only("config_push"), hub_root=0.50, silent=0.30, root_first=0.50, spread_min=(0.5, 2.0)),
    "cert_dns_secret": OutageCell(
        "expired certificate, broken DNS record or rotated credential: clients fail, server looks fine",
        classes=_only("cert_dns_secret"), silent=0.25, root_first=0.45),
    "db_saturation": OutageCell(
        "database failover/saturation or pool exhaustion: callers time out, the owner only slows",
        classes=_only("db_saturation"), root_first=0.50, silent=0.10),
    "slow_burn": OutageCell(
        "memory leak or disk filling: entry SLO burn and caller latency 10-20 min before the root pages",
        classes=_only("slow_burn"), root_first=0.40, silent=0.15, spread_min=(10.0, 20.0), lag_min=(0.0, 3.0)),
    "retry_storm": OutageCell(
        "cache flush: the cache's callers stampede a store that pages loudest",
        classes=_only("retry_storm"), root_first=0.45, silent=0.15, storm=0.40),
    "broker_backlog": OutageCell(
        "broker or slow-consumer backlog: consumers lag, producers error, queue depth pages",
        classes=_only("broker_backlog"), hub_root=0.50, root_first=0.55, silent=0.10, spread_min=(2.0, 8.0)),
    "external": OutageCell(
        "third-party provider outage behind an adapter service: the adapter pages first",
        classes=_only("external"), root_first=0.90, silent=0.05),
}
