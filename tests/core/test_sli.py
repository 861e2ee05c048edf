"""SLI queries for a window: OpenSLO durations, placeholder and bare-selector forms, ratios."""

from __future__ import annotations

import pytest

from opscontext.models import RatioSli
from opscontext.sli import SliQueryError, error_ratio, parse_shorthand, promql_duration, queries, render


@pytest.mark.parametrize(("text", "seconds"), [("5m", 300), ("28d", 2_419_200), ("4w", 2_419_200),
                                               ("1M", 2_592_000), ("1Q", 7_776_000), ("12h", 43_200)])
def test_openslo_duration_shorthand(text: str, seconds: int) -> None:
    assert parse_shorthand(text) == seconds


@pytest.mark.parametrize("text", ["", "28", "d28", "28D", "1.5h", "0d", "2Y", "-1d"])
def test_bad_durations_are_refused_with_the_form_to_use(text: str) -> None:
    with pytest.raises(SliQueryError):
        parse_shorthand(text)


def test_windows_are_written_in_the_largest_whole_unit() -> None:
    assert [promql_duration(s) for s in (300, 1800, 3600, 86_400, 2_419_200, 90)] == [
        "5m", "30m", "1h", "1d", "28d", "90s"]


def test_the_placeholder_takes_the_window_and_bare_selectors_are_wrapped() -> None:
    assert render("sum(rate(x_total[{{.window}}]))", 3600, wrap="increase") == "sum(rate(x_total[1h]))"
    assert render("sum(rate(x_total[{{ .window }}]))", 300, wrap="increase") == "sum(rate(x_total[5m]))"
    assert render('x_total{code=~"5.."}', 300, wrap="increase") == 'sum(increase(x_total{code=~"5.."}[5m]))'
    assert render("{__name__='x'}", 300, wrap="sum_over_time") == "sum(sum_over_time({__name__='x'}[5m]))"
    assert render("ratio", 300, wrap="avg_over_time") == "avg(avg_over_time(ratio[5m]))"


def test_an_aggregation_without_the_placeholder_is_refused_showing_the_form() -> None:
    with pytest.raises(SliQueryError, match=r"\{\{\.window\}\}"):
        render("sum(x_total)", 300, wrap="increase")


def test_good_bad_and_raw_ratios_read_the_right_way_round() -> None:
    good = RatioSli(kind="good", numerator="g", total="t")
    bad = RatioSli(kind="bad", numerator="b", total="t")
    assert error_ratio(good, 990.0, 1000.0) == pytest.approx(0.01)
    assert error_ratio(bad, 10.0, 1000.0) == pytest.approx(0.01)
    assert error_ratio(bad, None, 1000.0) == 0.0, "no 5xx series with traffic means no errors"
    assert error_ratio(good, None, 1000.0) is None, "no good series at all is a query matching nothing"
    assert error_ratio(bad, 0.0, 0.0) is None, "no traffic is no data, not no errors"
    assert error_ratio(bad, 5.0, None) is None
    assert error_ratio(RatioSli(kind="raw_success", numerator="r"), 0.98, None) == pytest.approx(0.02)
    assert error_ratio(RatioSli(kind="raw_failure", numerator="r"), 0.02, None) == pytest.approx(0.02)
    assert error_ratio(bad, 1200.0, 1000.0) == 1.0, "clamped: counters scraped at different moments"


def test_queries_give_numerator_and_total_for_a_window() -> None:
    sli = RatioSli(kind="bad", numerator="e_total", total="r_total")
    assert queries(sli, 3600) == ("sum(increase(e_total[1h]))", "sum(increase(r_total[1h]))")
    gauge = RatioSli(kind="bad", numerator="e", total="r", counter=False)
    assert queries(gauge, 300)[0] == "sum(sum_over_time(e[5m]))"
    assert queries(RatioSli(kind="raw_success", numerator="up_ratio"), 300) == (
        "avg(avg_over_time(up_ratio[5m]))", None)
