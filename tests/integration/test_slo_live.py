"""service_health against a real Prometheus backfilled with known data, and the demo's recording
checked against the real thing.

The known data: one service at 10 requests/s for 7 days whose share of failing requests steps
from 0.05 % to 1 % two hours before ``AT`` and to 5 % twenty minutes before it. Every window's
error ratio is then a weighted average worked out by hand below; against a 99.9 % target the
burn rates follow, and 1h/5m pages while 6h/30m stays just under its threshold of 6.

The demo world's ``metrics/requests.om`` is loaded into a second Prometheus: the same SLO files
evaluated there and by the ``openmetrics`` connector must agree, window by window.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from opscontext.app import open_app
from opscontext.cache import MemoryCache
from opscontext.queries.service_health import ServiceHealthAnswer, service_health
from opscontext.settings import Settings

from .servers import Server, binary, free_port, launch

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
RPS = 10.0
STEPS = ((-8 * 86_400, 0.0005), (-2 * 3600, 0.01), (-20 * 60, 0.05))  # from (seconds before AT): share failing
SLO_FILE = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: shop-availability
spec:
  service: shop
  indicator:
    metadata:
      name: shop-errors
    spec:
      ratioMetric:
        counter: true
        bad:
          metricSource:
            type: Prometheus
            spec:
              query: sum(rate(http_requests_total{job="shop",code=~"5.."}[{{.window}}]))
        total:
          metricSource:
            type: Prometheus
            spec:
              query: sum(rate(http_requests_total{job="shop"}[{{.window}}]))
  timeWindow:
    - duration: 7d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - target: 0.999
"""


def failing_share(t: float) -> float:
    return next(share for start, share in reversed(STEPS) if t >= start)


def expected_ratio(window: int) -> float:
    """The share failing over the ``window`` seconds before AT, by hand: a weighted average."""
    edges = [max(start, -window) for start, _ in STEPS] + [0]
    spans = [(edges[i + 1] - edges[i], share) for i, (_, share) in enumerate(STEPS)]
    return sum(span * share for span, share in spans) / window


def known_data() -> str:
    """Counters every 60 s (30 s off the minute), integrated exactly from the step function."""
    base = int(AT.timestamp())
    ok = bad = 0.0
    lines = ["# TYPE http_requests counter"]
    rows: dict[str, list[str]] = {"200": [], "500": []}
    last = -7 * 86_400 - 30
    for t in range(-7 * 86_400 + 30, 0, 60):
        for left in range(last, t, 10):  # 10 s slices: the steps fall on slice edges
            share = failing_share(left)
            bad += RPS * 10 * share
            ok += RPS * 10 * (1 - share)
        last = t
        rows["200"].append(f'http_requests_total{{job="shop",code="200"}} {ok:.3f} {base + t}')
        rows["500"].append(f'http_requests_total{{job="shop",code="500"}} {bad:.3f} {base + t}')
    return "\n".join([*lines, *rows["200"], *rows["500"], "# EOF", ""])


def backfilled_prometheus(workdir: Path, data: Path) -> Server:
    exe, promtool = binary("prometheus"), binary("promtool")
    subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(data), "tsdb"],
        cwd=workdir, check=True, capture_output=True, timeout=300,
    )
    (workdir / "prometheus.yml").write_text("global:\n  evaluation_interval: 15s\n")
    port = free_port()
    argv = [exe, "--config.file=prometheus.yml", f"--storage.tsdb.path={workdir / 'tsdb'}",
            "--storage.tsdb.retention.time=3650d",  # retention counts from the newest block, kept anyway
            f"--web.listen-address=127.0.0.1:{port}"]
    return launch(workdir.name, argv, port, workdir)


@pytest.fixture(scope="module")
def known_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("slo-prometheus")
    (workdir / "known.om").write_text(known_data())
    server = backfilled_prometheus(workdir, workdir / "known.om")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def demo_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = backfilled_prometheus(tmp_path_factory.mktemp("demo-prometheus"), DEMO / "metrics" / "requests.om")
    yield server
    server.stop()


async def health(connectors: dict[str, dict[str, object]], at: datetime, base: Path) -> ServiceHealthAnswer:
    settings = Settings(connectors=connectors, base_dir=base)
    async with open_app(settings, cache=MemoryCache()) as app:
        return await service_health(app, None, at)


