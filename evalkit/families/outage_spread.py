"""Where an outage starts and how far and how fast it reaches the callers (outage_replay).

An :class:`Outage` is one incident's plan: its class and variant, root, onset, the per-incident draws
(silent root, root first, quiet hop, storm) and every service the fault reached, with the minute it
got there and the service it got it from. What each of them pages is decided in
:mod:`evalkit.families.outage_monitors`.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from evalkit.world import Graph

_CACHE = re.compile(r"cache|redis|memcache|valkey|session")
_ADAPTER = re.compile(r"pay|mail|ship|currency|quote|sms|notif|fraud|geo|tax|ads?\b|ad-|adservice")
MAX_REACH = 12  # services a fault reaches at most (a 500-service hub is sampled, not flooded)
MAX_FANOUT = 5  # callers of one service the fault is followed to


@dataclass
class Reach:
    depth: int
    parent: str | None
    minute: float  # after onset
    role: str  # root | caller | entry | overloaded | queue | producer


@dataclass
class Outage:
    j: int
    cls: str
    variant: str
    root: str
    onset: datetime
    hub: bool
    silent: bool
    root_first: bool
    quiet_hop: bool
    storm: bool
    lag: tuple[float, float]
    reach: dict[str, Reach] = field(default_factory=dict)
    quiet: set[str] = field(default_factory=set)  # degraded services whose monitors stay quiet
    relaxed: list[str] = field(default_factory=list)  # constraints the root choice had to drop


def shared_hubs(g: Graph) -> tuple[str, ...]:
    """Shared, heavily depended-on services: the graph's hubs, topped up to three (where there are
    any) with the highest in-degree non-entry services that have at least two callers."""
    out = list(g.hubs)
    for n in sorted(g.names, key=lambda n: (-len(g.callers[n]), n)):
        if len(out) >= 3 or len(g.callers[n]) < 2:
            break
        if n not in out and n not in g.entry_set and not g.is_loadgen(n):
            out.append(n)
    return tuple(out)


def _callers(g: Graph, n: str) -> list[str]:
    return [c for c in g.callers[n] if not g.is_loadgen(c)]


def _pool(g: Graph, cls: str, variant: str, hubs: frozenset[str]) -> list[str]:
    live = [n for n in g.names if not g.is_loadgen(n) and n not in hubs]
    called = [n for n in live if _callers(g, n)]
    services = [n for n in live if not g.is_store(n)]
    if cls == "bad_deploy":
        return services
    if cls == "config_push":
        return [n for n in called if not g.is_store(n)]
    if cls == "cert_dns_secret":
        if variant == "secret":
            return [n for n in called if g.is_store(n) or g.kind(n) in ("auth", "config")] or called
        return [n for n in called if not g.is_store(n)]
    if cls == "db_saturation":
        return [n for n in called if g.is_store(n)] if variant == "store" else [
            n for n in called if g.callees[n] and not g.is_store(n)]
    if cls == "slow_burn":
        return called
    if cls == "retry_storm":
        return [n for n in called if g.is_store(n) and _CACHE.search(n)]
    if cls == "broker_backlog":
        if variant == "broker":
            return [n for n in called if g.kind(n) == "broker"]
        return [c for n in g.names if g.kind(n) == "broker" for c in _callers(g, n) if c not in hubs]
    if cls == "external":
        # An adapter to a third party: named like one, else a leaf, else a service calling only stores.
        edge = [n for n in called if not g.is_store(n) and all(g.is_store(c) for c in g.callees[n])]
        named = [n for n in called if not g.is_store(n) and _ADAPTER.search(n)]
        return named or [n for n in edge if not g.callees[n]] or edge
    raise ValueError(cls)


def hub_class(g: Graph, hub: str, drawn: str) -> tuple[str, str]:
    """The class and variant an outage rooted on a shared hub takes, from what the hub is."""
    kind = g.kind(hub)
    if kind in ("flags", "config"):
        return "config_push", "flag" if kind == "flags" else "config"
    if kind == "broker":
        return "broker_backlog", "broker"
    if kind == "auth":
        return "cert_dns_secret", "secret"
    if kind == "mesh":
        return "cert_dns_secret", "cert"
    if g.is_store(hub):
        return "db_saturation", "store"
    # A busy shared service with no infrastructure name: what it can suffer itself.
    if drawn in ("bad_deploy", "slow_burn", "config_push"):
        return drawn, variant_of(drawn, 0.0)
    if drawn == "cert_dns_secret":
        return drawn, "cert"
    if drawn == "db_saturation" and g.callees[hub]:
        return drawn, "pool"
    return "bad_deploy", "deploy"


def variant_of(cls: str, u: float) -> str:
    variants = {
        "bad_deploy": ("deploy",), "config_push": ("config", "flag"), "cert_dns_secret": ("cert", "dns", "secret"),
        "db_saturation": ("store", "store", "pool"), "slow_burn": ("leak", "leak", "disk"),
        "retry_storm": ("flush",), "broker_backlog": ("consumer",), "external": ("provider",),
    }[cls]
    return variants[min(len(variants) - 1, int(u * len(variants)))]


def _fallbacks(cls: str, variant: str) -> list[tuple[str, str]]:
    chain = [(cls, variant)]
    if cls == "retry_storm":
        chain.append(("db_saturation", "store"))
    if cls == "broker_backlog":
        chain += [("broker_backlog", "consumer" if variant == "broker" else "broker"), ("db_saturation", "pool")]
    if cls == "db_saturation" and variant == "store":
        chain.append(("db_saturation", "pool"))
    if cls == "external":
        chain.append(("bad_deploy", "deploy"))
    return [*chain, ("bad_deploy", "deploy"), ("slow_burn", "leak")]


def _deep(g: Graph, n: str) -> bool:
    return any(_callers(g, c) for c in _callers(g, n))


def choose_root(
    g: Graph, o: Outage, hub_draw: bool, hubs: tuple[str, ...], taken: set[str], reached: set[str],
    rng: random.Random,
) -> None:
    """Fill ``o.root`` (and maybe its class): the constraints the draws imply are dropped one by one
    (and recorded in ``o.relaxed``) only when no candidate meets them all."""
    need_callers = o.silent or not o.root_first or o.quiet_hop
    drawn = o.cls
    tiers: list[tuple[str, list[str]]] = []
    if hub_draw:
        # A hub whose kind suits the drawn class first (the flags service for a flag push), then any.
        free = [h for h in hubs if h not in taken]
        tiers.append(("hub", [h for h in free if hub_class(g, h, o.cls)[0] == o.cls]))
        tiers.append(("hub", free))
    hubset = frozenset(hubs)
    for cls, variant in _fallbacks(o.cls, o.variant):
        tiers.append((f"{cls}/{variant}", [n for n in _pool(g, cls, variant, hubset) if n not in taken]))
    tiers.append(("any", [n for n in g.names if n not in taken and not g.is_loadgen(n)]))
    def apart(n: str) -> bool:
        return n not in reached

    def deep(n: str) -> bool:
        return not o.quiet_hop or _deep(g, n)

    def called(n: str) -> bool:
        return not need_callers or bool(_callers(g, n))

    checks: tuple[tuple[str, Callable[[str], bool]], ...] = (("apart", apart), ("deep", deep), ("callers", called))
    for drop in range(len(checks) + 1):
        kept = checks[drop:]
        for label, pool in tiers:
            fits = [n for n in pool if all(f(n) for _, f in kept)]
            if fits:
                o.root = rng.choice(sorted(fits))
                o.relaxed += [name for name, _ in checks[:drop]]
                if label == "hub":
                    o.hub = True
                    o.cls, o.variant = hub_class(g, o.root, o.cls)
                elif label != "any":
                    o.cls, _, o.variant = label.partition("/")
                    o.hub = o.root in hubset
                if o.cls != drawn:
                    o.relaxed.append("class")
                return
    raise ValueError("a topology with no usable service")


def spread(g: Graph, o: Outage, total_min: float, rng: random.Random) -> None:
    """Follow the fault from the root up its callers (and, for some classes, sideways), timing each
    arrival so that the farthest service degrades about ``total_min`` minutes after onset."""
    reach = {o.root: Reach(0, None, 0.0, "root")}
    frontier = [o.root]
    depth = 0
    while frontier and depth < 4 and len(reach) < MAX_REACH:
        depth += 1
        nxt: list[str] = []
        for s in frontier:
            callers = [c for c in _callers(g, s) if c not in reach]
            if len(callers) > MAX_FANOUT:
                callers = rng.sample(sorted(callers), MAX_FANOUT)
            hit = False
            for c in sorted(callers):
                p = 0.5 if g.is_async(c, s) else 0.85
                if depth == 1 and o.cls == "config_push":
                    p = 0.95
                if (rng.random() < p or (not hit and s == o.root)) and len(reach) < MAX_REACH:
                    hit = True
                    reach[c] = Reach(depth, s, 0.0, "entry" if c in g.entry_set else "caller")
                    nxt.append(c)
        frontier = nxt
    if o.quiet_hop:
        _deepen(g, o, reach, rng)
    _sideways(g, o, reach, rng)
    deepest = max(r.depth for r in reach.values()) or 1
    for r in reach.values():
        if r.depth == 0:
            continue
        if o.cls == "config_push" and r.depth == 1:
            r.minute = rng.uniform(0.0, 0.5)  # every consumer reloads the bad config together
        else:
            r.minute = total_min * r.depth / deepest * rng.uniform(0.8, 1.0)
    far = max(reach.values(), key=lambda r: r.minute)
    if far.depth and not (o.cls == "config_push" and far.depth == 1):
        far.minute = total_min  # the spread the cell states, reached exactly by the farthest one
    if o.quiet_hop:
        _quiet_hops(g, o, reach, rng)
    o.reach = reach


def _deepen(g: Graph, o: Outage, reach: dict[str, Reach], rng: random.Random) -> None:
    """A quiet hop needs a service that passed the fault on: when the draws reached no caller's
    caller, follow one more edge up from a reached caller that has callers."""
    if middles(g, o, reach):
        return
    for name in sorted(reach, key=lambda n: (reach[n].depth != 1, n)):
        if reach[name].depth == 0:
            continue
        up = sorted(c for c in _callers(g, name) if c not in reach)
        if up:
            c = rng.choice(up)
            reach[c] = Reach(reach[name].depth + 1, name, 0.0, "entry" if c in g.entry_set else "caller")
            return
    for c in sorted(c for c in _callers(g, o.root) if c not in reach and _callers(g, c)):
        reach[c] = Reach(1, o.root, 0.0, "entry" if c in g.entry_set else "caller")
        top = rng.choice(sorted(_callers(g, c)))
        reach.setdefault(top, Reach(2, c, 0.0, "entry" if top in g.entry_set else "caller"))
        return


def _sideways(g: Graph, o: Outage, reach: dict[str, Reach], rng: random.Random) -> None:
    """Services a fault reaches other than through the root's callers."""
    if o.cls == "retry_storm":
        # The cache's callers fall through to their other stores, which saturate and page loudly.
        for c in [n for n, r in reach.items() if r.depth == 1]:
            for s in sorted(g.callees[c]):
                if s != o.root and g.is_store(s) and s not in reach and len(reach) < MAX_REACH:
                    reach[s] = Reach(2, c, 0.0, "overloaded")
    if o.cls == "broker_backlog" and o.variant == "consumer":
        # A slow consumer: the broker's queue depth grows and the other producers' publishes fail.
        for b in sorted(g.callees[o.root]):
            if g.kind(b) == "broker" and b not in reach:
                reach[b] = Reach(1, o.root, 0.0, "queue")
                for p in sorted(_callers(g, b))[:MAX_FANOUT]:
                    if p not in reach and len(reach) < MAX_REACH and rng.random() < 0.6:
                        reach[p] = Reach(2, b, 0.0, "producer")


def middles(g: Graph, o: Outage, reach: Mapping[str, object]) -> list[str]:
    """Reached services other than the root that a reached caller calls: the middle of a path."""
    return sorted(n for n in reach if n != o.root and any(c in reach for c in _callers(g, n)))


def _quiet_hops(g: Graph, o: Outage, reach: dict[str, Reach], rng: random.Random) -> None:
    """Silence at least one service in the middle of the path whose caller still pages."""
    middle = middles(g, o, reach)
    if not middle:
        return
    o.quiet.add(rng.choice(middle))
    for n in middle:
        if rng.random() < 0.3:
            o.quiet.add(n)
    # A quiet hop only hides something when a caller above it still pages.
    for n in sorted(o.quiet):
        if not any(c in reach and c not in o.quiet for c in _callers(g, n)):
            o.quiet.discard(n)
    if not o.quiet:
        o.quiet.add(middle[0])
