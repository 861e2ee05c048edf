"""Faults, and ground truth by counterfactual runs, for the ``span_traces`` family."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import timedelta
from typing import Protocol

from evalkit.families.trace_model import Estate, Node
from evalkit.families.trace_rules import Episode, Rule
from evalkit.families.trace_sim import MINUTES, Fault, Minute, signature
from evalkit.world import EPOCH, Degraded, Graph, note_degraded

_SIGNAL = {"error": "errors", "latency": "latency", "unreachable": "down", "exhaustion": "saturation"}


class _Params(Protocol):
    @property
    def faults(self) -> int: ...
    @property
    def gap_min(self) -> tuple[int, int]: ...
    @property
    def kinds(self) -> tuple[str, ...]: ...
    @property
    def placement(self) -> str: ...


def _log_uniform(rng: random.Random, lo: float, hi: float) -> float:
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def _candidates(estate: Estate, g: Graph, placement: str) -> list[str]:
    touched = [s for s in estate.touched if not g.is_loadgen(s)]
    if placement == "hub":
        hubs = [h for h in g.hubs if h in estate.touched]
        if hubs:
            return hubs
        return sorted(touched, key=lambda s: (-len(g.callers[s]), s))[:5]
    return touched


def draw_faults(estate: Estate, g: Graph, rng: random.Random, params: _Params) -> list[Fault] | None:
    """The world's faults: distinct roots among the services some request reaches."""
    pool = _candidates(estate, g, params.placement)
    inner = [s for s in pool if s not in g.entry_set]
    out: list[Fault] = []
    onset = rng.randint(35, 55)
    for _ in range(params.faults):
        kind = rng.choice(params.kinds)
        choices = [s for s in (inner if kind == "unreachable" else pool) if s not in {f.service for f in out}]
        if not choices:
            return out or None
        root = rng.choice(choices)
        end = onset + rng.randint(8, 25) if rng.random() < 0.3 else None
        end = end if end is not None and end < MINUTES else None
        if kind in ("error", "error_one"):
            ops = frozenset({rng.choice(estate.ops[root])}) if kind == "error_one" else None
            frac = rng.uniform(0.1, 0.5) if kind == "error_one" else rng.uniform(0.2, 1.0)
            out.append(Fault(root, "error", onset, end, ops, frac))
        elif kind == "latency":
            out.append(Fault(root, "latency", onset, end, None, rng.uniform(0.3, 1.0), _log_uniform(rng, 300, 4000)))
        elif kind == "unreachable":
            out.append(Fault(root, "unreachable", onset, end, refused=rng.random() < 0.5))
        else:
            out.append(Fault(root, "exhaustion", onset, end, None, rng.uniform(0.3, 1.0), _log_uniform(rng, 500, 5000),
                             ramp=rng.randint(5, 15)))
        onset += rng.randint(*params.gap_min)
    return out


def _overlaps(ep: Episode, others: Sequence[Episode]) -> bool:
    a, b = ep
    return any(a < (ob if ob is not None else MINUTES * 60 + 1) and oa < (b if b is not None else MINUTES * 60 + 1)
               for oa, ob in others)


def _service(rule: Rule) -> str:
    return dict(rule.labels)["service_name"]


def attribute(rules: Sequence[Rule], fired: Sequence[Sequence[Sequence[Episode]]],
              clean: Sequence[Sequence[Episode]], faults: Sequence[Fault]) -> list[int | None]:
    """Per rule: None (never fires), -1 (noise) or the index of the fault its latest episode belongs to.

    Noise when the run without faults fires on the series at an overlapping time. Else the fault
    whose removal alone makes the episode vanish; when several do (jointly needed) or none alone
    does (either suffices), the fault on the alerting service itself, else the earliest one."""
    out: list[int | None] = []
    for rule, runs, calm in zip(rules, fired, clean, strict=True):
        if not runs[0]:
            out.append(None)
            continue
        ep = runs[0][-1]
        if _overlaps(ep, calm):
            out.append(-1)
            continue
        if len(faults) == 1:
            out.append(0)
            continue
        needed = [k for k in range(len(faults)) if not _overlaps(ep, runs[k + 1])]
        pool = needed if len(needed) == 1 else (needed or list(range(len(faults))))
        own = [k for k in pool if faults[k].service == _service(rule)]
        out.append(own[0] if own else min(pool, key=lambda k: (faults[k].onset, k)))
    return out


def _nodes(estate: Estate) -> list[Node]:
    out: list[Node] = []
    stack = [e.tree for e in estate.endpoints] + [c.tree for cs in estate.consumers.values() for c in cs]
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(c.child for c in n.calls)
    return out


def degraded(estate: Estate, faults: Sequence[Fault], blips: Sequence[Fault]) -> Degraded:
    """Every service a fault reached: the first minute one of its nodes fails more, slows or goes
    down compared with the same minute without the faults (the model's outcomes, not noisy
    counts: more calls from a retrying caller is load, not degradation), with the signals."""
    out: Degraded = {}
    for f in faults:
        note_degraded(out, f.service, EPOCH + timedelta(minutes=f.onset), {_SIGNAL[f.kind]})
    nodes = _nodes(estate)
    every = [*faults, *blips]
    last: tuple[tuple[Fault, float], ...] | None = None
    for m in range(min(f.onset for f in faults), MINUTES):
        sig = signature(every, m)
        if sig == last:
            continue
        last = sig
        hit, calm = Minute(every, m), Minute(blips, m)
        for n in nodes:
            a, b = hit.out(n), calm.out(n)
            signals = set()
            if a.down and not b.down:
                signals.add("down")
            elif a.fail > b.fail + 1e-9:
                signals.add("errors")
            if a.slow * a.extra > b.slow * b.extra + 1e-6:
                signals.add("latency")
            if signals and n.spans:
                note_degraded(out, n.service, EPOCH + timedelta(minutes=m), signals)
    return out
