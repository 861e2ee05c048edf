"""Invariants of the demo world (fixtures/demo), read straight from the generated files.

The demo world is data other tests and the demo itself stand on, so these tests check that it
is big enough, internally consistent (every reference resolves, every label maps to a service),
true to its vendors' formats where that is checkable (Alertmanager fingerprints), and exactly
reproducible by its generator.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import tomllib
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import frontmatter
import icalendar
import networkx as nx
import pytest
import recurring_ical_events
import yaml

from opscontext.settings import IdentitySettings

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "fixtures" / "demo"
SCRIPT = REPO / "scripts" / "make_demo_world.py"


def _entities() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted((DEMO / "catalog").rglob("*.yaml")):
        docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


def _kind(kind: str) -> list[dict[str, Any]]:
    return [e for e in _entities() if e["kind"] == kind]


def _services() -> list[dict[str, Any]]:
    return _kind("Component") + _kind("Resource")


def _graph() -> nx.DiGraph:
    g: nx.DiGraph = nx.DiGraph()
    for e in _services():
        g.add_node(e["metadata"]["name"])
        for dep in e["spec"].get("dependsOn", []):
            g.add_edge(e["metadata"]["name"], dep.split("/", 1)[1])
    return g


def _truth() -> dict[str, Any]:
    truth: dict[str, Any] = json.loads((DEMO / "ground_truth.json").read_text())
    return truth


def _anchor() -> datetime:
    cfg = tomllib.loads((DEMO / "opscontext.toml").read_text())
    return datetime.fromisoformat(cfg["world"]["time_anchor"])


def _snapshots() -> list[list[dict[str, Any]]]:
    return [json.loads(p.read_text()) for p in sorted((DEMO / "alerts").glob("*.json"))]


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _name_index() -> dict[str, str]:
    """Every name and alias a service answers to -> its canonical name."""
    index: dict[str, str] = {}
    for e in _services():
        name = e["metadata"]["name"]
        index[name] = name
        aliases = e["metadata"].get("annotations", {}).get("opscontext.io/aliases", "")
        for alias in filter(None, (a.strip() for a in aliases.split(","))):
            assert alias not in index or index[alias] == name, f"alias {alias} is ambiguous"
            index[alias] = name
    return index


def test_catalog_holds_at_least_forty_services_and_eight_teams() -> None:
    teams = [g for g in _kind("Group") if g["spec"]["type"] == "team"]
    assert len(_services()) >= 40
    assert len(teams) >= 8
    for t in teams:
        assert t["spec"]["profile"]["email"] and t["spec"]["members"]
        assert t["metadata"]["annotations"]["opscontext.io/chat-channel"].startswith("#")


def test_every_reference_in_the_catalog_names_an_existing_entity() -> None:
    names = {(e["kind"].lower(), e["metadata"]["name"]) for e in _entities()}
    users = {e["metadata"]["name"] for e in _kind("User")}
    for e in _services():
        for dep in e["spec"].get("dependsOn", []):
            kind, name = dep.split(":", 1)[0], dep.split("/", 1)[1]
            assert (kind, name) in names, dep
        owner = e["spec"]["owner"].split("/", 1)[1]
        assert ("group", owner) in names
        assert ("system", e["spec"]["system"]) in names
        for api in e["spec"].get("providesApis", []) + e["spec"].get("consumesApis", []):
            assert ("api", api) in names
    for g in _kind("Group"):
        assert set(g["spec"].get("members", [])) <= users


def test_dependency_graph_is_at_least_five_hops_deep_from_a_front_end() -> None:
    g = _graph()
    fronts = [e["metadata"]["name"] for e in _kind("Component") if e["spec"]["type"] == "website"]
    stores = {e["metadata"]["name"] for e in _kind("Resource")}
    depth = max(d for f in fronts for n, d in nx.single_source_shortest_path_length(g, f).items()
                if n in stores)
    assert depth >= 5


def test_dependency_graph_contains_a_cycle_and_fan_in_hubs() -> None:
    g = _graph()
    assert any(len(c) >= 2 for c in nx.simple_cycles(g))
    hubs = [n for n in g if g.in_degree(n) >= 5]
    assert {"auth-service", "core-postgres", "events-kafka"} <= set(hubs)


def test_external_payment_provider_is_marked_external() -> None:
    ext = [e for e in _kind("Component")
           if e["metadata"].get("labels", {}).get("opscontext.io/external") == "true"]
    assert any("payment" in (e["metadata"].get("description") or "") for e in ext)


def _strings(value: object) -> list[str]:
    assert isinstance(value, list)
    return [str(v) for v in value]


def test_at_least_fifteen_runbooks_with_front_matter_and_sections() -> None:
    books = [frontmatter.load(str(p)) for p in sorted((DEMO / "runbooks").glob("*.md"))]
    assert len(books) >= 15
    for b in books:
        assert b["title"] and isinstance(b["services"], list) and isinstance(b["tags"], list)
        assert b.content.count("\n## ") >= 1
    payment = next(b for b in books if "payment-service" in _strings(b.metadata["services"]))
    third = payment.content.split("\n## ")[3]
    assert third.startswith("3.") and "rollback" in third.lower()


def test_every_catalog_runbook_link_points_at_an_existing_runbook() -> None:
    files = {p.name for p in (DEMO / "runbooks").glob("*.md")}
    for e in _services():
        for link in e["metadata"]["links"]:
            if link["type"] == "runbook":
                assert link["url"].rsplit("/", 1)[1] in files


def _changes() -> list[dict[str, Any]]:
    lines = (DEMO / "changes" / "changes.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_change_history_has_150_or_more_cdevents_over_fourteen_days() -> None:
    events, anchor = _changes(), _anchor()
    assert len(events) >= 150
    times = [_at(e["context"]["timestamp"]) for e in events]
    assert min(times) >= anchor - timedelta(days=14) and max(times) <= anchor
    assert max(times) - min(times) > timedelta(days=12)
    kinds = Counter(e["context"]["type"].split(".")[2:4][0] + "." + e["context"]["type"].split(".")[3]
                    for e in events)
    assert {"service.deployed", "service.upgraded", "service.rolledback", "change.merged",
            "environment.modified"} <= set(kinds)
    for e in events:
        assert {"version", "id", "source", "type", "timestamp"} <= set(e["context"])
        assert {"id", "source", "content"} <= set(e["subject"])
        assert e["customData"]["author"] and e["customData"]["url"].startswith("https://")


def test_the_bad_deploy_lands_six_minutes_before_the_first_payment_alert() -> None:
    cause = next(c for c in _truth()["root_causes"] if c["service"] == "payment-service")
    deploy = next(e for e in _changes() if e["context"]["id"] == cause["causal_change"]["id"])
    assert deploy["context"]["type"] == "dev.cdevents.service.deployed.0.1.1"
    assert deploy["subject"]["id"] == "payment-service"
    assert deploy["subject"]["content"]["artifactId"].startswith("pkg:oci/payment-service@2.14.0")
    latest = {a["fingerprint"]: a for a in _snapshots()[-1]}
    first = min(_at(latest[fp]["startsAt"]) for fp in cause["alert_fingerprints"])
    assert first - _at(deploy["context"]["timestamp"]) == timedelta(minutes=6)


def test_every_root_cause_and_the_decoy_are_in_the_change_history() -> None:
    ids = {e["context"]["id"] for e in _changes()}
    truth = _truth()
    assert len(truth["root_causes"]) == 3
    for c in truth["root_causes"]:
        assert c["causal_change"]["id"] in ids
    decoy = truth["decoy_change"]
    assert decoy["id"] in ids and decoy["subject"] not in {c["service"] for c in truth["root_causes"]}


def test_at_least_150_incident_alerts_fire_at_the_anchor_with_disjoint_causes() -> None:
    truth, anchor = _truth(), _anchor()
    per_cause = [set(c["alert_fingerprints"]) for c in truth["root_causes"]]
    assert all(len(s) >= 20 for s in per_cause)
    assert not (per_cause[0] & per_cause[1] or per_cause[0] & per_cause[2] or per_cause[1] & per_cause[2])
    firing = {a["fingerprint"] for a in _snapshots()[-1] if _at(a["endsAt"]) > anchor}
    assert len(firing & set().union(*per_cause)) >= 150
    assert len(firing & set(truth["noise_fingerprints"])) >= 25


def test_fingerprints_are_computed_the_way_alertmanager_does() -> None:
    def fnv(labels: dict[str, str]) -> str:
        h = 0xCBF29CE484222325
        for name in sorted(labels):
            for byte in name.encode() + b"\xff" + labels[name].encode() + b"\xff":
                h = ((h ^ byte) * 0x100000001B3) % 2**64
        return f"{h:016x}"

    # A label set and fingerprint taken from a real Alertmanager webhook payload.
    real = {"alertname": "Deployment", "app_kubernetes_io_instance": "eric-oss-common-base",
            "app_kubernetes_io_managed_by": "Helm", "app_kubernetes_io_name": "eric-pm-kube-state-metrics",
            "app_kubernetes_io_version": "2.1.0_10", "chart": "eric-pm-kube-state-metrics-2.1.0_10",
            "deployment": "eric-log-transformer", "instance": "192.168.69.53:8080",
            "job": "eric-pm-kube-state-metrics", "kubernetes_name": "eric-pm-kube-state-metrics",
            "kubernetes_namespace": "eric-eo-cm-ci406", "namespace": "eric-eo-cm-ci406", "severity": "Warning"}
    assert fnv(real) == "fbab788ec4c1018b"
    for snap in _snapshots():
        for a in snap:
            assert a["fingerprint"] == fnv(a["labels"])
            assert {"state", "silencedBy", "inhibitedBy"} <= set(a["status"]) and a["receivers"]


def test_every_alert_service_label_resolves_to_a_catalog_name_or_alias() -> None:
    index, order = _name_index(), IdentitySettings().service_labels
    for snap in _snapshots():
        for a in snap:
            key = next(k for k in order if k in a["labels"])
            assert a["labels"][key] in index, (key, a["labels"][key])


def test_shared_front_end_alerts_are_told_apart_by_route() -> None:
    seen: dict[tuple[str, str], str] = {}
    for c in _truth()["root_causes"]:
        for a in c["shared_front_end_alerts"]:
            if a["route"]:
                assert seen.setdefault((a["service"], a["route"]), c["id"]) == c["id"]
    assert {s for s, _ in seen} >= {"web-storefront", "api-gateway"}


def test_flapping_alerts_reappear_with_different_starts_across_snapshots() -> None:
    flappers = set(_truth()["flapping_fingerprints"])
    assert len(flappers) >= 3
    starts: dict[str, set[str]] = {fp: set() for fp in flappers}
    for snap in _snapshots():
        for a in snap:
            if a["fingerprint"] in flappers:
                starts[a["fingerprint"]].add(a["startsAt"])
                assert _at(a["endsAt"]) - _at(a["startsAt"]) <= timedelta(minutes=6)
    assert all(len(s) >= 3 for s in starts.values())


def _calendar(path: Path) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(path.read_bytes())


def test_every_team_has_on_call_calendars_covering_history_and_the_next_30_days() -> None:
    anchor = _anchor()
    since, until = anchor - timedelta(days=14), anchor + timedelta(days=30)
    for team in (g["metadata"]["name"] for g in _kind("Group") if g["spec"]["type"] == "team"):
        for level in ("primary", "secondary"):
            cal = _calendar(DEMO / "oncall" / f"{team}-{level}.ics")
            assert str(cal["X-WR-CALNAME"]) == f"{team}-{level}"
            shifts = sorted(recurring_ical_events.of(cal).between(since, until), key=lambda e: e.start)
            assert shifts[0].start <= since and shifts[-1].end >= until
            assert all(a.end >= b.start for a, b in itertools.pairwise(shifts))


def test_on_call_at_the_anchor_matches_the_ground_truth_including_the_swap() -> None:
    truth, anchor = _truth(), _anchor()
    for team, expected in truth["on_call_at_anchor"].items():
        for level in ("primary", "secondary"):
            cal = _calendar(DEMO / "oncall" / f"{team}-{level}.ics")
            (now,) = recurring_ical_events.of(cal).at(anchor)
            assert str(now["ATTENDEE"]) == f"mailto:{expected[level]}@larkspur.example"
    assert truth["who_owns"]["payment-service"]["on_call_primary"]["user"] == "dana.reyes"


def test_every_team_has_an_escalation_policy() -> None:
    doc = yaml.safe_load((DEMO / "escalation.yaml").read_text())
    assert doc["kind"] == "EscalationPolicyList"
    teams = {g["metadata"]["name"] for g in _kind("Group") if g["spec"]["type"] == "team"}
    assert {p["team"] for p in doc["policies"]} == teams
    for p in doc["policies"]:
        assert p["steps"][0] == {"after": "0m", "target": f"{p['team']}-primary", "kind": "schedule"}


def test_config_points_every_connector_at_an_existing_path() -> None:
    cfg = tomllib.loads((DEMO / "opscontext.toml").read_text())
    assert _anchor().tzinfo is not None and _anchor() == datetime(2026, 3, 10, 14, tzinfo=UTC)
    assert {c["type"] for c in cfg["connectors"].values()} == {
        "backstage", "alertmanager", "cdevents", "runbooks", "ical", "escalation", "openslo", "openmetrics"}
    for c in cfg["connectors"].values():
        assert (DEMO / c["path"]).exists()


@pytest.mark.parametrize("args", [["--help"]])
def test_generator_help_works(args: list[str]) -> None:
    out = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=True)
    assert "--out" in out.stdout


def test_regenerating_into_a_fresh_directory_gives_identical_files(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(SCRIPT), "--out", str(tmp_path)], check=True, capture_output=True)
    fresh = {p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()}
    committed = {p.relative_to(DEMO) for p in DEMO.rglob("*") if p.is_file() and p.name != ".keep"}
    assert fresh == committed
    for rel in sorted(fresh):
        assert (tmp_path / rel).read_bytes() == (DEMO / rel).read_bytes(), rel
