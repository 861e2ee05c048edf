"""The slower-incident measurement: each incident replayed k times slower, noise left in place."""

from __future__ import annotations

import pytest

from evalkit.harness import Task, make_world
from evalkit.stretch import main, stretch


def test_an_incident_k_times_slower_keeps_its_order_and_its_first_onset_and_leaves_noise_alone() -> None:
    world = make_world(Task("metric_rules", "noise-40", "real/online_boutique", 0))
    slow = stretch(world, 3)
    before = {a.fingerprint: a for a in world.alerts}
    after = {a.fingerprint: a for a in slow.alerts}
    assert before.keys() == after.keys() and slow.incidents == world.incidents
    for inc in world.incidents:
        fps = sorted(inc.fingerprints & before.keys(), key=lambda fp: before[fp].starts_at)
        t0 = before[fps[0]].starts_at
        assert after[fps[0]].starts_at == t0
        for fp in fps:
            assert after[fp].starts_at - t0 == 3 * (before[fp].starts_at - t0)
    assert world.noise and all(after[fp] == before[fp] for fp in world.noise)
    assert all(a.starts_at < slow.now for a in slow.alerts)
    assert all(a.ends_at is None or a.ends_at <= slow.now for a in slow.alerts)
    assert stretch(world, 1) is world


def test_the_command_prints_precision_and_recall_per_family_and_factor(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--families", "metric_rules", "--topologies", "real/sock_shop", "--seeds", "1", "--factors", "1", "4",
          "--jobs", "1"])
    rows = [r.split(" | ") for r in capsys.readouterr().out.splitlines() if r.startswith("| metric_rules")]
    assert [r[1] for r in rows] == ["x1", "x4"]
    recall = [float(r[6]) for r in rows]
    assert all(0.0 <= v <= 1.0 for v in recall)
    assert recall[1] < recall[0]  # four times slower, the incidents fall apart


def test_a_factor_below_one_or_above_ten_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    for bad in ("0.5", "11"):
        with pytest.raises(SystemExit):
            main(["--factors", bad])
        assert "--factors" in capsys.readouterr().err
