"""The span_traces family: requests as traces, alerts from rules over span metrics, truth by
counterfactual runs."""

from __future__ import annotations

from evalkit.classic.topologies import Topology
from evalkit.families import span_traces as st
from evalkit.families.trace_model import Node
from evalkit.families.trace_rules import evaluate
from evalkit.families.trace_sim import MINUTES, Noise, simulate
from evalkit.shapes import shape
from evalkit.topologies import otel_demo
from evalkit.world import EPOCH

SEEDS = range(4)


def _tops(topologies: list[Topology]) -> list[Topology]:
    return [otel_demo(), topologies[0], shape("layered", 60, 0)]


def test_the_same_seed_gives_the_same_alerts_and_another_seed_others(topologies: list[Topology]) -> None:
    top = otel_demo()
    a = st.generate(top, 5, st.CELLS["baseline"], "baseline")
    b = st.generate(top, 5, st.CELLS["baseline"], "baseline")
    c = st.generate(top, 6, st.CELLS["baseline"], "baseline")
    assert a == b
    assert [x.fingerprint for x in a.alerts] != [x.fingerprint for x in c.alerts]


def test_incidents_and_noise_are_alerts_of_the_world_and_disjoint(topologies: list[Topology]) -> None:
    for top in _tops(topologies):
        for cell in ("baseline", "two-concurrent", "low-traffic"):
            for seed in SEEDS:
                w = st.generate(top, seed, st.CELLS[cell], cell)
                fps = {a.fingerprint for a in w.alerts}
                claimed = [fp for inc in w.incidents for fp in inc.fingerprints]
                assert set(claimed) <= fps and w.noise <= fps
                assert not set(claimed) & w.noise
                assert set(claimed) | w.noise == fps
                by_fp = {a.fingerprint: a for a in w.alerts}
                for inc in w.incidents:
                    assert inc.root_silent == (not any(by_fp[fp].service == inc.root for fp in inc.fingerprints))
                    # an alert a fault explains cannot have fired before any fault began
                    first = min(i.onset for i in w.incidents)
                    assert all(by_fp[fp].starts_at >= first for fp in inc.fingerprints)


def test_without_the_faults_no_incident_alert_fires(topologies: list[Topology]) -> None:
    # Re-simulated from scratch (fresh noise object: no cache shared with the world's runs).
    for top in _tops(topologies):
        for cell in ("baseline", "two-concurrent"):
            for seed in SEEDS:
                d = st.draw(top, seed, st.CELLS[cell])
                fresh = simulate(d.estate, d.blips, Noise(d.noise_seed))
                assert fresh == d.clean
                for rule, owner, eps in zip(d.rules, d.owners, d.fired, strict=True):
                    if owner is None or owner < 0:
                        continue
                    start, end = eps[0][-1]
                    stop = end if end is not None else MINUTES * 60 + 1
                    assert not [e for e in evaluate(rule, fresh) if e[0] < stop and (e[1] or stop + 1) > start]


def test_an_unreachable_root_shows_only_through_its_callers_client_alerts(topologies: list[Topology]) -> None:
    named = 0
    for top in _tops(topologies):
        for seed in SEEDS:
            w = st.generate(top, seed, st.CELLS["unreachable"], "unreachable")
            by_fp = {a.fingerprint: a for a in w.alerts}
            for inc in w.incidents:
                mine = [by_fp[fp] for fp in inc.fingerprints]
                assert inc.root_silent and not [a for a in mine if a.service == inc.root]
                assert not [a for a in w.alerts if a.service == inc.root and a.starts_at >= inc.onset]
                peers = [a for a in mine if inc.root in (a.labels.get("peer_service"), a.labels.get("server_address"))]
                assert all(a.labels["span_kind"] in ("SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER") for a in peers)
                named += bool(peers)
    assert named >= 4  # callers' client rules name the root in most worlds


def _ancestors(node: Node, service: str, ops: frozenset[str] | None, path: tuple[str, ...], out: set[str]) -> None:
    if node.service == service and (ops is None or node.op in ops):
        out.update(path)
    for c in node.calls:
        _ancestors(c.child, service, ops, (*path, node.service), out)


def test_a_partial_path_fault_reaches_only_callers_on_the_endpoints_using_it(topologies: list[Topology]) -> None:
    spared = 0
    for top in _tops(topologies):
        for seed in SEEDS:
            d = st.draw(top, seed, st.CELLS["partial-path"])
            w = st.generate(top, seed, st.CELLS["partial-path"], "partial-path")
            (f,) = d.faults
            assert f.ops is not None and len(f.ops) == 1
            reach: set[str] = set()
            trees = [e.tree for e in d.estate.endpoints] + [c.tree for cs in d.estate.consumers.values() for c in cs]
            for tree in trees:
                _ancestors(tree, f.service, f.ops, (), reach)
            hit = set(w.degraded) - {f.service}
            assert hit <= reach, hit - reach
            by_fp = {a.fingerprint: a for a in w.alerts}
            for inc in w.incidents:
                assert {by_fp[fp].service for fp in inc.fingerprints} <= reach | {f.service}
            callers = {c for c in d.graph.callers[f.service]}
            spared += bool(callers - reach)
    assert spared >= 1  # some caller of a root reaches it only on endpoints not using the failing operation


def test_a_flag_flip_is_recorded_on_the_flag_service_naming_its_target() -> None:
    top = otel_demo()
    for seed in SEEDS:
        w = st.generate(top, seed, st.CELLS["flag-flip"], "flag-flip")
        for inc in w.incidents:
            flips = [c for c in w.changes if c.kind == "feature-flag" and c.service == "flagd"
                     and EPOCH <= c.at <= inc.onset]
            head = inc.root.split("-")[0]
            assert any(c.summary and c.summary.startswith(f"Flag {head}") for c in flips), inc


def test_every_cell_generates_on_a_synthetic_shape_and_a_real_topology(topologies: list[Topology]) -> None:
    for top in (shape("hub", 80, 0), topologies[0]):
        names = {s.name for s in top.services}
        for cell, params in st.CELLS.items():
            w = st.generate(top, 1, params, cell)
            assert w.incidents and all(i.root in names and i.fingerprints for i in w.incidents)
            assert all(i.root in w.degraded for i in w.incidents)
