"""The openslo connector reads OpenSLO v1 files in the spec's shapes, and says which file and
which SLO it left out, and why, while serving the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from opscontext.app import open_app
from opscontext.cache import MemoryCache
from opscontext.errors import SourceDataError, SourceUnavailableError
from opscontext.models import SourceState
from opscontext.registry import ConnectorContext
from opscontext.settings import Settings
from opscontext_connectors.openslo import OpenSlo, OpenSloConfig

pytestmark = pytest.mark.anyio
DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo"

SOURCE = """\
apiVersion: openslo/v1
kind: DataSource
metadata: {name: prom-prod}
spec: {type: Prometheus, connectionDetails: {url: "https://prometheus.example.com"}}
"""
SLI = """\
apiVersion: openslo/v1
kind: SLI
metadata: {name: api-good}
spec:
  ratioMetric:
    counter: true
    good: {metricSource: {metricSourceRef: prom-prod, spec: {query: 'http_requests_total{job="api",code!~"5.."}'}}}
    total: {metricSource: {metricSourceRef: prom-prod, spec: {query: 'http_requests_total{job="api"}'}}}
"""


def slo(name: str, *, service: str = "api", indicator: str = "indicatorRef: api-good", window: str = "28d",
        objectives: str = "[{target: 0.999}]") -> str:
    return f"""\
apiVersion: openslo/v1
kind: SLO
metadata: {{name: {name}, displayName: {name} title}}
spec:
  service: {service}
  {indicator}
  timeWindow: [{{duration: {window}, isRolling: true}}]
  budgetingMethod: Occurrences
  objectives: {objectives}
"""


def connector(path: Path, **config: object) -> OpenSlo:
    cfg = OpenSloConfig.model_validate({"type": "openslo", "path": path, **config})
    return OpenSlo(ConnectorContext(name="slos", config=cfg))


def files(tmp_path: Path, **texts: str) -> Path:
    for name, text in texts.items():
        (tmp_path / name).write_text(text)
    return tmp_path


async def test_an_slo_with_an_indicator_ref_in_another_file_resolves_with_its_data_source(tmp_path: Path) -> None:
    root = files(tmp_path, **{"sources.yaml": SOURCE, "slis.yaml": SLI, "slos.yml": slo("api-availability")})
    conn = connector(root, data_sources={"prom-prod": "prometheus"})
    [got] = await conn.slos()
    assert (got.name, got.service, got.target, got.window_seconds, got.window) == (
        "api-availability", "api", 0.999, 28 * 86_400, "28d rolling")
    assert got.sli.kind == "good" and got.sli.total == 'http_requests_total{job="api"}'
    assert (got.metric_source, got.evaluator, got.source) == ("prom-prod", "prometheus", "slos")
    assert got.location.endswith("slos.yml")
    assert conn.problems().problems == ()


async def test_the_spec_s_list_form_inline_indicators_raw_ratios_and_target_percent_are_read(tmp_path: Path) -> None:
    inline = """indicator:
    metadata: {name: inline}
    spec:
      ratioMetric:
        counter: true
        bad: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(errors_total[{{.window}}]))'}}}
        total: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(requests_total[{{.window}}]))'}}}"""
    raw = """indicator:
    metadata: {name: raw}
    spec:
      ratioMetric:
        rawType: success
        raw: {metricSource: {type: Prometheus, spec: {query: 'avg(avg_over_time(up_ratio[{{.window}}]))'}}}"""
    listed = "\n".join("- " + doc.replace("\n", "\n  ").rstrip() for doc in (
        slo("inline", indicator=inline, objectives="[{targetPercent: 99.5}]"),
        slo("raw", indicator=raw, window="4w"),
    ))
    got = {s.name: s for s in await connector(files(tmp_path, **{"list.yaml": listed})).slos()}
    assert got["inline"].sli.kind == "bad" and got["inline"].target == pytest.approx(0.995)
    assert got["raw"].sli.kind == "raw_success" and got["raw"].window_seconds == 28 * 86_400


async def test_several_objectives_become_one_slo_each(tmp_path: Path) -> None:
    two = slo("api", objectives="[{displayName: strict, target: 0.999}, {displayName: loose, target: 0.99}]")
    got = await connector(files(tmp_path, **{"a.yaml": SOURCE + "---\n" + SLI + "---\n" + two})).slos()
    assert [(s.name, s.target) for s in got] == [("api/strict", 0.999), ("api/loose", 0.99)]


