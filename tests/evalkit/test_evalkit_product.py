"""evalkit.product scores the answer a client reads whole, not the first page's cut of it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from evalkit.harness import Task, make_world, ours
from evalkit.product import ask, export, prediction


def test_the_product_path_reads_every_page_and_every_member_of_a_cut_group(tmp_path: Path) -> None:
    # A large incident on the mesh: its group holds a few hundred fingerprints, far more than a
    # 500-token answer can list, so the first page cuts it and only paging gives it back whole.
    world = make_world(Task("metric_rules", "noise-0", "shape/mesh-200", 1000))
    engine, _ = ours(world)
    assert max(len(fps) for fps, _, _ in engine.groups) > 150
    export(world, tmp_path)
    toml = tmp_path / "opscontext.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "\n[limits]\nanswer_tokens = 500\n", encoding="utf-8")
    answer, _, _ = asyncio.run(ask(toml, world))
    through = prediction(answer)
    assert sorted(sorted(fps) for fps, _, _ in through.groups) == sorted(sorted(fps) for fps, _, _ in engine.groups)
    tops = {frozenset(fps): c[:1] for fps, c, _ in engine.groups}
    assert {frozenset(fps): c[:1] for fps, c, _ in through.groups} == tops
