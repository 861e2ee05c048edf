"""From a ranked cluster of episodes to an :class:`AlertGroup`: explain, summarise."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from typing import Any, NamedTuple, TypeVar

from opscontext.engine.correlation import evidence as ev
from opscontext.engine.correlation.calibration import confidence, quiet_below
from opscontext.engine.correlation.candidates import Cluster
from opscontext.engine.correlation.dedup import UniqueAlert
from opscontext.engine.correlation.models import AlertBrief, AlertGroup, Candidate, CorrelationOptions
from opscontext.engine.correlation.ranking import Scored
from opscontext.engine.correlation.topology import Adjacency, dependents_within


def build_group(
    cluster: Cluster, ranked: list[Scored], unique: Sequence[UniqueAlert], adj: Adjacency,
    opts: CorrelationOptions, nearby: Sequence[str] = (), gid: str | None = None,
    beside: Beside | None = None,
) -> AlertGroup:
    """``nearby``: primary contributors of other groups alerting at the same time next to this
    one in the graph (see :mod:`~opscontext.engine.correlation.nearby`). ``gid``: the group's
    :func:`group_id`, when the caller has it already. ``beside``: one such group's id and
    primary (the one its own group backs most), listed among the candidates (:func:`shown`)."""
    top = ranked[0]
    quiet = quiet_below(top.service, cluster.stats, adj)
    conf, why = confidence(ranked, len(cluster.stats), nearby, quiet)
    if cluster.lone:
        conf = min(conf, LONE_CONFIDENCE)
        n = len(cluster.members)  # one, unless min_group_alerts was raised
        what, it = (f"{n} alerts, none critical,", "them") if n > 1 else ("one warning", "it")
        why = [LONE_WHY.format(what=what, it=it), *why]
    first = unique[cluster.members[0]].starts_at
    members = [unique[i] for i in cluster.members]
    entry = max(ranked, key=lambda c: (c.alerting, c.deps, -c.onset_s)).service
    impacted = impacted_by(top.service, cluster.stats, adj, opts)
    return _made(AlertGroup, {
        "id": gid or group_id(cluster, unique),
        "primary_contributor": top.service,
        "confidence": round(conf, 4),
        "uncertain_because": "; ".join(why) or None,
        "candidates": shown(ranked, opts.max_candidates, beside),
        "lone_warning": cluster.lone,
        "fingerprints": list(dict.fromkeys([u.alert.fingerprint for u in members])),
        "alerts": [
            _made(AlertBrief, {"fingerprint": u.alert.fingerprint, "alertname": u.alert.alertname,
                               "service": u.service, "starts_at": u.starts_at, "severity": u.severity})
            for u in members[: opts.max_alerts_listed]
        ],
        "alert_count": len(members),
        "services": sorted(cluster.stats),
        "impacted_services": impacted,
        "started_at": first,
        "summary": ev.summary(entry, {u.alert.alertname for u in members[:200]}, len(cluster.stats), top),
    })


def impacted_by(top: str, services: Collection[str], adj: Adjacency, opts: CorrelationOptions) -> list[str]:
    """A group's ``impacted_services`` when ``top`` is its primary: its dependents within
    ``max_hops + 1`` hops (at most 50), or, off the graph, the group's other services."""
    if top in adj.pred:
        return dependents_within(adj, top, opts.max_hops + 1, 50)
    return sorted(s for s in services if s != top)


# A lone warning is listed so that nothing is hidden, not because anything says it began an
# incident. On spare seeds 1000-1009 (4 fitting topologies) 83 of 2,479 were an incident's alert
# (1 in 200 in the tuning family, 1 in 50 in metric rules and fault injection, 1 in 2 in request
# flow, where sparse rules leave incidents a single alert) and 57 named the incident's root. So
# its confidence never reaches one half.
LONE_CONFIDENCE = 0.2
LONE_WHY = "{what} with nothing related alerting near {it}: as likely noise as the start of an incident"


# Where a neighbouring group's primary goes in the candidate list: after the group's own two
# best. When grouping split one incident in two, the root often heads the other group (its
# callers' storm holds most of the alerts here): listed, the responder checks it third rather
# than never. Spare seeds 1000-1009 / 1020-1029, 9 topologies: AC@3 +0.018 / +0.016 metric
# rules, +0.019 / +0.017 fault injection, +0.009 / +0.007 cascade; first place and confidence
# unchanged (both come from the group's own ranking). Two neighbours listed bought less (the
# second pushes out the group's own third), second place no more. The groups next to one are
# those alerting one hop from it (:mod:`.nearby`) and those whose primary alerts up to two hops
# below one of its services (:data:`.lazy.BESIDE_HOPS`).
BESIDE_AT = 2


class Beside(NamedTuple):
    """Another group's primary an answer lists among a group's candidates: that group's id, its
    primary as ranked there, and where it alerts from this group's point of view."""

    gid: str
    primary: Scored
    where: str = "next to this group"


def shown(ranked: Sequence[Scored], most: int, beside: Beside | None) -> list[Candidate]:
    """The candidates an answer lists: the group's own best, and a neighbouring group's primary
    (alerting, not already listed) at :data:`BESIDE_AT`. Its score is the one it has in its own
    group, capped at the score listed before it so that the list reads in order."""
    out = [_made(Candidate, {"service": c.service, "score": round(c.score, 4), "alerting": c.alerting,
                             "evidence": c.evidence})
           for c in ranked[:most]]
    if beside is None:
        return out
    gid, other, where = beside
    if not other.alerting or any(c.service == other.service for c in ranked[:most]):
        return out
    at = min(BESIDE_AT, len(out))
    cap = out[at - 1].score if at else 1.0
    why = f"primary contributor of {gid}, alerting {where} at the same time: the two may be one incident"
    extra = _made(Candidate, {"service": other.service, "score": min(round(other.score, 4), cap), "alerting": True,
                              "evidence": [why, *other.evidence]})
    return [*out[:at], extra, *out[at:]][:most]


def group_id(cluster: Cluster, unique: Sequence[UniqueAlert]) -> str:
    """The group's id, from its earliest member alert (fingerprint and start), not from the
    ranking: the same alerts give the same id on every call, even when a late change record
    re-ranks the group. Unique within an answer: every alert belongs to one group."""
    earliest = unique[cluster.members[0]]
    digest = hashlib.sha1(f"{earliest.alert.fingerprint}|{earliest.starts_at.isoformat()}".encode())
    return f"grp-{digest.hexdigest()[:12]}"


M = TypeVar("M", AlertGroup, AlertBrief, Candidate)


def _made(cls: type[M], values: dict[str, Any]) -> M:
    """``cls(**values)`` without validating again what this module has just made and typed.

    Validation was a third of building the answer at scale (tens of thousands of small models
    whose every value comes from typed engine data: scores clamped to 0..1, strings, datetimes).
    This sets what pydantic's own constructor sets; ``values`` lists every field in declaration
    order, as validation would leave them. A test checks each kind of model built here against
    ``cls.model_validate`` of its own dump, so a pydantic change in these internals fails there.
    """
    obj = cls.__new__(cls)
    object.__setattr__(obj, "__dict__", values)
    object.__setattr__(obj, "__pydantic_fields_set__", set(values))
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj
