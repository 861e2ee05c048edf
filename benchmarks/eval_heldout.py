"""Correlation accuracy on scenario families and topologies, beside baselines.

    python benchmarks/eval_heldout.py --families cascade --seeds 10
    python benchmarks/eval_heldout.py --families metric_rules fault_injection --seeds 20 --write

Prints per-family, per-cell and per-topology tables and names the worst cell (smallest margin of
our AC@1 over the best baseline). ``--write`` replaces the ``## Held-out correlation accuracy``
section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evalkit import report
from evalkit.harness import FAMILY_MODULES, run, tasks
from evalkit.topologies import files, real


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--families", nargs="+", default=["cascade"], choices=sorted(FAMILY_MODULES))
    p.add_argument("--topologies", nargs="*", help="real/<name>, file/<name>, shape/<kind>-<n> (default: real + files)")
    p.add_argument("--cells", nargs="*", help="only these cells")
    p.add_argument("--seeds", type=int, default=10, help="seeds per cell and topology")
    p.add_argument("--first-seed", type=int, default=0)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--grid", action="store_true", help="also print every family x cell x topology line")
    args = p.parse_args()
    topologies = args.topologies or [*real(), *files()]
    todo = tasks(args.families, topologies, range(args.first_seed, args.first_seed + args.seeds), args.cells)
    t0 = time.perf_counter()
    rows = run(todo, args.jobs)
    took = time.perf_counter() - t0
    print(f"{len(todo)} worlds in {took:.1f} s\n")
    for title, key in (("family", report.by_family), ("cell", report.by_cell), ("topology", report.by_topology)):
        print("\n".join(report.table(rows, key, title)), end="\n\n")
    if args.grid:
        print("\n".join(report.table(rows, report.by_grid, "cell @ topology")), end="\n\n")
    k, agg, margin = report.worst(rows, report.by_grid)
    print(f"worst cell: {k}: AC@1 {agg.ac1:.3f}, margin over best baseline {margin:+.3f} ({agg.incidents} incidents)")


if __name__ == "__main__":
    main()
