"""Run our correlation and every baseline over many seeded scenarios and aggregate.

Seeds are fixed and split: ``TRAIN_SEEDS`` for choosing weights and fitting calibration,
``TEST_SEEDS`` (reported) never used for either.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from evalkit.classic import baselines as bl
from evalkit.classic.metrics import Prediction, Score, score
from evalkit.classic.scenario import Scenario, generate
from evalkit.classic.topologies import Topology
from opscontext.engine.correlate import Correlation, CorrelationOptions

TRAIN_SEEDS = range(1000, 1120)
TEST_SEEDS = range(0, 50)

METHODS: dict[str, Callable[[Scenario, Correlation], Prediction]] = {
    "earliest alert is root": bl.earliest,
    "random root": bl.random_root,
    "alertmanager by service": lambda sc, _: bl.alertmanager(sc, "service"),
    "alertmanager by alertname": lambda sc, _: bl.alertmanager(sc, "alertname"),
    "time window only": lambda sc, _: bl.time_window(sc),
}
OURS = "opscontext"
FIELDS = ("ac1", "ac3", "precision", "recall", "f1", "noise_reduction")


@dataclass(frozen=True)
class Stat:
    mean: float
    std: float

    def __str__(self) -> str:
        return f"{self.mean:.3f} ± {self.std:.3f}"


def run(topology: Topology, seeds: Iterable[int], options: CorrelationOptions | None = None) -> dict[str, list[Score]]:
    """Per method, one score per seed."""
    out: dict[str, list[Score]] = {OURS: [], **{m: [] for m in METHODS}}
    for seed in seeds:
        sc = generate(topology, seed)
        pred, corr = bl.ours(sc, options)
        out[OURS].append(score(sc, pred, corr.alerts_in))
        for name, method in METHODS.items():
            out[name].append(score(sc, method(sc, corr), corr.alerts_in))
    return out


def aggregate(scores: Sequence[Score]) -> dict[str, Stat]:
    """Mean and standard deviation over seeds, per metric."""
    out = {}
    for f in FIELDS:
        values = [float(getattr(s, f)) for s in scores]
        out[f] = Stat(statistics.fmean(values), statistics.pstdev(values) if len(values) > 1 else 0.0)
    return out


def pooled(per_topology: Iterable[Sequence[Score]]) -> dict[str, Stat]:
    """Every topology's seeds together (the 'all topologies' row)."""
    return aggregate([s for scores in per_topology for s in scores])
