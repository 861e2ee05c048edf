"""Family C realises the assumptions its cells state, on the OpenTelemetry-demo topology."""

from __future__ import annotations

from datetime import timedelta

import pytest

from evalkit.classic.topologies import Topology
from evalkit.families import fault_injection as fi
from evalkit.stats import Tally
from evalkit.topologies import otel_demo
from evalkit.world import Graph, World

SEEDS = range(200)


@pytest.fixture(scope="module")
def otel() -> Topology:
    return otel_demo()


def _worlds(cell: str, top: Topology, seeds: range = SEEDS) -> list[World]:
    return [fi.generate(top, s, fi.CELLS[cell], cell) for s in seeds]


def _row(cell: str, top: Topology) -> dict[str, float]:
    t = Tally()
    for w in _worlds(cell, top):
        t.add(w)
    return t.row()


def test_the_otel_demo_topology_has_the_documented_services_and_a_flag_service_everyone_uses(otel: Topology) -> None:
    names = {s.name for s in otel.services}
    assert {"frontend-proxy", "frontend", "checkout", "cart", "valkey-cart", "product-catalog", "currency",
            "payment", "shipping", "quote", "email", "recommendation", "ad", "fraud-detection", "accounting",
            "kafka", "flagd", "image-provider", "load-generator"} <= names
    assert {s.name for s in otel.services if s.type == "database"} == {"valkey-cart", "kafka"}
    g = Graph.of(otel)
    assert len(g.callers["flagd"]) >= 9
    assert g.is_async("accounting", "kafka") and g.is_async("fraud-detection", "kafka")


@pytest.mark.parametrize("cell", ["mixed", "resource", "broker-lag", "silent-root"])
def test_the_share_of_runs_whose_root_stays_silent_is_the_cells(cell: str, otel: Topology) -> None:
    assert abs(_row(cell, otel)["silent"] - (1 - fi.CELLS[cell].root_alerts)) < 0.08


@pytest.mark.parametrize("cell", ["mixed", "root-first-60"])
def test_the_share_of_runs_whose_root_alerts_first_is_the_cells(cell: str, otel: Topology) -> None:
    assert abs(_row(cell, otel)["root_first"] - fi.CELLS[cell].root_first) < 0.1


@pytest.mark.parametrize("cell", ["mixed", "noisy-load"])
def test_the_share_of_noise_alerts_is_the_cells(cell: str, otel: Topology) -> None:
    assert abs(_row(cell, otel)["noise_share"] - fi.CELLS[cell].noise_share) < 0.03


def test_flag_driven_faults_are_preceded_by_a_flip_on_the_flag_service_not_on_the_root(otel: Topology) -> None:
    flipped = 0
    for w in _worlds("app-error", otel, range(60)):
        inc = w.incidents[0]
        near = [c for c in w.changes if inc.onset - timedelta(seconds=30) <= c.at <= inc.onset]
        assert near and all(c.service == "flagd" and c.kind == "feature-flag" for c in near)
        flipped += 1
    assert flipped == 60


def test_without_recorded_flips_no_change_precedes_the_fault(otel: Topology) -> None:
    for w in _worlds("no-flag-flip", otel, range(60)):
        inc = w.incidents[0]
        near = [c for c in w.changes if inc.onset - timedelta(seconds=60) <= c.at <= inc.onset]
        assert not [c for c in near if c.summary.endswith("-> on")]  # innocent flips switch flags off


def test_a_broker_fault_makes_its_consumers_lag(otel: Topology) -> None:
    lagging = 0
    worlds = _worlds("broker-lag", otel, range(60))
    for w in worlds:
        assert w.incidents[0].root == "kafka"
        by_fp = {a.fingerprint: a for a in w.alerts}
        lagging += any(by_fp[fp].alertname == "KafkaConsumerLagHigh" for fp in w.incidents[0].fingerprints)
    assert lagging > 0.5 * len(worlds)


def test_the_first_alerts_are_usually_on_entry_points_or_callers(otel: Topology) -> None:
    on_entry = 0
    worlds = _worlds("mixed", otel, range(100))
    for w in worlds:
        inc = w.incidents[0]
        by_fp = {a.fingerprint: a for a in w.alerts}
        first = min((by_fp[fp] for fp in inc.fingerprints), key=lambda a: a.starts_at)
        on_entry += first.service != inc.root
    assert on_entry > 0.7 * len(worlds)


def test_two_fault_runs_have_two_incidents_on_different_roots_minutes_apart(otel: Topology) -> None:
    for w in _worlds("two-faults", otel, range(40)):
        a, b = w.incidents
        assert a.root != b.root
        assert timedelta(minutes=2) <= b.onset - a.onset <= timedelta(minutes=8)


def test_runs_record_ten_to_twenty_minutes_after_the_last_fault(otel: Topology) -> None:
    for w in _worlds("mixed", otel, range(40)):
        assert timedelta(minutes=10) <= w.now - max(i.onset for i in w.incidents) <= timedelta(minutes=20)


def test_the_family_also_runs_on_other_topologies(topologies: list[Topology]) -> None:
    for top in topologies:
        for cell in fi.CELLS:
            w = fi.generate(top, 1, fi.CELLS[cell], cell)
            assert w.incidents
