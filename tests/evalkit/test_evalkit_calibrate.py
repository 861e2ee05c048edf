"""The calibration tool records the engine's own features for each true incident's group."""

from __future__ import annotations

import math

from evalkit.calibrate import fit, fit_curves, per_family, restatement, samples, split_rates
from opscontext.engine.correlation.calibration import BELOW_HALF, CURVES, logistic, lowest, restate


def test_samples_record_one_feature_row_per_matched_incident_with_a_label() -> None:
    rows = samples(["metric_rules"], ["real/sock_shop"], [1000])
    assert rows
    assert all(len(x) == len(w) for x, _ in rows for w in CURVES.values())
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


def test_each_family_gets_its_own_curve_and_the_lowest_one_speaks() -> None:
    # Intercept only. Family a: 30 incidents, right 9 in 10; family b: 10, right 5 in 10.
    rows = ([("a", (1.0,), 1)] * 27 + [("a", (1.0,), 0)] * 3
            + [("b", (1.0,), 1)] * 5 + [("b", (1.0,), 0)] * 5)
    curves = fit_curves(rows, wrong_weight=1.0)
    assert sorted(curves) == ["a", "b"]
    assert abs(logistic(curves["a"], (1.0,)) - 0.9) < 0.01  # a's rate, not pooled with b's
    assert abs(logistic(curves["b"], (1.0,)) - 0.5) < 0.01
    assert abs(lowest(curves.values(), (1.0,)) - 0.5) < 0.01  # the more doubtful family decides
    pooled = logistic(fit([(x, y) for _, x, y in rows]), (1.0,))
    assert abs(pooled - 32 / 40) < 0.01  # one pooled curve would have let a's thirty outvote b


def test_the_engine_confidence_is_the_lowest_of_its_curves() -> None:
    from opscontext.engine.correlation.calibration import confidence
    from opscontext.engine.correlation.ranking import Scored

    ranked = [Scored("db", 2.0, True, explains=4, deps=0, change=None, lag_min=0.0, onset_s=0.0, n_alerting=4),
              Scored("api", 1.0, True, explains=1, deps=1, change=None, lag_min=0.0, onset_s=60.0, n_alerting=4)]
    from opscontext.engine.correlation.calibration import features
    x = features(ranked)
    p, _ = confidence(ranked, 4)
    each = [logistic(w, x) for w in CURVES.values()]
    assert len(set(round(e, 6) for e in each)) > 1  # the curves disagree here
    assert p == restate(min(each))
    assert (p < 0.5) == (min(each) < 0.5)


def test_restating_keeps_every_answer_on_its_side_of_one_half_and_keeps_order() -> None:
    knots = ((0.1, 0.3), (0.3, 0.7), (0.6, 0.8), (0.9, 0.95))  # (0.3, 0.7): below one half, said above
    raw = [i / 200 for i in range(201)]
    said = [restate(p, knots) for p in raw]
    assert all((s < 0.5) == (p < 0.5) for p, s in zip(raw, said, strict=True))
    assert max(s for p, s in zip(raw, said, strict=True) if p < 0.5) == BELOW_HALF
    assert said == sorted(said)  # a higher curve value never states less
    assert restate(0.0, knots) == 0.3 and restate(1.0, knots) == 0.95  # flat past the outer knots
    assert abs(restate(0.75, knots) - 0.875) < 1e-9  # linear between knots of one side
    assert restate(0.5, knots) == 0.8  # the first knot above one half, not a line across it
    assert restate(0.42) < 0.5 <= restate(0.5)  # the shipped knots too


def test_restatement_is_the_share_right_per_bin_non_decreasing_and_on_its_side() -> None:
    # family a: bin 0.0-0.1 right 4 in 10, bin 0.2-0.3 right 2 in 10 (a violation: pooled to 3 in
    # 10), bin 0.6-0.7 right 9 in 10; family b, weighing the same as a: bin 0.6-0.7 right 1 in 2.
    pts = ([("a", 0.05, 1)] * 4 + [("a", 0.05, 0)] * 6 + [("a", 0.25, 1)] * 2 + [("a", 0.25, 0)] * 8
           + [("a", 0.65, 1)] * 9 + [("a", 0.65, 0)] + [("b", 0.65, 1), ("b", 0.65, 0)])
    knots = restatement(pts)
    assert [k[0] for k in knots] == [0.15, 0.65]
    assert knots[0][1] == 0.3  # pooled below one half
    # a's ten rows weigh 1/30 each, b's two 1/2 each: (9/30 + 1/2) / (10/30 + 1) = 0.6
    assert abs(knots[1][1] - 0.6) < 1e-4
    assert restatement([("a", 0.3, 1)] * 5) == ((0.3, 0.49),)  # right every time, still flagged


def test_per_family_lines_score_each_family_without_its_own_curve() -> None:
    # a's wrong answers sit at x = 0, b's at x = 1: by a's curve alone, b's wrong answers look right.
    rows = ([("a", (1.0, 1.0), 1)] * 8 + [("a", (0.0, 1.0), 0)] * 8
            + [("b", (1.0, 1.0), 1)] * 4 + [("b", (1.0, 1.0), 0)] * 4 + [("b", (0.0, 1.0), 1)] * 4)
    lines = per_family(rows, wrong_weight=1.0)
    assert [line.split(":")[0] for line in lines] == ["# a", "# b"]
    left_out_b = lines[1].split("without its own curve: ")[1]
    assert left_out_b.startswith("0.00")  # every wrong answer of b above one half
    assert split_rates([(0.4, 0), (0.6, 0), (0.7, 1), (0.2, 1)]) == (0.5, 0.5)
