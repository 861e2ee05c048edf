"""The stale-catalog measurement: the engine answers on a graph missing some dependencies."""

from __future__ import annotations

import pytest

from evalkit.ceiling import main as ceiling
from evalkit.harness import Task, make_world, ours
from evalkit.stale import main, stale


def test_a_stale_graph_lacks_about_the_share_asked_and_nothing_else_changes() -> None:
    world = make_world(Task("metric_rules", "baseline", "file/dsb_social_network", 0))
    n = len(world.edges)
    half = stale(world, 0.5)
    assert set(half.edges) < set(world.edges)
    assert 0.3 * n < len(half.edges) < 0.7 * n
    assert half.alerts == world.alerts and half.incidents == world.incidents and half.services == world.services
    assert stale(world, 0.5).edges == half.edges  # the same edges go missing every time
    assert stale(world, 0.0) is world
    assert len(world.edges) == n  # the world itself keeps its graph


def test_missing_dependencies_change_the_engine_s_answer() -> None:
    # without its edges the graph links nothing: the same alerts come out in more groups
    world = make_world(Task("metric_rules", "baseline", "real/online_boutique", 0))
    full = ours(world)[1]
    bare = ours(stale(world, 0.99))[1]
    assert len(bare.groups) > len(full.groups)


def test_the_command_prints_one_row_per_family_and_share(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--families", "metric_rules", "--topologies", "real/sock_shop", "--seeds", "1", "--missing", "0", "0.5",
          "--jobs", "1"])
    rows = [r for r in capsys.readouterr().out.splitlines() if r.startswith("| metric_rules")]
    assert [r.split(" | ")[1] for r in rows] == ["0%", "50%"]
    ac1 = [float(r.split(" | ")[3]) for r in rows]
    assert all(0.0 <= a <= 1.0 for a in ac1)


def test_a_share_of_one_or_more_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--missing", "1"])
    assert "--missing" in capsys.readouterr().err


def test_a_topology_that_cannot_be_read_is_a_usage_error_not_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    for bad, said in (("bogus", "unknown topology 'bogus'"), ("real/nothere", "'real/nothere' cannot be read"),
                      ("shape/mesh-abc", "'shape/mesh-abc' cannot be read")):
        with pytest.raises(SystemExit):
            main(["--topologies", bad, "--seeds", "1"])
        assert said in capsys.readouterr().err
    with pytest.raises(SystemExit):
        ceiling(["--topologies", "bogus"])
    assert "unknown topology 'bogus'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--seeds", "0"])
    assert "--seeds" in capsys.readouterr().err
