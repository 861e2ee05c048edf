"""The last correlation per service graph, reused while its inputs are the very same objects.

``correlate`` is a pure function of its alerts, graph, changes, ``now`` and options. File
sources hand back the same (frozen) alert and change objects until their files change, and the
hub's prepared snapshots and the world's resolution memo keep them identical, so asking the same
window again (a warm call, or the next page through ``cursor`` or ``group_id``) would correlate
the same inputs again: 4-5 s at 50k services / 100k alerts. Identity, not equality, is compared:
it costs milliseconds for 100k alerts and cannot be fooled by a reused ``id`` because the memo
holds its inputs. One result per graph, dropped before a different one is computed, so the
memo never holds two correlations at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from operator import is_
from typing import TypeVar
from weakref import WeakKeyDictionary

from opscontext.engine.correlation.models import CorrelationOptions
from opscontext.engine.graph import ServiceGraph
from opscontext.models import Alert, Change


class _Last:
    def __init__(self, alerts: Sequence[Alert], changes: Sequence[Change], now: datetime,
                 options: CorrelationOptions, result: object):
        self.alerts, self.changes, self.now, self.options, self.result = alerts, changes, now, options, result

    def matches(self, alerts: Sequence[Alert], changes: Sequence[Change], now: datetime,
                options: CorrelationOptions) -> bool:
        return (now == self.now and options == self.options and _same(alerts, self.alerts)
                and _same(changes, self.changes))


def _same(a: Sequence[object], b: Sequence[object]) -> bool:
    return a is b or (len(a) == len(b) and all(map(is_, a, b)))


_LAST: WeakKeyDictionary[ServiceGraph, _Last] = WeakKeyDictionary()
R = TypeVar("R")  # a Correlation, or the LazyCorrelation correlate_alerts keeps


def _recall(alerts: Sequence[Alert], graph: ServiceGraph, changes: Sequence[Change], now: datetime,
           options: CorrelationOptions) -> object | None:
    """The remembered correlation of exactly these inputs, or None (and the old one forgotten)."""
    last = _LAST.get(graph)
    if last is not None and last.matches(alerts, changes, now, options):
        return last.result
    _LAST.pop(graph, None)  # a new correlation follows: never two alive at once
    return None


def _remember(alerts: Sequence[Alert], graph: ServiceGraph, changes: Sequence[Change], now: datetime,
             options: CorrelationOptions, result: R) -> R:
    """Keep ``result`` as the correlation of these inputs over ``graph``; returns it."""
    _LAST[graph] = _Last(alerts, changes, now, options, result)
    return result


def memoised(run: Callable[[], R], alerts: Sequence[Alert], graph: ServiceGraph,
             changes: Sequence[Change], now: datetime, options: CorrelationOptions, kind: type[R]) -> R:
    """``run()`` unless these inputs were just correlated into a ``kind`` (for a worker thread:
    no awaits). ``kind`` is what ``run`` returns: a Correlation, or the LazyCorrelation that
    correlate_alerts keeps; a remembered result of the other kind is replaced, not reused."""
    found = _recall(alerts, graph, changes, now, options)
    if isinstance(found, kind):
        return found
    _LAST.pop(graph, None)
    return _remember(alerts, graph, changes, now, options, run())
