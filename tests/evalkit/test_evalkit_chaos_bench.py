"""The chaos_bench family: Chaos Mesh style experiments, per-fault-type manifestations, truth by
construction."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import pytest
from test_evalkit_shapes import _has_cycle

from evalkit.classic.topologies import Topology
from evalkit.families import chaos_bench as cb
from evalkit.families.chaos_faults import CODE_FAULTS
from evalkit.shapes import shape
from evalkit.stats import Tally
from evalkit.topologies import otel_demo
from evalkit.world import Graph, World
from opscontext.models import AlertState

_UNAVAILABLE_RULES = {"KubePodNotReady", "TargetDown", "KubeDeploymentReplicasMismatch"}


def _worlds(cell: str, tops: list[Topology], seeds: range) -> list[World]:
    return [cb.generate(tops[s % len(tops)], s, cb.CELLS[cell], cell) for s in seeds]


def test_the_same_seed_gives_the_same_world_and_another_seed_another(topologies: list[Topology]) -> None:
    for top in (topologies[0], otel_demo(), shape("mesh", 80, 2)):
        for cell in ("baseline", "concurrent", "noisy"):
            a = cb.generate(top, 7, cb.CELLS[cell], cell)
            assert a == cb.generate(top, 7, cb.CELLS[cell], cell)
            b = cb.generate(top, 8, cb.CELLS[cell], cell)
            assert [x.fingerprint for x in a.alerts] != [x.fingerprint for x in b.alerts]


@pytest.mark.parametrize("cell", list(cb.CELLS))
def test_incidents_and_noise_partition_the_alerts_and_the_truth_matches_them(
    cell: str, topologies: list[Topology]
) -> None:
    for w in _worlds(cell, topologies, range(25)):
        fps = [a.fingerprint for a in w.alerts]
        assert len(fps) == len(set(fps))
        claimed = [fp for inc in w.incidents for fp in inc.fingerprints]
        assert len(claimed) == len(set(claimed))
        assert set(claimed) | w.noise == set(fps) and not set(claimed) & w.noise
        assert w.incidents and all(inc.fingerprints for inc in w.incidents)
        by_fp = {a.fingerprint: a for a in w.alerts}
        for inc in w.incidents:
            mine = [by_fp[fp] for fp in inc.fingerprints]
            assert inc.root_silent == (not any(a.service == inc.root for a in mine))
            # Nothing in this model fires before its own experiment began (a deploy before it is a
            # change, not an alert).
            assert all(a.starts_at >= inc.onset for a in mine)
            assert all(a.starts_at < w.now for a in mine)
        for a in w.alerts:
            assert (a.ends_at is None) == (a.state == AlertState.ACTIVE)


@pytest.mark.parametrize("cell", list(cb.CELLS))
@pytest.mark.parametrize("first", [0, 3000])
def test_each_cell_realises_the_shares_it_states(cell: str, first: int, topologies: list[Topology]) -> None:
    # Postures come from a low-discrepancy sequence over seeds, so 200 consecutive seeds land within
    # a few points (a binomial draw would stray by twice that); what is left is the per-kind lean and
    # the roots that cannot lag.
    params = cb.CELLS[cell]
    tally = Tally()
    for w in _worlds(cell, topologies, range(first, first + 200)):
        tally.add(w)
    row = tally.row()
    assert abs(row["silent"] - params.silent) <= 0.05, row
    assert abs(row["root_first"] - params.root_first) <= 0.06, row
    assert abs(row["noise_share"] - params.noise) <= 0.03, row


def test_every_cell_works_on_a_mesh_with_cycles_and_on_a_hub_shape() -> None:
    mesh, hub = shape("mesh", 120, 1), shape("hub", 150, 0)
    assert _has_cycle(mesh)
    for top in (mesh, hub):
        names = {s.name for s in top.services}
        for cell, params in cb.CELLS.items():
            for seed in (0, 1, 2):
                w = cb.generate(top, seed, params, cell)
                assert w.incidents and all(i.root in names and i.fingerprints for i in w.incidents)
                assert len({i.root for i in w.incidents}) == len(w.incidents)
                assert all(i.root in w.degraded for i in w.incidents)
                assert all(a.service is None or a.service in names or a.service == "kube-state-metrics"
                           for a in w.alerts)


@pytest.mark.parametrize("cell", ["baseline", "concurrent", "shared-hub", "silent-hops"])
def test_degraded_covers_every_root_and_every_service_an_incident_alert_names(
    cell: str, topologies: list[Topology]
) -> None:
    for w in _worlds(cell, [*topologies, shape("layered", 80, 0)], range(30)):
        by_fp = {a.fingerprint: a for a in w.alerts}
        for inc in w.incidents:
            when, signals = w.degraded[inc.root]
            assert when <= inc.onset and signals
            for fp in inc.fingerprints:
                svc = by_fp[fp].service
                assert svc in w.degraded and w.degraded[svc][0] <= by_fp[fp].starts_at


def test_a_service_two_experiments_reach_belongs_to_one_of_them(topologies: list[Topology]) -> None:
    shared = 0
    for w in _worlds("concurrent", [*topologies, shape("hub", 80, 0)], range(60)):
        assert len({i.onset for i in w.incidents}) == len(w.incidents)
        by_fp = {a.fingerprint: a for a in w.alerts}
        owners: dict[str, set[str]] = defaultdict(set)
        for inc in w.incidents:
            for fp in inc.fingerprints:
                svc = by_fp[fp].service
                if svc is not None and svc != inc.root:
                    owners[svc].add(inc.id)
        assert all(len(o) == 1 for o in owners.values())
        roots = {i.root: i.id for i in w.incidents}
        # A root another experiment reached first raises the other's caller alerts, never its own
        # experiment's: its caller alerts are the other's.
        shared += sum(1 for svc, o in owners.items() if svc in roots and roots[svc] not in o)
    assert shared >= 1


def test_pod_faults_show_on_the_root_only_through_kubernetes_rules(topologies: list[Topology]) -> None:
    seen = 0
    for w in _worlds("pod-kill", [*topologies, shape("flat", 60, 0)], range(80)):
        by_fp = {a.fingerprint: a for a in w.alerts}
        for inc in w.incidents:
            assert inc.cause in ("pod-kill", "pod-failure")
            own = [by_fp[fp] for fp in inc.fingerprints if by_fp[fp].service == inc.root]
            seen += bool(own)
            # its request metrics vanish with the pod: no latency, error or SLO rule of its own fires
            assert all(a.alertname in _UNAVAILABLE_RULES or a.alertname.endswith("Down") for a in own), own
    assert seen >= 20


def test_network_faults_leave_a_leaf_root_without_request_alerts(topologies: list[Topology]) -> None:
    leaves = 0
    tops = [*topologies, shape("layered", 80, 0)]
    for k, w in enumerate(_worlds("network-delay", tops, range(120))):
        g = Graph.of(tops[k % len(tops)])
        by_fp = {a.fingerprint: a for a in w.alerts}
        for inc in w.incidents:
            if g.callees[inc.root]:
                continue
            leaves += 1
            own = [by_fp[fp] for fp in inc.fingerprints if by_fp[fp].service == inc.root]
            # the delay is outside its process: only its pods' readiness can show it
            assert all(a.alertname in _UNAVAILABLE_RULES or a.alertname.endswith("Down") for a in own), own
    assert leaves >= 10


def test_fault_types_differ_in_how_soon_they_show(topologies: list[Topology]) -> None:
    leak, cpu, pod = (_tally(c, topologies).row()["first_alert_min"] for c in ("memory-leak", "cpu-hog", "pod-kill"))
    # a leak ramps for minutes before anything trips; a killed pod's callers see errors at once
    assert leak > cpu + 2
    assert cpu > pod + 1


def _tally(cell: str, topologies: list[Topology]) -> Tally:
    t = Tally()
    for w in _worlds(cell, topologies, range(120)):
        t.add(w)
    return t


def test_a_bad_deploy_is_a_change_and_a_chaos_experiment_is_not(topologies: list[Topology]) -> None:
    deployed = total = 0
    for w in _worlds("bad-deploy", topologies, range(80)):
        g = Graph.of(next(t for t in topologies if t.name == w.topology))
        for inc in w.incidents:
            total += 1
            assert inc.cause in CODE_FAULTS and not g.is_store(inc.root)
            before = [c for c in w.changes if c.service == inc.root and c.kind == "deployment"
                      and inc.onset - timedelta(minutes=12) <= c.at < inc.onset]
            deployed += bool(before)
    assert deployed / total >= 0.8
    near = total = 0
    lo, hi = cb.CELLS["baseline"].changes
    for w in _worlds("baseline", topologies, range(200)):
        # the innocent ones, and at most one decoy deploy per experiment: the experiment itself is none
        assert lo <= len(w.changes) <= hi + len(w.incidents)
        for inc in w.incidents:
            total += 1
            near += any(c.service == inc.root and inc.onset - timedelta(minutes=15) <= c.at <= inc.onset
                        for c in w.changes)
    assert near / total <= 0.1  # only innocent changes that happen to land there


def test_disk_faults_hit_datastores_and_storms_alert_per_route(topologies: list[Topology]) -> None:
    for w in _worlds("baseline", topologies, range(120)):
        g = Graph.of(next(t for t in topologies if t.name == w.topology))
        assert all(g.is_store(i.root) for i in w.incidents if i.cause == "disk-io")
    storm = _tally("caller-storm", topologies).row()["alerts_per_incident"]
    calm = _tally("baseline", topologies).row()["alerts_per_incident"]
    assert storm > 1.2 * calm
    routes = [a for w in _worlds("caller-storm", topologies, range(40)) for a in w.alerts if "route" in a.labels]
    assert routes and all(a.alertname == "ErrorBudgetBurn" for a in routes)
