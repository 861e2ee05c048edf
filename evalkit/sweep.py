"""A/B an engine change on spare seeds before it goes anywhere near the report.

    python -m evalkit.sweep --seeds 6                                   # the engine as it is
    python -m evalkit.sweep --seeds 6 --set caller_late=300             # one option changed
    python -m evalkit.sweep --seeds 6 --const ranking.STRONG_LAG=90     # a module constant

Runs the engine alone (no baselines) on the fitted held-out families and the tuning family, over
:func:`evalkit.topologies.fitting` topologies and spare seeds (1000 on, which the report never
uses), once as it is and once with the overrides, and prints AC@1 / AC@3 / pair F1 / wrong tops
below 0.5 per family side by side. Families nothing may be tuned on
(:data:`evalkit.families.NEVER_FITTED_FAMILIES`) are refused: they are scored by the report only.

``--set NAME=VALUE`` overrides a :class:`CorrelationOptions` field; ``--const MOD.NAME=VALUE``
sets a constant of ``opscontext.engine.correlation.MOD`` in the worker processes (values are
Python literals).
"""

from __future__ import annotations

import argparse
import ast
import importlib
import os
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from pydantic import ValidationError

from evalkit.classic.metrics import score
from evalkit.families import NEVER_FITTED_FAMILIES
from evalkit.harness import FAMILY_MODULES, OURS, Row, Task, make_world, ours, tasks
from evalkit.report import aggregate
from evalkit.topologies import fitting, unreadable
from opscontext.engine.correlate import CorrelationOptions

DEFAULT_FAMILIES = ("metric_rules", "fault_injection", "request_flow", "cascade", "chaos_bench")
ENGINE = "opscontext.engine.correlation."


@dataclass(frozen=True)
class Variant:
    options: dict[str, object]
    consts: dict[str, object]


def parse_assignments(items: Sequence[str], what: str) -> dict[str, object]:
    out: dict[str, object] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        if not sep or not name:
            raise SystemExit(f"{what} takes NAME=VALUE, got {item!r}")
        try:
            out[name.strip()] = ast.literal_eval(raw.strip())
        except (ValueError, SyntaxError):
            raise SystemExit(f"{what} {name}: {raw!r} is not a Python literal (quote strings)") from None
    return out


def apply_consts(consts: dict[str, object], check_only: bool = False) -> None:
    for dotted, value in consts.items():
        mod_name, _, attr = dotted.rpartition(".")
        try:
            mod = importlib.import_module(ENGINE + mod_name)
        except ImportError:
            raise SystemExit(f"--const {dotted}: no module {ENGINE}{mod_name}") from None
        if not hasattr(mod, attr):
            raise SystemExit(f"--const {dotted}: {ENGINE}{mod_name} has no {attr}")
        if not check_only:
            setattr(mod, attr, value)


def run_one(job: tuple[Task, Variant]) -> Row:
    task, variant = job
    apply_consts(variant.consts)
    world = make_world(task)
    opts = CorrelationOptions(**variant.options) if variant.options else None  # type: ignore[arg-type]
    pred, _ = ours(world, opts)
    return Row(task, OURS, score(world, pred, len(world.alerts)), sum(i.root_silent for i in world.incidents))


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m evalkit.sweep", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--families", nargs="+", default=list(DEFAULT_FAMILIES),
                   choices=sorted(f for f in FAMILY_MODULES if f not in NEVER_FITTED_FAMILIES))
    p.add_argument("--seeds", type=int, default=6)
    p.add_argument("--first-seed", type=int, default=1000, help="spare seeds start at 1000 (default)")
    p.add_argument("--topologies", nargs="*", help="default: evalkit.topologies.fitting()")
    p.add_argument("--set", dest="options", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--const", dest="consts", action="append", default=[], metavar="MOD.NAME=VALUE")
    p.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    args = p.parse_args(argv)
    if args.first_seed < 1000:
        print("note: seeds below 1000 are the report's; tuning on them spoils it", file=sys.stderr)
    options = parse_assignments(args.options, "--set")
    unknown = set(options) - set(CorrelationOptions.model_fields)
    if unknown:
        raise SystemExit(f"--set: CorrelationOptions has no {', '.join(sorted(unknown))}")
    try:
        CorrelationOptions(**options)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SystemExit(f"--set: {exc}") from None
    consts = parse_assignments(args.consts, "--const")
    apply_consts(consts, check_only=True)  # fail early on a misspelt name
    variants = {"as is": Variant({}, {})}
    if options or consts:
        variants["changed"] = Variant(options, consts)
    bad = unreadable(args.topologies or ())
    if bad:
        raise SystemExit(f"--topologies: {bad}")
    todo = tasks(args.families, args.topologies or fitting(), range(args.first_seed, args.first_seed + args.seeds))
    results: dict[str, dict[str, list[Row]]] = {}
    with ProcessPoolExecutor(args.jobs) as pool:
        # a worker keeps the constants it set, so the engine as it is runs first
        for name, variant in variants.items():
            per: dict[str, list[Row]] = {}
            for row in pool.map(run_one, [(t, variant) for t in todo], chunksize=8):
                per.setdefault(row.task.family, []).append(row)
            results[name] = per
    print(f"{'family':<16} {'variant':<8} {'inc':>5} {'AC@1':>6} {'AC@3':>6} {'F1':>6} {'P':>6} {'R':>6} {'wlow':>5}")
    for fam in args.families:
        for name in variants:
            a = aggregate(results[name].get(fam, []))
            print(f"{fam:<16} {name:<8} {a.incidents:>5} {a.ac1:6.3f} {a.ac3:6.3f} {a.f1:6.3f} "
                  f"{a.precision:6.3f} {a.recall:6.3f} {a.wrong_low_conf:5.2f}")


if __name__ == "__main__":
    main()
