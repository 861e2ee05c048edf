"""What grouping costs: incidents the deepest rule names right inside the true groups and wrong
inside the engine's, and why.

    python -m evalkit.grouping_loss --seeds 10                       # tunable families, spare seeds
    python -m evalkit.grouping_loss --families metric_rules --by-cell

The report's "deepest (true groups)" baseline applies the deepest-first rule inside the true
incidents; "deepest rule in our groups" applies the same rule inside the engine's groups. The
ranking is the same rule in both, so the gap between the two is what grouping costs, and on most
families it is most of the gap between the engine and that baseline. Each incident the first names
right and the second wrong is put in one class, as the report scores it (the group holding most
of the incident's alerts):

* **root apart, alone**: that group holds none of the root's alerts, and the root's alerts sit in
  a group of their own incident only (the callers' alerts went elsewhere: a shared caller's
  strands placed with another incident, or its alerts captured by a noise alert next to it);
* **root apart, with another incident**: the root's alerts sit in a group holding another
  incident's alerts too;
* **root apart, with noise**: in a group of its own incident and noise only;
* **root apart, ungrouped**: the root's alerts were dropped (isolated noise, below severity);
* **another incident on top**: the group holds the root and another incident whose service the
  rule puts first (concurrent incidents merged);
* **noise on top**: a noise alert's service is put first (noise joined deeper than the root).

Spare seeds (1000 on) and refuses the families nothing may be tuned on, as :mod:`evalkit.sweep`
does.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor

from evalkit.baselines import deepest_in
from evalkit.classic.metrics import Prediction
from evalkit.families import NEVER_FITTED_FAMILIES, refuse_never_fitted
from evalkit.harness import FAMILY_MODULES, Task, make_world, ours, tasks
from evalkit.topologies import fitting
from evalkit.world import World

CLASSES = (
    "root apart, alone", "root apart, with another incident", "root apart, with noise", "root apart, ungrouped",
    "another incident on top", "noise on top",
)


def _matched(groups: Sequence[tuple[Sequence[str], Sequence[str], float]], fps: Iterable[str]) -> int | None:
    """The index of the group holding most of ``fps`` (ties as the harness breaks them)."""
    label = {fp: gi for gi, (members, _, _) in enumerate(groups) for fp in members}
    overlap = Counter(label[fp] for fp in sorted(fps) if fp in label)
    return overlap.most_common(1)[0][0] if overlap else None


def _top(pred: Prediction, fps: Iterable[str]) -> str | None:
    gi = _matched(pred.groups, fps)
    if gi is None:
        return None
    ranked = pred.groups[gi][1]
    return ranked[0] if ranked else None


def classify(world: World, groups: Sequence[Sequence[str]]) -> list[tuple[bool, bool, str | None]]:
    """Per incident: whether the deepest rule is right in the true groups, whether it is right in
    ``groups`` (the engine's), and the class of the loss when the first holds and the second not."""
    truth = deepest_in(world, [sorted(i.fingerprints) for i in world.incidents])
    inside = deepest_in(world, groups)
    incident_of = {fp: k for k, inc in enumerate(world.incidents) for fp in inc.fingerprints}
    service_of = {a.fingerprint: a.service for a in world.alerts}
    group_of = {fp: gi for gi, members in enumerate(groups) for fp in members}
    out: list[tuple[bool, bool, str | None]] = []
    for k, inc in enumerate(world.incidents):
        right_true = _top(truth, inc.fingerprints) == inc.root
        right_ours = _top(inside, inc.fingerprints) == inc.root
        why = None
        if right_true and not right_ours:
            why = _why(k, inc.fingerprints, inc.root, groups, group_of, incident_of, service_of, inside)
        out.append((right_true, right_ours, why))
    return out


def _why(
    k: int, fps: frozenset[str], root: str, groups: Sequence[Sequence[str]], group_of: dict[str, int],
    incident_of: dict[str, int], service_of: dict[str, str | None], inside: Prediction,
) -> str:
    gi = _matched(inside.groups, fps)
    root_fps = [fp for fp in fps if service_of.get(fp) == root]
    if gi is None or not any(group_of.get(fp) == gi for fp in root_fps):
        homes = {group_of[fp] for fp in root_fps if fp in group_of}
        if not homes:
            return "root apart, ungrouped"
        others = {incident_of.get(fp, -1) for h in homes for fp in groups[h]} - {k}
        if others - {-1}:
            return "root apart, with another incident"
        return "root apart, with noise" if -1 in others else "root apart, alone"
    top = inside.groups[gi][1][0]
    on_top = [fp for fp in groups[gi] if service_of.get(fp) == top]
    if any(incident_of.get(fp, -1) not in (k, -1) for fp in on_top):
        return "another incident on top"
    return "noise on top"


def _one(task: Task) -> tuple[str, str, list[tuple[bool, bool, str | None]]]:
    world = make_world(task)
    pred, _ = ours(world)
    return task.family, task.cell, classify(world, [fps for fps, _, _ in pred.groups])


def table(results: Sequence[tuple[str, list[tuple[bool, bool, str | None]]]]) -> list[str]:
    """Markdown rows, one per key (family or family/cell), then every key pooled: incidents, the
    deepest rule's AC@1 in the true groups and in ours, and each class as a share of incidents."""
    per: dict[str, list[tuple[bool, bool, str | None]]] = {}
    for key, rows in results:
        per.setdefault(key, []).extend(rows)
    head = "| family | incidents | deepest, true groups | deepest, our groups | " + " | ".join(CLASSES) + " |"
    lines = [head, "|" + "---|" * (4 + len(CLASSES))]
    pooled = [r for rows in per.values() for r in rows]
    for key, rows in [*sorted(per.items()), *([("all", pooled)] if len(per) > 1 else [])]:
        n = len(rows) or 1
        tally = Counter(why for _, _, why in rows if why)
        cells = [f"{sum(t for t, _, _ in rows) / n:.3f}", f"{sum(o for _, o, _ in rows) / n:.3f}",
                 *(f"{tally[c] / n:.3f}" for c in CLASSES)]
        lines.append(f"| {key} | {len(rows)} | " + " | ".join(cells) + " |")
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    tunable = [f for f in sorted(FAMILY_MODULES) if f not in NEVER_FITTED_FAMILIES]
    p.add_argument("--families", nargs="+", choices=sorted(FAMILY_MODULES), default=tunable,
                   help="default: every family tuning may look at")
    p.add_argument("--topologies", nargs="*", help="default: the real topologies and the OpenTelemetry demo file")
    p.add_argument("--by-cell", action="store_true", help="a row per family and cell")
    p.add_argument("--seeds", type=int, default=4)
    p.add_argument("--first-seed", type=int, default=1000)
    p.add_argument("--jobs", type=int, default=2)
    args = p.parse_args(argv)
    refuse_never_fitted(p, args.families)
    if args.seeds < 1 or args.jobs < 1:
        p.error("--seeds and --jobs must be at least 1")
    todo = tasks(args.families, args.topologies or fitting(), range(args.first_seed, args.first_seed + args.seeds))
    with ProcessPoolExecutor(args.jobs) as pool:
        done = list(pool.map(_one, todo, chunksize=4))
    print("\n".join(table([(f"{fam}/{cell}" if args.by_cell else fam, rows) for fam, cell, rows in done])))


if __name__ == "__main__":
    main()