async def test_burn_rates_from_a_real_prometheus_match_the_hand_computed_ones(
    known_prometheus: Server, tmp_path: Path
) -> None:
    (tmp_path / "slo.yaml").write_text(SLO_FILE)
    answer = await health(
        {
            "slos": {"type": "openslo", "path": str(tmp_path / "slo.yaml")},
            "prom": {"type": "prometheus", "url": known_prometheus.url, "max_retries": 0},
        },
        AT,
        tmp_path,
    )
    assert all(s.state == "ok" for s in answer.sources), answer.sources
    slo = answer.services[0].slos[0]
    burns = {b.windows: (b.long, b.short, b.firing) for b in slo.burn_rates}

    def burn(window: int) -> float:
        return expected_ratio(window) / 0.001

    assert burn(300) == pytest.approx(50) and burn(3600) == pytest.approx(23.333, rel=1e-3)
    for label, (long_w, short_w) in {"1h/5m": (3600, 300), "6h/30m": (21_600, 1800),
                                     "1d/2h": (86_400, 7200), "3d/6h": (259_200, 21_600)}.items():
        long, short, _ = burns[label]
        assert long == pytest.approx(burn(long_w), rel=0.03), label
        assert short == pytest.approx(burn(short_w), rel=0.03), label
    assert burns["1h/5m"][2] is True, "23.3 and 50 are both above 14.4"
    assert burns["6h/30m"][2] is False, "5.9 over 6h is under 6"
    assert burns["1d/2h"][2] is False and burns["3d/6h"][2] is False
    assert slo.alert == "page"
    assert slo.sli_now == pytest.approx(0.95, abs=0.002)
    assert slo.error_budget_remaining == pytest.approx(1 - burn(7 * 86_400), abs=0.02)


async def test_a_query_prometheus_refuses_is_that_slo_s_error_not_the_source_s(
    known_prometheus: Server, tmp_path: Path
) -> None:
    broken = SLO_FILE.replace("name: shop-availability", "name: broken").replace(
        'sum(rate(http_requests_total{job="shop",code=~"5.."}[{{.window}}]))', "sum(rate(oops[{{.window}}])"
    )
    (tmp_path / "slo.yaml").write_text(SLO_FILE + "---\n" + broken)
    answer = await health(
        {
            "slos": {"type": "openslo", "path": str(tmp_path / "slo.yaml")},
            "prom": {"type": "prometheus", "url": known_prometheus.url, "max_retries": 0},
        },
        AT,
        tmp_path,
    )
    slos = {h.slo: h for h in answer.services[0].slos}
    assert slos["shop-availability"].alert == "page"
    assert slos["broken"].alert == "unknown"
    assert "HTTP 400" in (slos["broken"].detail or "")
    assert {s.source: s.state for s in answer.sources}["prom"] == "ok"


async def test_the_demo_recording_gives_the_burn_rates_a_real_prometheus_gives(demo_prometheus: Server) -> None:
    anchor = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
    slos = {"type": "openslo", "path": str(DEMO / "slos"), "data_sources": {"larkspur-prometheus": "metrics"}}
    recorded = await health({"slos": slos, "metrics": {"type": "openmetrics", "path": str(DEMO / "metrics")}},
                            anchor, DEMO)
    live_slos = {**slos, "data_sources": {"larkspur-prometheus": "prom"}}
    live = await health({"slos": live_slos, "prom": {"type": "prometheus", "url": demo_prometheus.url}}, anchor, DEMO)

    def table(answer: ServiceHealthAnswer) -> dict[str, tuple[object, ...]]:
        return {
            h.slo: (h.alert, h.sli_now, h.error_budget_remaining, *((b.long, b.short) for b in h.burn_rates))
            for g in answer.services
            for h in g.slos
        }

    got, want = table(recorded), table(live)
    assert len(want) == 9 and set(got) == set(want)
    for name in want:
        assert got[name][0] == want[name][0], name
        for mine, theirs in zip(_numbers(got[name][1:]), _numbers(want[name][1:]), strict=True):
            assert mine == pytest.approx(theirs, rel=0.01, abs=0.002), name


def _numbers(values: tuple[object, ...]) -> list[float]:
    out: list[float] = []
    for v in values:
        out.extend(_numbers(v) if isinstance(v, tuple) else [float(v)] if isinstance(v, int | float) else [])
    return out
