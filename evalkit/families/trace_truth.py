"""Faults, and ground truth by counterfactual runs, for the ``span_traces`` family."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import timedelta
from typing import Protocol

from evalkit.families.trace_model import Estate
from evalkit.families.trace_rules import Episode, Rule
from evalkit.families.trace_sim import MINUTES, Fault, Series
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


def degraded(faults: Sequence[Fault], full: Series, clean: Series, g: Graph) -> Degraded:
    """Every service a fault reached: the first minute its span series differ from the run without
    faults, with the signals seen (errors, latency, down); the roots from their onsets."""
    out: Degraded = {}
    for f in faults:
        note_degraded(out, f.service, EPOCH + timedelta(minutes=f.onset), {_SIGNAL[f.kind]})
    for key in sorted(full):
        kind, svc, _ = key.split("|", 2)
        calm = clean.get(key)
        for m, (c, e, p) in enumerate(full[key]):
            c0, e0, p0 = calm[m] if calm else (0, 0, 0.0)
            signals = set()
            if e > e0:
                signals.add("errors")
            if p > 1.2 * p0 + 1.0 and c > 0:
                signals.add("latency")
            if kind == "S" and c == 0 and c0 > 0:
                signals.add("down")
            if signals:
                note_degraded(out, svc, EPOCH + timedelta(minutes=m), signals)
                break
    for key in sorted(clean):
        kind, svc, _ = key.split("|", 2)
        if kind == "S" and key not in full:
            note_degraded(out, svc, EPOCH + timedelta(minutes=min(f.onset for f in faults)), {"down"})
    return out
