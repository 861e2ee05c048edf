"""Who an on-call event names, read the way the on-call vendors write their exports.

Conventions seen in the wild (the vendors publish no schema for their feeds):

- PagerDuty schedule feeds: ``SUMMARY:On Call - <name> - <escalation policy>`` (the policy part is
  absent in some feeds), ``ATTENDEE:<email>`` with neither ``mailto:`` nor CN, a ``URL`` and
  ``X-WR-CALNAME:On Call Schedule for <schedule>``.
- Grafana OnCall: ``SUMMARY:[L1] <username or email>`` where ``[Ln]`` is the event's priority
  inside one schedule (which layer wins when events overlap), not an escalation level; usernames
  may be written ``@alex``; ``X-WR-CALNAME`` is the schedule name.
- Opsgenie schedule feeds: the event title starts with the participant's name and the calendar
  is named after the schedule (team schedules are called ``<team>_schedule``).
- Calendars kept by hand (Google, Outlook): a plain ``Name`` summary, often an
  ``ATTENDEE;CN=Full Name:mailto:address``.

An ATTENDEE with a CN is the most reliable source of both name and address; the SUMMARY fills in
what the attendee lacks. DESCRIPTION is free text (links to the vendor UI) and is not mined: a
stray address there would name the wrong person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_PAGERDUTY = re.compile(
    r"^On[- ]?Call\s+-\s+(?P<name>.+?)(?:\s+-\s+(?P<policy>.+))?$", re.IGNORECASE
)
_PRIORITY_PREFIX = re.compile(r"^\[L\d+\]\s*", re.IGNORECASE)
_EMAIL = re.compile(r"^[^@\s:;<>]+@[^@\s:;<>]+\.[^@\s:;<>]+$")
_MAILTO = re.compile(r"^mailto:", re.IGNORECASE)


@dataclass(frozen=True)
class Responder:
    """One person an event puts on call."""

    name: str
    email: str | None = None
    policy: str | None = None


@dataclass(frozen=True)
class _Summary:
    name: str | None
    policy: str | None


def _clean(text: object) -> str:
    return " ".join(str(text).split()) if text is not None else ""


def _email(text: str) -> str | None:
    return text if _EMAIL.match(text) else None


def parse_summary(summary: object) -> _Summary:
    """Name (and PagerDuty's policy) from an event title; None when the title names nobody."""
    text = _clean(summary)
    match = _PAGERDUTY.match(text)
    if match:
        return _Summary(match["name"].strip() or None, (match["policy"] or "").strip() or None)
    text = _PRIORITY_PREFIX.sub("", text).strip().removeprefix("@").strip()
    return _Summary(text or None, None)


def parse_attendee(value: Any) -> tuple[str | None, str | None]:
    """(display name, email) of an ATTENDEE: CN and ``mailto:``, or PagerDuty's bare address."""
    params = getattr(value, "params", {}) or {}
    address = _MAILTO.sub("", _clean(value)).strip()
    cn = _clean(params.get("CN", "")).strip().strip('"')
    email = _email(address) or _email(cn)
    name = cn if cn and not _email(cn) else None
    return name, email


def _declined(value: Any) -> bool:
    params = getattr(value, "params", {}) or {}
    return str(params.get("PARTSTAT", "")).upper() == "DECLINED"


def _attendees(event: Any) -> list[Any]:
    raw = event.get("ATTENDEE")
    if raw is None:
        return []
    return [a for a in (raw if isinstance(raw, list) else [raw]) if not _declined(a)]


def responders(event: Any) -> list[Responder]:
    """Everyone the event puts on call; empty when it names nobody (such events are skipped)."""
    summary = parse_summary(event.get("SUMMARY"))
    attendees = [parse_attendee(a) for a in _attendees(event)]
    attendees = [(n, e) for n, e in attendees if n or e]
    if len(attendees) > 1:
        # Several invitees: each is on call; the title cannot tell them apart.
        return [Responder(n or e or "", e, summary.policy) for n, e in attendees]
    if attendees:
        name, email = attendees[0]
        display = name or summary.name or email
        return [Responder(display or "", email or _email(summary.name or ""), summary.policy)]
    if summary.name is None:
        return []
    return [Responder(summary.name, _email(summary.name), summary.policy)]
