"""The change look-up's fast paths answer what the plain scan answers: a window's ``any`` (and
``any_of`` a few) is ``best(...) is not None``, a batch told which services changed weighs every candidate as one
that looks all of them up, and the window's edges (a change exactly ``lookback`` before the
first alert, exactly ``grace`` after) fall the same way."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from opscontext.engine.correlation.ranking import Batched, ChangeIndex
from opscontext.models import Change

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LOOKBACK, GRACE = 5400.0, 120.0


def _changes(seed: int, names: list[str]) -> list[Change]:
    rnd = random.Random(seed)
    out = []
    for i in range(400):
        # whole seconds and odd microseconds, so some land exactly on a window's edge
        at = T0 + timedelta(seconds=rnd.randint(-9000, 600), microseconds=rnd.choice((0, 0, 1, 999_999)))
        out.append(Change(id=f"c{i}", service=rnd.choice(names[:40]), kind=rnd.choice(("deploy", "config")),
                          summary="rollout", version="v2", at=at, source="t"))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_any_is_best_is_not_none_at_every_edge(seed: int) -> None:
    names = [f"svc-{i:02d}" for i in range(60)]  # the last 20 never change
    changes = _changes(seed, names)
    index = ChangeIndex(changes)
    firsts = [T0 + timedelta(seconds=s) for s in (-3000, 0, 250, 600)]
    # the edges: a first alert exactly lookback after a change, exactly grace before one
    firsts += [c.at + timedelta(seconds=LOOKBACK) for c in changes[:30]]
    firsts += [c.at - timedelta(seconds=GRACE) for c in changes[:30]]
    for first in firsts:
        window = index.around(first, LOOKBACK, GRACE)
        for s in names:
            assert window.any(s) == (window.best(s) is not None), (s, first)
        for k in range(0, 60, 3):  # groups of three, some with no change at all
            trio = names[k:k + 3]
            assert window.any_of(trio) == any(window.best(s) is not None for s in trio), (trio, first)


@pytest.mark.parametrize("seed", range(6))
def test_a_batch_told_who_changed_weighs_as_one_that_looks_everyone_up(seed: int) -> None:
    names = [f"svc-{i:02d}" for i in range(60)]
    index = ChangeIndex(_changes(seed, names))
    scope = random.Random(seed).sample(names, 25)
    for first in (T0 - timedelta(seconds=1800), T0, T0 + timedelta(seconds=300)):
        best = index.around(first, LOOKBACK, GRACE).best
        plain, told = Batched(best, scope), Batched(best, scope, index.changed_services)
        for s in names:  # in scope and out of it
            assert told(s) == plain(s) and told.batch(s) == plain.batch(s)
    assert set(index.changed_services) <= set(names[:40])
