"""Baselines the engine must beat, each answering as a :class:`Prediction`.

* ``earliest``: the true groups, each ranked by first alert (the one-line rule: "the service that
  alerted first is the root").
* ``deepest``: the true groups, each ranked deepest first: alerting services none of whose
  dependencies (up to ``DEPTH`` hops) alert in the same incident, then by onset.
* ``time_window``: no topology at all; every alert within ``WINDOW`` of the previous one joins its
  group, ranked by first alert.

The first two are given the true grouping, so they isolate the ranking question; their grouping
columns are not reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta

from evalkit.classic.metrics import Prediction
from evalkit.world import World
from opscontext.models import Alert, DependencyEdge

WINDOW = timedelta(minutes=10)
DEPTH = 6


def first_alerts(alerts: Iterable[Alert]) -> dict[str, Alert]:
    """Each fingerprint's earliest delivery."""
    out: dict[str, Alert] = {}
    for a in alerts:
        seen = out.get(a.fingerprint)
        if seen is None or a.starts_at < seen.starts_at:
            out[a.fingerprint] = a
    return out


def by_onset(fps: Iterable[str], first: dict[str, Alert]) -> list[str]:
    ordered = sorted((first[fp] for fp in fps if fp in first), key=lambda a: (a.starts_at, a.fingerprint))
    return list(dict.fromkeys(a.service for a in ordered if a.service))


def _succ(edges: Sequence[DependencyEdge]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for e in edges:
        out.setdefault(e.dependent, set()).add(e.dependency)
    return out


def _below(succ: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    frontier = {start}
    for _ in range(DEPTH):
        frontier = {d for s in frontier for d in succ.get(s, ())} - seen - {start}
        if not frontier:
            break
        seen |= frontier
    return seen


def earliest(world: World) -> Prediction:
    first = first_alerts(world.alerts)
    return Prediction([(sorted(i.fingerprints), by_onset(i.fingerprints, first), 0.0) for i in world.incidents])


def deepest(world: World) -> Prediction:
    return deepest_in(world, [sorted(i.fingerprints) for i in world.incidents])


def deepest_in(world: World, groups: Sequence[Sequence[str]]) -> Prediction:
    """The deepest-first rule applied inside given groups (ours): separates ranking from grouping."""
    first = first_alerts(world.alerts)
    succ = _succ(world.edges)
    out = []
    for fps in groups:
        ordered = by_onset(fps, first)
        alerting = set(ordered)
        below = {s: len(_below(succ, s) & alerting) for s in ordered}
        out.append((list(fps), sorted(ordered, key=lambda s: (below[s], ordered.index(s))), 0.0))
    return Prediction(out)


def time_window(world: World) -> Prediction:
    first = first_alerts(world.alerts)
    ordered = sorted(first.values(), key=lambda a: (a.starts_at, a.fingerprint))
    chunks: list[list[Alert]] = []
    for a in ordered:
        if chunks and a.starts_at - chunks[-1][-1].starts_at <= WINDOW:
            chunks[-1].append(a)
        else:
            chunks.append([a])
    return Prediction([([a.fingerprint for a in c], by_onset([a.fingerprint for a in c], first), 0.0) for c in chunks])
