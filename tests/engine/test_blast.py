"""blast_radius on small hand-built graphs whose answers can be checked by eye."""

from __future__ import annotations

import random

import pytest

from opscontext.engine.blast import DependencyHit, ImpactedService, blast_radius
from opscontext.engine.graph import ServiceGraph
from opscontext.models import DependencyEdge, EdgeProvenance, Service

DEC, OBS, BOTH = EdgeProvenance.DECLARED, EdgeProvenance.OBSERVED, EdgeProvenance.BOTH


def edge(a: str, b: str, prov: EdgeProvenance = DEC, kind: str = "depends_on") -> DependencyEdge:
    return DependencyEdge(dependent=a, dependency=b, provenance=prov, kind=kind)


SERVICES = [
    Service(name="web", tier="tier-1", user_facing=True, owner="team-web"),
    Service(name="mobile", tier="tier-2", user_facing=True),
    Service(name="api", tier="tier-2", owner="team-api"),
    Service(name="admin", tier="tier-3"),
    Service(name="batch", tier="tier-3"),
    Service(name="db", tier="tier-1"),
]
EDGES = [
    edge("web", "api", kind="calls"), edge("mobile", "api", BOTH, "calls"), edge("api", "db"),
    edge("api", "cache"), edge("admin", "db", OBS), edge("batch", "worker"),
    edge("worker", "db", BOTH), edge("worker", "queue"),
]


def shop(edges: list[DependencyEdge] = EDGES) -> ServiceGraph:
    return ServiceGraph.build(SERVICES, edges)


def names(items: tuple[ImpactedService, ...] | tuple[DependencyHit, ...]) -> list[str]:
    return [item.service for item in items]


def test_impact_flows_to_transitive_dependents_with_their_distances() -> None:
    r = blast_radius(shop(), "db")
    assert [(i.service, i.distance) for i in r.impacted] == [
        ("api", 1), ("admin", 1), ("worker", 1), ("web", 2), ("mobile", 2), ("batch", 2)]
    assert r.impacted_total == 6 and r.impacted_omitted == 0


def test_ranking_is_distance_then_user_facing_then_tier_then_name() -> None:
    r = blast_radius(shop(), "api")
    assert names(r.impacted) == ["web", "mobile"]  # both user-facing: tier-1 before tier-2
    r = blast_radius(shop(), "db")
    assert names(r.impacted)[:3] == ["api", "admin", "worker"]  # tier-2, tier-3, no tier


def test_paths_run_from_the_impacted_service_down_to_the_failing_one() -> None:
    r = blast_radius(shop(), "db")
    paths = {i.service: i.path for i in r.impacted}
    assert paths["web"] == ("web", "api", "db")
    assert paths["batch"] == ("batch", "worker", "db")
    assert r.impacted[0].owner == "team-api" and r.impacted[0].tier == "tier-2"


def test_suspects_are_what_the_failing_service_depends_on_nearest_first() -> None:
    r = blast_radius(shop(), "batch")
    assert [(s.service, s.distance, s.path) for s in r.depends_on] == [
        ("worker", 1, ("batch", "worker")), ("db", 2, ("batch", "worker", "db")),
        ("queue", 2, ("batch", "worker", "queue"))]
    assert r.depends_on_total == 3 and r.impacted_total == 0


def test_a_cycle_terminates_and_lists_each_service_once_per_side() -> None:
    g = ServiceGraph.build([], [edge("a", "b"), edge("b", "c"), edge("c", "a")])
    r = blast_radius(g, "a")
    assert [(i.service, i.distance) for i in r.impacted] == [("c", 1), ("b", 2)]
    assert [(s.service, s.distance) for s in r.depends_on] == [("b", 1), ("c", 2)]
    assert r.impacted[1].path == ("b", "c", "a")


def test_a_self_loop_neither_loops_nor_reports_the_service_itself() -> None:
    g = ServiceGraph.build([], [edge("x", "x"), edge("y", "x")])
    r = blast_radius(g, "x")
    assert names(r.impacted) == ["y"] and r.depends_on == ()


def test_a_diamond_reports_the_top_once_via_the_more_critical_side() -> None:
    services = [Service(name="left", tier="tier-1"), Service(name="right", tier="tier-3")]
    for order in (1, -1):  # the chosen path must not depend on edge order
        edges = [edge("top", "right"), edge("top", "left"), edge("right", "bottom"),
                 edge("left", "bottom")][::order]
        r = blast_radius(ServiceGraph.build(services, edges), "bottom")
        assert names(r.impacted) == ["left", "right", "top"]
        assert r.impacted[2].path == ("top", "left", "bottom")


def test_depth_limit_stops_the_walk_and_says_it_cut() -> None:
    r = blast_radius(shop(), "db", max_depth=1)
    assert names(r.impacted) == ["api", "admin", "worker"] and r.truncated_by_depth
    r = blast_radius(shop(), "db", max_depth=2)
    assert r.impacted_total == 6 and not r.truncated_by_depth
    r = blast_radius(shop(), "db", max_depth=0)
    assert r.impacted_total == 0 and r.depends_on_total == 0 and r.truncated_by_depth


