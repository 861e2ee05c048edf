"""Synthetic shapes keep their promises; worlds over them are generated fast."""

from __future__ import annotations

from collections import Counter
from functools import cache

import pytest

from evalkit.classic.topologies import Topology
from evalkit.families import FAMILIES
from evalkit.shapes import HUBS, KINDS, shape


def _longest_chain(t: Topology) -> int:
    callees: dict[str, list[str]] = {}
    for e in t.edges:
        callees.setdefault(e.dependent, []).append(e.dependency)

    @cache
    def depth(n: str) -> int:
        return 1 + max((depth(c) for c in callees.get(n, ())), default=0)

    return max(depth(s.name) for s in t.services)


def _has_cycle(t: Topology) -> bool:
    callees: dict[str, list[str]] = {}
    for e in t.edges:
        callees.setdefault(e.dependent, []).append(e.dependency)
    state: dict[str, int] = {}
    for start in callees:
        stack = [(start, iter(callees.get(start, ())))]
        if state.get(start):
            continue
        state[start] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return True
            elif not state.get(nxt):
                state[nxt] = 1
                stack.append((nxt, iter(callees.get(nxt, ()))))
    return False


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n", [30, 200, 1000])
def test_a_shape_has_exactly_n_uniquely_named_services_some_of_them_datastores(kind: str, n: int) -> None:
    t = shape(kind, n, 1)
    names = [s.name for s in t.services]
    assert len(names) == n == len(set(names))
    assert any(s.type == "database" for s in t.services)
    known = set(names)
    assert all(e.dependent in known and e.dependency in known and e.dependent != e.dependency for e in t.edges)
    assert shape(kind, n, 1) == t
    assert shape(kind, n, 2) != t


@pytest.mark.parametrize("n", [500, 1000])
def test_hub_shapes_have_shared_infrastructure_with_in_degree_in_the_hundreds(n: int) -> None:
    indeg = Counter(e.dependency for e in shape("hub", n, 0).edges)
    assert all(h in indeg for h in HUBS)
    assert sum(indeg[h] >= 100 for h in HUBS) >= 4
    assert indeg["auth"] >= 300


@pytest.mark.parametrize("n", [60, 300])
def test_deep_shapes_have_chains_six_to_ten_deep_and_flat_shapes_do_not(n: int) -> None:
    assert 7 <= _longest_chain(shape("deep", n, 0)) <= 11 + 2
    assert _longest_chain(shape("flat", n, 0)) <= 3


def test_mesh_shapes_have_cycles_and_layered_shapes_do_not() -> None:
    assert _has_cycle(shape("mesh", 100, 0))
    assert not _has_cycle(shape("layered", 100, 0))
    assert not _has_cycle(shape("hub", 100, 0))


def test_layered_shapes_run_from_web_through_bff_domain_and_core_to_stores() -> None:
    t = shape("layered", 200, 0)
    rank = {"web": 0, "bff": 1, "domain": 2, "core": 3}

    def level(name: str) -> int:
        return rank.get(name.split("-")[0], 4)

    assert all(level(e.dependent) < level(e.dependency) for e in t.edges)
    assert {level(s.name) for s in t.services} == {0, 1, 2, 3, 4}


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("kind", KINDS)
def test_every_cell_of_every_family_generates_a_world_on_every_shape(family: str, kind: str) -> None:
    # Generation speed is a benchmark figure (`python -m evalkit.families.describe` prints ms per
    # world), not a wall-clock assert on a shared machine.
    mod = FAMILIES[family]
    top = shape(kind, 60, 0)
    names = {s.name for s in top.services}
    for cell in mod.CELLS:
        world = mod.generate(top, 0, mod.CELLS[cell], cell)
        assert world.incidents and all(inc.root in names for inc in world.incidents)
