"""Fit the confidence curve of ``opscontext.engine.correlation.calibration`` on chosen families.

    python -m evalkit.calibrate --families metric_rules --seeds 40 --first-seed 1000

Runs correlation over the given families' cells and topologies, records each group's features as
the engine computes them, labels each true incident's matched group 1 when its primary
contributor is the injected root, fits logistic regression by Newton-Raphson (small ridge) and
prints ``WEIGHTS`` to paste into calibration.py. Fit on families the ranking was not tuned on,
with seeds the reports do not use.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from opscontext.engine import correlate as correlate_module
from opscontext.engine.correlation.calibration import features
from opscontext.eval.calibrate import fit

from evalkit.harness import FAMILY_MODULES, make_world, ours, tasks
from evalkit.topologies import files, real

Row = tuple[tuple[float, ...], int]


def samples(families: Sequence[str], topologies: Sequence[str], seeds: Sequence[int]) -> list[Row]:
    seen: dict[str, tuple[float, ...]] = {}
    original: Callable[..., Any] = correlate_module.build_group

    def recording(cluster: Any, ranked: Any, *args: Any) -> Any:
        group = original(cluster, ranked, *args)
        seen[group.id] = features(ranked, len(cluster.stats))
        return group

    correlate_module.build_group = recording  # type: ignore[assignment]
    rows: list[Row] = []
    try:
        for task in tasks(families, topologies, seeds):
            world = make_world(task)
            seen.clear()
            _, corr = ours(world)
            label = {fp: g for g in corr.groups for fp in g.fingerprints}
            for inc in world.incidents:
                hits = Counter(label[fp].id for fp in sorted(inc.fingerprints) if fp in label)
                if not hits:
                    continue
                gid = hits.most_common(1)[0][0]
                group = next(g for g in corr.groups if g.id == gid)
                rows.append((seen[gid], int(group.primary_contributor == inc.root)))
    finally:
        correlate_module.build_group = original  # type: ignore[assignment]
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--families", nargs="+", required=True, choices=sorted(FAMILY_MODULES))
    p.add_argument("--topologies", nargs="*")
    p.add_argument("--seeds", type=int, default=30)
    p.add_argument("--first-seed", type=int, default=1000)
    args = p.parse_args()
    topologies = args.topologies or [*real(), *files()]
    rows = samples(args.families, topologies, range(args.first_seed, args.first_seed + args.seeds))
    w = fit(rows)
    accuracy = sum(y for _, y in rows) / len(rows)
    print(f"# fitted on {len(rows)} incidents of {', '.join(args.families)} (seeds {args.first_seed}.."
          f"{args.first_seed + args.seeds - 1}), top-1 accuracy {accuracy:.3f}")
    print("WEIGHTS = (" + ", ".join(f"{x:.4f}" for x in w) + ")")


if __name__ == "__main__":
    main()
