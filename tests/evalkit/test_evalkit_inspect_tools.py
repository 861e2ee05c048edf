"""The miss-inspection tools look at families tuning may look at, never at the blind ones."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from evalkit import diagnose, pair_loss

TOOLS: dict[str, Callable[[Sequence[str] | None], None]] = {"diagnose": diagnose.main, "pair_loss": pair_loss.main}


@pytest.mark.parametrize("tool", sorted(TOOLS))
@pytest.mark.parametrize("family", ["span_traces", "outage_replay"])
def test_families_nothing_is_tuned_on_are_refused(tool: str, family: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        TOOLS[tool](["--family", family])
    assert stop.value.code == 2
    assert "scored by the report only" in capsys.readouterr().err


def test_diagnose_reads_spare_seeds_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    diagnose.main(["--family", "cascade", "--cells", "default", "--seeds", "3", "-v"])
    out = capsys.readouterr().out
    # Every verbose line names its world's seed; by default they are spare ones.
    seeds = {int(part.split("=")[1]) for line in out.splitlines() for part in line.split() if part.startswith("seed=")}
    assert seeds and seeds <= {1000, 1001, 1002}
