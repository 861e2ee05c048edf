"""A fast slice of the evaluation: if correlation gets worse, these floors fail.

Floors sit a little below the means measured on these seeds (see benchmarks/RESULTS.md for the
full 50-seed run); they are pooled over all three bundled topologies so one unlucky scenario
cannot fail the suite, but a real regression in grouping or ranking does.
"""

from __future__ import annotations

import statistics

import pytest

from evalkit.classic.runner import OURS, run
from evalkit.classic.topologies import bundled

SEEDS = range(0, 12)


@pytest.fixture(scope="module")
def results() -> dict[str, dict[str, list[float]]]:
    pooled: dict[str, dict[str, list[float]]] = {}
    for topology in bundled():
        for method, scores in run(topology, SEEDS).items():
            bucket = pooled.setdefault(method, {"ac1": [], "ac3": [], "f1": []})
            for s in scores:
                bucket["ac1"].append(s.ac1)
                bucket["ac3"].append(s.ac3)
                bucket["f1"].append(s.f1)
    return pooled


def mean(results: dict[str, dict[str, list[float]]], method: str, metric: str) -> float:
    return statistics.fmean(results[method][metric])


def test_all_three_bundled_topologies_are_evaluated() -> None:
    assert {t.name for t in bundled()} == {
        "deathstarbench_hotel_reservation", "online_boutique", "sock_shop",
    }


def test_primary_contributor_accuracy_stays_above_its_floors(results: dict[str, dict[str, list[float]]]) -> None:
    assert mean(results, OURS, "ac1") >= 0.88
    assert mean(results, OURS, "ac3") >= 0.95


def test_grouping_f1_stays_above_its_floor(results: dict[str, dict[str, list[float]]]) -> None:
    assert mean(results, OURS, "f1") >= 0.85


def test_correlation_beats_every_baseline_on_root_cause_and_grouping(
    results: dict[str, dict[str, list[float]]],
) -> None:
    for method in results:
        if method == OURS:
            continue
        assert mean(results, OURS, "ac1") > mean(results, method, "ac1"), method
    for method in ("alertmanager by service", "alertmanager by alertname", "time window only"):
        assert mean(results, OURS, "f1") > mean(results, method, "f1"), method
