"""How the engine holds up when incidents unfold slower than the generators assume.

    python -m evalkit.stretch --seeds 4                       # every family, x1 / x2 / x3
    python -m evalkit.stretch --families request_flow --factors 1 4

Each incident of a world is replayed k times slower: every alert's onset keeps its place in
the incident's order but lies k times further from the incident's first onset, and a resolved
alert fires k times longer (one resolving after ``now`` is still firing). Noise and changes stay
where they were; ``now`` moves past the last onset when it has to. Real fault-injection runs
spread one incident's alerts over 10-20 minutes, callers first: this asks what that costs the
grouping, whose windows (``link_window``, ``dependency_late``, ``caller_late``,
``active_hold``) are minutes long. Pair precision and recall are printed apart: a slower
incident falls apart (recall), it does not join others (precision).

A measurement, not a tuning aid: nothing in the engine was set on it, and it may be run on the
report's seeds and on every family.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta

from evalkit.classic.metrics import score
from evalkit.cli import add_world_options, world_tasks
from evalkit.harness import Task, make_world, ours
from evalkit.world import World
from opscontext.models import AlertState

DEFAULT_FACTORS = (1.0, 2.0, 3.0)


def stretch(world: World, k: float) -> World:
    """``world`` with every incident ``k`` times slower (see the module docstring)."""
    if k == 1:
        return world
    first: dict[str, datetime] = {}
    for inc in world.incidents:
        onsets = [a.starts_at for a in world.alerts if a.fingerprint in inc.fingerprints]
        if onsets:
            start = min(onsets)
            first.update((fp, start) for fp in inc.fingerprints)
    moved = []
    for a in world.alerts:
        t0 = first.get(a.fingerprint)
        if t0 is None:
            moved.append(a)
            continue
        start = t0 + (a.starts_at - t0) * k
        end = None if a.ends_at is None else start + (a.ends_at - a.starts_at) * k
        moved.append(a.model_copy(update={"starts_at": start, "ends_at": end}))
    now = max([world.now, *(a.starts_at + timedelta(minutes=1) for a in moved)])
    alerts = [a if a.ends_at is None or a.ends_at <= now
              else a.model_copy(update={"ends_at": None, "state": AlertState.ACTIVE}) for a in moved]
    return dataclasses.replace(world, alerts=alerts, now=now)


def _one(job: tuple[Task, tuple[float, ...]]) -> list[tuple[str, float, float, float, float, float, float, int]]:
    task, factors = job
    world = make_world(task)
    out = []
    for k in factors:
        w = stretch(world, k)
        s = score(w, ours(w)[0], len(w.alerts))
        out.append((task.family, k, s.ac1 * s.incidents, s.ac3 * s.incidents, s.precision, s.recall, s.f1,
                    s.incidents))
    return out


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_world_options(p)
    p.add_argument("--factors", nargs="+", type=float, default=list(DEFAULT_FACTORS),
                   help="how many times slower each incident unfolds (1 = as generated, at most 10)")
    args = p.parse_args(argv)
    if any(not 1 <= k <= 10 for k in args.factors):
        p.error("--factors take values from 1 (as generated) to 10")
    factors = tuple(sorted(set(args.factors)))
    jobs = [(t, factors) for t in world_tasks(p, args)]
    acc: dict[tuple[str, float], list[float]] = {}
    with ProcessPoolExecutor(args.jobs) as pool:
        for rows in pool.map(_one, jobs, chunksize=4):
            for fam, k, hit1, hit3, prec, rec, f1, n in rows:
                a = acc.setdefault((fam, k), [0.0] * 7)
                for i, v in enumerate((hit1, hit3, prec, rec, f1, 1, n)):
                    a[i] += v
    print("| family | slower | incidents | AC@1 | AC@3 | pair P | pair R | pair F1 |")
    print("|---|---|---|---|---|---|---|---|")
    for fam in args.families:
        for k in factors:
            t = acc.get((fam, k))
            if t and t[6]:
                worlds = t[5]
                print(f"| {fam} | x{k:g} | {int(t[6])} | {t[0] / t[6]:.3f} | {t[1] / t[6]:.3f} | "
                      f"{t[2] / worlds:.3f} | {t[3] / worlds:.3f} | {t[4] / worlds:.3f} |")


if __name__ == "__main__":
    main()
