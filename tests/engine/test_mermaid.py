"""Mermaid neighbourhood diagrams: readable size, collapse counts, safe ids, stable text."""

from __future__ import annotations

import re

from opscontext.engine.blast import blast_radius
from opscontext.engine.graph import ServiceGraph
from opscontext.engine.mermaid import label
from opscontext.models import DependencyEdge, EdgeProvenance, Service

NODE = re.compile(r"^    (\w+)\[\"(.*)\"\]$")


def edge(a: str, b: str, prov: EdgeProvenance = EdgeProvenance.DECLARED) -> DependencyEdge:
    return DependencyEdge(dependent=a, dependency=b, provenance=prov)


def nodes(diagram: str) -> dict[str, str]:
    found = (NODE.match(line) for line in diagram.splitlines())
    return {m.group(1): m.group(2) for m in found if m}


def hub_world() -> ServiceGraph:
    """auth <- 40 APIs <- 3 front-ends each (120 at distance 2); auth -> db -> disk."""
    edges = [edge(f"api-{i:02d}", "auth") for i in range(40)]
    edges += [edge(f"fe-{i:02d}-{j}", f"api-{i:02d}") for i in range(40) for j in range(3)]
    edges += [edge("auth", "db"), edge("db", "disk")]
    services = [Service(name="fe-07-1", user_facing=True, tier="tier-1")]
    return ServiceGraph.build(services, edges)


def test_small_neighbourhood_is_drawn_whole_with_failing_service_highlighted() -> None:
    g = ServiceGraph.build(
        [Service(name="web", tier="tier-1", user_facing=True)],
        [edge("web", "api"), edge("api", "db"), edge("admin", "db", EdgeProvenance.OBSERVED),
         edge("db", "disk")],
    )
    d = blast_radius(g, "db").diagram
    assert d.splitlines()[0] == "flowchart TD"
    assert nodes(d) == {"s_db": "db", "s_api": "api", "s_admin": "admin",
                        "s_web": "web (tier-1, user-facing)", "s_disk": "disk"}
    assert "    s_web --> s_api" in d and "    s_api --> s_db" in d and "    s_db --> s_disk" in d
    assert "    s_admin -.-> s_db" in d  # observed-only: dashed
    assert "    class s_db failing" in d and "    class s_web userfacing" in d
    assert "more_" not in d


def test_large_neighbourhood_collapses_into_counted_summary_nodes() -> None:
    d = blast_radius(hub_world(), "auth").diagram
    boxes = nodes(d)
    assert len(boxes) <= 30
    real_d1 = [n for n in boxes if n.startswith("s_api_")]
    real_d2 = [n for n in boxes if n.startswith("s_fe_")]
    assert boxes["more_d1"] == f"+{40 - len(real_d1)} more at distance 1"
    assert boxes["more_d2"] == f"+{120 - len(real_d2)} more at distance 2"
    assert "s_fe_07_1" in boxes  # the user-facing tier-1 front-end is drawn first
    assert "    s_fe_07_1 --> s_api_07" in d  # ...with the path that connects it
    assert "    more_d1 ~~~ s_auth" in d and "    more_d2 ~~~ s_api_00" in d


def test_suspects_sit_below_the_failing_service() -> None:
    d = blast_radius(hub_world(), "auth").diagram
    assert "    s_auth --> s_db" in d and "    s_db --> s_disk" in d
    assert "    class s_db,s_disk suspect" in d


def test_far_levels_share_one_summary_node() -> None:
    chain = [edge(f"n{i + 1}", f"n{i}") for i in range(6)]
    fan = [edge(f"x{i}-{k}", f"n{i}") for i in range(1, 7) for k in range(4)]
    d = blast_radius(ServiceGraph.build([], chain + fan), "n0", limit=3).diagram
    boxes = nodes(d)
    summaries = {k: v for k, v in boxes.items() if k.startswith("more_")}
    assert set(summaries) == {"more_d2", "more_d3plus"}  # n1 alone sits at distance 1
    assert summaries["more_d3plus"].endswith("at distance 3-7")
    assert len(boxes) <= 30


def test_node_ids_are_sanitised_and_unique_and_labels_escaped() -> None:
    weird = ['pay.api/v2', "pay-api-v2", 'say "hi"', "end", "a<b>&#c"]
    g = ServiceGraph.build([], [edge(name, "core") for name in weird])
    boxes = nodes(blast_radius(g, "core").diagram)
    assert all(re.fullmatch(r"s_\w+", node_id) for node_id in boxes)
    assert len(boxes) == len(weird) + 1  # pay.api/v2 and pay-api-v2 did not collide
    assert "say #quot;hi#quot;" in boxes.values()
    assert "a#lt;b#gt;#amp;#35;c" in boxes.values()
    assert "s_end" in boxes  # never the bare keyword


def test_label_collapses_whitespace_and_escapes_mermaid_syntax() -> None:
    assert label('x\n "y"`') == "x #quot;y#quot;#96;"


def test_same_question_gives_byte_identical_diagram() -> None:
    first = blast_radius(hub_world(), "auth").diagram
    assert blast_radius(hub_world(), "auth").diagram == first
