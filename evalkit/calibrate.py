"""Fit the confidence curves of ``opscontext.engine.correlation.calibration``, one per family.

    python -m evalkit.calibrate --families metric_rules fault_injection request_flow --seeds 20 --per-family

Runs correlation over the given families' cells and topologies, records each group's features as
the engine computes them, labels each true incident's matched group 1 when its primary
contributor is the injected root, fits one logistic regression per family by Newton-Raphson
(small ridge) and prints ``CURVES`` to paste into calibration.py; the lowest of them decides
whether an answer is flagged (below one half). It also prints ``RESTATED``, the knots that turn
that lowest value into the share of answers right there (:func:`restatement`), which is what a
group states. Fit on families the ranking was not tuned on, with seeds the reports do not use.

``--wrong-weight`` counts each wrong answer that many times in the fit (2.5 by default): a
responder sent to the wrong team by a confident answer loses more than one told to check the
alternatives of a right one, so the curves lean low, and a stated confidence is a floor on how
often such answers are right rather than a balanced estimate.

``--per-family`` prints, for each family, the wrong answers below one half and the right ones at
or above it, in sample (all curves) and with its own curve left out: how the confidence carries
to a generator it has not seen.
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
from opscontext.engine.correlation.calibration import (
    BELOW_HALF,
    UNSURE_CAP,
    doubts,
    features,
    logistic,
    lowest,
    quiet_below,
)

Row = tuple[tuple[float, ...], int]


def samples(families: Sequence[str], topologies: Sequence[str], seeds: Sequence[int]) -> list[Row]:
    """One (features, right) row per true incident matched to a group, all families together."""
    return [(x, y) for _, x, y, _ in doubted_samples(families, topologies, seeds)]


def doubted_samples(
    families: Sequence[str], topologies: Sequence[str], seeds: Sequence[int],
) -> list[tuple[str, tuple[float, ...], int, bool]]:
    """:func:`samples` with each row's family first and, last, whether the engine's doubts capped
    the group's confidence."""
    seen: dict[str, tuple[tuple[float, ...], bool]] = {}
    original: Callable[..., Any] = vars(correlate_module)["build_group"]

    def recording(cluster: Any, ranked: Any, unique: Any, adj: Any, opts: Any, nearby: Any = (),
                  gid: str | None = None, beside: Any = None) -> Any:
        group = original(cluster, ranked, unique, adj, opts, nearby, gid=gid, beside=beside)
        quiet = quiet_below(ranked[0].service, cluster.stats, adj)
        seen[group.id] = (features(ranked, nearby, len(quiet)), bool(doubts(ranked)))
        return group

    setattr(correlate_module, "build_group", recording)  # noqa: B010 (a module attribute mypy cannot see)
    rows: list[tuple[str, tuple[float, ...], int, bool]] = []
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
                x, doubted = seen[gid]
                rows.append((task.family, x, int(group.primary_contributor == inc.root), doubted))
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
            p = logistic(w, x)
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


def fit_curves(rows: Sequence[tuple[str, tuple[float, ...], int]], wrong_weight: float) -> dict[str, list[float]]:
    """One curve per family, each fitted on that family's rows alone."""
    by: dict[str, list[Row]] = {}
    for fam, x, y in rows:
        by.setdefault(fam, []).append((x, y))
    return {fam: fit(own, wrong_weight=wrong_weight) for fam, own in sorted(by.items())}


def split_rates(points: Sequence[tuple[float, int]]) -> tuple[float, float]:
    """(wrong answers below one half, right answers at one half or more) of (confidence, right)."""
    wrong = [c for c, y in points if not y]
    right = [c for c, y in points if y]
    return (sum(c < 0.5 for c in wrong) / len(wrong) if wrong else 1.0,
            sum(c >= 0.5 for c in right) / len(right) if right else 1.0)


