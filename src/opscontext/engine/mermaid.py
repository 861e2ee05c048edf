"""Mermaid flowcharts of a blast-radius neighbourhood that stay readable.

A responder (or the model relaying to one) needs the shape, not every node: at most ~30 boxes.
Impacted services sit above the failing one (arrows point the way dependencies do, dependent
``-->`` dependency, so a top-down layout puts the most distant dependents on top) and suspects
below it. What does not fit collapses into one summary node per distance, e.g.
``more_d2["+312 more at distance 2"]``. Edges telemetry saw but no catalog declares are dashed.

Output is deterministic for a given input: node ids come from names (sanitised, with numeric
suffixes on collision, assigned in emission order) and every list is emitted in a fixed order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

IMPACTED_BUDGET = 15  # real impacted nodes drawn
SUSPECT_BUDGET = 8  # real dependency nodes drawn
SUMMARY_LEVELS = 3  # per side: distances 1 and 2 summarised alone, 3+ together

_UNSAFE_ID = re.compile(r"[^A-Za-z0-9_]")
_ESCAPES = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;", "`": "#96;"}
_CLASS_DEFS = (
    "classDef failing fill:#f8d7da,stroke:#b02a37,stroke-width:3px",
    "classDef impacted fill:#fff3cd,stroke:#997404",
    "classDef userfacing fill:#ffe5d0,stroke:#ca6510,stroke-width:2px",
    "classDef suspect fill:#cfe2ff,stroke:#0a58ca",
    "classDef summary fill:#f8f9fa,stroke:#6c757d,stroke-dasharray:4 3",
)


@dataclass(frozen=True)
class NodeInfo:
    user_facing: bool
    tier: str | None


def label(text: str) -> str:
    """Quote-safe Mermaid label text: entity codes for the characters Mermaid would parse."""
    text = " ".join(text.split())
    return "".join(_ESCAPES.get(ch, ch) for ch in text)


class _Ids:
    """Mermaid-safe node ids: prefixed (so ``end`` or ``graph`` cannot clash with keywords)."""

    def __init__(self) -> None:
        self._by_name: dict[str, str] = {}
        self._used: set[str] = set()

    def __call__(self, name: str) -> str:
        known = self._by_name.get(name)
        if known is not None:
            return known
        base = "s_" + _UNSAFE_ID.sub("_", name)[:48]
        candidate, n = base, 1
        while candidate in self._used:
            n += 1
            candidate = f"{base}_{n}"
        self._used.add(candidate)
        self._by_name[name] = candidate
        return candidate


def _place(paths: Iterable[Sequence[str]], budget: int, placed: dict[str, int]) -> dict[str, int]:
    """Choose whole paths (so every drawn node connects back) until the budget is spent.

    ``paths`` run from the far node to the centre; returns name -> distance of the nodes chosen.
    ``placed`` (nodes already drawn on the other side) costs nothing but still counts as shown.
    """
    dist: dict[str, int] = {}
    for path in paths:
        far = list(path[:-1])
        new = [n for n in far if n not in dist and n not in placed]
        if len(new) > budget - sum(1 for n in dist if n not in placed):
            continue
        for i, name in enumerate(far):
            dist.setdefault(name, len(far) - i)
    return dist


def _summaries(
    per_distance: Sequence[int], dist: dict[str, int], prefix: str, noun: str,
) -> list[tuple[str, str, int]]:
    """(id, label, distance the node sits at) for what the drawing leaves out."""
    shown = [0] * len(per_distance)
    for d in dist.values():
        if d < len(shown):
            shown[d] += 1
    hidden = [max(0, total - seen) for total, seen in zip(per_distance, shown, strict=True)]
    out: list[tuple[str, str, int]] = []
    for d in range(1, min(SUMMARY_LEVELS, len(hidden))):
        if hidden[d]:
            out.append((f"{prefix}{d}", f"+{hidden[d]} more {noun}at distance {d}", d))
    rest = [d for d in range(SUMMARY_LEVELS, len(hidden)) if hidden[d]]
    if len(rest) == 1:
        d = rest[0]
        out.append((f"{prefix}{d}", f"+{hidden[d]} more {noun}at distance {d}", d))
    elif rest:
        count = sum(hidden[d] for d in rest)
        out.append((f"{prefix}{rest[0]}plus",
                    f"+{count} more {noun}at distance {rest[0]}-{rest[-1]}", rest[0]))
    return out


def _box(node_id: str, name: str, info: NodeInfo) -> str:
    extras = [x for x in (info.tier, "user-facing" if info.user_facing else None) if x]
    text = f"{name} ({', '.join(extras)})" if extras else name
    return f'    {node_id}["{label(text)}"]'


def render_neighbourhood(
    center: str,
    *,
    impacted_paths: Sequence[Sequence[str]],
    suspect_paths: Sequence[Sequence[str]],
    impacted_per_distance: Sequence[int],
    suspects_per_distance: Sequence[int],
    info: Callable[[str], NodeInfo],
    edges_among: Callable[[Iterable[str]], Iterable[tuple[str, str, bool]]],
) -> str:
    """Draw ``center``, the best-ranked impacted paths (far node first, ``center`` last), the
    best-ranked suspect paths (``center`` first) and summary nodes for the rest.

    ``*_per_distance[d]`` is how many services sit at distance d on each side (index 0 is the
    centre). ``edges_among(names)`` yields (dependent, dependency, observed_only) for the edges
    between the drawn services.
    """
    ids = _Ids()
    up = _place(impacted_paths, IMPACTED_BUDGET, {})
    down = _place([p[::-1] for p in suspect_paths], SUSPECT_BUDGET, up)
    up_order = sorted(up, key=lambda n: (up[n], n))
    down_order = sorted((n for n in down if n not in up), key=lambda n: (down[n], n))
    lines = ["flowchart TD", *(f"    {c}" for c in _CLASS_DEFS)]
    lines.append(_box(ids(center), center, info(center)))
    lines += [_box(ids(n), n, info(n)) for n in up_order + down_order]
    up_more = _summaries(impacted_per_distance, up, "more_d", "")
    down_more = _summaries(suspects_per_distance, down, "more_s", "dependencies ")
    lines += [f'    {sid}["{label(text)}"]' for sid, text, _ in up_more + down_more]
    drawn = [center, *up_order, *down_order]
    for a, b, observed_only in sorted(edges_among(drawn)):
        lines.append(f"    {ids(a)} {'-.->' if observed_only else '-->'} {ids(b)}")
    for sid, _, d in up_more:  # invisible links only place the summary at its level
        lines.append(f"    {sid} ~~~ {_anchor(up_order, up, d - 1, ids, center)}")
    for sid, _, d in down_more:
        lines.append(f"    {_anchor(down_order, down, d - 1, ids, center)} ~~~ {sid}")
    lines.append(f"    class {ids(center)} failing")
    facing = [ids(n) for n in up_order if info(n).user_facing]
    for cls, members in (
        ("impacted", [ids(n) for n in up_order if not info(n).user_facing]),
        ("userfacing", facing),
        ("suspect", [ids(n) for n in down_order]),
        ("summary", [sid for sid, _, _ in up_more + down_more]),
    ):
        if members:
            lines.append(f"    class {','.join(members)} {cls}")
    return "\n".join(lines)


def _anchor(order: list[str], dist: dict[str, int], d: int, ids: _Ids, center: str) -> str:
    return next((ids(n) for n in order if dist[n] == d), ids(center))
