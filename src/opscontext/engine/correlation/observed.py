"""Dependencies the catalog lacks that the alerts themselves show.

A catalog drifts: a service starts calling another and nobody updates its ``dependsOn``. With
that edge missing, the caller's alerts and the callee's are not linked (two groups for one
incident) and the caller looks like the deepest failing service. Client-side alerts say the
edge exists: checkout's client span ``oteldemo.CartService/GetCart`` erroring, frontend's
``destination_workload="cart"``, an Envoy upstream cluster. Correlation reads those labels
(:data:`~.peers.CALL_LABELS`) and, where the graph lacks the dependency, answers on a copy of the
graph that has it, marked observed. Nothing else in the server sees these edges: the catalog
stays what its sources say.

``python -m evalkit.stale`` measures what a stale catalog costs, with and without such labels.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from operator import is_
from weakref import WeakKeyDictionary

from opscontext.engine.correlation.peers import CALL_LABELS, called_by
from opscontext.engine.correlation.topology import adjacency, spelling
from opscontext.engine.graph import ServiceGraph
from opscontext.models import Alert

MAX_OBSERVED = 2000  # dependencies read from one call's alerts, at most (sorted, the rest dropped)
_KEEP = 4  # augmented graphs kept per base graph

_lock = threading.Lock()
# base graph -> (the alerts last read, what they showed): a warm call over the same alert objects
# reads no labels again.
_LAST: WeakKeyDictionary[ServiceGraph, tuple[tuple[Alert, ...], tuple[tuple[str, str], ...]]] = WeakKeyDictionary()
# base graph -> observed pairs -> the graph with them: the same pairs give the same graph object,
# so what is remembered per graph (onsets, walks) carries from one call to the next.
_GRAPHS: WeakKeyDictionary[ServiceGraph, dict[tuple[tuple[str, str], ...], ServiceGraph]] = WeakKeyDictionary()


def observed_calls(alerts: Sequence[Alert], graph: ServiceGraph) -> tuple[tuple[str, str], ...]:
    """(caller, callee) pairs the alerts' call labels name that ``graph`` lacks, sorted: both
    services in the graph, the callee named as the target of the caller's failing calls."""
    given = tuple(alerts)
    with _lock:
        last = _LAST.get(graph)
    if last is not None and len(last[0]) == len(given) and all(map(is_, last[0], given)):
        return last[1]
    succ = adjacency(graph).succ
    found = {(s, t) for s, t in named_calls(given, graph) if t not in succ[s]}
    out = tuple(sorted(found)[:MAX_OBSERVED])
    with _lock:
        _LAST[graph] = (given, out)
    return out


def named_calls(alerts: Sequence[Alert], graph: ServiceGraph) -> set[tuple[str, str]]:
    """Every (caller, callee) pair of ``graph``'s services the alerts' call labels name,
    declared or not."""
    adj = adjacency(graph)
    succ = adj.succ
    read: set[tuple[str, frozenset[tuple[str, str]]]] = set()
    found: set[tuple[str, str]] = set()
    disjoint = CALL_LABELS.isdisjoint
    for a in alerts:
        labels = a.labels
        if disjoint(labels):  # most alerts: one pass over a few label names, no set built
            continue
        s = a.service
        if s is None or s not in succ:
            continue
        key = (s, frozenset((k, labels[k]) for k in CALL_LABELS.intersection(labels)))
        if key in read:
            continue
        read.add(key)
        found.update((s, t) for t in called_by(labels, s, lambda: spelling(adj)) if t in succ)
    return found


def with_observed(graph: ServiceGraph, pairs: tuple[tuple[str, str], ...]) -> ServiceGraph:
    """``graph`` with ``pairs`` added as observed calls (``graph`` itself when there are none)."""
    if not pairs:
        return graph
    with _lock:
        kept = _GRAPHS.setdefault(graph, {})
        made = kept.get(pairs)
    if made is None:
        built = graph.with_edges(pairs)
        with _lock:  # two threads may have built it (a call during the load): the first one kept wins
            made = kept.get(pairs)
            if made is None:
                if len(kept) >= _KEEP:
                    kept.pop(next(iter(kept)))
                made = kept[pairs] = built
    return made
