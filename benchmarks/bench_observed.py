"""What reading missing dependencies from alerts costs correlate_alerts at estate size.

    python benchmarks/bench_observed.py --services 50000 --alerts 100000

``correlate`` reads the call labels of every alert (client spans, ``peer_service``, mesh
destinations) and, where they name a dependency the graph lacks, answers on a copy of the graph
that has it (``engine/correlation/observed.py``). Three kinds of alerts over the same graph:
none carrying a call label (most estates today), every one naming a dependency the catalog
already declares, and every one naming a random service (a badly stale catalog: thousands of
missing pairs, capped at ``MAX_OBSERVED``). Each is timed cold (new alert objects, nothing
remembered) and warm (the same objects again), with the reading on and off.
"""

from __future__ import annotations

import argparse
import random
import time
from typing import Any

from bench_correlate import _scenario, forget_onsets  # benchmarks/, beside this script
from machine import machine  # benchmarks/machine.py, beside this script

from opscontext.engine.correlate import CorrelationOptions, correlate
from opscontext.engine.correlation.observed import observed_calls


def variants(graph: Any, alerts: list[Any], rng: random.Random) -> dict[str, list[Any]]:
    names = graph.index.names

    def declared(a: Any) -> Any:
        deps = graph.dependencies(a.service) if a.service else []
        return a.model_copy(update={"labels": {**a.labels, "peer_service": rng.choice(deps)}}) if deps else a

    def random_peer(a: Any) -> Any:
        return a.model_copy(update={"labels": {**a.labels, "peer_service": rng.choice(names)}})

    return {
        "no call labels": alerts,
        "call labels naming declared dependencies": [declared(a) for a in alerts],
        "call labels naming random services": [random_peer(a) for a in alerts],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--services", type=int, default=50_000)
    p.add_argument("--alerts", type=int, default=100_000)
    args = p.parse_args()
    if min(args.services, args.alerts) < 1:
        p.error("--services and --alerts must be at least 1")
    print(f"machine: {machine()}")
    graph, scenario, _ = _scenario(args.services, args.alerts, 0)
    now = scenario.now
    print(f"{args.services:,} services, {len(scenario.alerts):,} alerts")
    print("| alerts | reading | pairs missing | read s | correlate cold s | correlate warm s | groups |")
    print("|---|---|---|---|---|---|---|")
    for name, alerts in variants(graph, scenario.alerts, random.Random(0)).items():
        for on in (False, True):
            opts = CorrelationOptions(calls_from_alerts=on)
            fresh = [a.model_copy() for a in alerts]  # new objects: nothing remembered
            forget_onsets(graph)
            t = time.perf_counter()
            pairs = observed_calls(fresh, graph) if on else ()
            read = time.perf_counter() - t
            fresh = [a.model_copy() for a in alerts]
            forget_onsets(graph)
            t = time.perf_counter()
            result = correlate(fresh, graph, scenario.changes, now=now, options=opts)
            cold = time.perf_counter() - t
            t = time.perf_counter()
            correlate(fresh, graph, scenario.changes, now=now, options=opts)
            warm = time.perf_counter() - t
            print(f"| {name} | {'on' if on else 'off'} | {len(pairs):,} | {read:.2f} | {cold:.2f} | {warm:.2f} | "
                  f"{len(result.groups):,} |")


if __name__ == "__main__":
    main()
