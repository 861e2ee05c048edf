"""The scenario generator is honest and reproducible; the exporter writes the vendors' formats."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from evalkit.classic import export
from evalkit.classic.metrics import pairwise
from evalkit.classic.scenario import generate
from evalkit.classic.topologies import BUNDLED_DIR, bundled, load
from opscontext.fingerprint import fingerprint


def test_same_seed_same_scenario_and_different_seeds_differ() -> None:
    topo = bundled()[0]
    a, b, c = generate(topo, 7), generate(topo, 7), generate(topo, 8)
    assert [x.fingerprint for x in a.alerts] == [x.fingerprint for x in b.alerts]
    assert [x.fingerprint for x in a.alerts] != [x.fingerprint for x in c.alerts]


def test_no_label_or_annotation_names_the_root() -> None:
    for topo in bundled():
        for seed in range(5):
            sc = generate(topo, seed)
            for alert in sc.alerts:
                text = json.dumps([alert.labels, alert.annotations]).lower()
                assert "root" not in text
                base = {"alertname", "service", "severity", "namespace", "instance"}
                assert base <= set(alert.labels)
                assert set(alert.labels) - base <= {"route", "endpoint", "handler", "path"}


def test_the_root_is_not_always_first_to_alert() -> None:
    first_is_root = total = 0
    for topo in bundled():
        for seed in range(20):
            sc = generate(topo, seed)
            for inc in sc.incidents:
                members = [a for a in sc.alerts if a.fingerprint in inc.fingerprints]
                total += 1
                first_is_root += min(members, key=lambda a: a.starts_at).service == inc.root
    assert 0.3 < first_is_root / total < 0.85


def test_scenarios_carry_noise_flapping_duplicates_and_innocent_changes() -> None:
    sc = generate(load(BUNDLED_DIR / "online_boutique.json"), 3)
    fps = [a.fingerprint for a in sc.alerts]
    assert sc.noise
    assert len(fps) > len(set(fps))  # re-firings and duplicate deliveries
    causal = {i.causal_change for i in sc.incidents}
    assert any(c.id not in causal for c in sc.changes)


def test_fingerprints_follow_alertmanager_hashing() -> None:
    # FNV-1a 64 of the empty label set is the offset basis.
    assert fingerprint({}) == "cbf29ce484222325"
    assert fingerprint({"a": "1", "b": "2"}) == fingerprint({"b": "2", "a": "1"})
    assert fingerprint({"a": "1"}) != fingerprint({"a": "2"})


def test_pairwise_scores_perfect_and_merged_groupings() -> None:
    truth = {"a": "x", "b": "x", "c": "y", "d": "y"}
    assert pairwise(truth, {"a": "1", "b": "1", "c": "2", "d": "2"}) == (1.0, 1.0, 1.0)
    p, r, _ = pairwise(truth, dict.fromkeys(truth, "1"))
    assert (p, r) == (2 / 6, 1.0)


def test_export_writes_a_world_the_connectors_can_read(tmp_path: Path) -> None:
    export.main(["--topology", str(BUNDLED_DIR / "sock_shop.json"), "--seed", "4", "--out", str(tmp_path)])
    toml = (tmp_path / "opscontext.toml").read_text()
    assert 'type = "backstage"' in toml and 'path = "alerts"' in toml and 'type = "cdevents"' in toml
    entities = list(yaml.safe_load_all((tmp_path / "catalog" / "catalog.yaml").read_text()))
    orders = next(e for e in entities if e["metadata"]["name"] == "orders")
    assert "component:default/payment" in orders["spec"]["dependsOn"]
    alerts = json.loads((tmp_path / "alerts" / "alerts.json").read_text())
    assert all(fingerprint(a["labels"]) == a["fingerprint"] for a in alerts)
    assert all({"service", "alertname", "severity"} <= set(a["labels"]) for a in alerts)
    events = [json.loads(line) for line in (tmp_path / "changes" / "changes.jsonl").read_text().splitlines()]
    assert all(e["context"]["type"].startswith("dev.cdevents.") for e in events)
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert truth["incidents"] and all(i["root"] for i in truth["incidents"])


def test_some_scenarios_run_two_incidents_at_once_under_a_shared_entry_point() -> None:
    found = with_routes = 0
    for topo in bundled():
        for seed in range(20):
            sc = generate(topo, seed)
            shared = [i for i in sc.incidents if i.id.startswith("inc-shared")]
            for inc in shared:
                others = [o for o in sc.incidents if o is not inc and abs((o.onset - inc.onset).total_seconds()) <= 120]
                if not others:
                    continue  # its partner raised a single alert and is scored as noise
                common = {s for o in others for s in o.affected} & set(inc.affected)
                assert common, "a shared-entry incident meets a concurrent one at a common caller"
                assert inc.root not in common
                found += 1
                routed = [a for a in sc.alerts if a.fingerprint in inc.fingerprints
                          and {"route", "endpoint", "handler", "path"} & set(a.labels)]
                with_routes += bool(routed)
    assert found >= 10
    assert 0 < with_routes < found, "some shared entry points label routes, some do not"