def restatement(
    points: Sequence[tuple[str, float, int]], width: float = 0.1,
) -> tuple[tuple[float, float], ...]:
    """Knots (raw, stated) mapping the curves' value to how often answers there were right:
    ``points`` are (family, raw confidence after the doubt cap, right). Per bin of ``width``,
    the share right with every family weighing the same, made non-decreasing (pool adjacent
    violators), and kept on its side of one half (below: at most 0.49), so "below one half" still
    flags exactly the same answers."""
    per_family = Counter(f for f, _, _ in points)
    weight = {f: 1.0 / n for f, n in per_family.items()}
    n_bins = round(1 / width)
    bins: list[list[float]] = [[0.0, 0.0, 0.0] for _ in range(n_bins)]  # sum w, sum w*p, sum w*y
    for f, p, y in points:
        b = bins[min(int(p / width), n_bins - 1)]
        w = weight[f]
        b[0] += w
        b[1] += w * p
        b[2] += w * y
    knots: list[tuple[float, float]] = []
    for side in (range(n_bins // 2), range(n_bins // 2, n_bins)):  # below one half, then above
        blocks: list[list[float]] = []  # pooled bins: sum w, sum w*p, sum w*y
        for i in side:
            if bins[i][0] > 0:
                blocks.append(list(bins[i]))
                while len(blocks) > 1 and blocks[-2][2] / blocks[-2][0] > blocks[-1][2] / blocks[-1][0]:
                    last = blocks.pop()
                    blocks[-1] = [a + b for a, b in zip(blocks[-1], last, strict=True)]
        for w, wp, wy in blocks:
            stated = wy / w
            raw = wp / w
            stated = min(stated, BELOW_HALF) if raw < 0.5 else max(stated, 0.5)
            knots.append((round(raw, 4), round(stated, 4)))
    return tuple(knots)


def per_family(
    rows: Sequence[tuple[str, tuple[float, ...], int]], wrong_weight: float,
    curves: dict[str, list[float]] | None = None,
) -> list[str]:
    """Lines for ``--per-family``: in sample, and with the family's own curve left out (when
    there are others); ``curves``: :func:`fit_curves` of the same rows, when already fitted."""
    curves = curves if curves is not None else fit_curves(rows, wrong_weight)
    out = []
    for fam in curves:
        own = [(x, y) for f, x, y in rows if f == fam]
        inside = split_rates([(lowest(curves.values(), x), y) for x, y in own])
        line = f"# {fam}: {len(own)} incidents; wrong below 0.5 {inside[0]:.2f}, right at 0.5+ {inside[1]:.2f}"
        others = [w for f, w in curves.items() if f != fam]
        if others:
            left = split_rates([(lowest(others, x), y) for x, y in own])
            line += f"; without its own curve: {left[0]:.2f}, {left[1]:.2f}"
        out.append(line)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--families", nargs="+", required=True,
                   choices=sorted(f for f in FAMILY_MODULES if f not in NEVER_FITTED_FAMILIES),
                   help="never " + " or ".join(NEVER_FITTED_FAMILIES) + ": held out, nothing is fitted on them")
    p.add_argument("--topologies", nargs="*", help="default: the real topologies and the topology files, "
                   "less those never fitted on (evalkit.topologies.NEVER_FITTED)")
    p.add_argument("--seeds", type=int, default=30)
    p.add_argument("--first-seed", type=int, default=1000)
    p.add_argument("--wrong-weight", type=float, default=2.5,
                   help="how many times a wrong answer counts against a right one in the fit (default 2.5)")
    p.add_argument("--per-family", action="store_true",
                   help="print each family's split of wrong and right answers at one half, in sample "
                   "and with its own curve left out (before the engine's doubt cap)")
    args = p.parse_args()
    if args.wrong_weight <= 0:
        p.error("--wrong-weight must be positive")
    topologies = args.topologies or fitting()
    full = doubted_samples(args.families, topologies, range(args.first_seed, args.first_seed + args.seeds))
    rows = [(f, x, y) for f, x, y, _ in full]
    doubted = [d for *_, d in full]
    if not rows:
        p.error("no incident was matched to a group: nothing to fit")
    curves = fit_curves(rows, args.wrong_weight)
    raw = [(f, min(p, UNSURE_CAP) if capped else p, y)
           for (f, x, y), capped in zip(rows, doubted, strict=True) for p in [lowest(curves.values(), x)]]
    accuracy = sum(y for _, _, y in rows) / len(rows)
    print(f"# fitted on {len(rows)} incidents of {', '.join(args.families)} (seeds {args.first_seed}.."
          f"{args.first_seed + args.seeds - 1}, wrong answers weighing {args.wrong_weight:g}, one curve per "
          f"family), top-1 accuracy {accuracy:.3f}")
    if args.per_family:
        print("\n".join(per_family(rows, args.wrong_weight, curves)))
    print("CURVES: dict[str, tuple[float, ...]] = {")
    for fam, w in curves.items():
        print(f'    "{fam}": (' + ", ".join(f"{x:.4f}" for x in w) + "),")
    print("}")
    print("RESTATED = (" + ", ".join(f"({a:.4f}, {b:.4f})" for a, b in restatement(raw)) + ")")

if __name__ == "__main__":
    main()
