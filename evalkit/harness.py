"""Score the engine and the baselines over families x cells x topologies x seeds.

Every task generates one world and scores every method on it, so all methods see the same
worlds. Tasks run in worker processes; results are plain :class:`Row` records that
:mod:`evalkit.report` aggregates.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from types import ModuleType

from evalkit import baselines as bl
from evalkit.classic.metrics import Prediction, Score, score
from evalkit.families import FAMILIES, cascade
from evalkit.health import verdicts as health_verdicts
from evalkit.topologies import topology
from evalkit.world import World
from opscontext.engine.correlate import Correlation, CorrelationOptions, correlate
from opscontext.engine.graph import ServiceGraph
from opscontext.queries.correlate import ANSWER_OPTIONS

OURS = "opscontext"
DEEPEST_IN_OURS = "deepest (our groups)"  # a diagnostic, not a baseline: same grouping, other ranking
# The engine given a health source's verdicts on quiet services (evalkit.health models what one sees).
OURS_HEALTH = "opscontext with a health source"
BASELINES: dict[str, Callable[[World], Prediction]] = {
    "earliest (true groups)": bl.earliest,
    "deepest (true groups)": bl.deepest,
    "time window": bl.time_window,
}
# The tuning family beside the held-out ones (``evalkit.families.FAMILIES``).
FAMILY_MODULES: dict[str, ModuleType] = {"cascade": cascade, **FAMILIES}


@dataclass(frozen=True)
class Task:
    family: str
    cell: str
    topology: str
    seed: int
    ablation: str = ""  # a key of evalkit.ablations.ABLATIONS


@dataclass(frozen=True)
class Row:
    task: Task
    method: str
    score: Score
    silent_roots: int  # incidents whose root raised no alert


def family(name: str) -> ModuleType:
    return FAMILY_MODULES[name]


def make_world(task: Task) -> World:
    mod = family(task.family)
    params = mod.CELLS[task.cell]
    world: World = mod.generate(topology(task.topology), task.seed, params)
    world.cell = task.cell
    return world


def ours(
    world: World, options: CorrelationOptions | None = None, health: bool = False,
) -> tuple[Prediction, Correlation]:
    """The engine's answer on ``world``; ``health``: with :func:`evalkit.health.verdicts`.

    Groups list as many candidates as ``correlate_alerts`` shows (``ANSWER_OPTIONS``), so AC@3
    is scored on the list a user reads: a neighbouring group's primary listed third takes the
    place of the group's own third there."""
    graph = ServiceGraph.build(world.services, world.edges)
    verdicts = health_verdicts(world) if health else None
    opts = (options or CorrelationOptions()).model_copy(update={"max_candidates": ANSWER_OPTIONS.max_candidates})
    corr = correlate(world.alerts, graph, world.changes, now=world.now, options=opts, health=verdicts)
    return Prediction.of(corr), corr


def run_task(task: Task) -> list[Row]:
    world = make_world(task)
    n_in = len(world.alerts)
    silent = sum(i.root_silent for i in world.incidents)
    options = None
    if task.ablation:
        from evalkit.ablations import ABLATIONS

        options = ABLATIONS[task.ablation]()
        pred, _ = ours(world, options)
        return [Row(task, OURS, score(world, pred, n_in), silent)]
    pred, _ = ours(world)
    rows = [Row(task, OURS, score(world, pred, n_in), silent)]
    rows.append(Row(task, OURS_HEALTH, score(world, ours(world, health=True)[0], n_in), silent))
    inside = bl.deepest_in(world, [fps for fps, _, _ in pred.groups])
    rows.append(Row(task, DEEPEST_IN_OURS, score(world, inside, n_in), silent))
    for name, method in BASELINES.items():
        rows.append(Row(task, name, score(world, method(world), n_in), silent))
    return rows


def tasks(families: Iterable[str], topologies: Sequence[str], seeds: Iterable[int],
          cells: Sequence[str] | None = None, ablation: str = "") -> list[Task]:
    out: list[Task] = []
    seeds = list(seeds)
    for fam in families:
        mod = family(fam)
        for cell in mod.CELLS:
            if cells and cell not in cells:
                continue
            out.extend(Task(fam, cell, t, s, ablation) for t in topologies for s in seeds)
    return out


def run(all_tasks: Sequence[Task], jobs: int | None = None) -> list[Row]:
    jobs = jobs or min(2, os.cpu_count() or 1)
    if jobs == 1:
        return [r for t in all_tasks for r in run_task(t)]
    with ProcessPoolExecutor(jobs) as pool:
        return [r for rows in pool.map(run_task, all_tasks, chunksize=8) for r in rows]
