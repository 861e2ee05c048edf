"""Fit the confidence calibration constants on the training seeds and print them.

``python -m opscontext.eval.calibrate`` runs correlation over the bundled topologies with
``TRAIN_SEEDS``, takes each true incident's matched group (its primary right or wrong), and
fits logistic regression (Platt scaling) of correctness on the features of
``opscontext.engine.correlation.calibration.features`` by Newton-Raphson with a small ridge
term. Paste the printed constants into ``calibration.py``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from opscontext.engine.correlation.calibration import features
from opscontext.eval.baselines import ours
from opscontext.eval.runner import TRAIN_SEEDS
from opscontext.eval.scenario import generate
from opscontext.eval.topologies import bundled

Row = tuple[tuple[float, ...], int]


def samples(seeds: Sequence[int]) -> list[Row]:
    rows: list[Row] = []
    for t in bundled():
        for seed in seeds:
            sc = generate(t, seed)
            _, corr = ours(sc)
            for inc in sc.incidents:
                overlap = [(len(inc.fingerprints & set(g.fingerprints)), g) for g in corr.groups]
                best = max(overlap, key=lambda og: og[0], default=(0, None))
                g = best[1]
                if g is None or best[0] == 0:
                    continue
                runner_up = g.candidates[1].score if len(g.candidates) > 1 else 0.0
                x = features(g.candidates[0].score, runner_up, len(g.services))
                rows.append(((*x, 1.0), int(g.primary_contributor == inc.root)))
    return rows


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (the system is 4x4)."""
    n = len(b)
    m = [[*row[:], b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        for r in range(n):
            if r != c:
                f = m[r][c] / m[c][c]
                m[r] = [x - f * y for x, y in zip(m[r], m[c], strict=True)]
    return [m[i][n] / m[i][i] for i in range(n)]


def fit(rows: Sequence[Row], ridge: float = 1e-3, steps: int = 50) -> list[float]:
    k = len(rows[0][0])
    w = [0.0] * k
    for _ in range(steps):
        grad = [ridge * wi for wi in w]
        hess = [[ridge if i == j else 0.0 for j in range(k)] for i in range(k)]
        for x, y in rows:
            p = 1.0 / (1.0 + math.exp(-sum(wi * xi for wi, xi in zip(w, x, strict=True))))
            for i in range(k):
                grad[i] += (p - y) * x[i]
                for j in range(k):
                    hess[i][j] += p * (1 - p) * x[i] * x[j]
        step = _solve(hess, grad)
        w = [wi - si for wi, si in zip(w, step, strict=True)]
        if max(abs(s) for s in step) < 1e-9:
            break
    return w


def main() -> None:
    rows = samples(list(TRAIN_SEEDS))
    a, b, c, d = fit(rows)
    accuracy = sum(y for _, y in rows) / len(rows)
    print(f"# fitted on {len(rows)} incidents from TRAIN_SEEDS, top-1 accuracy {accuracy:.3f}")
    print(f"A_MARGIN = {a:.4f}\nB_TOP = {b:.4f}\nC_SPREAD = {c:.4f}\nD_BIAS = {d:.4f}")


if __name__ == "__main__":
    main()
