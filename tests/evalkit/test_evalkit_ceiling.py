"""The incidents-apart diagnostic scores each incident on exactly its own alerts."""

from __future__ import annotations

import pytest

from evalkit.ceiling import MODES, Hits, apart, hits, main, table, totals
from evalkit.harness import Task, make_world


def test_apart_keeps_one_incidents_alerts_with_or_without_the_noise() -> None:
    world = make_world(Task("metric_rules", "concurrent-2", "real/online_boutique", 1000))
    assert len(world.incidents) == 2 and world.noise
    before = list(world.alerts)
    inc = world.incidents[1]
    with_noise = apart(world, 1, noise=True)
    assert with_noise.incidents == [inc] and with_noise.noise == world.noise
    assert {a.fingerprint for a in with_noise.alerts} == {
        a.fingerprint for a in before if a.fingerprint in inc.fingerprints or a.fingerprint in world.noise}
    alone = apart(world, 1, noise=False)
    assert alone.noise == frozenset()
    assert {a.fingerprint for a in alone.alerts} == {a.fingerprint for a in before if a.fingerprint in inc.fingerprints}
    assert world.alerts == before and len(world.incidents) == 2  # the world itself is left as it was


def test_one_incident_without_noise_scores_the_same_in_every_mode() -> None:
    # every mode sends the engine the same alerts here, so any difference is a counting bug
    world = make_world(Task("metric_rules", "noise-0", "real/sock_shop", 1001))
    assert len(world.incidents) == 1 and not world.noise
    h = hits(world)
    assert h.incidents == 1
    assert len({h.top1[m] for m in MODES}) == 1 and len({h.top3[m] for m in MODES}) == 1


def test_counts_are_whole_incidents_and_top1_never_beats_top3() -> None:
    world = make_world(Task("metric_rules", "concurrent-4", "real/online_boutique", 1000))
    h = hits(world)
    assert h.incidents == 4
    for m in MODES:
        assert 0 <= h.top1[m] <= h.top3[m] <= h.incidents
    assert 0 <= h.rule[0] <= h.rule[1] <= h.incidents


def test_the_rule_beside_the_engine_is_the_reports_deepest_baseline() -> None:
    from evalkit.baselines import deepest
    from evalkit.classic.metrics import score

    world = make_world(Task("metric_rules", "concurrent-2", "real/sock_shop", 1003))
    s = score(world, deepest(world), len(world.alerts))
    assert hits(world).rule == (round(s.ac1 * len(world.incidents)), round(s.ac3 * len(world.incidents)))


def test_totals_sum_per_family_and_cell_and_the_table_shows_shares() -> None:
    a = Hits(2, dict(zip(MODES, (1, 2, 2), strict=True)), dict(zip(MODES, (2, 2, 2), strict=True)), (2, 2))
    b = Hits(2, dict(zip(MODES, (0, 1, 2), strict=True)), dict(zip(MODES, (1, 1, 2), strict=True)), (1, 2))
    rows = totals([("fam", "x", a), ("fam", "y", b)], by_cell=True)
    assert [label for label, _ in rows] == ["fam", "fam/x", "fam/y"]
    fam = rows[0][1]
    assert fam.incidents == 4 and fam.top1 == dict(zip(MODES, (1, 3, 4), strict=True)) and fam.rule == (3, 4)
    assert table(rows)[2] == "| fam | 4 | 0.250 | 0.750 | 1.000 | 0.750 | 0.750 | 0.750 | 1.000 | 1.000 |"
    assert [label for label, _ in totals([("fam", "x", a)], by_cell=False)] == ["fam"]


def test_held_out_families_and_report_seeds_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--families", "span_traces"])
    assert "scored by the report only" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--first-seed", "0"])
    assert "report's seeds" in capsys.readouterr().err
