"""Cost of the ingress sanitising pass on many alerts.

    python benchmarks/bench_sanitize.py --alerts 100000

First pass: every string scanned once (distinct short strings remembered); repeat pass: the same
objects again, as a file source hands them back, found by identity.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime

from opscontext.models import Alert
from opscontext.sanitize import Sanitizer


def alerts(n: int, seed: int = 1) -> list[Alert]:
    """``n`` Alertmanager-like alerts over 5,000 services with realistic labels and annotations."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        svc = f"svc-{i % 5000}"
        out.append(
            Alert(
                fingerprint=f"{rng.getrandbits(64):016x}",
                alertname=rng.choice(["HighLatency", "PaymentAuthorizationFailureRate", "KubePodCrashLooping"]),
                service=svc,
                severity="critical",
                summary=f"p99 latency above 2s on {svc} for 5 minutes",
                labels={
                    "alertname": "HighLatency",
                    "service": svc,
                    "namespace": "prod",
                    "pod": f"{svc}-7d9f8c-x{i % 10}",
                    "instance": f"10.0.{i % 250}.{i % 200}:8080",
                    "job": "kubernetes-pods",
                },
                annotations={
                    "summary": "Latency high",
                    "description": f"p99 latency is 2.{i % 9}s (threshold 2s).",
                    "runbook_url": "https://runbooks.example.com/svc#latency",
                },
                starts_at=datetime(2026, 3, 10, 13, i % 60, tzinfo=UTC),
                generator_url="http://prometheus:9090/graph?g0.expr=up&g0.tab=1",
                source="alerts",
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alerts", type=int, default=100_000)
    n = parser.parse_args().alerts
    batch = alerts(n)
    clean = Sanitizer()
    t0 = time.perf_counter()
    out = clean(batch)
    t1 = time.perf_counter()
    clean(batch)
    t2 = time.perf_counter()
    changed = sum(a is not b for a, b in zip(batch, out, strict=True))
    print(
        f"{n} alerts: first pass {t1 - t0:.2f} s ({(t1 - t0) / n * 1e6:.1f} us/alert), "
        f"repeat {t2 - t1:.3f} s; {changed} changed"
    )


if __name__ == "__main__":
    main()
