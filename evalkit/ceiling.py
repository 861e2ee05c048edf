"""What separating incidents could still buy: the engine with each incident set apart.

    python -m evalkit.ceiling --seeds 4                     # fitted families, spare seeds
    python -m evalkit.ceiling --families metric_rules --seeds 4 --by-cell

Every world is answered three ways and each incident scored as the report scores it (AC@k of the
group holding most of its alerts):

* **as is**: every alert of the world in one call, as a user would send them;
* **apart**: one call per incident, holding that incident's alerts and the world's noise;
* **apart, no noise**: one call per incident with its own alerts only.

"as is" to "apart" is the most that telling concurrent incidents apart could buy; "apart" to
"apart, no noise" what noise alerts cost; what is still missing under "apart, no noise" is the
ranking's own (and grouping inside one incident: an incident cut in two still counts).

Beside them, the report's "deepest (true groups)" baseline on the same incidents: the deepest-first
rule given exactly each incident's alerts, what "apart, no noise" gives the engine. The two
columns side by side say whether the engine's ranking or its grouping is behind the rule.

Runs on spare seeds (1000 on) and refuses families nothing may be tuned on
(:data:`evalkit.families.NEVER_FITTED_FAMILIES`), as :mod:`evalkit.sweep` does: what it shows
decides where tuning goes next.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from evalkit.baselines import deepest
from evalkit.classic.metrics import score
from evalkit.families import refuse_never_fitted
from evalkit.harness import FAMILY_MODULES, Task, make_world, ours, tasks
from evalkit.topologies import fitting, unreadable
from evalkit.world import World

DEFAULT_FAMILIES = ("metric_rules", "fault_injection", "request_flow", "cascade")
MODES = ("as is", "apart", "apart, no noise")


@dataclass
class Hits:
    """Incidents scored, and of them how many had the root first / in the first three, per mode."""

    incidents: int = 0
    top1: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MODES, 0))
    top3: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MODES, 0))
    # The deepest-first rule inside the true incidents: (first, in the first three).
    rule: tuple[int, int] = (0, 0)

    def add(self, other: Hits) -> None:
        self.incidents += other.incidents
        self.rule = (self.rule[0] + other.rule[0], self.rule[1] + other.rule[1])
        for mode in MODES:
            self.top1[mode] += other.top1[mode]
            self.top3[mode] += other.top3[mode]


def apart(world: World, k: int, noise: bool) -> World:
    """``world`` holding only its ``k``-th incident's alerts (and its noise, with ``noise``)."""
    inc = world.incidents[k]
    keep = inc.fingerprints | world.noise if noise else inc.fingerprints
    return dataclasses.replace(world, alerts=[a for a in world.alerts if a.fingerprint in keep],
                               incidents=[inc], noise=world.noise if noise else frozenset())


def hits(world: World) -> Hits:
    """The world's incidents scored in every mode."""
    out = Hits(incidents=len(world.incidents))
    pred, _ = ours(world)
    whole = score(world, pred, len(world.alerts))
    # score() gives shares over the world's incidents; each is a whole count of them
    out.top1["as is"] = round(whole.ac1 * out.incidents)
    out.top3["as is"] = round(whole.ac3 * out.incidents)
    rule = score(world, deepest(world), len(world.alerts))
    out.rule = (round(rule.ac1 * out.incidents), round(rule.ac3 * out.incidents))
    for k in range(len(world.incidents)):
        for mode, noise in (("apart", True), ("apart, no noise", False)):
            alone = apart(world, k, noise)
            s = score(alone, ours(alone)[0], len(alone.alerts))
            out.top1[mode] += round(s.ac1)
            out.top3[mode] += round(s.ac3)
    return out


def _one(task: Task) -> tuple[str, str, Hits]:
    return task.family, task.cell, hits(make_world(task))


def table(rows: Iterable[tuple[str, Hits]], first: str = "family") -> list[str]:
    """Markdown: AC@1 and AC@3 per mode for each labelled total."""
    head = (f"| {first} | incidents | " + " | ".join(f"AC@1 {m}" for m in MODES) + " | AC@1 deepest (true groups) | "
            + " | ".join(f"AC@3 {m}" for m in MODES) + " | AC@3 deepest (true groups) |")
    lines = [head, "|" + "---|" * (4 + 2 * len(MODES))]
    for label, h in rows:
        n = h.incidents or 1
        cells = ([f"{h.top1[m] / n:.3f}" for m in MODES] + [f"{h.rule[0] / n:.3f}"]
                 + [f"{h.top3[m] / n:.3f}" for m in MODES] + [f"{h.rule[1] / n:.3f}"])
        lines.append(f"| {label} | {h.incidents} | " + " | ".join(cells) + " |")
    return lines


def totals(results: Sequence[tuple[str, str, Hits]], by_cell: bool) -> list[tuple[str, Hits]]:
    """Hits summed per family (and per family/cell with ``by_cell``), in a stable order."""
    per: dict[str, Hits] = {}
    for family, cell, h in results:
        per.setdefault(family, Hits()).add(h)
        if by_cell:
            per.setdefault(f"{family}/{cell}", Hits()).add(h)
    return sorted(per.items())


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m evalkit.ceiling", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--families", nargs="+", default=list(DEFAULT_FAMILIES), choices=sorted(FAMILY_MODULES))
    p.add_argument("--topologies", nargs="*", help="default: the real topologies and the topology files")
    p.add_argument("--seeds", type=int, default=4)
    p.add_argument("--first-seed", type=int, default=1000, help="spare seeds start at 1000 (default)")
    p.add_argument("--by-cell", action="store_true", help="a row per family/cell as well")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = p.parse_args(argv)
    if args.seeds < 1 or args.jobs < 1:
        p.error("--seeds and --jobs must be at least 1")
    refuse_never_fitted(p, args.families)
    if args.first_seed < 1000:
        p.error("--first-seed below 1000 reads the report's seeds; diagnostics use spare seeds (1000 on)")
    bad = unreadable(args.topologies or ())
    if bad:
        p.error(bad)
    todo = tasks(args.families, args.topologies or fitting(), range(args.first_seed, args.first_seed + args.seeds))
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(_one, todo, chunksize=4))
    print("\n".join(table(totals(results, args.by_cell), "family/cell" if args.by_cell else "family")))


if __name__ == "__main__":
    main()
