"""One change, every source that reported it.

A deploy reaches opscontext several times: GitHub's deployment record, the change event CI sends
to PagerDuty, the deployment event it sends to Dynatrace, the ServiceNow change request it was
made under, a CDEvents event. :func:`merge_reports` groups such reports so a change is listed once,
with every source that reported it.

Two reports are the same change when all of these hold:

1. they come from different sources (within one source, distinct records are distinct changes);
2. they name the same service, after name resolution (reports whose service is unknown are never
   merged: there is nothing to join them on);
3. their environments agree: the same first word after folding common spellings (``prod`` =
   ``production``, ``stg``/``stage`` = ``staging``, ``dev`` = ``development``; so
   ``prod-us-east-1`` = ``production``), or one of them does not say;
4. their kinds agree: equal, both in the deploy family (``deployment``, ``deploy``, ``upgrade``,
   ``rollback``), or one is the generic ``change`` (PagerDuty change events, ServiceNow change
   requests). A ``release`` (a tag published) is never the deployment of it;
5. and either their versions match and they are at most :data:`VERSION_TOLERANCE` apart, or, when
   one of them has no version to compare, they are at most :data:`TIME_TOLERANCE` apart.
   Versions match when equal ignoring case and a leading ``v`` (``v2.14.0`` = ``2.14.0``), when one
   commit SHA abbreviates the other (7+ hex digits), or when a report without a version names the
   other's version as a word of its summary ("Upgrade payment-service to 4.2.0"). Two versions
   that differ are never the same change, however close in time.

A report joins the group nearest to it in time among those it matches, so a version deployed
twice in a day stays two changes; every report of one change lies within VERSION_TOLERANCE of its
first. The group's shown record is the most specific report: a
specific kind before the generic ``change``, one with a version before one without, then the
earliest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from opscontext.models import Change

TIME_TOLERANCE = timedelta(minutes=2)
VERSION_TOLERANCE = timedelta(hours=1)
GENERIC = "change"
DEPLOYS = frozenset({"deployment", "deploy", "upgrade", "rollback"})
ENVIRONMENTS = {"prod": "production", "prd": "production", "stage": "staging", "stg": "staging", "dev": "development"}
_HEX = re.compile(r"[0-9a-f]{7,64}")
_WORD = re.compile(r"[-_.\s/:]+")


@dataclass(frozen=True)
class SameChange:
    """One change and every report of it: ``reports[0]`` is ``change``, the one shown."""

    change: Change
    reports: tuple[Change, ...]

    @property
    def sources(self) -> list[str]:
        """The sources that reported it, the shown one first, each once."""
        return list(dict.fromkeys(r.source for r in self.reports))


def version_key(version: str | None) -> str | None:
    """A version as compared: lower case, without ``refs/tags/`` or a leading ``v`` before a digit."""
    if not version or not version.strip():
        return None
    text = version.strip().lower().removeprefix("refs/tags/")
    return text[1:] if len(text) > 1 and text[0] == "v" and text[1].isdigit() else text


def same_version(a: str, b: str) -> bool:
    """Equal keys, or one commit SHA abbreviating the other."""
    if a == b:
        return True
    return bool(_HEX.fullmatch(a) and _HEX.fullmatch(b) and (a.startswith(b) or b.startswith(a)))


def _named_in(version: str, summary: str) -> bool:
    """Whether ``summary`` names ``version`` (a key) as a word, with or without a leading v."""
    if len(version) < 3 or not any(ch.isdigit() for ch in version):
        return False  # "1" or "main" would match too much
    return re.search(rf"(?<![\w.-])v?{re.escape(version)}(?![\w-]|\.\w)", summary.lower()) is not None


def environment_key(environment: str | None) -> str | None:
    """An environment as compared: its first word, lower case, common spellings folded
    (``prod-us-east-1`` and ``Production`` are both ``production``)."""
    first = _WORD.split((environment or "").strip().lower(), maxsplit=1)[0]
    return ENVIRONMENTS.get(first, first) or None


def _kinds_agree(a: str, b: str) -> bool:
    return a == b or GENERIC in (a, b) or (a in DEPLOYS and b in DEPLOYS)


def _tolerance(a: Change, b: Change) -> timedelta | None:
    """How far apart ``a`` and ``b`` may be to be one change; None when they never are."""
    if a.source == b.source or not _kinds_agree(a.kind, b.kind):
        return None
    env_a, env_b = environment_key(a.environment), environment_key(b.environment)
    if env_a and env_b and env_a != env_b:
        return None
    va, vb = version_key(a.version), version_key(b.version)
    if va and vb:
        return VERSION_TOLERANCE if same_version(va, vb) else None
    if (va and _named_in(va, b.summary)) or (vb and _named_in(vb, a.summary)):
        return VERSION_TOLERANCE
    return TIME_TOLERANCE


@dataclass
class _Group:
    members: list[Change] = field(default_factory=list)

    def distance(self, report: Change) -> timedelta | None:
        """How far ``report`` is from the nearest member, when it may join; else None."""
        best: timedelta | None = None
        for member in self.members:
            tolerance = _tolerance(member, report)
            if tolerance is None:
                return None  # it must agree with every member, not only the nearest
            gap = abs(member.at - report.at)
            if gap <= tolerance and (best is None or gap < best):
                best = gap
        return best


def _shown_first(change: Change) -> tuple[bool, bool, datetime, str, str]:
    return (change.kind == GENERIC, version_key(change.version) is None, change.at, change.source, change.id)


def merge_reports(changes: Iterable[Change]) -> list[SameChange]:
    """``changes`` grouped into one :class:`SameChange` per change (the module docstring says
    when two reports are one change), in input order of each group's first report."""
    order: list[_Group] = []
    by_service: dict[str, list[_Group]] = {}
    for report in sorted(changes, key=lambda c: (c.at, c.source, c.id)):
        if report.service is None:
            order.append(_Group([report]))
            continue
        groups = by_service.setdefault(report.service, [])
        home = _nearest(groups, report)
        if home is None:
            home = _Group()
            groups.append(home)
            order.append(home)
        home.members.append(report)
    return [_merged(g.members) for g in order]


def _nearest(groups: Sequence[_Group], report: Change) -> _Group | None:
    best: tuple[timedelta, int] | None = None
    # Groups are made in the time order of their first report, and a group takes reports only
    # within VERSION_TOLERANCE of that first one: the scan stops at the first group too old.
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if report.at - group.members[0].at > VERSION_TOLERANCE:
            break  # and every earlier group began earlier still
        gap = group.distance(report)
        if gap is not None and (best is None or gap < best[0]):
            best = (gap, index)
    return groups[best[1]] if best is not None else None


def _merged(members: list[Change]) -> SameChange:
    shown = min(members, key=_shown_first)
    rest = sorted((m for m in members if m is not shown), key=lambda c: (c.at, c.source, c.id))
    return SameChange(shown, (shown, *rest))
