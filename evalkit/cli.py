"""What the measurement commands (``stale``, ``stretch``, ``peers``) share on their command line:
which worlds to generate, and how many processes answer them."""

from __future__ import annotations

import argparse
import os

from evalkit.harness import FAMILY_MODULES, Task, tasks
from evalkit.topologies import files, real, unreadable


def add_world_options(p: argparse.ArgumentParser, cells: bool = False) -> None:
    """``--families``, ``--topologies``, ``--seeds``, ``--first-seed``, ``--jobs`` (and ``--cells``)."""
    p.add_argument("--families", nargs="+", default=sorted(FAMILY_MODULES), choices=sorted(FAMILY_MODULES))
    p.add_argument("--topologies", nargs="*", help="default: the real topologies and the topology files")
    if cells:
        p.add_argument("--cells", nargs="*")
    p.add_argument("--seeds", type=int, default=4)
    p.add_argument("--first-seed", type=int, default=0)
    p.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))


def world_tasks(p: argparse.ArgumentParser, args: argparse.Namespace) -> list[Task]:
    """The worlds asked for, or a usage error (``p.error`` exits) naming what is wrong
    (``--jobs`` and ``--cells`` are read when the command has them)."""
    if args.seeds < 1 or getattr(args, "jobs", 1) < 1:
        p.error(f"--seeds{' and --jobs' if hasattr(args, 'jobs') else ''} must be at least 1")
    topologies = args.topologies or [*real(), *files()]
    bad = unreadable(topologies)
    if bad:
        p.error(bad)
    cells = getattr(args, "cells", None)
    unknown = sorted(set(cells or ()) - {c for f in args.families for c in FAMILY_MODULES[f].CELLS})
    if unknown:
        known = "; ".join(f"{f}: {', '.join(FAMILY_MODULES[f].CELLS)}" for f in args.families)
        p.error(f"no family has the cells asked for: {', '.join(unknown)} (cells: {known})")
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    todo = tasks(args.families, topologies, seeds, cells)
    if not todo:
        p.error("no family has the cells asked for")
    return todo
