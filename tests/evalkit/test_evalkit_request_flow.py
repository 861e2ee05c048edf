"""Family D ("request_flow"): alerts emerge from rules over simulated request flow; truth is counterfactual."""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pytest

from evalkit.classic.topologies import Topology
from evalkit.families import flow_net
from evalkit.families import request_flow as rf
from evalkit.families.flow_rules import WARM, Rule, episodes
from evalkit.families.flow_sim import Fault, Run, simulate
from evalkit.shapes import shape
from evalkit.topologies import otel_demo
from evalkit.world import Graph, World

MIN = flow_net.MINUTE
FIELDS = ("req", "err", "lat", "up", "util", "pool", "mem", "lag")


@pytest.fixture(scope="module")
def otel() -> Topology:
    return otel_demo()


def _net(top: Topology, p_retry: float = 0.0, p_fallback: float = 0.0, seed: int = 5) -> tuple[Graph, flow_net.Net]:
    g = Graph.of(top)
    return g, flow_net.build(g, seed, random.Random(seed), p_retry, p_fallback, 0.25)


def _dump(w: World) -> str:
    return "\n".join(a.model_dump_json() for a in w.alerts) + repr(sorted(w.noise)) + repr(w.incidents)


def test_the_same_seed_gives_the_same_alerts_byte_for_byte_and_another_seed_others(otel: Topology) -> None:
    params = rf.CELLS["two-concurrent"]
    a, b = rf.generate(otel, 7, params), rf.generate(otel, 7, params)
    assert _dump(a) == _dump(b)
    assert a.degraded == b.degraded
    assert _dump(rf.generate(otel, 8, params)) != _dump(a)


@pytest.mark.parametrize("cell", ["baseline", "three-spread", "crash-only"])
def test_incidents_own_alerts_of_the_world_and_never_the_noise(cell: str, topologies: list[Topology]) -> None:
    for seed in range(6):
        w = rf.generate(topologies[seed % len(topologies)], seed, rf.CELLS[cell], cell)
        fps = {a.fingerprint for a in w.alerts}
        owned = [fp for inc in w.incidents for fp in inc.fingerprints]
        assert owned and set(owned) <= fps
        assert not set(owned) & w.noise
        assert set(owned) | w.noise == fps
        by_fp = {a.fingerprint: a for a in w.alerts}
        first = min(inc.onset for inc in w.incidents)
        for inc in w.incidents:
            assert inc.root_silent == (inc.root not in {by_fp[fp].service for fp in inc.fingerprints})
            assert all(by_fp[fp].starts_at >= inc.onset for fp in inc.fingerprints), "an effect before its fault"
            assert inc.root in w.degraded, "the root's own series always move"
        assert all(at >= first for at, _ in w.degraded.values())


def test_an_incident_alert_never_fires_without_the_faults_and_a_noise_alert_always_does(otel: Topology) -> None:
    params = rf.CELLS["tight-thresholds"]
    seen_noise = seen_incident = 0
    for seed in range(4):
        est = rf._estate(otel, seed, params, 0)
        found = rf._faults(est, seed, 0, params)
        assert found is not None
        _, got = found
        calm_again = simulate(est.net, [])
        for i, ep in [x for owned in got.owned for x in owned]:
            assert not any(rf._overlap(ep, c) for c in episodes(est.net, calm_again, est.rules[i]))
            seen_incident += 1
        for i, ep in got.noise:
            assert any(rf._overlap(ep, c) for c in episodes(est.net, calm_again, est.rules[i]))
            seen_noise += 1
    assert seen_incident and seen_noise


@pytest.mark.parametrize("top", [shape("mesh", 80, 0), otel_demo()], ids=["mesh-80", "otel"])
def test_the_incremental_run_equals_a_full_one_and_before_the_first_onset_equals_the_calm_one(top: Topology) -> None:
    _, net = _net(top, p_retry=0.4, p_fallback=0.2)
    calm = simulate(net, [])
    for seed in range(3):
        est_rng = random.Random(seed)
        roots = est_rng.sample([v for v, n in enumerate(net.nodes) if n.kind == "app" and net.base_req[v] > 0], 2)
        faults = [Fault(roots[0], "crash", 40 * MIN, 80 * MIN, 1.0), Fault(roots[1], "errors", 50 * MIN, 70 * MIN, 0.4)]
        fast, full = simulate(net, faults, calm), simulate(net, faults)
        for k in FIELDS:
            assert np.array_equal(getattr(fast, k), getattr(full, k), equal_nan=True), k
            assert np.array_equal(getattr(fast, k)[:, : 40 * MIN], getattr(calm, k)[:, : 40 * MIN]), k


def _caller_of(net: flow_net.Net, root: int) -> int:
    return next(int(net.src[e]) for e in net.in_edges[root] if not net.is_async[e])


def _errors_rule(v: int) -> Rule:
    return Rule(v, "HighErrorRate", "err", 0.05, 4, 60, 2, WARM, "critical", (), -1, "")


def _crash(g: Graph) -> tuple[int, Fault]:
    root = g.names.index("product-catalog")
    return root, Fault(root, "crash", 40 * MIN, 70 * MIN, 1.0)


