"""Scale benchmark: correlate 100,000 alerts over a 50,000-service / ~250,000-edge graph.

Budget: <= 3 s wall time for ``correlate`` and <= 1 GiB peak RSS for the whole process
(world, alerts and correlation together). The alerts come from the evaluation scenario
generator over ``synthetic_world`` (a day of incidents cascading through the estate, unrelated
noise, flapping and duplicate deliveries), topped up with noise to exactly ``--alerts``; ground
truth is kept, so the run also reports accuracy at scale.

    python benchmarks/bench_correlate.py [--services 50000] [--alerts 100000] [--seed 0]
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from datetime import timedelta

from opscontext.engine.correlate import correlate
from opscontext.engine.graph import ServiceGraph
from opscontext.eval.alerts_gen import AlertFactory
from opscontext.eval.baselines import ours  # noqa: F401  (keeps the harness importable here)
from opscontext.eval.metrics import Prediction, score
from opscontext.eval.scenario import ScenarioConfig, generate
from opscontext.eval.topologies import synthetic


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--services", type=int, default=50_000)
    p.add_argument("--alerts", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()

    t = time.perf_counter()
    topology = synthetic(args.services, seed=args.seed)
    graph = ServiceGraph.build(topology.services, topology.edges)
    cfg = ScenarioConfig(hours=24, incidents=(args.alerts // 40, args.alerts // 40), overlap=0.3,
                         noise_per_service_hour=0.01)
    scenario = generate(topology, args.seed, cfg)
    alerts = scenario.alerts
    if len(alerts) < args.alerts:
        factory = AlertFactory(random.Random(args.seed), cfg)
        names = [s.name for s in topology.services]
        start = scenario.now - timedelta(hours=24, minutes=10)
        while len(alerts) + len(factory.alerts) < args.alerts:
            scenario.noise |= factory.noise(names, start, 24.0)
        alerts = sorted([*alerts, *factory.alerts[: args.alerts - len(alerts)]], key=lambda a: a.starts_at)
    else:
        alerts = alerts[: args.alerts]
    kept = {a.fingerprint for a in alerts}
    scenario.alerts = alerts
    scenario.noise &= kept
    for inc in scenario.incidents:
        inc.fingerprints &= kept
    scenario.incidents = [i for i in scenario.incidents if len(i.fingerprints) >= 2]
    setup = time.perf_counter() - t
    print(f"world: {graph.g.number_of_nodes()} services, {graph.g.number_of_edges()} edges; "
          f"{len(alerts)} alerts, {len(scenario.changes)} changes, {len(scenario.incidents)} incidents "
          f"(setup {setup:.1f} s, RSS so far {peak_rss_mib():.0f} MiB)")

    timings = []
    result = None
    for _ in range(args.repeat):
        t = time.perf_counter()
        result = correlate(alerts, graph, scenario.changes, now=scenario.now)
        timings.append(time.perf_counter() - t)
    assert result is not None
    pred = Prediction([(g.fingerprints, [c.service for c in g.candidates], g.confidence) for g in result.groups])
    s = score(scenario, pred, result.alerts_in)
    best = min(timings)
    rss = peak_rss_mib()
    print(f"correlate: best {best:.2f} s of {args.repeat} (all: {', '.join(f'{x:.2f}' for x in timings)})")
    print(f"peak RSS: {rss:.0f} MiB")
    print(f"groups {result.groups_out}, unique {result.alerts_unique}, ungrouped {result.ungrouped}, "
          f"noise reduction {result.noise_reduction:.3f}")
    print(f"accuracy at scale: AC@1 {s.ac1:.3f}, AC@3 {s.ac3:.3f}, pairwise P {s.precision:.3f} "
          f"R {s.recall:.3f} F1 {s.f1:.3f}")
    ok = best <= 3.0 and rss <= 1024
    print("within budget" if ok else "OVER BUDGET (3 s, 1 GiB)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
