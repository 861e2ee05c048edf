"""Kept onsets (deduplication, episodes, meeting index) answer as if worked out afresh."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from opscontext.engine.correlate import correlate
from opscontext.engine.correlation import onsets as kept
from opscontext.engine.correlation.dedup import Deduped, deduplicate
from opscontext.engine.correlation.grouping import build_episodes
from opscontext.engine.correlation.models import CorrelationOptions
from opscontext.engine.correlation.narrow import Whole
from opscontext.engine.correlation.topology import adjacency, build_index
from opscontext.engine.graph import ServiceGraph
from opscontext.models import Alert, AlertState, DependencyEdge, Service

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
FLAP = timedelta(minutes=60)


def _alerts(rng: random.Random, n: int) -> list[Alert]:
    """Few fingerprints (many re-fire and flap), onsets on a coarse grid (many ties), some
    silenced, some still open."""
    out = []
    for _ in range(n):
        fp = f"fp{rng.randrange(n // 3 + 1)}"
        start = T0 + timedelta(minutes=rng.choice(range(0, 600, 7)))
        out.append(Alert(
            fingerprint=fp, alertname="HighErrorRate", service=f"svc{rng.randrange(12)}", source="t",
            severity=rng.choice(["warning", "critical", None, "info"]), starts_at=start,
            ends_at=None if rng.random() < 0.2 else start + timedelta(minutes=rng.randrange(1, 40)),
            state=AlertState.SUPPRESSED if rng.random() < 0.1 else AlertState.ACTIVE,
        ))
    return out


def _shape(d: Deduped) -> tuple[object, ...]:
    return ([(id(u.alert), u.firings, u.severity, u.service, u.starts_at, u.ts) for u in d.unique],
            d.duplicates_removed, list(d.flapping.items()), d.suppressed)


def test_a_narrowed_deduplication_is_the_deduplication_of_the_alerts_left() -> None:
    rng = random.Random(7)
    for trial in range(300):
        every = _alerts(rng, rng.randrange(2, 120))
        whole = deduplicate(every, FLAP)
        left = [a for a in every if rng.random() > rng.choice([0.0, 0.02, 0.2, 0.45])]
        got = Whole(every, whole).narrowed(left, FLAP)
        if len(left) * 2 < len(every):
            assert got is None
            continue
        assert got is not None, trial
        assert _shape(got[0]) == _shape(deduplicate(left, FLAP)), trial
        mine, theirs = {id(u) for u in got[0].unique}, {id(u) for u in whole.unique}
        changed = ({u.service for u in got[0].unique if id(u) not in theirs}
                   | {u.service for u in whole.unique if id(u) not in mine})
        assert changed <= got[1], trial  # every service that gained or lost a unique alert is named


def test_alerts_out_of_order_or_not_the_same_objects_are_not_narrowed() -> None:
    rng = random.Random(3)
    every = _alerts(rng, 40)
    whole = deduplicate(every, FLAP)
    assert Whole(every, whole).narrowed(list(reversed(every)), FLAP) is None
    copies = [a.model_copy() for a in every]
    assert Whole(every, whole).narrowed(copies, FLAP) is None


def _graph() -> ServiceGraph:
    edges = [DependencyEdge(dependent=f"svc{i}", dependency=f"svc{j}") for i in range(12) for j in (i + 1, i + 3)
             if j < 12]
    return ServiceGraph.build([Service(name=f"svc{i}") for i in range(12)], edges)


def test_correlating_from_kept_onsets_answers_as_correlating_afresh() -> None:
    rng = random.Random(11)
    graph, opts = _graph(), CorrelationOptions()
    for trial in range(20):
        every = _alerts(rng, 150)
        now = T0 + timedelta(hours=rng.choice([3, 9, 12]))
        kept._BASE.pop(graph, None)
        kept._LAST.pop(graph, None)
        fresh = [correlate(every, graph, [], now=now).model_dump(), None]
        left = [a for a in every if rng.random() > 0.1]
        fresh[1] = correlate(left, graph, [], now=now).model_dump()
        kept._LAST.pop(graph, None)
        kept.prepare(every, graph, opts)
        assert correlate(every, graph, [], now=now).model_dump() == fresh[0], trial  # the snapshot itself
        assert correlate(left, graph, [], now=now + timedelta(0)).model_dump() == fresh[1], trial  # narrowed
        later = now + timedelta(hours=1)  # open alerts' episodes read the new now
        assert (correlate(left, graph, [], now=later).model_dump()
                == _afresh(left, graph, later)), trial


def _afresh(alerts: list[Alert], graph: ServiceGraph, now: datetime) -> object:
    kept._BASE.pop(graph, None)
    kept._LAST.pop(graph, None)
    return correlate(alerts, graph, [], now=now).model_dump()


def test_kept_episodes_end_open_alerts_at_the_now_asked_about() -> None:
    rng = random.Random(5)
    graph, opts = _graph(), CorrelationOptions()
    gap, hold = opts.episode_gap.total_seconds(), opts.active_hold.total_seconds()
    for _ in range(30):
        every = _alerts(rng, 80)
        made = kept.prepare(every, graph, opts)
        assert made.open  # some alerts have no end yet
        for now in (T0 + timedelta(hours=2), T0 + timedelta(hours=11)):
            eps, by_service = build_episodes(made.deduped.unique, gap, hold, now.timestamp())
            assert by_service == made.by_service
            assert made.episodes(now.timestamp()) == eps  # every field, those that read now included


def test_narrowed_onsets_have_the_episodes_of_the_alerts_left() -> None:
    rng = random.Random(9)
    graph, opts = _graph(), CorrelationOptions()
    gap, hold = opts.episode_gap.total_seconds(), opts.active_hold.total_seconds()
    for trial in range(40):
        every = _alerts(rng, 200)
        kept.prepare(every, graph, opts)
        kept._LAST.pop(graph, None)
        left = [a for a in every if rng.random() > 0.05]
        made = kept.onsets(left, graph, opts)
        assert made.whole is None and made.deduped.unique is not None
        now = T0 + timedelta(hours=rng.choice([2, 11]))
        eps, by_service = build_episodes(deduplicate(left, FLAP).unique, gap, hold, now.timestamp())
        assert by_service == made.by_service, trial
        assert made.episodes(now.timestamp()) == eps, trial
        assert made.spans == {s: [(eps[i].first, eps[i].last) for i in ids] for s, ids in by_service.items()}
        fresh = build_index(adjacency(graph), by_service, max_hops=opts.max_hops, hub_degree=opts.hub_degree,
                            max_reach=opts.max_reach, spans=made.spans, margin=kept.link_reach(opts))
        assert (list(made.index.at.items()), made.index.direct) == (list(fresh.at.items()), fresh.direct), trial


def test_the_background_prepare_stands_aside_while_a_call_works_out_onsets(monkeypatch: pytest.MonkeyPatch) -> None:
    # A client asking during the load: its call and the load's prepare would otherwise work out
    # the same onsets side by side while the client waits.
    graph, opts = _graph(), CorrelationOptions()
    every = _alerts(random.Random(7), 120)
    kept.forget(graph)
    inside, go = threading.Event(), threading.Event()
    real = kept._make

    def held(*args: Any, **kwargs: Any) -> Any:
        inside.set()
        go.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(kept, "_make", held)
    got: list[object] = []
    call = threading.Thread(target=lambda: got.append(kept.onsets(every, graph, opts)))
    call.start()
    assert inside.wait(10)
    assert kept.prepare(every, graph, opts) is None  # a call is at it: nothing done, nothing kept
    assert graph not in kept._BASE
    go.set()
    call.join(10)
    assert got and got[0] is kept._LAST[graph]
    monkeypatch.setattr(kept, "_make", real)
    assert kept.prepare(every, graph, opts) is kept._BASE[graph]  # with no call at it, it prepares
