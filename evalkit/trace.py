"""How one world's alerts became groups: episodes, explanations, bridges and what glued incidents.

    python -m evalkit.trace metric_rules concurrent-2 real/sock_shop 1000
    python -m evalkit.trace metric_rules concurrent-2 real/sock_shop 1000 --bridge-alerts
    python -m evalkit.trace --tally metric_rules --cells concurrent-2 concurrent-4 --seeds 10

One world: every episode (a service's run of alerts) with the incidents its alerts belong to,
the dependency episodes that may explain it and those settling kept, whether it became a bridge,
and the component it ended in; then the sibling pairs, each bridge's alerts and where they went
(``--bridge-alerts``), and the groups with their top candidates. It runs the engine's own grouping
stages (:func:`opscontext.engine.correlate.group_stages`) and keeps what each produced; the groups
it prints are the engine's (a test holds them equal).

``--tally``: over many worlds, every link that ended inside one group, by kind (a kept
explanation, a sibling pair, a cut cycle, a service continuing its own earlier episode), counted
as joining one incident's episodes, two incidents' (glue), or an incident and noise. Which kind
glues incidents is where splitting them has to start. Spare seeds (1000 on) by default, and the
families nothing may be tuned on are refused, as :mod:`evalkit.sweep` does.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from evalkit.families import refuse_never_fitted
from evalkit.harness import FAMILY_MODULES, Task, make_world
from evalkit.topologies import fitting
from evalkit.world import World
from opscontext.engine.correlate import CorrelationOptions, correlate, group_stages
from opscontext.engine.correlation.bridges import Resolution, clusters, explanations, settle_order
from opscontext.engine.correlation.dedup import UniqueAlert
from opscontext.engine.correlation.grouping import Episode, Links
from opscontext.engine.correlation.observed import observed_calls, with_observed
from opscontext.engine.correlation.onsets import onsets
from opscontext.engine.correlation.topology import adjacency
from opscontext.engine.graph import ServiceGraph

NOISE = "noise"


@dataclass
class Trace:
    world: World
    unique: list[UniqueAlert]
    eps: list[Episode]
    links: Links
    res: Resolution
    kept: dict[int, dict[int, int]]  # episode -> the explanations settling kept (target: hops)
    cut: set[tuple[int, int]]  # explanation links cut to break cycles
    members: list[list[int]]  # unique-alert indices per group, as the engine groups them
    labels: dict[str, str]  # fingerprint -> incident id or NOISE

    def truth(self, e: int) -> Counter[str]:
        """The incidents (or noise) episode ``e``'s alerts belong to."""
        return Counter(self.labels.get(self.unique[i].alert.fingerprint, NOISE) for i in self.eps[e].members)

    def owner(self, e: int) -> str:
        """The incident most of ``e``'s alerts belong to (ties: the first by name), or noise."""
        c = self.truth(e)
        return min(c, key=lambda k: (-c[k], k))


def trace(world: World, options: CorrelationOptions | None = None) -> Trace:
    """Group ``world``'s alerts as :func:`opscontext.engine.correlate.correlate_lazy` does,
    keeping every stage's result."""
    opts = options or CorrelationOptions()
    graph = ServiceGraph.build(world.services, world.edges)
    if opts.calls_from_alerts:
        graph = with_observed(graph, observed_calls(world.alerts, graph))
    pre = onsets(world.alerts, graph, opts)
    unique = pre.deduped.unique
    eps = pre.episodes(world.now.timestamp())
    links, res, related = group_stages(unique, eps, pre.by_service, pre.index, adjacency(graph), opts)
    order, cut = settle_order(len(eps), links.down, eps)
    kept = {x: explanations(x, links.down, cut, eps, related) for x in order if x in links.down}
    return Trace(world, unique, eps, links, res, kept, cut, clusters(eps, res), labels(world))


def labels(world: World) -> dict[str, str]:
    """Each fingerprint's incident id, or :data:`NOISE`."""
    return {fp: NOISE if owner == fp else owner for fp, owner in world.truth().items()}


def _mix(c: Counter[str]) -> str:
    return ",".join(f"{k}:{v}" for k, v in sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))


