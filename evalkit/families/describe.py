"""Print, per family x cell, the realised statistics over N seeds.

Usage: ``python -m evalkit.families.describe [--seeds 200] [--family NAME] [--topology SPEC ...]``

A topology SPEC is a JSON file path (the ``/work/shared/topologies`` format), ``otel_demo``, or a
synthetic shape ``KIND:N`` (e.g. ``hub:500``). Without one, seeds cycle over the real topologies
in ``$EVALKIT_TOPOLOGIES`` (default ``/work/shared/topologies``) plus the OpenTelemetry demo.
"""

from __future__ import annotations

import argparse
import math
import os
import time
from pathlib import Path

from evalkit.families import FAMILIES
from evalkit.stats import Tally
from evalkit.topologies import default_topologies, resolve


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--seeds", type=int, default=200)
    p.add_argument("--family", choices=sorted(FAMILIES), action="append")
    p.add_argument("--cell", action="append", help="only these cells")
    p.add_argument("--topology", action="append", help="JSON path, otel_demo, or KIND:N")
    args = p.parse_args(argv)
    shared = Path(os.environ.get("EVALKIT_TOPOLOGIES", "/work/shared/topologies"))
    tops = [resolve(s) for s in args.topology] if args.topology else default_topologies(shared)
    cols = ("root_first", "silent", "alerts_per_incident", "noise_share", "onset_spread_min", "first_alert_min",
            "root_change")
    heads = ("root-first", "silent", "alerts/inc", "noise", "spread(m)", "1st alert(m)", "root chg")
    print(f"{args.seeds} seeds over: {', '.join(t.name for t in tops)}")
    for fam in args.family or sorted(FAMILIES):
        mod = FAMILIES[fam]
        print(f"\n== {fam}")
        print(f"{'cell':<22}" + "".join(f"{h:>13}" for h in heads) + f"{'ms/world':>10}  assumption")
        for cell, params in mod.CELLS.items():
            if args.cell and cell not in args.cell:
                continue
            tally = Tally()
            t0 = time.perf_counter()
            for seed in range(args.seeds):
                tally.add(mod.generate(tops[seed % len(tops)], seed, params, cell))
            ms = (time.perf_counter() - t0) * 1000 / max(1, args.seeds)
            row = tally.row()
            cells = "".join(f"{'-' if math.isnan(row[c]) else f'{row[c]:.2f}':>13}" for c in cols)
            print(f"{cell:<22}{cells}{ms:>10.1f}  {params.assumption}")


if __name__ == "__main__":
    main()
