"""Service graph build and blast_radius latency on large synthetic worlds.

    python benchmarks/bench_graph.py [--services 5000 50000] [--edges-per-service 5]
                                     [--samples 300] [--seed 0]

For each size: builds a seeded heavy-tailed world (opscontext.engine.synthetic), times
``ServiceGraph.build`` (index included; the networkx view is lazy and timed apart), measures
memory (tracemalloc peak of a second build, and the RSS growth of the first), then times warm
``blast_radius`` calls over a sample made of the 20 biggest hubs plus random services. Prints a
markdown table and the machine.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

from machine import machine  # benchmarks/machine.py, beside this script

from opscontext.engine.blast import blast_radius
from opscontext.engine.graph import ServiceGraph
from opscontext.engine.synthetic import synthetic_world

HUBS = 20


@dataclass
class Row:
    services: int
    edges: int
    generate_s: float
    build_s: float
    networkx_s: float
    peak_mb: float
    rss_mb: float
    all_ms: list[float]
    hub_ms: list[float]
    hub_reach: int
    max_answer_kb: float


def rss_mb() -> float:
    """Resident set size now (Linux /proc; 0 elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def run(n: int, per_service: float, samples: int, seed: int) -> Row:
    t0 = time.perf_counter()
    services, edges = synthetic_world(n, avg_out_degree=per_service, seed=seed)
    generated = time.perf_counter() - t0
    gc.collect()
    before = rss_mb()
    t0 = time.perf_counter()
    graph = ServiceGraph.build(services, edges)
    built = time.perf_counter() - t0
    grown = rss_mb() - before
    tracemalloc.start()
    ServiceGraph.build(services, edges)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    t0 = time.perf_counter()
    _ = graph.g
    nx_view = time.perf_counter() - t0
    hubs = graph.hubs(HUBS)
    others = [s.name for s in services if s.name not in set(hubs)]
    sample = hubs + random.Random(seed).sample(others, max(0, min(samples - HUBS, len(others))))
    for name in sample[:HUBS]:  # warm-up: first calls pay for allocator growth, not the search
        blast_radius(graph, name)
    timings: dict[str, float] = {}
    biggest = 0
    for name in sample:
        t0 = time.perf_counter()
        result = blast_radius(graph, name)
        timings[name] = (time.perf_counter() - t0) * 1000
        biggest = max(biggest, len(result.model_dump_json()))
    reach = blast_radius(graph, hubs[0], limit=0).impacted_total
    return Row(n, graph.edge_count, generated, built, nx_view, peak, grown,
               list(timings.values()), [timings[h] for h in hubs], reach, biggest / 1024)


def table(rows: list[Row]) -> str:
    head = ("| services | edges | build s | networkx view s | tracemalloc peak MB | RSS +MB "
            "| p50 ms | p95 ms | p99 ms | max ms | hubs p50 ms | hubs max ms | top hub reach "
            "| max answer KB |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        lines.append(
            f"| {r.services:,} | {r.edges:,} | {r.build_s:.2f} | {r.networkx_s:.2f} "
            f"| {r.peak_mb:.0f} | {r.rss_mb:.0f} | {pct(r.all_ms, 50):.1f} | {pct(r.all_ms, 95):.1f} "
            f"| {pct(r.all_ms, 99):.1f} | {max(r.all_ms):.1f} | {statistics.median(r.hub_ms):.1f} "
            f"| {max(r.hub_ms):.1f} | {r.hub_reach:,} | {r.max_answer_kb:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--services", type=int, nargs="+", default=[5000, 50000],
                        help="world sizes to run (default: 5000 50000)")
    parser.add_argument("--edges-per-service", type=float, default=5,
                        help="mean out-degree of the synthetic world (default 5)")
    parser.add_argument("--samples", type=int, default=300,
                        help="blast_radius calls timed per size, the top-20 hubs included")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = []
    for n in args.services:
        rows.append(run(n, args.edges_per_service, args.samples, args.seed))
        r = rows[-1]
        print(f"{n:,} services: world generated in {r.generate_s:.1f} s", flush=True)
    print()
    print(table(rows))
    print()
    print(f"Machine: {machine()}")


if __name__ == "__main__":
    main()