def render(t: Trace, bridge_alerts: bool = False, candidates: int = 3) -> str:
    w, eps, res = t.world, t.eps, t.res
    t0 = min((e.first for e in eps), default=0.0)
    out = [f"{w.family} / {w.cell}: {len(w.alerts)} alerts, {len(t.unique)} unique, {len(eps)} episodes"]
    for inc in w.incidents:
        silent = " (silent)" if inc.root_silent else ""
        out.append(f"  {inc.id}: root {inc.root}{silent}, {len(inc.fingerprints)} alerts - {inc.cause}")
    out.append("episodes (seconds from the first onset; 'comp' is the union-find root it ended in):")
    for i, e in enumerate(eps):
        raw = {x: h for x, h in t.links.down.get(i, {}).items()}
        kept = t.kept.get(i, {})
        state = "BRIDGE" if i in res.bridges else f"comp {res.uf.find(i)}"
        ended = "firing" if e.ended is None else f"ended {e.ended - t0:.0f}"
        line = (f"  ep{i:<4d} {e.service:<28} {e.first - t0:7.0f}..{e.last - t0:<7.0f} {ended:<13} "
                f"[{_mix(t.truth(i))}]")
        if raw:
            line += f" may be explained by {raw}, kept {kept}"
        out.append(f"{line}  {state}")
    if t.links.siblings:
        out.append(f"sibling pairs: {sorted(set(t.links.siblings))}")
    if t.cut:
        out.append(f"cut to break cycles: {sorted(t.cut)}")
    if bridge_alerts and res.placed:
        out.append("bridge alerts (offset, incident, alert -> component):")
        for x in res.order:
            where = {i: r for r, idxs in res.placed.get(x, {}).items() for i in idxs}
            for i in eps[x].members:
                u = t.unique[i]
                owner = t.labels.get(u.alert.fingerprint, NOISE)
                went = f"comp {res.uf.find(where[i])}" if i in where else "(not placed)"
                out.append(f"  ep{x} {u.ts - t0:7.0f} {owner:<8} {u.alert.alertname} -> {went}")
    graph = ServiceGraph.build(w.services, w.edges)
    corr = correlate(w.alerts, graph, w.changes, now=w.now,
                     options=CorrelationOptions(max_candidates=max(candidates, 1)))
    out.append("groups (incidents in each, top candidates):")
    for g in corr.groups:
        mix = Counter(t.labels.get(fp, NOISE) for fp in g.fingerprints)
        names = ", ".join(f"{c.service}{'' if c.alerting else ' (quiet)'}" for c in g.candidates[:candidates])
        out.append(f"  {g.id} conf {g.confidence:.2f}{' lone' if g.lone_warning else ''} [{_mix(mix)}]: {names}")
    return "\n".join(out)


def glue(t: Trace) -> Counter[str]:
    """Every link whose two episodes ended in one component, by kind and by what it joined."""
    uf, bridges = t.res.uf, t.res.bridges
    out: Counter[str] = Counter()

    def count(kind: str, a: int, b: int) -> None:
        if a in bridges or b in bridges or uf.find(a) != uf.find(b):
            return
        oa, ob = t.owner(a), t.owner(b)
        what = "noise" if NOISE in (oa, ob) else "same incident" if oa == ob else "two incidents"
        out[f"{kind}: {what}"] += 1

    for x, kept in t.kept.items():
        for y in kept:
            count("explanation", x, y)
    for a, b in set(t.links.siblings):
        count("sibling", a, b)
    for a, b in t.cut:
        count("cycle cut", a, b)
    last: dict[str, int] = {}
    for i, e in enumerate(t.eps):
        if e.service in last and i not in t.links.down:
            count("continuation", last[e.service], i)
        last[e.service] = i
    return out


def _tally_one(task: Task) -> Counter[str]:
    return glue(trace(make_world(task)))


def tally(tasks: Sequence[Task], jobs: int | None = None) -> Counter[str]:
    total: Counter[str] = Counter()
    with ProcessPoolExecutor(jobs) as ex:
        for c in ex.map(_tally_one, tasks, chunksize=4):
            total.update(c)
    return total


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evalkit.trace", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("family", choices=sorted(FAMILY_MODULES))
    p.add_argument("cell", nargs="?", help="one world: the family's cell")
    p.add_argument("topology", nargs="?", help="one world: its topology (real/..., file/..., shape/KIND-N)")
    p.add_argument("seed", nargs="?", type=int, help="one world: its seed")
    p.add_argument("--bridge-alerts", action="store_true", help="list each bridge alert and where it went")
    p.add_argument("--candidates", type=int, default=3, help="candidates shown per group (default 3)")
    p.add_argument("--tally", action="store_true", help="count what joined episodes over many worlds")
    p.add_argument("--cells", nargs="*", help="--tally: these cells (default every cell)")
    p.add_argument("--topologies", nargs="*", help="--tally: these topologies (default the fitting ones)")
    p.add_argument("--seeds", type=int, default=5, help="--tally: how many seeds (default 5)")
    p.add_argument("--first-seed", type=int, default=1000, help="--tally: first seed (default 1000, spare)")
    p.add_argument("--jobs", type=int, default=None)
    a = p.parse_args(argv)
    mod = FAMILY_MODULES[a.family]
    if a.tally:
        refuse_never_fitted(p, [a.family])
        cells = a.cells or list(mod.CELLS)
        unknown = [c for c in cells if c not in mod.CELLS]
        if unknown:
            p.error(f"{a.family} has no cell {', '.join(unknown)} (cells: {', '.join(mod.CELLS)})")
        topologies = a.topologies or fitting()
        tasks = [Task(a.family, c, tp, s) for tp in topologies for c in cells
                 for s in range(a.first_seed, a.first_seed + a.seeds)]
        print(f"{a.family}: {len(tasks)} worlds ({len(cells)} cells x {len(topologies)} topologies x {a.seeds} seeds)")
        for k, v in sorted(tally(tasks, a.jobs).items()):
            print(f"{v:7d}  {k}")
        return 0
    if a.cell is None or a.topology is None or a.seed is None:
        p.error("one world needs CELL TOPOLOGY SEED (or use --tally)")
    if a.cell not in mod.CELLS:
        p.error(f"{a.family} has no cell {a.cell} (cells: {', '.join(mod.CELLS)})")
    try:
        world = make_world(Task(a.family, a.cell, a.topology, a.seed))
    except (FileNotFoundError, ValueError, KeyError) as exc:
        p.error(f"cannot build the world: {exc}")
    print(render(trace(world), a.bridge_alerts, a.candidates))
    return 0


if __name__ == "__main__":
    sys.exit(main())
