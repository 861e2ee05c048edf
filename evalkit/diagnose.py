"""Why the engine's top answer was wrong, incident by incident.

    python -m evalkit.diagnose --family cascade --topology real/online_boutique --seeds 20

For each incident whose matched group names the wrong primary contributor, prints a one-line
class (silent candidate on top, top has an alerting dependency, root not in the group, root
silent, ...) and a tally, so tuning goes after the largest class first. Spare seeds (1000 on)
by default; families nothing may be tuned on (:data:`evalkit.families.NEVER_FITTED_FAMILIES`)
are refused, as :mod:`evalkit.sweep` does.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Sequence

from evalkit.baselines import _below, _succ, first_alerts
from evalkit.families import refuse_never_fitted
from evalkit.harness import FAMILY_MODULES, Task, make_world, ours
from evalkit.world import World
from opscontext.engine.correlate import Correlation


def classify(world: World, corr: Correlation) -> list[tuple[str, str]]:
    label = {fp: gi for gi, g in enumerate(corr.groups) for fp in g.fingerprints}
    succ = _succ(world.edges)
    first = first_alerts(world.alerts)
    out = []
    for inc in world.incidents:
        hits = Counter(label[fp] for fp in sorted(inc.fingerprints) if fp in label)
        if not hits:
            out.append(("no group", inc.root))
            continue
        g = corr.groups[hits.most_common(1)[0][0]]
        top = g.candidates[0] if g.candidates else None
        if top is None or top.service == inc.root:
            continue
        share = hits.most_common(1)[0][1] / len(inc.fingerprints)
        others = len({label.get(fp) for fp in g.fingerprints} - {None}) and sum(
            1 for fp in g.fingerprints if fp not in inc.fingerprints)
        alerting = {first[fp].service for fp in inc.fingerprints if fp in first}
        if not top.alerting:
            why = "silent candidate on top"
        elif inc.root_silent:
            why = "root silent, alerting service on top"
        elif _below(succ, top.service) & alerting:
            why = "top has an alerting dependency in the incident"
        elif inc.root not in g.services:
            why = "root's alerts in another group"
        else:
            why = "top is another deepest/earlier service"
        ranks = [c.service for c in g.candidates]
        pos = ranks.index(inc.root) + 1 if inc.root in ranks else 0
        detail = (f"root={inc.root} top={top.service} conf={g.confidence:.2f} root@{pos or '-'} "
                  f"group_share={share:.2f} foreign_alerts={others} seed={world.seed} cell={world.cell}")
        out.append((why, detail))
    return out


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--family", default="cascade", choices=sorted(FAMILY_MODULES))
    p.add_argument("--topology", default="real/online_boutique")
    p.add_argument("--cells", nargs="*")
    p.add_argument("--seeds", type=int, default=20)
    p.add_argument("--first-seed", type=int, default=1000, help="default 1000 (spare: the report uses 0-19)")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args(argv)
    refuse_never_fitted(p, [args.family])
    from evalkit.harness import family

    tally: Counter[str] = Counter()
    cells = args.cells or list(family(args.family).CELLS)
    for cell in cells:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            world = make_world(Task(args.family, cell, args.topology, seed))
            _, corr = ours(world)
            for why, detail in classify(world, corr):
                tally[why] += 1
                if args.verbose:
                    print(f"{why}: {detail}")
    for why, n in tally.most_common():
        print(f"{n:5d}  {why}")


if __name__ == "__main__":
    main()
