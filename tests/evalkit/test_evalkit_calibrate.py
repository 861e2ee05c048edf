"""The calibration tool records the engine's own features for each true incident's group."""

from __future__ import annotations

from evalkit.calibrate import samples
from opscontext.engine.correlation.calibration import WEIGHTS


def test_samples_record_one_feature_row_per_matched_incident_with_a_label() -> None:
    rows = samples(["metric_rules"], ["real/sock_shop"], [1000])
    assert rows
    assert all(len(x) == len(WEIGHTS) for x, _ in rows)
    assert {y for _, y in rows} <= {0, 1}
    assert any(y == 1 for _, y in rows)
