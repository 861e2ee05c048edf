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

With several families, each weighs the same in the fit however many incidents it yields (one
generator's habits should not outvote another's: a metric-rules world holds twice the incidents
of a fault-injection one). ``--per-family`` prints, for each family, the wrong answers below one
half and the right ones at or above it, in sample and with the curve fitted on the other
families alone: how the curve carries to a generator it has not seen.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import opscontext.engine.correlation.lazy as correlate_module
from evalkit.families import NEVER_FITTED_FAMILIES
from evalkit.harness import FAMILY_MODULES, make_world, ours, tasks
from evalkit.topologies import fitting
from opscontext.engine.correlation.calibration import features, logistic, quiet_below

Row = tuple[tuple[float, ...], int]


def samples(families: Sequence[str], topologies: Sequence[str], seeds: Sequence[int]) -> list[Row]:
    """One (features, right) row per true incident matched to a group, all families together."""
    return [(x, y) for _, x, y in family_samples(families, topologies, seeds)]


def family_samples(
    families: Sequence[str], topologies: Sequence[str], seeds: Sequence[int],
) -> list[tuple[str, tuple[float, ...], int]]:
    """:func:`samples` with each row's family first."""
    seen: dict[str, tuple[float, ...]] = {}
    original: Callable[..., Any] = vars(correlate_module)["build_group"]

    def recording(cluster: Any, ranked: Any, unique: Any, adj: Any, opts: Any, nearby: Any = (),
                  gid: str | None = None, beside: Any = None) -> Any:
        group = original(cluster, ranked, unique, adj, opts, nearby, gid=gid, beside=beside)
        quiet = quiet_below(ranked[0].service, cluster.stats, adj)
        seen[group.id] = features(ranked, nearby, quiet)
        return group

    setattr(correlate_module, "build_group", recording)  # noqa: B010 (a module attribute mypy cannot see)
    rows: list[tuple[str, tuple[float, ...], int]] = []
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
                rows.append((task.family, seen[gid], int(group.primary_contributor == inc.root)))
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


def fit(
    rows: Sequence[Row], ridge: float = 1e-3, steps: int = 50, wrong_weight: float = 1.0,
    weights: Sequence[float] | None = None,
) -> list[float]:
    """Logistic regression of the labels on the features (Newton-Raphson, ridge-regularised);
    each row labelled 0 weighs ``wrong_weight`` in the likelihood, each labelled 1 weighs 1, both
    times the row's entry in ``weights`` when given."""
    k = len(rows[0][0])
    w = [0.0] * k
    row_weights = weights if weights is not None else [1.0] * len(rows)
    for _ in range(steps):
        grad = [ridge * wi for wi in w]
        hess = [[ridge if i == j else 0.0 for j in range(k)] for i in range(k)]
        for (x, y), rw in zip(rows, row_weights, strict=True):
            p = logistic(w, x)
            c = rw * (1.0 if y else wrong_weight)
            for i in range(k):
                grad[i] += c * (p - y) * x[i]
                for j in range(k):
                    hess[i][j] += c * p * (1 - p) * x[i] * x[j]
        step = _solve(hess, grad)
        w = [wi - si for wi, si in zip(w, step, strict=True)]
        if max(abs(s) for s in step) < 1e-9:
            break
    return w


def family_weights(families: Sequence[str]) -> list[float]:
    """Row weights giving every family the same total weight (the mean row weight is 1)."""
    counts = Counter(families)
    per = len(families) / len(counts) if counts else 0.0
    return [per / counts[f] for f in families]


def fit_families(rows: Sequence[tuple[str, tuple[float, ...], int]], wrong_weight: float) -> list[float]:
    """:func:`fit` with every family weighing the same."""
    return fit([(x, y) for _, x, y in rows], wrong_weight=wrong_weight,
               weights=family_weights([f for f, _, _ in rows]))


def split_rates(points: Sequence[tuple[float, int]]) -> tuple[float, float]:
    """(wrong answers below one half, right answers at one half or more) of (confidence, right)."""
    wrong = [c for c, y in points if not y]
    right = [c for c, y in points if y]
    return (sum(c < 0.5 for c in wrong) / len(wrong) if wrong else 1.0,
            sum(c >= 0.5 for c in right) / len(right) if right else 1.0)


def per_family(rows: Sequence[tuple[str, tuple[float, ...], int]], wrong_weight: float) -> list[str]:
    """Lines for ``--per-family``: in sample, and left out of the fit (when there are others)."""
    w_all = fit_families(rows, wrong_weight)
    out = []
    for fam in sorted({f for f, _, _ in rows}):
        own = [(x, y) for f, x, y in rows if f == fam]
        inside = split_rates([(logistic(w_all, x), y) for x, y in own])
        line = f"# {fam}: {len(own)} incidents; wrong below 0.5 {inside[0]:.2f}, right at 0.5+ {inside[1]:.2f}"
        rest = [r for r in rows if r[0] != fam]
        if rest:
            w_rest = fit_families(rest, wrong_weight)
            left = split_rates([(logistic(w_rest, x), y) for x, y in own])
            line += f"; fitted without it: {left[0]:.2f}, {left[1]:.2f}"
        out.append(line)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--families", nargs="+", required=True,
                   choices=sorted(f for f in FAMILY_MODULES if f not in NEVER_FITTED_FAMILIES),
                   help="never span_traces: held out, nothing is fitted on it")
    p.add_argument("--topologies", nargs="*", help="default: the real topologies and the topology files, "
                   "less those never fitted on (evalkit.topologies.NEVER_FITTED)")
    p.add_argument("--seeds", type=int, default=30)
    p.add_argument("--first-seed", type=int, default=1000)
    p.add_argument("--wrong-weight", type=float, default=2.0,
                   help="how many times a wrong answer counts against a right one in the fit (default 2)")
    p.add_argument("--per-family", action="store_true",
                   help="print each family's split of wrong and right answers at one half, in sample "
                   "and fitted without that family (before the engine's doubt cap)")
    args = p.parse_args()
    if args.wrong_weight <= 0:
        p.error("--wrong-weight must be positive")
    topologies = args.topologies or fitting()
    rows = family_samples(args.families, topologies, range(args.first_seed, args.first_seed + args.seeds))
    if not rows:
        p.error("no incident was matched to a group: nothing to fit")
    w = fit_families(rows, args.wrong_weight)
    accuracy = sum(y for _, _, y in rows) / len(rows)
    print(f"# fitted on {len(rows)} incidents of {', '.join(args.families)} (seeds {args.first_seed}.."
          f"{args.first_seed + args.seeds - 1}, wrong answers weighing {args.wrong_weight:g}, families "
          f"weighing the same), top-1 accuracy {accuracy:.3f}")
    if args.per_family:
        print("\n".join(per_family(rows, args.wrong_weight)))
    print("WEIGHTS = (" + ", ".join(f"{x:.4f}" for x in w) + ")")


if __name__ == "__main__":
    main()
