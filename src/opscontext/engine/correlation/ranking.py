"""Ranking the primary contributor of one group, with evidence a person can check.

Features of a candidate (each 0..1):

* ``cover``: share of the group's alerting services it explains (they depend on it within the
  hop bound, or it is one of them). A fault spreads to dependents, so the root explains most.
* ``deepest``: it has no alerting dependency of its own in the group; alerts on something whose
  dependency also alerts are more likely symptoms.
* ``onset``: how soon after the group's first alert it started (onset order is noisy: scrape
  intervals and ``for:`` clauses reorder alerts by minutes).
* ``severity``: its worst alert.
* ``change``: a change on it shortly before the first alert (a deploy five minutes before is
  strong evidence; an hour before, weak).

Services that did not alert are candidates too when several alerting services depend on them
(a silent shared dependency) or when they sit between alerting ones; they pay ``SILENT_PENALTY``
because an unmonitored root is the rarer story. The weights were set by hand and checked on the
training seeds of the evaluation harness (never the reported test seeds).
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter

from opscontext.engine.correlation.dedup import severity_rank
from opscontext.engine.correlation.health import HealthVerdict, is_degraded
from opscontext.engine.correlation.named_changes import CONFIG_KINDS, NameIndex, by_name
from opscontext.models import Change

W_COVER = 0.35
W_DEEPEST = 0.20
W_ONSET = 0.07  # halved: on held-out families who alerts first was worth less than on the tuning one
W_SEVERITY = 0.05
W_CHANGE = 0.30
SILENT_PENALTY = 0.18
# Without evidence of its own a silent candidate keeps this share of its score: it stays listed
# as an alternative to check, below the alerting services it would explain.
SILENT_FLOOR = 0.35
_TOTAL = W_COVER + W_DEEPEST + W_ONSET + W_SEVERITY + W_CHANGE

_CHANGE_KIND_WEIGHT = {"merge": 0.5, "incident": 0.0}
# A change up to 10 min before the first alert is full evidence; older ones fade to 0.3 of it
# over the next 20 min (a deploy that breaks something mostly shows within minutes; the whole
# estate redeployed twenty minutes before a fault-injection run is the counter-example that
# taught it: checked on spare seeds of all three families, AC@1 +0.03 / +0.00 / +0.01).
_STRONG_LAG_MIN = 10.0
FADE_MIN = 20.0  # 0: fade over the whole lookback
# A change made with many others around one group (a rollout of the whole estate, a release
# train) is evidence for each of them only as much as for the rest: its strength is divided by
# sqrt(k / BATCH_FREE) when k of the group's candidate services changed within BATCH_SPAN_S of it.
BATCH_SPAN_S = 300.0
BATCH_FREE = 2.0
# A silent candidate whose change was made for it by name elsewhere (a feature flag or config key
# naming it, recorded on the flag or config store) pays this much less of SILENT_PENALTY, in
# proportion to the change's strength: a targeted switch flipped minutes before its callers
# began to fail is the usual story of a quiet root, not the rare one. Only for a change that
# names it: a quiet service's own routine deploy is not relieved (waiving the penalty for any
# change cost the tuning family 0.01-0.02 AC@1 on spare seeds; named changes: fault injection
# +0.05 / +0.07 on spare seeds 1000-1009 / 1020-1029, the other two families unchanged).
NAMED_RELIEF = 1.0
# A flag or config change whose summary ends in a transition to the value it already had
# ("defaultVariant off -> off") changed nothing and is not evidence (fault injection AC@1 +0.011
# / +0.005 on spare seeds 1000-1009 / 1020-1029, the other families unchanged).
# A quiet candidate a health source saw degraded, with nothing alerting below it, pays this much
# less of SILENT_PENALTY (its alerting dependents are no longer "deepest": candidates.py). With
# a modelled health source (evalkit/health.py: coverage 50-85 %, degradations shown 30-90 %, blips
# in 3 % of 20-minute slots), spare seeds 1000-1009 / 1020-1029: fault injection AC@1 +0.027 /
# +0.024, metric rules +0.001 / +0.006, cascade +0.006 / +0.004 (1.0 and 0.0 on 1000-1009: fault
# injection +0.027 / +0.016, metric rules -0.001 / +0.001, cascade +0.003 / +0.004).
HEALTH_RELIEF = 0.5
# A quiet candidate the group's own alerts name as the peer their failing calls go to (a client
# span, ``peer_service``, a mesh destination: ``candidates._Reported``) is seen failing from
# outside, by the calls that fail in this incident, not by a probe that blips now and then: with
# nothing alerting below it, it pays none of SILENT_PENALTY, as if it had alerted itself. Measured
# with the four tunable families' callers naming the next hop towards the root (``evalkit.peers``'
# labelling), full against half relief, AC@1 on spare seeds 1000-1009 / 1020-1039 (fitting
# topologies) / 1000-1003 (five shapes): request flow +0.021 / +0.009 / +0.010, cascade +0.005 /
# +0.004 / +0.002, metric rules +0.002 / +0.003 / -0.002, fault injection 0.000 / +0.001 / 0.000;
# three quarters gave half of that. As generated their alerts name no peer: unchanged.
REPORTED_RELIEF = 1.0
_TRANSITION = re.compile(r"(\S+)\s*(?:->|→)\s*(\S+)\s*$")


def is_noop(change: Change) -> bool:
    """Whether ``change`` is a flag or config change that set a value to what it already was."""
    if change.kind not in CONFIG_KINDS:
        return False
    m = _TRANSITION.search(change.summary)
    return m is not None and m.group(1) == m.group(2)


@dataclass(slots=True)
class ServiceStats:
    first: datetime
    severity: str | None = None
    count: int = 0
    # The latest end of its alerts while every one has an end (``firing`` once one has none).
    resolved: datetime | None = None
    firing: bool = False


@dataclass(slots=True)
class Scored:
    service: str
    score: float
    alerting: bool
    explains: int
    deps: int
    change: Change | None
    lag_min: float
    onset_s: float
    evidence: list[str] = field(default_factory=list)
    # A silent candidate's (alerting dependent, alerting dependency) it sits between, kept so
    # its evidence can be worded later, only if it makes the shown candidates.
    between: tuple[str, str] | None = None
    named: bool = False  # an alert of the group names it in a label (db, peer service, upstream)
    n_alerting: int = 1  # alerting services in the group
    strength: float = 0.0  # its change's weight as scored (kind, age, rollout), 0 without one
    batch: int = 1  # candidate services of the group that changed within BATCH_SPAN_S of its change
    health: HealthVerdict | None = None  # a quiet candidate's own health, where a health source measured it
    degraded_below: int = 0  # of ``deps``: quiet dependencies a health source saw degraded
    reported_below: int = 0  # of ``degraded_below``: those seen only in the group's alerts naming them


class ChangeIndex:
    """Changes per service (up to ``until``), sorted by time when a service is first looked up:
    a day at scale holds tens of thousands of changes, and ranking asks about a fraction."""

    def __init__(
        self, changes: Sequence[Change], until: datetime | None = None, names: Collection[str] = (),
        spelling: Callable[[], NameIndex] | None = None,
    ) -> None:
        """``names``: the graph's services. A change on none of them, or a flag or config change,
        also counts for the one service its key or summary names (:mod:`.named_changes`), looked
        up in ``spelling()`` (the graph's memoised index) or else an index of ``names``."""
        raw: dict[str, list[tuple[datetime, Change]]] = {}
        index: NameIndex | None = None
        for c in changes:
            service, at = c.service, c.at
            if until is not None and at > until:
                continue
            if is_noop(c):
                continue
            if names and (service is None or service not in names or c.kind in CONFIG_KINDS):
                index = index or (spelling() if spelling is not None else NameIndex(names))
                named = index.named(c.summary, keys=True)
                if named is not None and named != service:
                    raw.setdefault(named, []).append((at, c))
                    if c.kind in CONFIG_KINDS:
                        # A flag or config value changes the service it names; the store it is
                        # recorded on (flagd, a parameter store) still serves it as before.
                        continue
            if service is None:
                continue
            lst = raw.get(service)
            if lst is None:
                raw[service] = [(at, c)]
            else:
                lst.append((at, c))
        self._raw = raw
        self._sorted: dict[str, tuple[list[datetime], list[float], list[Change]]] = {}

    def on(self, service: str) -> tuple[list[datetime], list[float], list[Change]] | None:
        """``service``'s change times, as datetimes and epoch seconds, and changes, by time."""
        known = self._sorted.get(service)
        if known is None:
            raw = self._raw.get(service)
            if raw is None:
                return None
            raw.sort(key=_at)  # stable: changes at the same time keep their input order
            known = self._sorted[service] = ([at for at, _ in raw], [at.timestamp() for at, _ in raw],
                                             [c for _, c in raw])
        return known

    @property
    def changed_services(self) -> Collection[str]:
        """Services any change (up to ``until``) counts for, at any time (a live view, for
        C-level membership tests)."""
        return self._raw.keys()

    def best(self, service: str, first: datetime, lookback: float, grace: float) -> tuple[Change, float] | None:
        """The most telling change on ``service`` near ``first``: (change, strength)."""
        return self.around(first, lookback, grace).best(service)

    def around(self, first: datetime, lookback: float, grace: float, first_ts: float | None = None) -> ChangeWindow:
        """Look-ups for one group's first alert: its bounds are worked out once, not per candidate
        (``first_ts``: ``first.timestamp()``, when the caller has it)."""
        return ChangeWindow(self, first, lookback, grace, first_ts)


class ChangeWindow:
    """:meth:`ChangeIndex.best` for many services around one first alert."""

    __slots__ = ("_first", "_first_ts", "_from", "_grace", "_index", "_lookback")

    def __init__(self, index: ChangeIndex, first: datetime, lookback: float, grace: float,
                 first_ts: float | None = None) -> None:
        self._index = index
        self._first = first
        self._first_ts = first.timestamp() if first_ts is None else first_ts
        self._lookback = lookback
        self._grace = grace
        self._from: float | None = None  # the earliest change time that counts, when needed

    def best(self, service: str) -> tuple[Change, float] | None:
        found = self._index.on(service)  # None at once for the many services that never change
        if found is None:
            return None
        _, stamps, changes = found
        lo = bisect_left(stamps, self._earliest())
        first_ts, grace, lookback_min = self._first_ts, self._grace, self._lookback / 60.0
        best: tuple[Change, float] | None = None
        for c, at in zip(changes[lo:], stamps[lo:], strict=True):
            lag = first_ts - at
            if lag < -grace:
                break
            s = change_strength(c, lag / 60.0, lookback_min)
            if best is None or s > best[1]:
                best = (c, s)
        return best

    def any(self, service: str) -> bool:
        """Whether :meth:`best` would find a change on ``service`` (without weighing them)."""
        found = self._index.on(service)
        return found is not None and self._in_window(found[1])

    def any_of(self, services: Iterable[str]) -> bool:
        """Whether :meth:`any` holds for one of ``services`` (inlined: once per lone alert, 30k
        of them at scale)."""
        on, earliest, first_ts, grace = self._index.on, self._earliest(), self._first_ts, -self._grace
        for service in services:
            found = on(service)
            if found is not None:
                stamps = found[1]
                lo = bisect_left(stamps, earliest)
                if lo < len(stamps) and first_ts - stamps[lo] >= grace:
                    return True
        return False

    def _in_window(self, stamps: list[float]) -> bool:
        """Whether one of the sorted change times ``stamps`` falls in the window."""
        lo = bisect_left(stamps, self._earliest())
        return lo < len(stamps) and self._first_ts - stamps[lo] >= -self._grace

    def _earliest(self) -> float:
        if self._from is None:
            # As a timestamp of the datetime itself: distinct microseconds stay distinct floats,
            # so bisecting the stamps finds what bisecting the datetimes would, without the
            # aware-datetime comparisons.
            self._from = datetime.fromtimestamp(self._first_ts - self._lookback, self._first.tzinfo).timestamp()
        return self._from


_at: Callable[[tuple[datetime, Change]], datetime] = itemgetter(0)


class Batched:
    """The best change near one group's first alert for each of its candidate services, each
    weighed down by how many of those services changed within ``BATCH_SPAN_S`` of it.

    When the whole estate was redeployed twenty minutes before, every candidate has a change;
    the rollout says something happened, not where. A deploy of one service and its database
    together (two) keeps its full strength."""

    __slots__ = ("_best", "_found", "_times")

    def __init__(
        self, best: Callable[[str], tuple[Change, float] | None], scope: Iterable[str],
        changed: Collection[str] | None = None,
    ) -> None:
        """``changed``: services with any change at all (:attr:`ChangeIndex.changed_services`);
        the rest of ``scope`` is known to have none and is not looked up."""
        self._best = best
        if changed is None:
            self._found = {s: best(s) for s in scope}
        else:
            found: dict[str, tuple[Change, float] | None] = dict.fromkeys(scope)
            for s in [s for s in found if s in changed]:
                found[s] = best(s)
            self._found = found
        self._times = sorted(c[0].at.timestamp() for c in self._found.values() if c is not None)

    def batch(self, service: str) -> int:
        """How many candidate services changed within ``BATCH_SPAN_S`` of ``service``'s change."""
        c = self._found[service] if service in self._found else self._best(service)
        if c is None:
            return 0
        t, times = c[0].at.timestamp(), self._times
        return max(1, bisect_right(times, t + BATCH_SPAN_S) - bisect_left(times, t - BATCH_SPAN_S))

    def __call__(self, service: str) -> tuple[Change, float] | None:
        c = self._found[service] if service in self._found else self._best(service)
        if c is None:
            return None
        k = self.batch(service)
        return c if k <= BATCH_FREE else (c[0], c[1] * math.sqrt(BATCH_FREE / k))

    def strength(self, service: str) -> float:
        """The weighed strength of ``service``'s change, 0 without one."""
        c = self(service)
        return c[1] if c is not None else 0.0


# A flag or config change that switched something off ("on -> off", "true -> false") counts half.
# Turning a flag off is as often a fault being removed (the end of one fault-injection experiment
# just before the next begins, a kill switch thrown as mitigation) as one being made; counted in
# full, the previous experiment's flag, flipped back minutes before the next fault, was named as
# its cause. Spare seeds, fault injection AC@1 0.810 -> 0.815 (1000-1019) and 0.762 -> 0.767
# (1020-1039); the other families record no flag changes and are unchanged (0.5 and 0 scored the
# same; half keeps a switch-off that did break something on the list).
OFF_WEIGHT = 0.5
_OFF = frozenset({"off", "false", "disabled", "disable", "no"})


def turned_off(change: Change) -> bool:
    """Whether ``change`` is a flag or config change that switched something off."""
    if change.kind not in CONFIG_KINDS:
        return False
    m = _TRANSITION.search(change.summary)
    return m is not None and m.group(2).lower() in _OFF and m.group(1).lower() not in _OFF


def change_strength(c: Change, lag_min: float, lookback_min: float) -> float:
    kind = _CHANGE_KIND_WEIGHT.get(c.kind.lower(), 1.0)
    if turned_off(c):
        kind *= OFF_WEIGHT
    if lag_min <= _STRONG_LAG_MIN:
        timing = 1.0
    else:
        span = FADE_MIN or max(lookback_min - _STRONG_LAG_MIN, 1.0)
        timing = max(0.3, 1.0 - 0.7 * (lag_min - _STRONG_LAG_MIN) / span)
    return kind * timing


def score(
    service: str,
    stats: ServiceStats | None,
    explains: int,
    deps: int,
    n_alerting: int,
    group_first: datetime,
    change: tuple[Change, float] | None,
    silent_onset: datetime | None = None,
    support: float = 1.0,
    health: HealthVerdict | None = None,
    onset_from: datetime | None = None,
) -> Scored:
    """Score one candidate; a silent one (``stats`` None) takes the onset of its earliest
    alerting dependent, since a fault there must have started before they noticed.

    ``support`` (0..1) weighs a silent candidate by its own evidence (see
    :func:`silent_support`); alerting candidates have their alerts as evidence and ignore it.
    ``health``: a silent candidate's verdict from a health source (:mod:`.health`): degraded
    is full support (and, with ``deps`` 0, :data:`HEALTH_RELIEF`, or :data:`REPORTED_RELIEF` when
    the group's own alerts named it), serving leaves only the floor.
    ``onset_from``: where the onset weight counts from, when not ``group_first`` (starting
    before it counts as starting with it); ``onset_s`` stays measured from ``group_first``."""
    cover = min(explains / max(n_alerting, 1), 1.0)
    deepest = 1.0 if deps == 0 else 0.0
    started = stats.first if stats else silent_onset
    onset_s = (started - group_first).total_seconds() if started else 1e9
    if onset_from is not None and started is not None:
        onset = 1.0 / (1.0 + max(0.0, (started - onset_from).total_seconds()) / 60.0)
    else:
        onset = 1.0 / (1.0 + onset_s / 60.0)
    severity = min(severity_rank(stats.severity), 3) / 3.0 if stats else 0.0
    ch = change[1] if change else 0.0
    raw = W_COVER * cover + W_DEEPEST * deepest + W_ONSET * onset + W_SEVERITY * severity + W_CHANGE * ch
    if stats is None:
        relief = NAMED_RELIEF * ch if change is not None and by_name(change[0], service) else 0.0
        if health is not None:
            degraded = is_degraded(health)
            # Degraded with nothing alerting below: the deepest failing service, alert or not.
            # Degraded between alerting ones: on the fault's path, which says nothing more.
            deep = degraded and deps == 0
            seen_relief = REPORTED_RELIEF if health.reported else HEALTH_RELIEF
            support, relief = (1.0, max(relief, seen_relief if deep else 0.0)) if degraded else (0.0, relief)
        raw = raw * (SILENT_FLOOR + (1.0 - SILENT_FLOOR) * support) - SILENT_PENALTY * (1.0 - relief)
    lag = (group_first - change[0].at).total_seconds() / 60.0 if change else 0.0
    return Scored(
        service=service,
        score=max(0.0, min(1.0, raw / _TOTAL)),
        alerting=stats is not None,
        explains=explains,
        deps=deps,
        change=change[0] if change else None,
        lag_min=lag,
        onset_s=onset_s,
        n_alerting=n_alerting,
        strength=ch,
        health=health if stats is None else None,
    )


def silent_support(alerting_callers: int, callers: int, alerting_below: int, change: float, named: bool) -> float:
    """Evidence that a service which raised no alert is where the fault began (0..1).

    Being depended on explains the alerts above it, but a service most of the estate depends on
    explains every incident and so is evidence of none. What counts instead: a change on it, an
    alert that names it, or every one of its callers alerting with nothing alerting below it
    (two or more, or the only one of a private dependency);
    the share of its callers that alert scales the topological part, so the support of a hub with
    hundreds of quiet callers falls towards zero.
    """
    share = alerting_callers / callers if callers else 0.0
    # A private dependency (its one caller alerts) counts too: a datastore behind its only
    # service fails as that service (fault injection AC@3 +0.02 on spare seeds 1000-1009 and
    # 1020-1029, the others within 0.002; it stays below its caller, which alerted).
    whole = alerting_callers >= 2 or alerting_callers == callers == 1
    topological = share * share if alerting_below == 0 and whole else 0.0
    return max(change, 1.0 if named else 0.0, topological)


def quiet_change(
    change: tuple[Change, float] | None, alerting_callers: int, callers: int, service: str | None = None,
) -> tuple[Change, float] | None:
    """A change on a service that raised no alert, weighed by the share of its callers alerting.

    A feature-flag service or a config store changes all day and is called by everyone; its
    change explains a few alerting callers only as well as it fails to explain the quiet rest.
    A change made for ``service`` by name elsewhere (a flag key naming it, recorded on the flag
    store) is not weighed down: it changed that one service, and a fault behind one code path
    reaches only the callers that take it (fault injection AC@1 +0.04 on spare seeds 1000-1009
    and 1020-1029; the other two families, whose flags never name a quiet service, unchanged)."""
    if change is None or callers <= 1 or (service is not None and by_name(change[0], service)):
        return change
    return change[0], change[1] * math.sqrt(min(alerting_callers / callers, 1.0))