BROKEN = {
    "dangling ref": (slo("dangling", indicator="indicatorRef: nope"), "indicatorRef 'nope' names no SLI"),
    "threshold": (slo("threshold", indicator="""indicator:
    metadata: {name: t}
    spec: {thresholdMetric: {metricSource: {type: Prometheus, spec: {query: up}}}}"""), "thresholdMetric"),
    "not prometheus": (slo("datadog", indicator="""indicator:
    metadata: {name: d}
    spec:
      ratioMetric:
        good: {metricSource: {type: Datadog, spec: {query: 'sum:hits{ok}'}}}
        total: {metricSource: {type: Datadog, spec: {query: 'sum:hits{*}'}}}"""), "'Datadog' is not evaluated"),
    "bad window": (slo("window", window="soon"), "timeWindow"),
    "both targets": (slo("targets", objectives="[{target: 0.9, targetPercent: 90}]"), "exactly one of target"),
    "target of 1": (slo("one", objectives="[{target: 1}]"), "below 1"),
    "old version": (slo("old").replace("openslo/v1", "openslo/v1alpha"), "apiVersion 'openslo/v1alpha'"),
    "no service": (slo("nosvc").replace("  service: api\n", ""), "spec.service: Field required"),
    "aggregation without window": (slo("agg", indicator="""indicator:
    metadata: {name: agg}
    spec:
      ratioMetric:
        bad: {metricSource: {type: Prometheus, spec: {query: 'sum(errors_total)'}}}
        total: {metricSource: {type: Prometheus, spec: {query: 'sum(requests_total)'}}}"""), "{{.window}}"),
    "mixed forms": (slo("mixed", indicator="""indicator:
    metadata: {name: mixed}
    spec:
      ratioMetric:
        bad: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(errors_total[{{.window}}]))'}}}
        total: {metricSource: {type: Prometheus, spec: {query: 'requests_total'}}}"""), "both be bare selectors"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
async def test_an_unusable_slo_is_left_out_and_reported_with_file_name_and_reason(case: str, tmp_path: Path) -> None:
    text, reason = BROKEN[case]
    root = files(tmp_path, **{"good.yaml": SOURCE + "---\n" + SLI + "---\n" + slo("fine"), "bad.yaml": text})
    conn = connector(root)
    assert [s.name for s in await conn.slos()] == ["fine"]
    [problem] = conn.problems().problems
    assert problem.where.endswith("bad.yaml") and not problem.skipped
    assert reason in problem.reason


async def test_a_file_that_is_not_yaml_is_skipped_and_the_others_served(tmp_path: Path) -> None:
    root = files(tmp_path, **{"good.yaml": SOURCE + "---\n" + SLI + "---\n" + slo("fine"),
                              "broken.yaml": "kind: [unclosed\n  - : :\n"})
    conn = connector(root)
    assert [s.name for s in await conn.slos()] == ["fine"]
    [problem] = conn.problems().problems
    assert problem.skipped and problem.where.endswith("broken.yaml") and "line" in problem.reason


async def test_a_partly_broken_file_set_is_served_degraded_through_the_hub(tmp_path: Path) -> None:
    root = files(tmp_path, **{"good.yaml": SOURCE + "---\n" + SLI + "---\n" + slo("fine"),
                              "bad.yaml": slo("dangling", indicator="indicatorRef: nope")})
    settings = Settings(connectors={"slos": {"type": "openslo", "path": str(root)}}, base_dir=tmp_path)
    async with open_app(settings, cache=MemoryCache()) as app:
        got = await app.hub.slos()
    [status] = got.statuses
    assert status.state is SourceState.DEGRADED and "bad.yaml" in (status.detail or "")
    assert [s.name for s in got.items()] == ["fine"]


async def test_a_name_defined_twice_keeps_the_first_and_says_so(tmp_path: Path) -> None:
    root = files(tmp_path, **{"a.yaml": SOURCE + "---\n" + SLI + "---\n" + slo("same"), "b.yaml": slo("same")})
    conn = connector(root)
    assert [Path(s.location).name for s in await conn.slos()] == ["a.yaml"]
    assert "defined twice" in conn.problems().problems[0].reason


async def test_a_missing_path_is_unavailable_and_an_empty_one_names_the_patterns(tmp_path: Path) -> None:
    with pytest.raises(SourceUnavailableError, match="does not exist"):
        await connector(tmp_path / "nope").slos()
    with pytest.raises(SourceDataError, match=r"\*\.yaml"):
        await connector(tmp_path).slos()


async def test_the_demo_world_s_slos_all_load() -> None:
    conn = connector(DEMO / "slos", data_sources={"larkspur-prometheus": "metrics"})
    slos = await conn.slos()
    assert len(slos) == 9 and conn.problems().problems == ()
    assert {s.evaluator for s in slos} == {"metrics"}
