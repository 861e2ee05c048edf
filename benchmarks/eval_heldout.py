"""Correlation accuracy on scenario families and topologies, beside baselines.

    python benchmarks/eval_heldout.py --families cascade --seeds 10          # quick look
    python benchmarks/eval_heldout.py --all --seeds 20 --write               # the RESULTS.md section

Prints per-family, per-cell and per-topology tables and names the worst cell (smallest margin of
our AC@1 over the best baseline). ``--all`` runs every family over the real topologies, the
OpenTelemetry demo and the synthetic shapes, plus the ablations on the held-out families;
``--write`` replaces the ``## Held-out correlation accuracy`` section of benchmarks/RESULTS.md.
``--dump FILE`` keeps the rows (pickle) and ``--before FILE`` adds a dumped run, e.g. of an
earlier engine, as the "before" line. ``--rows FILE`` scores a dumped run of the same engine
instead of running it again (with ``--all``, the ablations still run).
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import machine

from evalkit import report
from evalkit.ablations import ABLATIONS
from evalkit.classic.report import replace_section
from evalkit.harness import FAMILY_MODULES, OURS, Row, Task, run, tasks
from evalkit.heldout_report import HEADING, HELD_OUT, section
from evalkit.topologies import files, real

SHAPES = ["shape/flat-80", "shape/deep-120", "shape/hub-500", "shape/mesh-200", "shape/layered-300"]
RESULTS = Path(__file__).parent / "RESULTS.md"


READING = "### What this says"


def keep_reading(old: str, new: str) -> str:
    """Carry the hand-written reading of the figures over into the regenerated section (it has
    to be re-read against the new figures; the commit that changes them says so)."""
    start = old.find(READING)
    if start < 0:
        return new
    end = old.find("\n### ", start + len(READING))
    block = old[start:end if end >= 0 else len(old)].rstrip() + "\n\n"
    anchor = "### Held-out families by topology"
    return new.replace(anchor, block + anchor, 1) if anchor in new else new


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--families", nargs="+", default=["cascade"], choices=sorted(FAMILY_MODULES))
    p.add_argument("--all", action="store_true", help="every family, real + file + shape topologies, ablations")
    p.add_argument("--topologies", nargs="*", help="real/<name>, file/<name>, shape/<kind>-<n> (default: real + files)")
    p.add_argument("--cells", nargs="*", help="only these cells")
    p.add_argument("--seeds", type=int, default=10, help="seeds per cell and topology")
    p.add_argument("--first-seed", type=int, default=0)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--grid", action="store_true", help="also print every family x cell x topology line")
    p.add_argument("--dump", type=Path, help="write the rows here (pickle)")
    p.add_argument("--rows", type=Path, help="score these rows (from --dump) instead of running the worlds again")
    p.add_argument("--before", type=Path, help="rows of an earlier run (from --dump) shown as 'before'")
    p.add_argument("--write", action="store_true", help="replace the held-out section of benchmarks/RESULTS.md")
    args = p.parse_args()
    families = sorted(FAMILY_MODULES) if args.all else args.families
    topologies = args.topologies or ([*real(), *files(), *SHAPES] if args.all else [*real(), *files()])
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    t0 = time.perf_counter()
    todo = tasks(families, topologies, seeds, args.cells)
    if args.rows:
        rows = _dumped(args.rows, todo)
        print(f"{len(todo)} worlds read from {args.rows}\n")
    else:
        rows = run(todo, args.jobs)
        print(f"{len(todo)} worlds in {time.perf_counter() - t0:.1f} s\n")
    if args.dump:
        args.dump.write_bytes(pickle.dumps(rows))
    for title, key in (("family", report.by_family), ("cell", report.by_cell), ("topology", report.by_topology)):
        print("\n".join(report.table(rows, key, title)), end="\n\n")
    if args.grid:
        print("\n".join(report.table(rows, report.by_grid, "cell @ topology")), end="\n\n")
    k, agg, margin = report.worst(rows, report.by_grid)
    print(f"worst cell: {k}: AC@1 {agg.ac1:.3f}, margin over best baseline {margin:+.3f} ({agg.incidents} incidents)")
    if not args.all:
        return
    ablation: dict[str, report.Agg] = {}
    held = [f for f in families if f in HELD_OUT]
    for name in ABLATIONS:
        if name:
            got = run(tasks(held, [*real(), *files()], seeds, args.cells, ablation=name), args.jobs)
        else:
            got = [r for r in rows if r.task.family in held and r.task.topology in (*real(), *files())]
        ablation[name] = report.aggregate([r for r in got if r.method == OURS])
        print(f"ablation {name or 'full':40s} AC@1 {ablation[name].ac1:.3f}")
    before: list[Row] | None = pickle.loads(args.before.read_bytes()) if args.before else None
    cmd = f"python benchmarks/eval_heldout.py --all --seeds {args.seeds}" + (" --before FILE" if before else "")
    text = section(rows, before, ablation, cmd, machine())
    if args.write:
        text = keep_reading(RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "", text)
        replace_section(RESULTS, HEADING, text)
        print(f"wrote {HEADING!r} in {RESULTS}")


def _dumped(path: Path, todo: list[Task]) -> list[Row]:
    """The rows of ``path`` (from ``--dump``), which must cover exactly the worlds asked for."""
    try:
        rows: list[Row] = pickle.loads(path.read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError) as e:
        raise SystemExit(f"--rows {path}: cannot read a dumped run ({e})") from None
    if {r.task for r in rows} != set(todo):
        raise SystemExit(f"--rows {path}: its worlds are not the ones these options ask for (other families, "
                         "topologies, cells or seeds)")
    return rows


if __name__ == "__main__":
    main()
