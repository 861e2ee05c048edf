"""Properties every family's worlds must have, whatever the cell."""

from __future__ import annotations

import re
from collections import Counter
from types import ModuleType

import pytest

from evalkit.classic.topologies import Topology
from evalkit.families import FAMILIES
from evalkit.world import World
from opscontext.fingerprint import fingerprint
from opscontext_connectors.alertmanager.labels import DEFAULT_SERVICE_LABELS

CASES = [(fam, cell) for fam, mod in FAMILIES.items() for cell in mod.CELLS]
CALLEE_LABELS = frozenset({"peer_service", "server_address"})  # spanmetrics' client-span dimensions
HINT = re.compile(r"\b(root|cause|causal|culprit|inject|injected|fault|chaos|incident|origin)\b", re.I)


def _worlds(mod: ModuleType, cell: str, tops: list[Topology], seeds: range) -> list[World]:
    return [mod.generate(tops[s % len(tops)], s, mod.CELLS[cell], cell) for s in seeds]


@pytest.mark.parametrize(("family", "cell"), CASES)
def test_the_same_seed_gives_the_same_world(family: str, cell: str, topologies: list[Topology]) -> None:
    mod = FAMILIES[family]
    for seed in (3, 11):
        a = mod.generate(topologies[seed % len(topologies)], seed, mod.CELLS[cell], cell)
        b = mod.generate(topologies[seed % len(topologies)], seed, mod.CELLS[cell], cell)
        assert a == b


@pytest.mark.parametrize(("family", "cell"), CASES)
def test_different_seeds_give_different_worlds(family: str, cell: str, topologies: list[Topology]) -> None:
    mod = FAMILIES[family]
    top = topologies[0]
    worlds = [mod.generate(top, s, mod.CELLS[cell], cell) for s in range(4)]
    assert len({tuple(a.fingerprint for a in w.alerts) for w in worlds}) > 1


@pytest.mark.parametrize(("family", "cell"), CASES)
def test_fingerprints_are_unique_and_are_the_alertmanager_fingerprints_of_the_labels(
    family: str, cell: str, topologies: list[Topology]
) -> None:
    for w in _worlds(FAMILIES[family], cell, topologies, range(30)):
        fps = [a.fingerprint for a in w.alerts]
        assert len(fps) == len(set(fps))
        for a in w.alerts:
            assert a.fingerprint == fingerprint(a.labels)
            assert a.labels["alertname"] == a.alertname
            assert a.severity in ("critical", "warning", "info")
            assert a.starts_at <= w.now
            assert a.ends_at is None or a.starts_at < a.ends_at < w.now


@pytest.mark.parametrize(("family", "cell"), CASES)
def test_the_truth_covers_every_alert_and_nothing_else(family: str, cell: str, topologies: list[Topology]) -> None:
    for w in _worlds(FAMILIES[family], cell, topologies, range(30)):
        truth = w.truth()
        assert set(truth) == {a.fingerprint for a in w.alerts}
        claimed = [fp for inc in w.incidents for fp in inc.fingerprints]
        assert len(claimed) == len(set(claimed)), "an alert belongs to two incidents"
        assert not set(claimed) & w.noise
        names = {s.name for s in w.services}
        assert all(inc.root in names for inc in w.incidents)
        assert len({inc.root for inc in w.incidents}) == len(w.incidents)
        assert len({inc.id for inc in w.incidents}) == len(w.incidents)
        assert all(inc.fingerprints for inc in w.incidents), "an incident no alert shows"


@pytest.mark.parametrize(("family", "cell"), CASES)
def test_nothing_in_labels_or_annotations_points_at_the_root(
    family: str, cell: str, topologies: list[Topology]
) -> None:
    root_keys: Counter[str] = Counter()
    other_keys: Counter[str] = Counter()
    n_root = n_other = 0
    for w in _worlds(FAMILIES[family], cell, topologies, range(40)):
        by_fp = {a.fingerprint: a for a in w.alerts}
        for inc in w.incidents:
            for fp in inc.fingerprints:
                a = by_fp[fp]
                # No alert names the root except through its own service label, or through the
                # callee label every client-span alert carries (span_traces: the caller's rule on its
                # calls names whom it calls, incident or not).
                if a.service != inc.root:
                    assert inc.root not in {v for k, v in a.labels.items() if k not in CALLEE_LABELS}
                    assert all(inc.root not in v.split() for v in a.annotations.values())
                    other_keys.update(a.labels.keys())
                    n_other += 1
                else:
                    root_keys.update(a.labels.keys())
                    n_root += 1
        for a in w.alerts:
            if CALLEE_LABELS & a.labels.keys():
                assert a.labels.get("span_kind") in ("SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER")
            for text in (*a.labels.values(), *a.annotations.values(), a.summary or ""):
                assert not HINT.search(text), text
    # No label key is much more common on the roots' alerts than on the other alerts of incidents.
    for key, count in root_keys.items():
        assert count / n_root <= 3 * (other_keys[key] / max(1, n_other) + 0.05), key


@pytest.mark.parametrize(("family", "cell"), CASES)
def test_alerts_name_their_service_the_way_alertmanager_labels_do(
    family: str, cell: str, topologies: list[Topology]
) -> None:
    for w in _worlds(FAMILIES[family], cell, topologies, range(20)):
        for a in w.alerts:
            assert a.service == next((a.labels[k] for k in DEFAULT_SERVICE_LABELS if a.labels.get(k)), None)
