"""outage_replay: the model does what its docstring says, and every cell realises its stated shares."""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import timedelta
from functools import cache
from pathlib import Path

import pytest
from test_evalkit_shapes import _has_cycle

from evalkit.classic.topologies import Topology
from evalkit.families import FAMILIES, NEVER_FITTED_FAMILIES, outage_replay
from evalkit.families.outage_cells import CELLS, draw
from evalkit.families.outage_monitors import KINDS
from evalkit.families.outage_replay import Build, build
from evalkit.families.outage_spread import middles, shared_hubs
from evalkit.stats import Tally, root_leads
from evalkit.topologies import default_topologies, resolve
from evalkit.world import SERVICE_LABELS, Graph, World

SHARED = Path("/work/shared/topologies")
RANGES = (range(0, 60), range(1000, 1060))


@cache
def _tops() -> tuple[Topology, ...]:
    return tuple(default_topologies(SHARED))


@cache
def _graph(name: str) -> Graph:
    return Graph.of(next(t for t in (*_tops(), *_shapes()) if t.name == name))


@cache
def _shapes() -> tuple[Topology, ...]:
    return tuple(resolve(s) for s in ("mesh:100", "hub:500", "deep:60"))


@cache
def _builds(cell: str, start: int) -> tuple[Build, ...]:
    tops = _tops()
    if not tops:
        pytest.skip("no topologies available")
    seeds = next(r for r in RANGES if r.start == start)
    return tuple(build(tops[s % len(tops)], s, CELLS[cell], cell) for s in seeds)


def _incidents(builds: tuple[Build, ...]):  # type: ignore[no-untyped-def]
    for b in builds:
        for o, f, inc in zip(b.outages, b.forced, b.world.incidents, strict=True):
            yield b.world, o, f, inc


def _pages(w: World, fps: frozenset[str]) -> set[str | None]:
    by_fp = {a.fingerprint: a for a in w.alerts}
    return {by_fp[fp].service for fp in fps}


def test_registered_as_a_never_fitted_family() -> None:
    assert FAMILIES["outage_replay"] is outage_replay
    assert "outage_replay" in NEVER_FITTED_FAMILIES
    assert 12 <= len(CELLS) <= 18
    assert all(c.assumption for c in CELLS.values())


def test_deterministic_and_free_of_global_random_state() -> None:
    top = _tops()[1]
    state = random.getstate()
    a = outage_replay.generate(top, 7, CELLS["baseline"], "baseline")
    assert random.getstate() == state
    random.seed(12345)
    b = outage_replay.generate(top, 7, CELLS["baseline"], "baseline")
    assert a == b
    assert a.family == "outage_replay" and a.cell == "baseline" and a.seed == 7
    assert outage_replay.generate(top, 8, CELLS["baseline"], "baseline") != a


def test_low_discrepancy_draws_cover_the_unit_interval_evenly() -> None:
    for attr in ("root", "hop", "storm", "hub", "class"):
        points = [draw(attr, s) for s in range(200)]
        for cut in (0.1, 0.3, 0.5, 0.9):
            assert abs(sum(p < cut for p in points) / 200 - cut) <= 0.03


@pytest.mark.parametrize("cell", list(CELLS))
def test_truth_partitions_the_alerts_and_flags_silent_roots(cell: str) -> None:
    for b in _builds(cell, 0)[:30]:
        w = b.world
        fps = {a.fingerprint for a in w.alerts}
        claimed = [fp for inc in w.incidents for fp in inc.fingerprints]
        assert len(claimed) == len(set(claimed))
        assert set(claimed) | w.noise == fps and not set(claimed) & w.noise
        assert CELLS[cell].concurrent[0] <= len(w.incidents) <= CELLS[cell].concurrent[1]
        for inc in w.incidents:
            assert inc.fingerprints and inc.cause
            assert inc.root_silent == (inc.root not in _pages(w, inc.fingerprints))
            assert inc.root in w.degraded and w.degraded[inc.root][0] <= inc.onset
            # Every service of the topology that paged for the outage is one the fault reached (a host
            # alert may name the node exporter's job, no service of the topology).
            names = {s.name for s in w.services}
            assert {s for s in _pages(w, inc.fingerprints) if s in names} <= set(w.degraded)


