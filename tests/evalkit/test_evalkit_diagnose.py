"""evalkit.diagnose: misses are inspected on families tuning may look at, never on the blind ones."""

from __future__ import annotations

import pytest

from evalkit.diagnose import main


@pytest.mark.parametrize("family", ["span_traces", "outage_replay"])
def test_families_nothing_is_tuned_on_are_refused(family: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--family", family])
    assert stop.value.code == 2
    assert "scored by the report only" in capsys.readouterr().err


def test_a_tunable_family_is_diagnosed_on_spare_seeds(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--family", "cascade", "--cells", "default", "--seeds", "3", "-v"])
    out = capsys.readouterr().out
    # Every verbose line names its world's seed; by default they are spare ones.
    seeds = {int(part.split("=")[1]) for line in out.splitlines() for part in line.split() if part.startswith("seed=")}
    assert seeds and seeds <= {1000, 1001, 1002}
