"""What an outage pages, and when (outage_replay): per class, the root's early and late symptoms, the
callers' symptoms by role, detection delays, and the ordering the incident's draws ask for.

Every time is aligned to a 30-second rule evaluation. Forcing is counted in :class:`Forced`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from evalkit.families.outage_cells import OutageCell
from evalkit.families.outage_monitors import HOST_OF, KINDS, Estate, Series
from evalkit.families.outage_spread import Outage
from evalkit.world import EPOCH, Degraded, align, note_degraded

# (class, variant) -> the root's early symptoms (it pages first), its late symptoms, and how many
# minutes after the callers' first page the late ones come when the root does not page first.
ROOT: dict[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...], tuple[float, float]]] = {
    ("bad_deploy", "deploy"): (("errors", "crashloop"), ("errors", "log_errors"), (1.0, 5.0)),
    ("config_push", "config"): (("config_reload",), ("log_errors",), (1.0, 6.0)),
    ("config_push", "flag"): (("log_errors",), ("latency",), (1.0, 6.0)),
    ("cert_dns_secret", "cert"): (("cert_check",), ("traffic_drop",), (2.0, 10.0)),
    ("cert_dns_secret", "dns"): (("traffic_drop",), ("traffic_drop",), (3.0, 10.0)),
    ("cert_dns_secret", "secret"): (("login_failures",), ("login_failures",), (1.0, 8.0)),
    ("db_saturation", "store"): (("cpu", "db_conn"), ("repl_lag", "latency"), (1.0, 6.0)),
    ("db_saturation", "pool"): (("conn_pool",), ("latency",), (2.0, 8.0)),
    ("slow_burn", "leak"): (("memory_trend",), ("memory", "oom"), (10.0, 20.0)),
    ("slow_burn", "disk"): (("disk_trend",), ("disk",), (10.0, 20.0)),
    ("retry_storm", "flush"): (("cache_miss",), ("cache_miss", "memory"), (1.0, 6.0)),
    ("broker_backlog", "broker"): (("queue_depth",), ("disk", "queue_depth"), (1.0, 6.0)),
    ("broker_backlog", "consumer"): (("consumer_lag",), ("consumer_lag", "memory"), (2.0, 8.0)),
    ("external", "provider"): (("upstream_errors",), ("latency", "upstream_errors"), (1.0, 4.0)),
}
# class -> what a caller shows (role-specific roles first)
CALLER: dict[str, tuple[str, ...]] = {
    "bad_deploy": ("errors", "latency"), "config_push": ("errors", "crashloop", "log_errors"),
    "cert_dns_secret": ("errors",), "db_saturation": ("timeouts", "errors", "latency"),
    "slow_burn": ("latency", "errors"), "retry_storm": ("latency", "timeouts"),
    "broker_backlog": ("consumer_lag", "errors"), "external": ("errors", "latency"),
}
_FIRST_HOP = {"cert": "tls_errors", "dns": "dns_errors", "secret": "auth_errors", "pool": "conn_pool"}
ROLE = {"overloaded": ("cpu", "db_conn", "latency"), "queue": ("queue_depth",), "producer": ("publish_errors",)}
STEP_S = 30


@dataclass
class Forced:
    """How often the draws had to override what the model produced (per incident)."""

    clamped: bool = False  # root pages first: others' pages were pushed after the root's first
    delayed: bool = False  # root does not page first: its pages were pushed after another's first
    added: bool = False  # the root had nothing to page with and got one page
    capped: bool = False  # a page would have come after `now` and was moved before it


def _at(t: datetime) -> datetime:
    return align(t, EPOCH, STEP_S)


def _kinds(o: Outage, name: str, role: str, rng: random.Random) -> list[str]:
    if role in ROLE:
        options = list(ROLE[role])
    else:
        options = list(CALLER[o.cls])
        hop = o.reach[name]
        if hop.parent == o.root and o.variant in _FIRST_HOP:
            options.insert(0, _FIRST_HOP[o.variant])
        if o.cls == "broker_backlog" and hop.depth > 1:
            options = ["errors", "latency"]
    if o.storm:
        kinds = options
    else:
        kinds = [options[0] if rng.random() < 0.7 else rng.choice(options)]
        if rng.random() < 0.35:
            kinds.append(rng.choice(options))
    if role == "entry":
        kinds += [k for k, p in (("synthetic", 0.7), ("slo_burn", 0.6)) if rng.random() < p or o.storm]
    return list(dict.fromkeys(kinds))


def _delay(kind: str, o: Outage, rng: random.Random) -> timedelta:
    return timedelta(minutes=KINDS[kind][5] * rng.uniform(0.8, 1.4) + rng.uniform(*o.lag))


def pages(o: Outage, estate: Estate, cell: OutageCell, now: datetime, degraded: Degraded,
          rng: random.Random) -> tuple[list[Series], Forced]:
    """Every series the outage opens, ordered as its draws say; notes every reached service in
    ``degraded`` (quiet ones included)."""
    forced = Forced()
    t0 = o.onset
    others: list[Series] = []
    for name, hop in sorted(o.reach.items(), key=lambda x: x[1].minute):
        if name == o.root:
            continue
        kinds = _kinds(o, name, hop.role, rng)
        at = t0 + timedelta(minutes=hop.minute)
        note_degraded(degraded, name, at, kinds)
        if name in o.quiet:
            continue
        pods = rng.randint(3, 6) if o.storm else 0
        for kind in kinds:
            others += estate.page(name, kind, _at(at + _delay(kind, o, rng)), pods=pods if kind != "synthetic" else 0,
                                  dup=o.storm or rng.random() < 0.5)
    early, late, after = ROOT[(o.cls, o.variant)]
    note_degraded(degraded, o.root, t0, (*early, *late))
    if o.silent and not others:
        o.silent = False  # nothing else pages: a silent root would leave the outage unseen
        forced.added = True
    if o.silent:
        return _cap(others, now, forced), forced
    own: list[Series] = []
    if o.root_first:
        for kind in early[: 1 + (rng.random() < 0.5)]:
            own += estate.page(o.root, kind, _at(t0 + _delay(kind, o, rng)), dup=rng.random() < 0.5, flap=0.0)
        if rng.random() < 0.5:
            kind = rng.choice(late)
            own += estate.page(o.root, kind, _at(t0 + timedelta(minutes=rng.uniform(*after)) + _delay(kind, o, rng)))
    else:
        first = min((s[1] for s in others), default=t0)
        for kind in late[: 1 + (rng.random() < 0.5)]:
            at = _at(first + timedelta(minutes=rng.uniform(*after)))
            own += estate.page(o.root, kind, at, dup=rng.random() < 0.5)
    hosts = [k for k in (*early, *late) if k in HOST_OF]
    if hosts and rng.random() < 0.35:
        labels, book = estate.host(o.root, hosts[0])
        t = min(s[1] for s in own) + timedelta(seconds=rng.uniform(30, 120))
        others.append((labels, _at(t), None, KINDS[HOST_OF[hosts[0]]][4].replace("{v}", str(rng.randint(2, 9))),
                       o.root, book))
    return _order(o, own, others, now, forced, rng), forced


def _order(o: Outage, own: list[Series], others: list[Series], now: datetime, forced: Forced,
           rng: random.Random) -> list[Series]:
    """Make the root's first page lead, or trail, as drawn."""
    if not others:
        return _cap(own, now, forced)
    t_root = min(s[1] for s in own)
    t_other = min(s[1] for s in others)
    if o.root_first and t_other <= t_root:
        forced.clamped = True
        floor = t_root + timedelta(seconds=STEP_S)
        others = [_moved(s, floor + timedelta(seconds=STEP_S * rng.randint(0, 2))) if s[1] <= t_root else s
                  for s in others]
    elif not o.root_first and t_root <= t_other:
        forced.delayed = True
        shift = t_other - t_root + timedelta(minutes=rng.uniform(1.0, 3.0))
        own = [_moved(s, _at(s[1] + shift)) for s in own]
    out = _cap(own, now, forced) + _cap(others, now, forced)
    return out


def _moved(s: Series, t: datetime) -> Series:
    labels, t0, ends, summary, origin, book = s
    return labels, t, (t + (ends - t0)) if ends else None, summary, origin, book


def _cap(series: list[Series], now: datetime, forced: Forced) -> list[Series]:
    out = []
    limit = now - timedelta(minutes=1)
    for s in series:
        if s[1] > limit:
            forced.capped = True
            s = _moved(s, limit)
        out.append(s)
    return out
