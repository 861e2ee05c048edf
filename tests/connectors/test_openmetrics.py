"""The openmetrics connector: recorded samples evaluated with Prometheus' windowing and
extrapolation, refusals for what it cannot evaluate, and a malformed file reported."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from opscontext.errors import SourceDataError
from opscontext.models import RatioSli, SliRequest
from opscontext.registry import ConnectorContext
from opscontext_connectors.openmetrics import OpenMetricsConfig, OpenMetricsRecording
from opscontext_connectors.openmetrics.promql import Unsupported, extrapolated, parse
from opscontext_connectors.openmetrics.recording import Recording, read_file

pytestmark = pytest.mark.anyio
AT = datetime(2026, 3, 10, 14, tzinfo=UTC)


def counters(rows: dict[str, list[tuple[int, float]]]) -> str:
    """``labels -> [(seconds before AT, value)]`` as OpenMetrics counter samples."""
    base = int(AT.timestamp())
    lines = ["# TYPE req counter"]
    for labels, points in rows.items():
        lines += [f"req_total{{{labels}}} {v} {base + t}" for t, v in points]
    return "\n".join([*lines, "# EOF", ""])


def connector(path: Path) -> OpenMetricsRecording:
    config = OpenMetricsConfig(type="openmetrics", path=path)
    return OpenMetricsRecording(ConnectorContext(name="rec", config=config))


def request(numerator: str, total: str, windows: tuple[int, ...] = (300,)) -> SliRequest:
    return SliRequest(slo="s", evaluator="rec", sli=RatioSli(kind="bad", numerator=numerator, total=total),
                      windows=windows)


def test_the_sli_query_shapes_parse_and_others_are_refused() -> None:
    q = parse('sum(increase(req_total{job="a",code=~"5.."}[1h]))')
    assert (q.outer, q.function, q.range_ms) == ("sum", "increase", 3_600_000)
    assert q.selects({"__name__": "req_total", "job": "a", "code": "503"})
    assert not q.selects({"__name__": "req_total", "job": "a", "code": "200"})
    assert parse("rate(req_total[1h30m])").range_ms == 5_400_000
    assert parse('avg(avg_over_time({__name__="up",job!="b"}[5m]))').function == "avg_over_time"
    for query in ("sum by (job) (rate(req_total[5m]))", "rate(req_total[5m]) / 2", "histogram_quantile(0.9, x)",
                  "sum(rate({job='a'}[5m]))"):
        with pytest.raises(Unsupported):
            parse(query)


def test_increase_is_extrapolated_to_the_window_edges_as_prometheus_does() -> None:
    # Samples every 60 s, 30 s inside both edges of a 5-minute window: extrapolated to the full 300 s.
    times = [-270_000, -210_000, -150_000, -90_000, -30_000]
    values = [10.0, 20.0, 30.0, 40.0, 50.0]
    assert extrapolated(times, values, -300_000, 0, rate=False) == pytest.approx(40 * 300 / 240)
    assert extrapolated(times, values, -300_000, 0, rate=True) == pytest.approx(40 / 240)
    # A gap at the start longer than 1.1 sample intervals: only half an interval is added there.
    assert extrapolated(times[2:], values[2:], -300_000, 0, rate=False) == pytest.approx(20 * (120 + 30 + 30) / 120)
    assert extrapolated(times[:1], values[:1], -300_000, 0, rate=False) is None


def test_a_series_window_increase_equals_the_pass_over_its_cut_samples() -> None:
    # Series.counter answers from two lookups and a running total of resets; extrapolated walks
    # the window's samples. Random counters with resets and random windows: the two agree, and
    # samples added later are counted (the running total is worked out again).
    import random

    from opscontext_connectors.openmetrics.recording import Series

    rng = random.Random(7)
    for _ in range(200):
        series, value, t = Series({"__name__": "req_total"}), rng.uniform(0, 50), 0
        for _ in range(rng.randint(0, 40)):
            t += rng.choice((15_000, 30_000, 60_000, 61_000))
            value = rng.uniform(0, 20) if rng.random() < 0.15 else value + rng.uniform(0, 30)
            series.times.append(t)
            series.values.append(value)
        series.added()
        for _ in range(10):
            end = rng.randint(-60_000, t + 120_000)
            start = end - rng.choice((60_000, 300_000, 900_000, 3_600_000))
            for rate in (False, True):
                cut = series.cut(start, end)
                want = extrapolated(*cut, start, end, rate=rate)
                got = series.counter(start, end, rate=rate)
                assert (got is None) == (want is None)
                if want is not None:
                    assert got == pytest.approx(want, rel=1e-9, abs=1e-9)
    recording = Recording()
    for i, v in enumerate((10.0, 20.0, 30.0)):
        recording.add("req_total", {}, i * 60_000, v)
    query = parse("increase(req_total[10m])")
    at = datetime.fromtimestamp(300, UTC)
    before = recording.evaluate(query, at)
    recording.add("req_total", {}, 180_000, 5.0)  # a reset after the window was read once
    after = recording.evaluate(query, at)
    assert before is not None and after is not None
    assert after == pytest.approx(extrapolated([0, 60_000, 120_000, 180_000], [10.0, 20.0, 30.0, 5.0],
                                               -300_000, 300_000, rate=False))
    assert before == pytest.approx(extrapolated([0, 60_000, 120_000], [10.0, 20.0, 30.0], -300_000, 300_000,
                                                rate=False))


def test_a_counter_reset_is_added_back_and_zero_bounds_the_extrapolation() -> None:
    times = [-240_000, -180_000, -120_000, -60_000]
    assert extrapolated(times, [100.0, 110.0, 5.0, 15.0], -300_000, 0, rate=False) == pytest.approx(
        (15 - 100 + 110) * 300 / 180)
    # Started at 2 events: extrapolating 60 s back would go below zero, so it stops at zero.
    zero_bound = extrapolated(times, [2.0, 12.0, 22.0, 32.0], -300_000, 0, rate=False)
    assert zero_bound == pytest.approx(30 * (180 + 12 + 60) / 180)


def test_a_recording_sums_matching_series_over_the_range() -> None:
    recording = Recording()
    read_file(recording, counters({
        'job="a",code="200"': [(-270, 1000), (-30, 1960)],
        'job="a",code="503"': [(-270, 100), (-30, 140)],
        'job="b",code="503"': [(-270, 100), (-30, 999)],
    }))
    total = recording.evaluate(parse('sum(increase(req_total{job="a"}[5m]))'), AT)
    errors = recording.evaluate(parse('sum(increase(req_total{job="a",code=~"5.."}[5m]))'), AT)
    assert total == pytest.approx(1250) and errors == pytest.approx(50)
    assert recording.evaluate(parse('sum(increase(req_total{job="z"}[5m]))'), AT) is None
    assert recording.evaluate(parse('sum(increase(req_total{job="a"}[5m]))'), AT + timedelta(hours=1)) is None


def test_a_query_evaluated_before_more_series_arrive_sees_them_after() -> None:
    # A query's series are remembered from its first evaluation; series added later must not be
    # hidden behind that memory.
    recording = Recording()
    read_file(recording, counters({'job="a",code="503"': [(-270, 100), (-30, 140)]}))
    query = parse('sum(increase(req_total{code=~"5.."}[5m]))')
    assert recording.evaluate(query, AT) == pytest.approx(50)
    later = Recording()
    read_file(later, counters({'job="b",code="503"': [(-270, 100), (-30, 340)]}))
    recording.merge(later)
    assert recording.evaluate(query, AT) == pytest.approx(350)
    read_file(recording, counters({'job="c",code="500"': [(-270, 100), (-30, 124)]}))
    assert recording.evaluate(query, AT) == pytest.approx(380)


async def test_the_connector_answers_error_ratios_and_refuses_what_it_cannot_evaluate(tmp_path: Path) -> None:
    (tmp_path / "r.om").write_text(counters({
        'code="200"': [(-270, 1000), (-30, 1960)], 'code="503"': [(-270, 100), (-30, 140)]}))
    conn = connector(tmp_path)
    good = request('req_total{code="503"}', "req_total")
    weird = request("sum by (code) (rate(req_total[{{.window}}]))", "sum(rate(req_total[{{.window}}]))")
    readings = await conn.sli_ratios([good, weird.model_copy(update={"slo": "weird"})], AT)
    ok, refused = readings
    assert ok.error_ratio == pytest.approx(0.04) and ok.events == pytest.approx(1250) and ok.source == "rec"
    assert refused.slo == "weird" and refused.error_ratio is None
    assert "recording evaluates only" in (refused.error or "")
    assert await conn.sli_ratios([good.model_copy(update={"evaluator": "someone-else"})], AT) == []


async def test_every_query_refused_is_a_source_error(tmp_path: Path) -> None:
    (tmp_path / "r.om").write_text(counters({'code="200"': [(-270, 0), (-30, 960)]}))
    with pytest.raises(SourceDataError, match="recording evaluates only"):
        await connector(tmp_path).sli_ratios([request("a[{{.window}}] / b", "c[{{.window}}] / d")], AT)


async def test_a_request_whose_query_has_no_window_is_that_slo_s_error(tmp_path: Path) -> None:
    (tmp_path / "r.om").write_text(counters({'code="200"': [(-270, 1000), (-30, 1960)]}))
    ok = request("req_total", "req_total")
    got = await connector(tmp_path).sli_ratios([ok, request("a / b", "c").model_copy(update={"slo": "odd"})], AT)
    fine, refused = (next(r for r in got if r.slo == name) for name in ("s", "odd"))
    assert fine.error_ratio == pytest.approx(1.0)
    assert refused.slo == "odd" and "{{.window}}" in (refused.error or "")


async def test_a_malformed_or_untimed_file_is_left_out_and_named(tmp_path: Path) -> None:
    (tmp_path / "good.om").write_text(counters({'code="200"': [(-270, 0), (-30, 960)]}))
    (tmp_path / "untimed.om").write_text("# TYPE x counter\nx_total 5\n# EOF\n")
    (tmp_path / "garbage.om").write_text("this is not openmetrics\n")
    conn = connector(tmp_path)
    [reading] = await conn.sli_ratios([request("req_total", "req_total")], AT)
    assert reading.error_ratio == pytest.approx(1.0)
    problems = {p.where.rsplit("/", 1)[-1]: p.reason for p in conn.problems().problems}
    assert set(problems) == {"untimed.om", "garbage.om"}
    assert "no timestamp" in problems["untimed.om"]
