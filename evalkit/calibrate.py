"""Fit the confidence curve of ``opscontext.engine.correlation.calibration`` on chosen families.

    python -m evalkit.calibrate --families metric_rules --seeds 40 --first-seed 1000

Runs correlation over the given families' cells and topologies, records each group's features as
the engine computes them, labels each true incident's matched group 1 when its primary
contributor is the injected root, fits logistic regression by Newton-Raphson (small ridge) and
prints ``WEIGHTS`` to paste into calibration.py. Fit on families the ranking was not tuned on,
with seeds the reports do not use.

``--wrong-weight`` counts each wrong answer that many times in the fit (2 by default): a
responder sent to the wrong team by a confident answer loses more than one told to check the
alternatives of a right one, so the curve leans low, and a stated confidence is a floor on how
often such answers are right rather than a balanced estimate.
"""

from __future__ import annotations

import argparse
import math
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import opscontext.engine.correlation.lazy as correlate_module
from evalkit.harness import FAMILY_MODULES, make_world, ours, tasks
from evalkit.topologies import fitting
from opscontext.engine.correlation.calibration import features, quiet_below

Row = tuple[tuple[float, ...], int]


def samples(families: Sequence[str], topologies: Sequence[str], seeds: Sequence[int]) -> list[Row]:
    seen: dict[str, tuple[float, ...]] = {}
    original: Callable[..., Any] = vars(correlate_module)["build_group"]

    def recording(cluster: Any, ranked: Any, unique: Any, adj: Any, opts: Any, nearby: Any = (),
                  gid: str | None = None, beside: Any = None) -> Any:
        group = original(cluster, ranked, unique, adj, opts, nearby, gid=gid, beside=beside)
        quiet = quiet_below(ranked[0].service, cluster.stats, adj)
        seen[group.id] = features(ranked, nearby, quiet)
        return group

    setattr(correlate_module, "build_group", recording)  # noqa: B010 (a module attribute mypy cannot see)
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
        setattr(correlate_module, "build_group", original)  # noqa: B010
    return rows


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (the system is small)."""
    n = len(b)
    m = [[*row, b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        for r in range(n):
            if r != c:
                f = m[r][c] / m[c][c]
                m[r] = [x - f * y for x, y in zip(m[r], m[c], strict=True)]
    return [m[i][n] / m[i][i] for i in range(n)]


def fit(rows: Sequence[Row], ridge: float = 1e-3, steps: int = 50, wrong_weight: float = 1.0) -> list[float]:
    """Logistic regression of the labels on the features (Newton-Raphson, ridge-regularised);
    each row labelled 0 weighs ``wrong_weight`` in the likelihood, each labelled 1 weighs 1."""
    k = len(rows[0][0])
    w = [0.0] * k
    for _ in range(steps):
        grad = [ridge * wi for wi in w]
        hess = [[ridge if i == j else 0.0 for j in range(k)] for i in range(k)]
        for x, y in rows:
            z = max(-30.0, min(30.0, sum(wi * xi for wi, xi in zip(w, x, strict=True))))
            p = 1.0 / (1.0 + math.exp(-z))
            c = 1.0 if y else wrong_weight
            for i in range(k):
                grad[i] += c * (p - y) * x[i]
                for j in range(k):
                    hess[i][j] += c * p * (1 - p) * x[i] * x[j]
        step = _solve(hess, grad)
        w = [wi - si for wi, si in zip(w, step, strict=True)]
        if max(abs(s) for s in step) < 1e-9:
            break
    return w


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--families", nargs="+", required=True, choices=sorted(FAMILY_MODULES))
    p.add_argument("--topologies", nargs="*", help="default: the real topologies and the topology files, "
                   "less those never fitted on (evalkit.topologies.NEVER_FITTED)")
    p.add_argument("--seeds", type=int, default=30)
    p.add_argument("--first-seed", type=int, default=1000)
    p.add_argument("--wrong-weight", type=float, default=2.0,
                   help="how many times a wrong answer counts against a right one in the fit (default 2)")
    args = p.parse_args()
    if args.wrong_weight <= 0:
        p.error("--wrong-weight must be positive")
    topologies = args.topologies or fitting()
    rows = samples(args.families, topologies, range(args.first_seed, args.first_seed + args.seeds))
    w = fit(rows, wrong_weight=args.wrong_weight)
    accuracy = sum(y for _, y in rows) / len(rows)
    print(f"# fitted on {len(rows)} incidents of {', '.join(args.families)} (seeds {args.first_seed}.."
          f"{args.first_seed + args.seeds - 1}, wrong answers weighing {args.wrong_weight:g}), "
          f"top-1 accuracy {accuracy:.3f}")
    print("WEIGHTS = (" + ", ".join(f"{x:.4f}" for x in w) + ")")


if __name__ == "__main__":
    main()
