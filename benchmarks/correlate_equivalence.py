"""Do two versions of the engine answer the same on the scale benchmark's world?

Runs ``correlate`` on the world of ``bench_correlate.py`` (same generator, same seed) once with
the working tree and once with the engine as of a git revision (its ``src/`` exported to a
temporary directory and imported in a child process), then compares the whole answers: every
group's alerts, primary contributor, candidates, scores and evidence, and the counts; and the
order correlate_alerts lists the groups in, paged as the tool pages them (with lazily ranked
groups, each compared with the eagerly made one), and its first page filtered by a few services.

    python benchmarks/correlate_equivalence.py --rev HEAD                 # 50k services, 100k alerts
    python benchmarks/correlate_equivalence.py --rev 9eb60b1 --services 5000 --alerts 10000

Exit status 0 when the answers are identical, 1 otherwise (with a summary of what differs).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def answer(n_services: int, n_alerts: int, seed: int) -> dict[str, Any]:
    """The full answer of the engine importable in this process, as plain JSON data."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_correlate import _scenario

    from opscontext.engine.correlate import correlate

    graph, scenario, _ = _scenario(n_services, n_alerts, seed)
    result = correlate(scenario.alerts, graph, scenario.changes, now=scenario.now)
    data: dict[str, Any] = json.loads(result.model_dump_json())
    data["listing"], data["lazy_groups_differing"] = _listing(result, graph, scenario)
    data["filtered"] = _filtered(result, graph, scenario)
    return data


def _filtered(result: Any, graph: Any, scenario: Any) -> dict[str, list[str]]:
    """correlate_alerts' first page of 20 with a ``service`` filter, as group ids, for a fixed
    set of services: every 5000th of the graph by name and those the first and middle groups
    name (primary, impacted, candidates), whatever either engine makes of them."""
    names = sorted(graph.index.names)
    services = set(names[::5000])
    for g in (result.groups[:1] + result.groups[len(result.groups) // 2:][:1]):
        services |= {g.primary_contributor, *g.impacted_services[:2], *(c.service for c in g.candidates)}
    try:
        from opscontext.engine.correlate import correlate_lazy
        from opscontext.queries.correlate_order import Listing
    except ImportError:
        def page(service: str) -> list[str]:
            named = [g for g in result.groups if service in g.services or service in g.impacted_services
                     or any(c.service == service for c in g.candidates)]
            return [g.id for g in sorted(named, key=lambda g: (-g.alert_count, -g.confidence))[:20]]
    else:
        def page(service: str) -> list[str]:
            # a fresh correlation per service: nothing ranked for one filter helps the next
            lazy = correlate_lazy(scenario.alerts, graph, scenario.changes, now=scenario.now)
            return [g.id for g in Listing(lazy, service).page(0, 20)]
    return {s: page(s) for s in sorted(services)}


def _listing(result: Any, graph: Any, scenario: Any) -> tuple[list[str], int]:
    """The group ids in correlate_alerts' order (largest, then most confident, first) and how
    many groups made on demand differ from the eager ones. An engine with lazy groups pages
    through them 20 at a time as the tool does (each page ranks only what it shows); an older
    one sorts the whole answer as the tool did."""
    try:
        from opscontext.engine.correlate import correlate_lazy
        from opscontext.queries.correlate_order import Listing
    except ImportError:
        ranked = sorted(result.groups, key=lambda g: (-g.alert_count, -g.confidence))
        return [g.id for g in ranked], 0
    lazy = correlate_lazy(scenario.alerts, graph, scenario.changes, now=scenario.now)
    listing = Listing(lazy)
    shown = [g for start in range(0, len(listing), 20) for g in listing.page(start, 20)]
    eager = {g.id: g for g in result.groups}
    return [g.id for g in shown], sum(1 for g in shown if g != eager.get(g.id))


def _answer_at(rev: str, args: argparse.Namespace) -> dict[str, Any]:
    blob = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src"], check=True,
                          capture_output=True).stdout
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(fileobj=BytesIO(blob)) as tar:
            tar.extractall(tmp, filter="data")
        env = {**os.environ, "PYTHONPATH": str(Path(tmp) / "src")}
        out = Path(tmp) / "answer.json"
        cmd = [sys.executable, __file__, "--one", str(out), "--services", str(args.services),
               "--alerts", str(args.alerts), "--seed", str(args.seed)]
        subprocess.run(cmd, check=True, env=env)
        data: dict[str, Any] = json.loads(out.read_text())
        return data


def differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    out = [f"{k}: {old[k]!r} -> {new[k]!r}" for k in old if k != "groups" and old[k] != new[k]]
    before = {frozenset(g["fingerprints"]): g for g in old["groups"]}
    after = {frozenset(g["fingerprints"]): g for g in new["groups"]}
    gone, came = before.keys() - after.keys(), after.keys() - before.keys()
    if gone or came:
        out.append(f"groups with different alerts: {len(gone)} before only, {len(came)} after only "
                   f"(of {len(before)} / {len(after)})")
    common = before.keys() & after.keys()
    primary = sum(1 for k in common if before[k]["primary_contributor"] != after[k]["primary_contributor"])
    other = sum(1 for k in common if before[k] != after[k])
    if primary or other:
        out.append(f"same alerts, different primary: {primary}; any field different: {other}")
    if not out and old != new:
        out.append("same groups, listed in a different order")
    return out


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--rev", default="HEAD", help="git revision to compare the working tree with")
    p.add_argument("--services", type=int, default=50_000)
    p.add_argument("--alerts", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--one", metavar="OUT", help="internal: write this engine's answer to OUT")
    args = p.parse_args()
    if args.one:
        Path(args.one).write_text(json.dumps(answer(args.services, args.alerts, args.seed)))
        return 0
    old = _answer_at(args.rev, args)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "answer.json"
        cmd = [sys.executable, __file__, "--one", str(out), "--services", str(args.services),
               "--alerts", str(args.alerts), "--seed", str(args.seed)]
        subprocess.run(cmd, check=True)
        new = json.loads(out.read_text())
    diff = differences(old, new)
    print(f"{args.services} services, {args.alerts} alerts: working tree vs {args.rev}: "
          + ("identical" if not diff else "DIFFERENT"))
    for line in diff:
        print("  " + line)
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
