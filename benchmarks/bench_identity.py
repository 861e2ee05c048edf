"""How long resolving alerts to catalog services takes, by what the alerts carry.

    python benchmarks/bench_identity.py --services 50000 --alerts 100000

Times ``ServiceResolver.from_labels`` (what every ``correlate_alerts`` call does for each alert in
its window) over the default service labels, for alerts that name their service in a label, that
name only a pod of a known workload, and that name pods the catalog does not know (a few thousand
distinct pods, then every alert a different one: the worst case). Best of ``--repeat`` runs.

Then what a Helm release's names cost (every pod ``my-release-<service>-...``): the first pass
that resolves none of them, learning the release prefix from their spellings, and the pass
that resolves them with it (:meth:`ServiceResolver.learn_prefixes`; ``World.resolve_alerts``
does the three on the first call that sees them, later calls only the last).
"""

from __future__ import annotations

import argparse
import random
import time

from machine import machine  # benchmarks/machine.py, beside this script

from opscontext.engine.identity import ServiceResolver
from opscontext.models import Service
from opscontext.promfamily import DEFAULT_SERVICE_LABELS

HASH, SUFFIX = "5d8c9f7b6", "qwz2x"  # a pod-template-hash and a pod suffix as Kubernetes makes them


def cases(n_services: int, n_alerts: int, pods: int, rng: random.Random) -> dict[str, list[dict[str, str]]]:
    def pod(owner: str) -> dict[str, str]:
        return {"job": "kube-state-metrics", "pod": f"{owner}-{HASH}-{SUFFIX}"}

    unknown = [f"legacy-{i}" for i in range(pods)]
    return {
        "service label": [{"service": f"svc-{rng.randrange(n_services)}"} for _ in range(n_alerts)],
        "only a pod, known workload": [pod(f"svc-{rng.randrange(n_services)}") for _ in range(n_alerts)],
        f"only a pod, {pods} unknown pods": [pod(rng.choice(unknown)) for _ in range(n_alerts)],
        "only a pod, every one unknown and different": [pod(f"legacy-{i}") for i in range(n_alerts)],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--services", type=int, default=50_000)
    p.add_argument("--alerts", type=int, default=100_000)
    p.add_argument("--pods", type=int, default=2_000, help="distinct unknown pods in the third case")
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    if min(args.services, args.alerts, args.pods, args.repeat) < 1:
        p.error("--services, --alerts, --pods and --repeat must be at least 1")
    rng = random.Random(0)
    print(f"machine: {machine()}")
    services = [Service(name=f"svc-{i}") for i in range(args.services)]
    started = time.perf_counter()
    ServiceResolver(services)
    print(f"index of {args.services:,} services: {time.perf_counter() - started:.2f} s")
    labels = list(DEFAULT_SERVICE_LABELS)
    for name, alerts in cases(args.services, args.alerts, args.pods, rng).items():
        best, resolved = float("inf"), 0
        for _ in range(args.repeat):
            resolver = ServiceResolver(services)  # a fresh one: nothing remembered from the last run
            t = time.perf_counter()
            resolved = sum(resolver.from_labels(a.get("service"), a, labels) is not None for a in alerts)
            best = min(best, time.perf_counter() - t)
        print(f"{name:45s} {args.alerts:,} alerts {best:.2f} s, {resolved:,} resolved")
    released = [{"job": "kube-state-metrics", "pod": f"my-release-svc-{rng.randrange(args.services)}-{HASH}-{SUFFIX}"}
                for _ in range(args.alerts)]
    times: list[tuple[float, float, float]] = []
    for _ in range(args.repeat):
        resolver = ServiceResolver(services)
        t0 = time.perf_counter()
        missed = [sp for a in released if resolver.from_labels(None, a, labels) is None
                  for sp in resolver.unresolved_spellings(None, a, labels)]
        t1 = time.perf_counter()
        learnt = resolver.learn_prefixes(missed)
        t2 = time.perf_counter()
        resolved = sum(resolver.from_labels(None, a, labels) is not None for a in released)
        t3 = time.perf_counter()
        times.append((t1 - t0, t2 - t1, t3 - t2))
    first, learn, again = (min(x) for x in zip(*times, strict=True))
    print(f"{'only a release-prefixed pod':45s} {args.alerts:,} alerts: first pass {first:.2f} s, learning "
          f"{learn:.2f} s ({'learnt ' + ', '.join(resolver.prefixes) if learnt else 'nothing learnt'}), "
          f"second pass {again:.2f} s, {resolved:,} resolved")


if __name__ == "__main__":
    main()
