"""Where pair precision and recall are lost: which true pairs were cut apart, which predicted
pairs join what.

    python -m evalkit.pair_loss --family request_flow --seeds 2 --first-seed 1000

For every world, the engine's groups are compared with the truth pair by pair (the harness's
pair P/R count the same pairs). Lost recall is split into true pairs **cut apart** (both alerts
grouped, in different groups) and pairs with an alert **left ungrouped** (dropped as noise or
below severity). Lost precision is split into predicted pairs joining **two incidents**, an
**incident and noise**, and **noise with noise** (the truth counts every noise alert alone).
Each share is a mean over worlds, as the report's pair figures are, per cell and overall.
Families nothing may be tuned on (:data:`evalkit.families.NEVER_FITTED_FAMILIES`) are refused,
as :mod:`evalkit.sweep` does.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from evalkit.classic.metrics import pair_count
from evalkit.families import refuse_never_fitted
from evalkit.harness import FAMILY_MODULES, Task, make_world, ours, tasks
from evalkit.topologies import fitting
from evalkit.world import World
from opscontext.engine.correlate import Correlation

PRECISION_PARTS = ("two incidents", "incident and noise", "noise with noise")
RECALL_PARTS = ("cut apart", "left ungrouped")


@dataclass(frozen=True)
class Loss:
    """One world's pair shares: each precision part over predicted pairs, each recall part over
    true pairs (0 when the world has none)."""

    precision: dict[str, float]
    recall: dict[str, float]


def breakdown(world: World, corr: Correlation) -> Loss:
    incident_of = {fp: k for k, inc in enumerate(world.incidents) for fp in inc.fingerprints}
    group_of = {fp: g.id for g in corr.groups for fp in g.fingerprints}
    members: dict[str, Counter[int]] = {}  # group -> incident (-1: noise) -> alerts
    for fp, gid in group_of.items():
        members.setdefault(gid, Counter())[incident_of.get(fp, -1)] += 1
    lost: Counter[str] = Counter()
    predicted = 0
    for comp in members.values():
        noise = comp.pop(-1, 0)
        sizes = list(comp.values())
        together = sum(sizes)
        predicted += pair_count(together + noise)
        lost["two incidents"] += pair_count(together) - sum(pair_count(n) for n in sizes)
        lost["incident and noise"] += together * noise
        lost["noise with noise"] += pair_count(noise)
    true_pairs = 0
    for inc in world.incidents:
        where = Counter(group_of.get(fp) for fp in inc.fingerprints)
        dropped = where.pop(None, 0)
        n = len(inc.fingerprints)
        true_pairs += pair_count(n)
        lost["left ungrouped"] += pair_count(n) - pair_count(n - dropped)
        lost["cut apart"] += pair_count(n - dropped) - sum(pair_count(k) for k in where.values())
    return Loss({k: lost[k] / predicted if predicted else 0.0 for k in PRECISION_PARTS},
                {k: lost[k] / true_pairs if true_pairs else 0.0 for k in RECALL_PARTS})


def _one(task: Task) -> tuple[str, Loss]:
    world = make_world(task)
    _, corr = ours(world)
    return task.cell, breakdown(world, corr)


def table(results: Sequence[tuple[str, Loss]]) -> list[str]:
    """Markdown rows: mean shares per cell, then over every world."""
    per: dict[str, list[Loss]] = {}
    for cell, loss in results:
        per.setdefault(cell, []).append(loss)
    head = ("| cell | worlds | " + " | ".join(f"P lost: {k}" for k in PRECISION_PARTS) + " | "
            + " | ".join(f"R lost: {k}" for k in RECALL_PARTS) + " |")
    lines = [head, "|" + "---|" * (2 + len(PRECISION_PARTS) + len(RECALL_PARTS))]
    for cell, losses in [*sorted(per.items()), ("all", [loss for _, loss in results])]:
        n = len(losses)
        p = [sum(x.precision[k] for x in losses) / n for k in PRECISION_PARTS]
        r = [sum(x.recall[k] for x in losses) / n for k in RECALL_PARTS]
        lines.append(f"| {cell} | {n} | " + " | ".join(f"{v:.3f}" for v in [*p, *r]) + " |")
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--family", required=True, choices=sorted(FAMILY_MODULES))
    p.add_argument("--topologies", nargs="*", help="default: the real topologies and the OpenTelemetry demo file")
    p.add_argument("--cells", nargs="*", help="only these cells")
    p.add_argument("--seeds", type=int, default=2)
    p.add_argument("--first-seed", type=int, default=1000)
    p.add_argument("--jobs", type=int, default=2)
    args = p.parse_args(argv)
    refuse_never_fitted(p, [args.family])
    if args.seeds < 1 or args.jobs < 1:
        p.error("--seeds and --jobs must be at least 1")
    unknown = set(args.cells or ()) - set(FAMILY_MODULES[args.family].CELLS)
    if unknown:
        p.error(f"unknown cells for {args.family}: {', '.join(sorted(unknown))}")
    todo = tasks([args.family], args.topologies or fitting(),
                 range(args.first_seed, args.first_seed + args.seeds), cells=args.cells)
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(_one, todo, chunksize=4))
    print("\n".join(table(results)))


if __name__ == "__main__":
    main()
