"""What alerts that name the service they called would buy: every family, as generated and with
its callers' alerts naming the next service towards the incident's root.

    python -m evalkit.peers --seeds 10
    python -m evalkit.peers --families fault_injection --cells two-faults datastore-kill

OpenTelemetry span metrics, service meshes and the service graph connector label a caller's
failing calls with the callee (``peer_service``, a client span, ``destination_workload``). Most of
the families' alerts carry no such label (span_traces' client alerts do). Here each world is
answered twice: as generated, and with every incident alert on a service other than the root
given ``peer_service`` = the next service on its shortest dependency path to the root (what a
client span on the failing call would name); noise alerts and the root's own are left as they
are. The difference is what such labels are worth to the engine (grouping by the callee named,
a quiet callee seen failing, calls the catalog lacks read back). A measurement, not a tuning aid:
nothing in the engine is set on it.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections import deque
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from evalkit.classic.metrics import Score, score
from evalkit.cli import add_world_options, world_tasks
from evalkit.harness import OURS, Row, Task, make_world, ours
from evalkit.report import aggregate
from evalkit.world import World


def _next_hops(world: World, root: str) -> dict[str, str]:
    """For every service with a dependency path to ``root``: the first service on a shortest one."""
    pred: dict[str, list[str]] = {}
    for e in world.edges:
        pred.setdefault(e.dependency, []).append(e.dependent)
    hop: dict[str, str] = {}
    queue = deque([root])
    seen = {root}
    while queue:
        node = queue.popleft()
        for caller in sorted(pred.get(node, ())):
            if caller not in seen:
                seen.add(caller)
                hop[caller] = node
                queue.append(caller)
    return hop


def naming_callees(world: World) -> tuple[World, int]:
    """``world`` with its callers' incident alerts naming the next service towards the root, and
    how many alerts were given the label."""
    hops = {inc.id: _next_hops(world, inc.root) for inc in world.incidents}
    truth = world.truth()
    out, n = [], 0
    for a in world.alerts:
        hop = hops.get(truth.get(a.fingerprint, ""), {}).get(a.service or "")
        if hop is None:
            out.append(a)
            continue
        out.append(a.model_copy(update={"labels": {**a.labels, "peer_service": hop}}))
        n += 1
    return dataclasses.replace(world, alerts=out), n


def _one(task: Task) -> tuple[Task, Score, Score, int]:
    world = make_world(task)
    named, n = naming_callees(world)
    return (task, score(world, ours(world)[0], len(world.alerts)), score(named, ours(named)[0], len(named.alerts)), n)


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_world_options(p, cells=True)
    args = p.parse_args(argv)
    todo = world_tasks(p, args)
    rows: dict[tuple[str, str], list[Row]] = {}
    labelled: dict[str, int] = {}
    with ProcessPoolExecutor(args.jobs) as pool:
        for task, plain, named, n in pool.map(_one, todo, chunksize=4):
            rows.setdefault((task.family, "as generated"), []).append(Row(task, OURS, plain, 0))
            rows.setdefault((task.family, "callers name the next hop"), []).append(Row(task, OURS, named, 0))
            labelled[task.family] = labelled.get(task.family, 0) + n
    print("| family | alerts | incidents | AC@1 | AC@3 | pair P | pair R | pair F1 | wrong top with confidence < 0.5 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for fam in args.families:
        for variant in ("as generated", "callers name the next hop"):
            got = rows.get((fam, variant))
            if not got:
                continue
            g = aggregate(got)
            print(f"| {fam} | {variant} | {g.incidents} | {g.ac1:.3f} | {g.ac3:.3f} | {g.precision:.3f} | "
                  f"{g.recall:.3f} | {g.f1:.3f} | {g.wrong_low_conf:.2f} |")
    print("\n" + "; ".join(f"{fam}: {n:,} alerts given peer_service" for fam, n in labelled.items()))


if __name__ == "__main__":
    main()
