"""The correlation engine's own CPU seconds, this working tree against a git revision, interleaved.

On a shared VM, single timings drift by ±20% within minutes, so a before/after comparison is
only honest run against run. For each (services, alerts) point this builds the world of
``bench_correlate.py`` (same generator, same seed) in a child process per engine version, runs
``correlate`` ``--calls`` times there and reports CPU seconds (``time.process_time``) per call:
the first call is cold (the graph's adjacency and memoised walks are built), the best of the
rest is warm. Versions alternate ``--rounds`` times; the table shows each version's best.

    python benchmarks/engine_cpu.py --rev main
    python benchmarks/engine_cpu.py --rev main --points 50000:100000 --rounds 3
    python benchmarks/engine_cpu.py --rev main --answer   # what correlate_alerts' first page costs
    python benchmarks/engine_cpu.py --rev main --answer --prepared  # ... after a server's load
    python benchmarks/engine_cpu.py --rev main --answer --prepared --service auth  # ... filtered

``--answer`` times the engine work behind correlate_alerts' default answer instead of the whole
correlation: with the tool's options (five listed alerts, three candidates), correlating and
taking the first page of 20 groups in the tool's order (largest, then most confident). An
engine with lazy groups ranks only those (``correlate_lazy`` and ``Listing``); an older one
correlates eagerly and sorts every group, as the tool then did. ``--service`` times that page
with the tool's ``service`` filter (the groups whose answer names the service).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

from machine import machine  # benchmarks/machine.py, beside this script

ROOT = Path(__file__).resolve().parent.parent


def run_one(n_services: int, n_alerts: int, calls: int, answer: bool = False, prepared: bool = False,
            service: str | None = None) -> list[float]:
    """CPU seconds of each of ``calls`` correlations (or first answer pages, ``answer``, filtered
    by ``service`` if given), in this process, on the benchmark world (``prepared``: after the
    per-graph work a server does while it loads, untimed)."""
    from bench_correlate import _scenario, forget_onsets

    from opscontext.engine.correlate import correlate

    graph, scenario, _ = _scenario(n_services, n_alerts, 0)
    if prepared:
        _prepare(graph)
    if service is not None and service not in graph.index.names:
        raise SystemExit(f"--service {service!r} is not in the benchmark world (e.g. auth, domain-ads-00011)")
    run = _first_page(graph, scenario, service) if answer else (
        lambda: correlate(scenario.alerts, graph, scenario.changes, now=scenario.now))
    out = []
    for _ in range(calls):
        forget_onsets(graph)  # each call stands for new alerts over the same graph
        start = time.process_time()
        result = run()
        out.append(time.process_time() - start)
        del result  # freeing the answer is the caller's business, as in bench_correlate
    return out


def _prepare(graph: Any) -> None:
    """What the server's background load does for the engine (warm.py), if this version has it."""
    from opscontext.engine.correlation.models import CorrelationOptions

    try:
        from opscontext.engine.correlation.topology import prepare
        from opscontext.gcpause import long_lived
    except ImportError:
        return
    long_lived(prepare)(graph, CorrelationOptions().hub_degree)


def _first_page(graph: Any, scenario: Any, service: str | None = None) -> Callable[[], Any]:
    """The engine work behind correlate_alerts' first page (see the module docstring)."""
    from opscontext.engine.correlate import correlate
    from opscontext.engine.correlation.models import CorrelationOptions
    from opscontext.gcpause import paused

    options = CorrelationOptions(max_alerts_listed=5, max_candidates=3)
    args = (scenario.alerts, graph, scenario.changes)
    try:
        from opscontext.engine.correlate import correlate_lazy
        from opscontext.queries.correlate_order import Listing
    except ImportError:
        def eager() -> Any:
            with paused():  # as the tool's call is
                result = correlate(*args, now=scenario.now, options=options)
                groups = [g for g in result.groups if service is None or service in {
                    *g.services, *g.impacted_services, *(c.service for c in g.candidates)}]
                return result, sorted(groups, key=lambda g: (-g.alert_count, -g.confidence))[:20]
        return eager

    def lazy() -> Any:
        with paused():
            result = correlate_lazy(*args, now=scenario.now, options=options)
            return result, Listing(result, service).page(0, 20)
    return lazy


def _child(src: Path | None, point: tuple[int, int], calls: int, answer: bool, prepared: bool,
           service: str | None) -> list[float]:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    cmd = [sys.executable, __file__, "--one", f"{point[0]}:{point[1]}", "--calls", str(calls),
           *(["--answer"] if answer else []), *(["--prepared"] if prepared else []),
           *(["--service", service] if service else [])]
    done = subprocess.run(cmd, check=True, env=env, capture_output=True, text=True)
    timings: list[float] = json.loads(done.stdout)
    return timings


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--rev", default="main", help="git revision to compare the working tree with")
    p.add_argument("--points", nargs="+", default=["5000:10000", "20000:50000", "50000:100000"],
                   help="services:alerts")
    p.add_argument("--calls", type=int, default=3, help="calls per process: 1 cold + warm ones")
    p.add_argument("--rounds", type=int, default=2, help="processes per version and point, alternating")
    p.add_argument("--answer", action="store_true", help="time correlate_alerts' first page, not correlate")
    p.add_argument("--prepared", action="store_true",
                   help="build the per-graph indexes first, untimed, as the server's background load does")
    p.add_argument("--service", help="with --answer: the first page filtered by this service")
    p.add_argument("--one", help="internal: run one point in this process, print JSON")
    args = p.parse_args()
    if args.one:
        n_services, n_alerts = (int(x) for x in args.one.split(":"))
        print(json.dumps(run_one(n_services, n_alerts, args.calls, args.answer, args.prepared, args.service)))
        return 0
    if args.service and not args.answer:
        p.error("--service filters the answer's first page: give --answer too")
    print(machine())
    blob = subprocess.run(["git", "-C", str(ROOT), "archive", args.rev, "src"], check=True,
                          capture_output=True).stdout
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(fileobj=BytesIO(blob)) as tar:
            tar.extractall(tmp, filter="data")
        for text in args.points:
            point = (int(text.split(":")[0]), int(text.split(":")[1]))
            seen: dict[str, list[list[float]]] = {"old": [], "new": []}
            for _ in range(args.rounds):
                seen["old"].append(_child(Path(tmp) / "src", point, args.calls, args.answer, args.prepared,
                                          args.service))
                seen["new"].append(_child(None, point, args.calls, args.answer, args.prepared, args.service))
            rows.append({"point": point, **{k: (min(t[0] for t in v), min(min(t[1:] or t) for t in v))
                                            for k, v in seen.items()}})
    print(f"| services | alerts | {args.rev} cold s | {args.rev} warm s | tree cold s | tree warm s |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        (s, a), (oc, ow), (nc, nw) = r["point"], r["old"], r["new"]
        print(f"| {s:,} | {a:,} | {oc:.2f} | {ow:.2f} | {nc:.2f} | {nw:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
