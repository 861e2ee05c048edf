"""Faults of the request_flow family: which services they hit, what, when, and the deploys around them."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from evalkit.families.flow_net import MINUTE, STEP_S, STEPS, Net
from evalkit.families.flow_sim import Fault
from evalkit.world import Graph

# Which fault kinds each kind of service can suffer; a cell's kind list is mapped through this
# (a cell of "latency" faults slows datastores and backs up brokers).
_BY_KIND = {
    "app": {"errors": "errors", "latency": "latency", "crash": "crash", "leak": "leak", "cpu": "cpu"},
    "store": {"latency": "store_slow", "crash": "crash", "cpu": "cpu"},
    "broker": {"latency": "backlog", "crash": "crash"},
}
CAUSES = {"errors": "requests failing in its own code", "latency": "slow responses", "crash": "instances down",
          "leak": "memory growing to its limit", "cpu": "CPU starved", "store_slow": "slow queries",
          "backlog": "messages not delivered to consumers"}


@dataclass(frozen=True)
class Plan:
    faults: list[Fault]
    deploys: list[bool]  # per fault: it follows a deploy of its service


def _kinds(net: Net, v: int, allowed: tuple[str, ...]) -> list[str]:
    table = _BY_KIND.get(net.nodes[v].kind, {})
    return [table[k] for k in allowed if k in table]


def _roots(g: Graph, net: Net, rng: random.Random, n: int, placement: str, allowed: tuple[str, ...]) -> list[int]:
    index = {name: i for i, name in enumerate(g.names)}
    ok = [v for v in range(len(net.nodes)) if _kinds(net, v, allowed) and net.base_req[v] > 0]
    if placement == "hub":
        hubs = [index[h] for h in g.hubs if index[h] in ok]
        ok = hubs if len(hubs) >= n else ok
    elif placement == "app":
        ok = [v for v in ok if net.nodes[v].kind == "app"] or ok
    return rng.sample(ok, min(n, len(ok)))


def _onsets(rng: random.Random, n: int, gap: tuple[float, float]) -> list[int]:
    """Onset steps: the first 25-80 min into the window, the others ``gap`` minutes after the one
    before (a wide gap spreads them over the window)."""
    t = rng.uniform(25, 80 if n == 1 or gap[1] <= 10 else 40)
    out = [t]
    for _ in range(n - 1):
        t += rng.uniform(*gap)
        out.append(t)
    return [min(int(x * MINUTE), STEPS - 10 * MINUTE) for x in out]


def _fault(net: Net, v: int, kind: str, onset: int, rng: random.Random, deploy: bool) -> Fault:
    end = onset + int(rng.uniform(15, 50) * MINUTE) if rng.random() < 0.7 else STEPS
    rollout = int(rng.uniform(1, 4) * MINUTE) if deploy else 1
    if kind == "errors":
        return Fault(v, kind, onset, end, rng.uniform(0.05, 0.6), rollout)
    if kind == "latency":
        return Fault(v, kind, onset, end, rng.uniform(3, 20), max(rollout, MINUTE))
    if kind == "crash":
        replicas = net.nodes[v].replicas
        part = rng.random() < 0.4 and replicas > 1
        return Fault(v, kind, onset, end, rng.randrange(1, replicas) / replicas if part else 1.0)
    if kind == "leak":
        return Fault(v, kind, onset, end, 1.0, int(rng.uniform(10, 40) * MINUTE))
    if kind == "cpu":
        return Fault(v, kind, onset, end, rng.uniform(0.5, 0.85), int(rng.uniform(2, 15) * MINUTE))
    if kind == "store_slow":
        return Fault(v, kind, onset, end, rng.uniform(5, 40), int(rng.uniform(1, 5) * MINUTE))
    return Fault(v, kind, onset, end, rng.uniform(0.5, 0.95), int(rng.uniform(1, 3) * MINUTE))


def plan(g: Graph, net: Net, rng: random.Random, n: int, gap: tuple[float, float], placement: str,
         allowed: tuple[str, ...], p_deploy: float) -> Plan:
    """Draw the faults of one attempt at a world."""
    roots = _roots(g, net, rng, n, placement, allowed)
    faults: list[Fault] = []
    deploys: list[bool] = []
    for v, onset in zip(roots, _onsets(rng, len(roots), gap), strict=True):
        kind = rng.choice(_kinds(net, v, allowed))
        deploy = net.nodes[v].kind == "app" and rng.random() < p_deploy
        faults.append(_fault(net, v, kind, onset, rng, deploy))
        deploys.append(deploy)
    return Plan(faults, deploys)


def at(epoch: datetime, step: int) -> datetime:
    return epoch + timedelta(seconds=step * STEP_S)