def test_limit_cuts_the_list_but_totals_stay_exact() -> None:
    r = blast_radius(shop(), "db", limit=2)
    assert names(r.impacted) == ["api", "admin"]
    assert (r.impacted_total, r.impacted_omitted) == (6, 4)
    assert r.user_facing_reached == ("web", "mobile")[:2] and r.user_facing_reached_total == 2
    r = blast_radius(shop(), "batch", limit=1)
    assert (len(r.depends_on), r.depends_on_total, r.depends_on_omitted) == (1, 3, 2)


def test_only_user_facing_reports_them_but_walks_through_internal_services() -> None:
    r = blast_radius(shop(), "db", only_user_facing=True)
    assert names(r.impacted) == ["web", "mobile"] and r.impacted_total == 2
    assert r.impacted[0].path == ("web", "api", "db")
    assert names(r.depends_on) == []  # suspects ignore reporting filters; db has none


def test_tier_filter_reports_only_that_tier_in_any_spelling() -> None:
    for tier in ("tier-3", "Tier 3", 3):
        r = blast_radius(shop(), "db", tier=tier)
        assert names(r.impacted) == ["admin", "batch"] and r.impacted_total == 2


def test_edge_kind_filter_stops_the_walk_at_excluded_edges() -> None:
    r = blast_radius(shop(), "api", edge_kinds={"depends_on"})
    assert r.impacted_total == 0  # web and mobile only *call* api
    assert names(r.depends_on) == ["db", "cache"]
    r = blast_radius(shop(), "db", edge_kinds=["depends_on"])
    assert names(r.impacted) == ["api", "admin", "worker", "batch"]


@pytest.mark.parametrize(("provenance", "reached"), [
    ("declared", {"api", "worker", "web", "mobile", "batch"}),  # both-edges are declared too
    ("observed", {"admin", "worker"}),  # batch -> worker is only declared
    ([EdgeProvenance.BOTH], {"worker"}),
    ({"declared", "observed"}, {"api", "admin", "worker", "web", "mobile", "batch"}),
])
def test_provenance_filter_walks_only_matching_edges(
    provenance: object, reached: set[str],
) -> None:
    r = blast_radius(shop(), "db", provenance=provenance)  # type: ignore[arg-type]
    assert set(names(r.impacted)) == reached


def test_via_provenance_summarises_the_edges_along_each_path() -> None:
    edges = [edge("a", "z"), edge("b", "z", OBS), edge("c", "z", BOTH), edge("a2", "a", BOTH),
             edge("b2", "b", BOTH), edge("m", "b")]
    r = blast_radius(ServiceGraph.build([], edges), "z")
    via = {i.service: i.via_provenance for i in r.impacted}
    assert via == {"a": "declared", "b": "observed", "c": "both", "a2": "declared",
                   "b2": "observed", "m": "mixed"}


def test_observed_only_edges_in_the_neighbourhood_are_reported_as_drift() -> None:
    r = blast_radius(shop(), "db")
    assert [(e.dependent, e.dependency, e.hop) for e in r.observed_only_edges] == [
        ("admin", "db", 1)]
    assert r.observed_only_edges_total == 1
    assert blast_radius(shop(), "db", provenance="declared").observed_only_edges_total == 0
    far = [*EDGES, edge("ops", "admin", OBS)]
    assert blast_radius(shop(far), "db").observed_only_edges_total == 2
    assert blast_radius(shop(far), "db", max_depth=1).observed_only_edges_total == 1


def test_drift_in_a_cycle_through_the_failing_service_is_counted_once() -> None:
    g = ServiceGraph.build([], [edge("a", "b", OBS), edge("b", "a", OBS), edge("c", "a", OBS)])
    r = blast_radius(g, "a")
    assert r.observed_only_edges_total == 3
    assert sorted((e.dependent, e.dependency) for e in r.observed_only_edges) == [
        ("a", "b"), ("b", "a"), ("c", "a")]
    assert blast_radius(g, "a", limit=1).observed_only_edges_total == 3


def test_user_facing_and_high_tier_reached_summarise_the_whole_impact() -> None:
    r = blast_radius(shop(), "db", tier="tier-3")
    assert r.user_facing_reached == ("web", "mobile") and r.user_facing_reached_total == 2
    assert r.high_tier_reached == ("web",) and r.high_tier_reached_total == 1


def test_unknown_service_raises_key_error_and_bad_bounds_raise_value_error() -> None:
    with pytest.raises(KeyError):
        blast_radius(shop(), "nope")
    with pytest.raises(ValueError):
        blast_radius(shop(), "db", limit=-1)


def test_answer_is_the_same_whatever_order_edges_arrive_in() -> None:
    first = blast_radius(shop(), "db")
    shuffled = list(EDGES)
    random.Random(7).shuffle(shuffled)
    again = blast_radius(shop(shuffled), "db")
    assert again == first and again.diagram == first.diagram