@pytest.mark.parametrize("cell", list(CELLS))
def test_every_cell_realises_its_stated_shares_on_two_seed_ranges(cell: str) -> None:
    p = CELLS[cell]
    for start in (r.start for r in RANGES):
        builds = _builds(cell, start)
        tally = Tally()
        for b in builds:
            tally.add(b.world)
        row = tally.row()
        if p.silent < 1:
            assert abs(row["root_first"] - p.root_first) <= p.tol, (start, row)
        assert abs(row["silent"] - p.silent) <= p.tol, (start, row)
        assert abs(row["noise_share"] - p.noise) <= 0.02, (start, row)
        incs = list(_incidents(builds))
        storms = sum(o.storm for _, o, _, _ in incs) / len(incs)
        assert abs(storms - p.storm) <= p.tol
        quiet = 0
        for w, o, _, inc in incs:
            g = _graph(w.topology)
            pages = _pages(w, inc.fingerprints)
            quiet += any(q not in pages and any(c in pages for c in g.callers[q]) for q in middles(g, o, o.reach))
        assert abs(quiet / len(incs) - p.silent_hop) <= p.tol, (start, quiet / len(incs))
        # The draws were met, and what had to be forced stays within what the docstring says.
        for w, o, _, inc in incs:
            lead = root_leads(w, inc)
            assert o.silent == (lead is None)
        assert not any(f.added or f.delayed or f.capped for _, _, f, _ in incs)
        assert sum(f.clamped for _, _, f, _ in incs) / len(incs) <= 0.35


def test_silent_roots_are_really_silent() -> None:
    n = 0
    for w, o, _, inc in _incidents(_builds("silent_roots", 0)):
        if not o.silent:
            continue
        n += 1
        assert inc.root_silent
        by_fp = {a.fingerprint: a for a in w.alerts}
        for fp in inc.fingerprints:
            assert by_fp[fp].service != inc.root
        # Nor does its host speak for it: the outage's other pages all come from reached callers.
        names = {s.name for s in w.services}
        assert {s for s in _pages(w, inc.fingerprints) if s in names} <= set(o.reach) - {inc.root}
    assert n >= 15


def test_hub_root_cells_are_rooted_on_shared_hubs() -> None:
    tops = [t for t in (*_tops(), *_shapes()) if shared_hubs(_graph(t.name))]
    assert {t.name for t in tops} >= {"online_boutique", "sock_shop", "otel_demo", "shape-hub-500-s0"}
    hub = n = 0
    for s in range(80):
        t = tops[s % len(tops)]
        w = outage_replay.generate(t, s, CELLS["hub_roots"], "hub_roots")
        hubs = set(shared_hubs(_graph(t.name)))
        for inc in w.incidents:
            n += 1
            hub += inc.root in hubs
    assert hub / n >= CELLS["hub_roots"].hub_root - CELLS["hub_roots"].tol
    base = [inc for w, _, _, inc in _incidents(_builds("baseline", 0))]
    in_hubs = sum(inc.root in shared_hubs(_graph(w.topology)) for w, _, _, inc in _incidents(_builds("baseline", 0)))
    assert in_hubs / len(base) <= 0.2  # innocent hubs are usually not the root


def test_slow_burn_spreads_over_ten_to_twenty_minutes_and_the_root_pages_late() -> None:
    late = callers_first = 0
    for w, o, _, inc in _incidents(_builds("slow_burn", 0)):
        reach = [r.minute for r in o.reach.values()]
        spread = max(reach)
        if len(reach) > 1 and o.cls == "slow_burn":
            assert 9.9 <= spread <= 20.1
        by_fp = {a.fingerprint: a for a in w.alerts}
        times = sorted(by_fp[fp].starts_at for fp in inc.fingerprints)
        if o.cls == "slow_burn" and not o.silent and not o.root_first:
            callers_first += 1
            own = min(by_fp[fp].starts_at for fp in inc.fingerprints if by_fp[fp].service == inc.root)
            assert own - times[0] >= timedelta(minutes=10)
            late += own - times[0] <= timedelta(minutes=27)  # 10-20 min, plus a flap's re-fire
            assert times[-1] - times[0] >= timedelta(minutes=10)
    assert callers_first >= 20 and late == callers_first


