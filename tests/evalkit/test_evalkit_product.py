"""evalkit.product scores the answer a client reads whole, not the first page's cut of it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from evalkit.classic.metrics import score
from evalkit.harness import Task, make_world, ours
from evalkit.product import ask, export, prediction, respelled, run_one
from evalkit.stale import stale
from evalkit.stretch import stretch


def test_the_product_path_reads_every_page_and_every_member_of_a_cut_group(tmp_path: Path) -> None:
    # A large incident on the mesh: its group holds a few hundred fingerprints, far more than a
    # 500-token answer can list, so the first page cuts it and only paging gives it back whole.
    world = make_world(Task("metric_rules", "noise-0", "shape/mesh-200", 1000))
    engine, _ = ours(world)
    assert max(len(fps) for fps, _, _ in engine.groups) > 150
    export(world, tmp_path)
    toml = tmp_path / "opscontext.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "\n[limits]\nanswer_tokens = 500\n", encoding="utf-8")
    answer, _, _ = asyncio.run(ask(toml, world))
    through = prediction(answer)
    assert sorted(sorted(fps) for fps, _, _ in through.groups) == sorted(sorted(fps) for fps, _, _ in engine.groups)
    tops = {frozenset(fps): c[:1] for fps, c, _ in engine.groups}
    assert {frozenset(fps): c[:1] for fps, c, _ in through.groups} == tops


def test_a_world_recorded_as_webhook_notifications_answers_as_the_engine_does(tmp_path: Path) -> None:
    # Fault-injection runs resolve some alerts before the end: the recording holds firing and
    # resolved notifications of the same alerts, firing ones with Go's zero time as endsAt.
    world = make_world(Task("fault_injection", "mixed", "file/otel_demo", 1001))
    assert any(a.ends_at is not None and a.ends_at <= world.now for a in world.alerts)
    export(world, tmp_path, webhook=True)
    assert '"endsAt": "0001-01-01T00:00:00Z"' in (tmp_path / "alerts" / "alerts.json").read_text(encoding="utf-8")
    answer, _, _ = asyncio.run(ask(tmp_path / "opscontext.toml", world))
    engine, _ = ours(world)
    assert answer["alerts_in"] == len(world.alerts)
    got = {frozenset(fps): c[:1] for fps, c, _ in prediction(answer).groups}
    assert got == {frozenset(fps): c[:1] for fps, c, _ in engine.groups}


def test_a_stale_catalog_answers_through_the_product_as_the_engine_does(tmp_path: Path) -> None:
    # span_traces' client alerts name their callee: with a third of the dependencies left out of
    # the catalog written, the server reads some back from the alerts, as the engine does.
    world = stale(make_world(Task("span_traces", "baseline", "real/online_boutique", 0)), 0.35)
    full = make_world(Task("span_traces", "baseline", "real/online_boutique", 0))
    assert len(world.edges) < len(full.edges)
    _, corr = ours(world)
    assert "the catalog lacks" in corr.explanation
    export(world, tmp_path)
    answer, _, _ = asyncio.run(ask(tmp_path / "opscontext.toml", world))
    assert "the catalog lacks" in answer["explanation"]
    got = {frozenset(fps): c[:1] for fps, c, _ in prediction(answer).groups}
    assert got == {frozenset(fps): c[:1] for fps, c, _ in ours(world)[0].groups}


def test_respelled_alerts_name_their_service_the_kubernetes_ways_and_keep_every_other_label() -> None:
    labels = {"alertname": "SpanClientErrorRatioHigh", "service_name": "checkout", "peer_service": "cart"}
    ways = {next(k for k in ("pod", "deployment", "exported_job", "service_name") if k in out): out
            for fp in (f"fp-{i}" for i in range(40)) for out in (respelled(labels, fp),)}
    assert set(ways) == {"pod", "deployment", "exported_job", "service_name"}
    assert ways["pod"]["pod"].startswith("my-otel-demo-checkout-") and "service_name" not in ways["pod"]
    assert ways["deployment"]["deployment"] == "my-otel-demo-checkout"
    assert ways["exported_job"] == {**{k: v for k, v in labels.items() if k != "service_name"},
                                    "job": "otel-collector", "exported_job": "opentelemetry-demo/checkout"}
    assert all(out["peer_service"] == "cart" for out in ways.values())
    assert respelled({"alertname": "Watchdog"}, "fp-1") == {"alertname": "Watchdog"}


def test_a_world_spelled_as_kubernetes_names_it_answers_as_the_engine_does(tmp_path: Path) -> None:
    # Enough services alert for the release prefix to be learnt from the alerts themselves.
    world = make_world(Task("metric_rules", "noise-0", "real/online_boutique", 1000))
    export(world, tmp_path, spell="kubernetes")
    written = (tmp_path / "alerts" / "alerts.json").read_text(encoding="utf-8")
    assert '"pod": "my-otel-demo-' in written and '"exported_job": "opentelemetry-demo/' in written
    answer, _, _ = asyncio.run(ask(tmp_path / "opscontext.toml", world))
    assert answer["ungrouped"].get("no_service", 0) == 0
    got = {frozenset(fps): c[:1] for fps, c, _ in prediction(answer).groups}
    assert got == {frozenset(fps): c[:1] for fps, c, _ in ours(world)[0].groups}


def test_a_slowed_world_answers_through_the_product_as_the_engine_does_on_it() -> None:
    # --slower replays each incident three times slower before its files are written: the server
    # must read the stretched onsets (and the ends moved past `now` as still firing) as the engine does.
    task = Task("fault_injection", "mixed", "real/online_boutique", 1002)
    world = make_world(task)
    slowed = stretch(world, 3)
    assert max(a.starts_at for a in slowed.alerts) > max(a.starts_at for a in world.alerts)
    through, engine, _, _ = asyncio.run(run_one(task, slower=3))
    pred, corr = ours(slowed)
    assert engine == score(slowed, pred, corr.alerts_in)
    assert (through.ac1, through.ac3, through.precision, through.recall) == (
        engine.ac1, engine.ac3, engine.precision, engine.recall)


def test_lone_warnings_reach_the_score_apart_from_the_incidents_through_the_product(tmp_path: Path) -> None:
    # Noisy metric-rules worlds leave lone warnings: listed groups that the answer's own noise
    # reduction does not count as things to triage, and neither may the score.
    world = make_world(Task("metric_rules", "noise-40", "real/online_boutique", 1001))
    engine, corr = ours(world)
    assert engine.apart == corr.lone_warnings > 0
    export(world, tmp_path)
    answer, _, _ = asyncio.run(ask(tmp_path / "opscontext.toml", world))
    through = prediction(answer)
    assert through.apart == engine.apart and len(through.groups) == len(engine.groups)
    n = len(world.alerts)
    assert score(world, through, n).noise_reduction == 1 - (len(through.groups) - through.apart) / n
    assert corr.noise_reduction == answer["noise_reduction"]  # the answer's figure, rounded to 4 places
    assert abs(score(world, through, n).noise_reduction - corr.noise_reduction) < 1e-4
