"""On-call calendars (iCalendar, as PagerDuty/Opsgenie/Google exports look) and escalation policies.

Each team has a primary and a secondary weekly rotation handing over at 09:00 local time in the
team's own time zone. One VEVENT per person repeats every N weeks (N = rotation length), which is
how schedule exports express a round-robin. Swaps are RECURRENCE-ID overrides of one occurrence.
VTIMEZONE blocks are written from fixed rules rather than the local tz database, so the bytes do
not depend on the machine's tzdata version.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vCalAddress

from .world import ANCHOR, COMPANY, DIRECTOR, DOMAIN, TEAMS, Team

ROTATION_START = datetime(2026, 1, 5, 9, 0)  # a Monday; local wall time in each team's zone
LEVELS = {1: "Primary", 2: "Secondary"}

# (std name, std offset, dst name, dst offset, dst start rule, dst end rule); rules are
# (month, BYDAY, local hour of the switch). Kolkata has no DST.
_TZ_RULES: dict[str, tuple[str, str, str | None, str | None, Any, Any]] = {
    "America/New_York": ("EST", "-0500", "EDT", "-0400", (3, "2SU", 2), (11, "1SU", 2)),
    "America/Chicago": ("CST", "-0600", "CDT", "-0500", (3, "2SU", 2), (11, "1SU", 2)),
    "America/Los_Angeles": ("PST", "-0800", "PDT", "-0700", (3, "2SU", 2), (11, "1SU", 2)),
    "Europe/London": ("GMT", "+0000", "BST", "+0100", (3, "-1SU", 1), (10, "-1SU", 2)),
    "Europe/Dublin": ("GMT", "+0000", "IST", "+0100", (3, "-1SU", 1), (10, "-1SU", 2)),
    "Europe/Berlin": ("CET", "+0100", "CEST", "+0200", (3, "-1SU", 2), (10, "-1SU", 3)),
    "Asia/Kolkata": ("IST", "+0530", None, None, None, None),
}

# Shift swaps: (team, level, week index since ROTATION_START, stand-in user, reason).
OVERRIDES: tuple[tuple[str, int, int, str, str], ...] = (
    ("payments", 1, 9, "dana.reyes", "Swap: Yusuf at PCI audit workshop"),
    ("orders", 2, 8, "luke.harper", "Swap: Aisha on leave"),
    ("catalog", 1, 7, "sofia.romano", "Swap: Kenji travelling"),
)


def schedule_name(team: Team, level: int) -> str:
    return f"{team.name}-{LEVELS[level].lower()}"


def rotation_user(team: Team, level: int, week: int) -> str:
    """Who holds the shift of a given rotation week (overrides applied)."""
    for t, lv, wk, user, _ in OVERRIDES:
        if (t, lv, wk) == (team.name, level, week):
            return user
    return rotation_user_plain(team, level, week)


def on_call_at(team: Team, level: int, at: datetime) -> tuple[str, datetime, datetime]:
    """(user, shift start, shift end) at a UTC instant, computed from the rotation rules."""
    zone = ZoneInfo(team.tz)
    local = at.astimezone(zone).replace(tzinfo=None)
    week = (local - ROTATION_START) // timedelta(weeks=1)
    start = (ROTATION_START + timedelta(weeks=week)).replace(tzinfo=zone)
    end = (ROTATION_START + timedelta(weeks=week + 1)).replace(tzinfo=zone)
    return rotation_user(team, level, week), start, end


def _vtimezone(tzid: str) -> Timezone:
    std, std_off, dst, dst_off, dst_rule, std_rule = _TZ_RULES[tzid]
    tz = Timezone()
    tz.add("tzid", tzid)
    if dst is None or dst_off is None:
        tz.add_component(_observance(TimezoneStandard(), std, std_off, std_off, None))
        return tz
    tz.add_component(_observance(TimezoneDaylight(), dst, std_off, dst_off, dst_rule))
    tz.add_component(_observance(TimezoneStandard(), std, dst_off, std_off, std_rule))
    return tz


def _observance(comp: Any, name: str, off_from: str, off_to: str, rule: Any) -> Any:
    hour = rule[2] if rule else 0
    comp.add("dtstart", datetime(1970, rule[0] if rule else 1, 1, hour, 0))
    comp.add("tzoffsetfrom", _offset(off_from))
    comp.add("tzoffsetto", _offset(off_to))
    comp.add("tzname", name)
    if rule:
        comp.add("rrule", {"freq": "yearly", "bymonth": rule[0], "byday": rule[1]})
    return comp


def _offset(text: str) -> timedelta:
    sign = -1 if text[0] == "-" else 1
    return sign * timedelta(hours=int(text[1:3]), minutes=int(text[3:5]))


def calendar(team: Team, level: int) -> Calendar:
    cal = Calendar()
    cal.add("prodid", f"-//{COMPANY}//opscontext demo on-call export//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", schedule_name(team, level))
    cal.add("x-wr-timezone", team.tz)
    cal.add_component(_vtimezone(team.tz))
    n = len(team.members)
    for i in range(n):
        first_week = next(w for w in range(n) if rotation_user_plain(team, level, w) == team.members[i].user)
        cal.add_component(_shift(team, level, first_week, team.members[i].user, n))
    for t, lv, wk, user, reason in OVERRIDES:
        if (t, lv) == (team.name, level):
            # An override keeps the series' UID and names the occurrence it replaces.
            ev = _shift(team, level, wk, user, None, uid_user=rotation_user_plain(team, level, wk))
            ev.add("recurrence-id", _local(team, wk))
            ev.add("description", reason)
            cal.add_component(ev)
    return cal


def rotation_user_plain(team: Team, level: int, week: int) -> str:
    """The rotation without swaps: primary walks the member list, secondary trails by half."""
    n = len(team.members)
    return team.members[(week + (0 if level == 1 else n // 2)) % n].user


def _local(team: Team, week: int) -> datetime:
    return (ROTATION_START + timedelta(weeks=week)).replace(tzinfo=ZoneInfo(team.tz))


def _shift(team: Team, level: int, week: int, user: str, every: int | None,
           uid_user: str | None = None) -> Event:
    person = next(p for p in team.members if p.user == user)
    ev = Event()
    ev.add("uid", f"{schedule_name(team, level)}-{uid_user or user}@oncall.{DOMAIN}")
    ev.add("dtstamp", ANCHOR)
    ev.add("dtstart", _local(team, week))
    ev.add("dtend", _local(team, week + 1))
    ev.add("summary", f"On Call - {person.name} - {team.title} {LEVELS[level]}")
    attendee = vCalAddress(f"mailto:{person.user}@{DOMAIN}")
    attendee.params["CN"] = person.name
    attendee.params["ROLE"] = "REQ-PARTICIPANT"
    ev.add("attendee", attendee)
    if every is not None:
        ev.add("rrule", {"freq": "weekly", "interval": every})
        ev.add("description", f"{LEVELS[level]} on-call for {team.title}. Handover 09:00 {team.tz}.")
    ev.add("transp", "TRANSPARENT")
    return ev


def escalation_doc() -> dict[str, Any]:
    policies = []
    for t in TEAMS:
        lead = next((p for p in t.members if p.name == t.lead), None)
        steps: list[dict[str, Any]] = [
            {"after": "0m", "target": schedule_name(t, 1), "kind": "schedule"},
            {"after": "5m", "target": schedule_name(t, 2), "kind": "schedule"},
            {"after": "15m", "target": f"{t.title} lead ({t.lead})", "kind": "person",
             "contact": lead.phone if lead else "+1-555-0199"},
            {"after": "30m", "target": f"Director of Engineering ({DIRECTOR.name})", "kind": "role",
             "contact": DIRECTOR.phone},
        ]
        vendor = _VENDORS.get(t.name)
        if vendor:
            steps.append({"after": "45m", "target": vendor[0], "kind": "vendor", "contact": vendor[1]})
        policies.append({"name": f"{t.name}-default", "team": t.name, "steps": steps})
    return {"apiVersion": "opscontext.io/v1", "kind": "EscalationPolicyList", "policies": policies}


_VENDORS = {
    "payments": ("Paystream vendor bridge", "https://status.example-payments.com/bridge"),
    "fulfillment": ("ParcelHub support line", "+1-555-0190"),
    "customer": ("MailPost support", "https://support.mailpost.example.com"),
}