def test_config_push_consumers_fail_together_and_retry_storms_page_an_innocent_store() -> None:
    together = 0
    for _, o, _, _ in _incidents(_builds("config_push", 0)):
        first = [r.minute for r in o.reach.values() if r.depth == 1]
        if o.cls == "config_push" and len(first) > 1:
            together += 1
            assert max(first) - min(first) <= 0.5
    assert together >= 10
    loud = 0
    for w, o, _, inc in _incidents(_builds("retry_storm", 0)):
        stores = [n for n, r in o.reach.items() if r.role == "overloaded"]
        if o.cls == "retry_storm" and stores:
            loud += bool(set(stores) & _pages(w, inc.fingerprints))
            assert inc.root not in stores
    assert loud >= 10


def test_changes_deploys_before_bad_deploys_and_innocent_ones_elsewhere() -> None:
    rooted = innocent = n = 0
    for w, o, _, inc in _incidents(_builds("bad_deploy", 0)):
        if o.cls != "bad_deploy":
            continue
        n += 1
        window = [c for c in w.changes if inc.onset - timedelta(minutes=15) <= c.at <= inc.onset]
        rooted += any(c.service == inc.root and c.kind == "deployment" for c in window)
        innocent += any(c.service != inc.root for c in window)
    assert rooted / n >= 0.75 and innocent / n >= 0.35


def test_the_monitoring_estate_is_heterogeneous() -> None:
    keys: Counter[str] = Counter()
    sources: Counter[str] = Counter()
    alerts = no_service = flapped = 0
    for b in _builds("baseline", 0):
        for a in b.world.alerts:
            alerts += 1
            no_service += a.service is None
            keys[next((k for k in SERVICE_LABELS if a.labels.get(k)), "-")] += 1
            if "monitor_id" in a.labels:
                sources["datadog"] += 1
            elif str(a.labels.get("namespace", "")).startswith(("AWS/", "CloudWatch")):
                sources["cloudwatch"] += 1
            elif "grafana_folder" in a.labels:
                sources["grafana"] += 1
            elif "prometheus" in a.labels:
                sources["prom"] += 1
            elif {"check_id", "slo"} & a.labels.keys():
                sources["journey"] += 1
            flapped += a.ends_at is not None
    assert len([k for k, v in keys.items() if k != "-" and v >= 5]) >= 6
    assert all(sources[s] / alerts >= 0.05 for s in ("datadog", "cloudwatch", "grafana", "prom", "journey"))
    assert 0.005 <= no_service / alerts <= 0.08  # host-only alerts: present, modest
    assert flapped > 0
    assert keys["job"] > 0  # some alerts name a job that is no service of the topology (node exporter)


def test_no_alert_text_word_is_a_service_name_of_any_known_topology() -> None:
    names = {s.name for t in (*_tops(), *_shapes()) for s in t.services}
    words = set()
    for _, phrase, metric, _, summary, _ in KINDS.values():
        words |= set(re.split(r"[\s,()]+", f"{phrase} {metric} {summary}"))
    assert not words & names, words & names


@pytest.mark.parametrize("spec", ["mesh:100", "hub:500", "deep:60"])
def test_synthetic_shapes_generate_for_every_cell(spec: str) -> None:
    t = resolve(spec)
    assert _has_cycle(t) == (spec.startswith("mesh"))
    for k, (cell, p) in enumerate(CELLS.items()):
        w = outage_replay.generate(t, k, p, cell)
        assert w.incidents and all(inc.fingerprints for inc in w.incidents)
        assert len({inc.root for inc in w.incidents}) == len(w.incidents)
        assert set(w.truth()) == {a.fingerprint for a in w.alerts}


def test_the_harness_call_without_the_cell_name_gives_the_same_world(topologies: list[Topology]) -> None:
    from evalkit.harness import Task, make_world

    top = topologies[0]
    for cell in ("baseline", "slow_burn"):
        via_harness = make_world(Task("outage_replay", cell, f"real/{top.name}", 5))
        direct = outage_replay.generate(top, 5, outage_replay.CELLS[cell], cell)
        assert via_harness == direct
