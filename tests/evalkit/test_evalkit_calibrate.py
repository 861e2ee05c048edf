"""The calibration tool records the engine's own features for each true incident's group."""

from __future__ import annotations

import math

from evalkit.calibrate import fit, samples
from opscontext.engine.correlation.calibration import WEIGHTS


def test_samples_record_one_feature_row_per_matched_incident_with_a_label() -> None:
    rows = samples(["metric_rules"], ["real/sock_shop"], [1000])
    assert rows
    assert all(len(x) == len(WEIGHTS) for x, _ in rows)
    assert {y for _, y in rows} <= {0, 1}
    assert any(y == 1 for _, y in rows)


def test_weighting_wrong_answers_lowers_the_fitted_curve_where_the_outcome_is_mixed() -> None:
    # One feature and an intercept; at x = 1 the answer is right 3 times in 5.
    rows = [((1.0, 1.0), 1)] * 3 + [((1.0, 1.0), 0)] * 2 + [((0.0, 1.0), 0)] * 4 + [((0.0, 1.0), 1)]

    def p(w: list[float]) -> float:
        return 1.0 / (1.0 + math.exp(-(w[0] + w[1])))

    balanced, cautious = fit(rows), fit(rows, wrong_weight=2.0)
    assert abs(p(balanced) - 0.6) < 0.01  # the plain fit recovers the rate
    assert abs(p(cautious) - 3 / 7) < 0.01  # odds 3:2 become 3:4 when each wrong counts twice
