"""Words for the numbers: evidence lines, group summaries and the noise explanation.

Everything here is phrased for an on-call engineer skimming an incident channel, and every
claim is one they can check (a change id, a timestamp, a count of dependents).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import lru_cache

from opscontext.engine.correlation.health import is_degraded
from opscontext.engine.correlation.named_changes import by_name
from opscontext.engine.correlation.ranking import BATCH_FREE, BATCH_SPAN_S, Scored, ServiceStats

_CHANGE_VERBS = {"deployment": "deployed", "rollback": "rolled back", "config": "changed config",
                 "upgrade": "upgraded", "merge": "merged", "feature_flag": "flipped a flag"}
_KIND_WORDS = (
    ("latency", re.compile(r"latenc|slow|duration|p9\d", re.I)),
    ("errors", re.compile(r"error|5xx|fail|exception", re.I)),
    ("saturation", re.compile(r"saturat|cpu|memory|oom|disk|throttl|queue", re.I)),
    ("missing traffic", re.compile(r"absent|norequest|no_request|down|unreachable|missing", re.I)),
)


def count(n: int, word: str, plural: str | None = None) -> str:
    """``1 alert``, ``2 alerts``: answers are read by people, and by models that copy them."""
    return f"{n} {word if n == 1 else plural or word + 's'}"


def services(n: int, what: str = "alerting") -> str:
    return f"{n} {what} service{'' if n == 1 else 's'}"


def minutes(seconds: float) -> str:
    m = seconds / 60.0
    if m < 1:
        return f"{max(0, round(seconds))} s"
    return f"{round(m)} min"


def change_phrase(sc: Scored) -> str:
    c = sc.change
    assert c is not None
    verb = _CHANGE_VERBS.get(c.kind.lower(), c.kind.lower())
    what = f" {c.version}" if c.version else ""
    if by_name(c, sc.service):
        what = f" change that names it{' (recorded on ' + c.service + ')' if c.service else ''}"
    if abs(sc.lag_min) * 60 < 1:
        when = "at the time of"
    else:
        when = f"{minutes(sc.lag_min * 60)} before" if sc.lag_min >= 0 else f"{minutes(-sc.lag_min * 60)} after"
    rollout = ""
    if sc.batch > BATCH_FREE:  # weighed down in ranking.Batched; say so
        rollout = f", one of {sc.batch} services here changed within {minutes(BATCH_SPAN_S)} of each other"
    return f"{verb}{what} {when} the first alert{rollout} (change id {c.id})"


def evidence(sc: Scored, stats: ServiceStats | None, between: tuple[str, str] | None) -> list[str]:
    out: list[str] = []
    if sc.change is not None:
        out.append(change_phrase(sc))
    if stats is None:
        if sc.health is not None and sc.health.reported:
            out.append(f"did not alert, but {sc.health.why} names it")
        elif sc.health is not None:
            state = "degraded" if is_degraded(sc.health) else "serving normally"
            out.append(f"did not alert, but its own health shows it {state}: {sc.health.why}")
        if between is not None:
            out.append(f"did not alert itself but sits between {between[0]} and {between[1]}")
        verb = "depends" if sc.explains == 1 else "depend"
        out.append(f"did not alert itself but {services(sc.explains)} {verb} on it")
        return out
    others = sc.explains - 1
    if sc.deps == 0 and others > 0:
        verb = "depends" if others == 1 else "depend"
        out.append(f"deepest alerting dependency: {services(others)} {verb} on it")
    elif sc.deps == 0:
        out.append("no alerting dependency below it")
    elif sc.degraded_below:
        alerting = sc.deps - sc.degraded_below
        also = f"{services(alerting, 'other alerting')} and " if alerting > 0 else ""
        n = sc.degraded_below
        seen = "the group's alerts name as failing" if sc.reported_below == n else "a health source saw degraded"
        out.append(f"depends on {also}{n} quiet service{'' if n == 1 else 's'} {seen}, so its alerts may be symptoms")
    else:
        out.append(f"depends on {services(sc.deps, 'other alerting')}, so its alerts may be symptoms")
    if sc.onset_s <= 0:
        t = stats.first  # (the fields by hand: strftime is several times slower)
        out.append(f"first to alert ({t.hour:02d}:{t.minute:02d}:{t.second:02d})")
    else:
        out.append(f"started alerting {minutes(sc.onset_s)} after the first alert")
    out.append(f"{count(stats.count, 'alert')}, worst severity {stats.severity or 'unknown'}")
    return out


def primary_reason(sc: Scored) -> str:
    if sc.change is not None:
        return change_phrase(sc).replace(" (change id", ", change").rstrip(")")
    if not sc.alerting:
        return f"silent, but {services(sc.explains)} {'depends' if sc.explains == 1 else 'depend'} on it"
    if sc.deps == 0 and sc.explains > 1:
        return f"deepest alerting dependency of {services(sc.explains - 1)}"
    return "first to alert" if sc.onset_s <= 0 else "highest-ranked alerting service"


@lru_cache(maxsize=4096)
def _kinds_of_name(name: str) -> frozenset[str]:
    return frozenset(word for word, rx in _KIND_WORDS if rx.search(name))


def kinds_of(alertnames: Iterable[str]) -> str:
    seen: set[str] = set()
    for n in alertnames:
        seen |= _kinds_of_name(n)
    found = [word for word, _ in _KIND_WORDS if word in seen]
    if not found:
        return "alerts"
    if len(found) == 1:
        return found[0]
    return ", ".join(found[:-1]) + " and " + found[-1]


def summary(entry: str, alertnames: Iterable[str], n_services: int, top: Scored) -> str:
    where = f"across {n_services} services" if n_services > 1 else "on one service"
    return (
        f"{entry} {kinds_of(alertnames)} {where}; {top.service} is the primary contributor "
        f"({primary_reason(top)})"
    )


def explanation(
    alerts_in: int, unique: int, dupes: int, flapping: Mapping[str, int], grouped: int,
    groups: int, ungrouped: Mapping[str, int], observed: Sequence[tuple[str, str]] = (), lone: int = 0,
) -> str:
    """``grouped`` and ``groups`` count incident groups only; ``lone``: lone warnings listed after them."""
    if alerts_in == 0:
        return "No alerts in the window."
    folded = sum(flapping.values()) - len(flapping)
    left = ", ".join(f"{n} {reason.replace('_', ' ')}" for reason, n in sorted(ungrouped.items()) if n)
    seen = ""
    if observed:
        shown = ", ".join(f"{a} -> {b}" for a, b in observed[:3])
        more = f" and {len(observed) - 3} more" if len(observed) > 3 else ""
        n = len(observed)
        what = "1 dependency the catalog lacks was" if n == 1 else f"{n} dependencies the catalog lacks were"
        seen = f" {what} read from alerts naming the service they called ({shown}{more}) and used as if declared."
    return (
        f"{alerts_in} alerts in; {dupes} duplicate or repeated deliveries removed "
        f"({folded} of them re-firings of {len(flapping)} flapping alerts), leaving {unique} unique. "
        f"{grouped} of those fall into {groups} incident groups by onset time and shared dependencies"
        f"{'; left out: ' + left if left else ''}. "
        f"Noise reduction {1 - groups / alerts_in:.1%}: {alerts_in} alerts to read become {groups} "
        f"incidents to triage{_lone(lone)}.{seen}"
    )


def _lone(n: int) -> str:
    if not n:
        return ""
    what = "1 lone warning" if n == 1 else f"{n} lone warnings"
    return f", and {what} (one alert below critical, nothing related alerting) listed after them as possible noise"


def stamp(t: datetime) -> str:
    return t.strftime("%Y%m%dT%H%M%S")