def test_a_crashed_service_makes_its_callers_fail_and_their_error_rules_fire(otel: Topology) -> None:
    g, net = _net(otel)
    root, fault = _crash(g)
    calm = simulate(net, [])
    run = simulate(net, [fault], calm)
    caller = _caller_of(net, root)
    window = slice(42 * MIN, 70 * MIN)
    assert (run.up[root, window] == 0).all()
    assert run.err[caller, window].min() > calm.err[caller, window].max() + 0.1
    fired = episodes(net, run, _errors_rule(caller))
    assert not episodes(net, calm, _errors_rule(caller))
    assert fired and 40 * MIN < fired[0][0] <= 46 * MIN


def _caller_errors(run: Run, calm: Run, net: flow_net.Net, root: int) -> float:
    callers = sorted({int(net.src[e]) for e in net.in_edges[root] if not net.is_async[e]})
    window = slice(45 * MIN, 70 * MIN)
    return float(np.mean([run.err[c, window].mean() - calm.err[c, window].mean() for c in callers]))


def test_fallbacks_hide_a_callee_failure_that_plain_calls_pass_on(otel: Topology) -> None:
    passed_on, hidden = [], []
    for p_fallback, out in ((0.0, passed_on), (1.0, hidden)):
        g, net = _net(otel, p_fallback=p_fallback)
        root, fault = _crash(g)
        calm = simulate(net, [])
        out.append(_caller_errors(simulate(net, [fault], calm), calm, net, root))
    assert passed_on[0] > 0.15
    assert hidden[0] < 0.01


def test_retries_amplify_the_load_on_a_failing_callee(otel: Topology) -> None:
    loads = []
    for p_retry in (0.0, 1.0):
        g, net = _net(otel, p_retry=p_retry)
        root = g.names.index("currency")
        calm = simulate(net, [])
        run = simulate(net, [Fault(root, "errors", 40 * MIN, 70 * MIN, 0.5)], calm)
        loads.append(float(run.req[root, 45 * MIN:70 * MIN].mean() / calm.req[root, 45 * MIN:70 * MIN].mean()))
    assert loads[0] == pytest.approx(1.0)
    assert loads[1] > 1.3


def test_over_seeds_the_fallbacks_cell_leaves_fewer_callers_erring_than_the_retries_cell(otel: Topology) -> None:
    def erring_callers(cell: str) -> float:
        hits = total = 0
        for seed in range(12):
            w = rf.generate(otel, seed, replace(rf.CELLS[cell], kinds=("crash", "errors")), cell)
            g = Graph.of(otel)
            for inc in w.incidents:
                for c in g.callers[inc.root]:
                    total += 1
                    hits += c in w.degraded and "errors" in w.degraded[c][1]
        return hits / total

    assert erring_callers("fallbacks-hide") < erring_callers("retries-amplify") - 0.15


@pytest.mark.parametrize("top", [shape("hub", 120, 0), shape("deep", 60, 0)], ids=["hub-120", "deep-60"])
def test_worlds_generate_on_synthetic_shapes(top: Topology) -> None:
    for cell in ("baseline", "hub-roots"):
        w = rf.generate(top, 3, rf.CELLS[cell], cell)
        assert w.incidents and all(inc.fingerprints for inc in w.incidents)
        assert w.now > max(a.starts_at for a in w.alerts)


def test_a_rule_fires_for_after_it_turns_true_on_its_grid_and_resolves_at_the_first_false_evaluation(
    otel: Topology,
) -> None:
    g, net = _net(otel)
    v = g.names.index("checkout")
    run = simulate(net, [])
    run.up[v, 30 * MIN:50 * MIN] = 0.5  # half the instances down from minute 30 to 50
    rule = Rule(v, "TargetDown", "up", 0.1, 1, 120, 4, WARM + 1, "warning", (), -1, "")
    # Evaluations every 60 s from step 41: the first true one at or after step 120 is step 121,
    # firing 120 s later (step 129); the first false one at or after step 200 is step 201.
    assert episodes(net, run, rule) == [(121 + 8, 201)]
    assert episodes(net, run, replace(rule, for_s=25 * 60)) == []  # never true for 25 min
    run.up[v, 100 * MIN:] = 0.0
    assert episodes(net, run, rule)[-1] == (401 + 8, None)  # still firing at the end


def test_the_cells_realise_what_they_claim_over_seeds(topologies: list[Topology]) -> None:
    from evalkit.stats import Tally

    def row(cell: str) -> dict[str, float]:
        t = Tally()
        for seed in range(16):
            t.add(rf.generate(topologies[seed % len(topologies)], seed, rf.CELLS[cell], cell))
        return t.row()

    base, tight, slow, deploy = row("baseline"), row("tight-thresholds"), row("slow-rules"), row("deploy-caused")
    assert tight["noise_share"] > base["noise_share"] + 0.2
    assert slow["first_alert_min"] > base["first_alert_min"]
    assert deploy["root_change"] == 1.0 > base["root_change"]
    assert row("two-concurrent")["incidents_per_world"] == 2.0
