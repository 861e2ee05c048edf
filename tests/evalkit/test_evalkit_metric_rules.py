"""Family B realises the assumptions its cells state."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from evalkit.classic.topologies import Topology
from evalkit.families import metric_rules as mr
from evalkit.stats import Tally, root_alerted
from evalkit.world import Graph

SEEDS = range(200)


def _tally(cell: str, tops: list[Topology], **override: object) -> Tally:
    params = dataclasses.replace(mr.CELLS[cell], **override) if override else mr.CELLS[cell]
    t = Tally()
    for s in SEEDS:
        t.add(mr.generate(tops[s % len(tops)], s, params, cell))
    return t


@pytest.mark.parametrize("cell", ["baseline", "root-first-40", "root-first-95", "hard"])
def test_the_share_of_incidents_whose_root_alerts_first_is_the_cells(cell: str, topologies: list[Topology]) -> None:
    row = _tally(cell, topologies).row()
    assert abs(row["root_first"] - mr.CELLS[cell].root_first) < 0.1


@pytest.mark.parametrize("cell", ["baseline", "silent-15", "silent-30", "hard"])
def test_the_share_of_silent_roots_is_the_cells(cell: str, topologies: list[Topology]) -> None:
    row = _tally(cell, topologies).row()
    assert abs(row["silent"] - mr.CELLS[cell].silent_root) < 0.07


@pytest.mark.parametrize("cell", ["noise-0", "baseline", "noise-40"])
def test_the_share_of_noise_alerts_is_the_cells(cell: str, topologies: list[Topology]) -> None:
    row = _tally(cell, topologies).row()
    assert abs(row["noise_share"] - mr.CELLS[cell].noise_share) < 0.03


def test_silent_roots_are_marked_and_alerting_roots_are_not(topologies: list[Topology]) -> None:
    for s in range(60):
        w = mr.generate(topologies[s % len(topologies)], s, mr.CELLS["hard"])
        for inc in w.incidents:
            assert inc.root_silent == (not root_alerted(w, inc))


@pytest.mark.parametrize(("cell", "count"), [("baseline", 1), ("concurrent-2", 2), ("concurrent-4", 4)])
def test_concurrent_incidents_overlap_in_time(cell: str, count: int, topologies: list[Topology]) -> None:
    for s in range(30):
        w = mr.generate(topologies[s % len(topologies)], s, mr.CELLS[cell])
        assert len(w.incidents) == count
        onsets = sorted(i.onset for i in w.incidents)
        assert (onsets[-1] - onsets[0]).total_seconds() <= 480


def test_spread_incidents_are_half_an_hour_or_more_apart(topologies: list[Topology]) -> None:
    w = mr.generate(topologies[0], 5, mr.CELLS["concurrent-4-spread"])
    onsets = sorted(i.onset for i in w.incidents)
    assert all((b - a).total_seconds() >= 1800 for a, b in itertools.pairwise(onsets))


@pytest.mark.parametrize(("cell", "role"), [("root-store", "store"), ("root-hub", "hub"), ("root-mid", "mid")])
def test_root_placement_follows_the_cell(cell: str, role: str, topologies: list[Topology]) -> None:
    for s in range(30):
        top = topologies[s % len(topologies)]
        g = Graph.of(top)
        pool = {"store": g.stores, "hub": g.hubs, "mid": g.mids}[role]
        w = mr.generate(top, s, mr.CELLS[cell])
        if pool:
            assert all(inc.root in pool for inc in w.incidents)


def test_storms_put_many_alerts_on_entry_points_and_their_absence_does_not(topologies: list[Topology]) -> None:
    storms = _tally("baseline", topologies).row()["alerts_per_incident"]
    calm = _tally("no-storms", topologies).row()["alerts_per_incident"]
    assert storms > 1.5 * calm


def test_longer_detection_lag_delays_the_first_alert(topologies: list[Topology]) -> None:
    fast = _tally("baseline", topologies).row()["first_alert_min"]
    slow = _tally("lag-5m", topologies).row()["first_alert_min"]
    assert slow > fast + 1


def test_a_causal_change_on_the_root_precedes_some_incidents_within_15_minutes(topologies: list[Topology]) -> None:
    row = _tally("baseline", topologies, causal_change=1.0).row()
    assert row["root_change"] == 1.0
