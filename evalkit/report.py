"""Aggregate harness rows into the figures the issue asks for.

AC@k are incident-weighted (hits over incidents); pair precision/recall/F1 are means over worlds.
``low-conf wrong`` is the share of wrong top answers that carried confidence below 0.5 (a
confidence that warns); ``high-conf right`` the share of right ones at 0.5 or more.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

from evalkit.harness import BASELINES, DEEPEST_IN_OURS, OURS, Row


@dataclass(frozen=True)
class Agg:
    incidents: int
    worlds: int
    ac1: float
    ac3: float
    precision: float
    recall: float
    f1: float
    wrong: int
    wrong_low_conf: float  # NaN-free: 1.0 when nothing was wrong
    right_high_conf: float


def aggregate(rows: Sequence[Row]) -> Agg:
    n = sum(r.score.incidents for r in rows)
    w = max(len(rows), 1)
    conf = [c for r in rows for c in r.score.confidences]
    wrong = [c for c, ok in conf if not ok]
    right = [c for c, ok in conf if ok]
    return Agg(
        incidents=n,
        worlds=len(rows),
        ac1=sum(r.score.ac1 * r.score.incidents for r in rows) / n if n else 1.0,
        ac3=sum(r.score.ac3 * r.score.incidents for r in rows) / n if n else 1.0,
        precision=sum(r.score.precision for r in rows) / w,
        recall=sum(r.score.recall for r in rows) / w,
        f1=sum(r.score.f1 for r in rows) / w,
        wrong=len(wrong),
        wrong_low_conf=sum(c < 0.5 for c in wrong) / len(wrong) if wrong else 1.0,
        right_high_conf=sum(c >= 0.5 for c in right) / len(right) if right else 1.0,
    )


def grouped(rows: Sequence[Row], key: Callable[[Row], Hashable]) -> dict[Hashable, dict[str, Agg]]:
    """key -> method -> aggregate."""
    buckets: dict[Hashable, dict[str, list[Row]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        buckets[key(r)][r.method].append(r)
    return {k: {m: aggregate(v) for m, v in per.items()} for k, per in buckets.items()}


def best_baseline(per: dict[str, Agg]) -> tuple[str, float]:
    name = max((m for m in BASELINES if m in per), key=lambda m: per[m].ac1)
    return name, per[name].ac1


def table(rows: Sequence[Row], key: Callable[[Row], Hashable], label: str) -> list[str]:
    """One line per key: ours beside the baselines."""
    head = (f"| {label} | incidents | AC@1 | AC@3 | pair P | pair R | pair F1 | wrong top w/ conf<0.5 "
            "| earliest (true groups) | deepest (true groups) | time window AC@1 / F1 | margin over best "
            "| deepest rule in our groups |")
    out = [head, "|" + "---|" * 13]
    for k, per in sorted(grouped(rows, key).items(), key=lambda kv: str(kv[0])):
        o = per[OURS]
        _, best = best_baseline(per)
        tw = per["time window"]
        out.append(
            f"| {k} | {o.incidents} | {o.ac1:.3f} | {o.ac3:.3f} | {o.precision:.3f} | {o.recall:.3f} | {o.f1:.3f} "
            f"| {o.wrong_low_conf:.2f} of {o.wrong} | {per['earliest (true groups)'].ac1:.3f} "
            f"| {per['deepest (true groups)'].ac1:.3f} | {tw.ac1:.3f} / {tw.f1:.3f} | {o.ac1 - best:+.3f} "
            f"| {per[DEEPEST_IN_OURS].ac1:.3f} |"
        )
    return out


def worst(rows: Sequence[Row], key: Callable[[Row], Hashable]) -> tuple[Hashable, Agg, float]:
    """The cell with the smallest margin of our AC@1 over the best baseline."""
    cells = grouped(rows, key)
    k = min(cells, key=lambda c: cells[c][OURS].ac1 - best_baseline(cells[c])[1])
    return k, cells[k][OURS], cells[k][OURS].ac1 - best_baseline(cells[k])[1]


def by_cell(r: Row) -> str:
    return f"{r.task.family}/{r.task.cell}"


def by_topology(r: Row) -> str:
    return r.task.topology


def by_grid(r: Row) -> str:
    return f"{r.task.family}/{r.task.cell} @ {r.task.topology}"


def by_family(r: Row) -> str:
    return r.task.family


def by_grid_topology(r: Row) -> str:
    return f"{r.task.family} @ {r.task.topology}"
