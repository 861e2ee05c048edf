"""The pair-loss breakdown accounts for exactly the pairs the harness's pair P/R miss."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

import pytest

from evalkit.classic.metrics import pairwise
from evalkit.harness import Task, make_world, ours
from evalkit.pair_loss import breakdown, table
from evalkit.world import TrueIncident, World

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _incident(name: str, fps: str) -> TrueIncident:
    return TrueIncident(id=name, root=name, fingerprints=frozenset(fps), onset=T0, root_silent=False, cause="")


def test_a_hand_counted_world() -> None:
    # Incidents a (alerts 1-4) and b (5-6), noise x, y. Groups: {1,2,5,x} {3,y} {6}; 4 dropped.
    world = cast(World, SimpleNamespace(incidents=[_incident("a", "1234"), _incident("b", "56")]))
    corr = cast(Any, SimpleNamespace(groups=[SimpleNamespace(id="g1", fingerprints=["1", "2", "5", "x"]),
                                             SimpleNamespace(id="g2", fingerprints=["3", "y"]),
                                             SimpleNamespace(id="g3", fingerprints=["6"])]))
    loss = breakdown(world, corr)
    # predicted pairs: 6 in g1 + 1 in g2 = 7; g1 joins a with b twice (1-5, 2-5), a or b with noise
    # three times (1-x, 2-x, 5-x); g2 joins a with noise once (3-y).
    assert loss.precision == {"two incidents": 2 / 7, "incident and noise": 4 / 7, "noise with noise": 0.0}
    # true pairs: 6 in a + 1 in b = 7; 4 dropped loses 3 (1-4, 2-4, 3-4); of a's rest 1-2 stays
    # together, 1-3 and 2-3 are cut; b's 5-6 is cut.
    assert loss.recall == {"cut apart": 3 / 7, "left ungrouped": 3 / 7}


@pytest.mark.parametrize(("family", "cell"), [("metric_rules", "concurrent-2"), ("request_flow", "tight-thresholds")])
def test_the_parts_add_up_to_what_pair_precision_and_recall_lose(family: str, cell: str) -> None:
    world = make_world(Task(family, cell, "real/online_boutique", 1000))
    _, corr = ours(world)
    loss = breakdown(world, corr)
    label = {fp: g.id for g in corr.groups for fp in g.fingerprints}
    precision, recall, _ = pairwise(world.truth(), label)
    assert 1 - sum(loss.precision.values()) == pytest.approx(precision)
    assert 1 - sum(loss.recall.values()) == pytest.approx(recall)
    assert sum(loss.precision.values()) > 0  # these cells do lose pairs
    rows = table([(cell, loss), (cell, loss)])
    assert rows[-1].startswith("| all | 2 |") and rows[-2].startswith(f"| {cell} | 2 |")
