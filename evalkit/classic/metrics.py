"""Scoring a correlation against ground truth.

* **AC@k**: for each true incident, the predicted group sharing most of its alerts is its match;
  the incident counts as found at k when the injected root is among that group's top k
  candidates. An incident whose alerts all ended up ungrouped counts as a miss.
* **Pairwise precision / recall / F1** over alert fingerprints: a pair is positive when both
  alerts belong to the same group. Noise alerts are singletons in the truth; ungrouped alerts
  are singletons in the prediction.
* **Calibration**: per confidence bin, how often the primary contributor was right.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from opscontext.engine.correlate import Correlation


class TrueIncident(Protocol):
    @property
    def root(self) -> str: ...
    @property
    def fingerprints(self) -> Collection[str]: ...


class GroundTruth(Protocol):
    """A generated scenario, or ground truth read back from an exported or demo world."""

    @property
    def incidents(self) -> Sequence[TrueIncident]: ...
    def truth(self) -> dict[str, str]: ...


@dataclass(frozen=True)
class Prediction:
    """What any method (ours or a baseline) says: groups of fingerprints and ranked roots."""

    groups: Sequence[tuple[Sequence[str], Sequence[str], float]]  # (fingerprints, ranked, conf)
    # Of ``groups``: those listed apart from the incidents (lone warnings: possible noise), which
    # noise reduction does not count as things to triage, as the answer's own figure does not.
    apart: int = 0

    @classmethod
    def of(cls, corr: Correlation) -> Prediction:
        """The engine's answer (or the tool's, which extends it) as a prediction."""
        return cls([(g.fingerprints, [c.service for c in g.candidates], g.confidence) for g in corr.groups],
                   corr.lone_warnings)


@dataclass(frozen=True)
class Score:
    ac1: float
    ac3: float
    precision: float
    recall: float
    f1: float
    noise_reduction: float
    incidents: int
    confidences: tuple[tuple[float, bool], ...]


def pair_count(n: int) -> int:
    """How many unordered pairs ``n`` items make."""
    return n * (n - 1) // 2


def pairwise(truth: Mapping[str, str], predicted: Mapping[str, str]) -> tuple[float, float, float]:
    """Pairwise precision, recall and F1 of two labelings of the same items."""
    items = list(truth)
    joint = Counter((truth[i], predicted.get(i, "~" + i)) for i in items)
    tp = sum(pair_count(n) for n in joint.values())
    pred_pairs = sum(pair_count(n) for n in Counter(predicted.get(i, "~" + i) for i in items).values())
    true_pairs = sum(pair_count(n) for n in Counter(truth.values()).values())
    precision = tp / pred_pairs if pred_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def score(scenario: GroundTruth, pred: Prediction, alerts_in: int) -> Score:
    label: dict[str, str] = {}
    for gi, (fps, _, _) in enumerate(pred.groups):
        for fp in fps:
            label[fp] = f"g{gi}"
    p, r, f1 = pairwise(scenario.truth(), label)
    hits1 = hits3 = 0
    conf: list[tuple[float, bool]] = []
    for inc in scenario.incidents:
        # Sorted so a tie between two groups is broken the same way in every process
        # (set order follows the string hash seed).
        overlap = Counter(label[fp] for fp in sorted(inc.fingerprints) if fp in label)
        if not overlap:
            continue
        gi = int(overlap.most_common(1)[0][0][1:])
        _, ranked, c = pred.groups[gi]
        hits1 += bool(ranked) and ranked[0] == inc.root
        hits3 += inc.root in ranked[:3]
        conf.append((c, bool(ranked) and ranked[0] == inc.root))
    n = len(scenario.incidents)
    nr = 1 - (len(pred.groups) - pred.apart) / alerts_in if alerts_in else 0.0
    return Score(hits1 / n if n else 1.0, hits3 / n if n else 1.0, p, r, f1, nr, n, tuple(conf))


BINS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0001)


def calibration_table(points: Sequence[tuple[float, bool]]) -> list[tuple[str, int, float, float]]:
    """Rows of (bin, count, mean confidence, accuracy)."""
    rows = []
    for lo, hi in itertools.pairwise(BINS):
        inside = [(c, ok) for c, ok in points if lo <= c < hi]
        if inside:
            mean_c = sum(c for c, _ in inside) / len(inside)
            acc = sum(ok for _, ok in inside) / len(inside)
            rows.append((f"{lo:.1f}-{min(hi, 1.0):.1f}", len(inside), mean_c, acc))
    return rows
