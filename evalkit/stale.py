"""How the engine holds up when the catalog it is given is stale: dependencies missing from it.

    python -m evalkit.stale --seeds 4                          # every family, 0 / 10 / 25 % missing
    python -m evalkit.stale --families span_traces --missing 0 0.5

Every world is generated on its full topology (the faults spread along every real dependency),
then answered with a graph that lacks a share of the dependencies, drawn per world and per share
from its own random stream (the same edges missing for every engine version). A catalog drifts
that way: a call added without updating the service's ``dependsOn``, a service nobody
re-registered. The score is the report's (AC@1 / AC@3 of the group holding most of an
incident's alerts, pair F1). ``--no-calls-from-alerts`` turns off the engine's reading of missing
dependencies from alerts that name their callee (:mod:`opscontext.engine.correlation.observed`),
to see what that recovers.

A measurement, not a tuning aid: nothing in the engine was set on it, and it may be run on the
report's seeds and on every family.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from evalkit.classic.metrics import score
from evalkit.cli import add_world_options, world_tasks
from evalkit.harness import Task, make_world, ours
from evalkit.world import World
from opscontext.engine.correlate import CorrelationOptions

DEFAULT_MISSING = (0.0, 0.1, 0.25)


def stale(world: World, missing: float) -> World:
    """``world`` whose graph lacks ``missing`` of its dependencies (alerts and truth unchanged)."""
    if missing <= 0:
        return world
    rng = random.Random(f"stale:{world.family}:{world.cell}:{world.topology}:{world.seed}:{missing}")
    kept = tuple(e for e in world.edges if rng.random() >= missing)
    return dataclasses.replace(world, edges=kept)


def _one(job: tuple[Task, tuple[float, ...], bool]) -> list[tuple[str, float, float, float, float, int]]:
    task, levels, calls = job
    world = make_world(task)
    options = CorrelationOptions(calls_from_alerts=calls)
    out = []
    for m in levels:
        w = stale(world, m)
        s = score(w, ours(w, options)[0], len(w.alerts))
        out.append((task.family, m, s.ac1 * s.incidents, s.ac3 * s.incidents, s.f1, s.incidents))
    return out


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_world_options(p)
    p.add_argument("--missing", nargs="+", type=float, default=list(DEFAULT_MISSING),
                   help="shares of dependencies left out of the graph (0-1)")
    p.add_argument("--no-calls-from-alerts", action="store_true",
                   help="the engine without reading missing dependencies from alerts naming their callee")
    args = p.parse_args(argv)
    if any(not 0 <= m < 1 for m in args.missing):
        p.error("--missing takes shares from 0 up to (not including) 1")
    levels = tuple(sorted(set(args.missing)))
    calls = not args.no_calls_from_alerts
    jobs = [(t, levels, calls) for t in world_tasks(p, args)]
    acc: dict[tuple[str, float], list[float]] = {}
    with ProcessPoolExecutor(args.jobs) as pool:
        for rows in pool.map(_one, jobs, chunksize=4):
            for fam, m, hit1, hit3, f1, n in rows:
                a = acc.setdefault((fam, m), [0.0, 0.0, 0.0, 0.0, 0.0])
                a[0] += hit1
                a[1] += hit3
                a[2] += f1
                a[3] += 1
                a[4] += n
    print("| family | missing | incidents | AC@1 | AC@3 | pair F1 |")
    print("|---|---|---|---|---|---|")
    for fam in args.families:
        for m in levels:
            t = acc.get((fam, m))
            if t and t[4]:
                print(f"| {fam} | {m:.0%} | {int(t[4])} | {t[0] / t[4]:.3f} | {t[1] / t[4]:.3f} | {t[2] / t[3]:.3f} |")


if __name__ == "__main__":
    main()
