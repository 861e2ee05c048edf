"""The ical connector against calendars written the way on-call tools and people write them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from opscontext.app import open_app
from opscontext.cache import MemoryCache
from opscontext.capabilities import capabilities_of
from opscontext.doctor import run_checks
from opscontext.errors import SourceDataError, SourceError
from opscontext.models import OnCallShift, SourceState
from opscontext.registry import ConnectorContext
from opscontext.settings import Settings
from opscontext_connectors.ical import IcalConfig, IcalConnector, spec

pytestmark = pytest.mark.anyio

DATA = Path(__file__).parent / "data" / "ical"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, sec, tzinfo=UTC)


def connector(path: Path, **settings: Any) -> IcalConnector:
    config = IcalConfig(type="ical", path=path, **settings)
    ctx = ConnectorContext(name="oncall-files", config=config, now=lambda: utc(2025, 4, 8))
    return IcalConnector(ctx)


def people(shifts: list[OnCallShift]) -> list[str]:
    return [s.person for s in shifts]


async def test_weekly_handover_follows_berlin_wall_clock_across_the_dst_change() -> None:
    primary = connector(DATA / "rotation" / "payments-primary.ics")
    # Before the switch to summer time, 09:00 Berlin is 08:00 UTC ...
    assert people(await primary.on_call(utc(2025, 3, 24, 7, 59, 59))) == ["Alice Adams"]
    assert people(await primary.on_call(utc(2025, 3, 24, 8, 0))) == ["Bob Becker"]
    # ... after it (30 March), the same 09:00 handover happens at 07:00 UTC.
    assert people(await primary.on_call(utc(2025, 3, 31, 6, 59, 59))) == ["Bob Becker"]
    [alice] = await primary.on_call(utc(2025, 3, 31, 7, 0))
    assert alice.person == "Alice Adams"
    assert alice.start == utc(2025, 3, 31, 7, 0)
    assert alice.end == utc(2025, 4, 7, 7, 0)


async def test_zone_defined_only_by_its_vtimezone_block_keeps_its_dst_rules(tmp_path: Path) -> None:
    # Outlook and Exchange write TZIDs no zone database knows; the VTIMEZONE block defines them.
    text = (DATA / "rotation" / "payments-primary.ics").read_text()
    (tmp_path / "outlook.ics").write_text(text.replace("Europe/Berlin", "Custom Berlin Time"))
    [alice] = await connector(tmp_path).on_call(utc(2025, 3, 31, 7, 0))
    assert (alice.person, alice.start) == ("Alice Adams", utc(2025, 3, 31, 7, 0))


async def test_overridden_occurrence_names_the_substitute_instead_of_the_rotation() -> None:
    primary = connector(DATA / "rotation" / "payments-primary.ics")
    [shift] = await primary.on_call(utc(2025, 4, 9, 12, 0))
    assert (shift.person, shift.email) == ("Dave Diaz", "dave@example.com")
    # The override touched one occurrence only: Bob is back two weeks later.
    assert people(await primary.on_call(utc(2025, 4, 23, 12, 0))) == ["Bob Becker"]


async def test_excluded_date_drops_that_occurrence_and_leaves_the_cover_alone() -> None:
    primary = connector(DATA / "rotation" / "payments-primary.ics")
    assert people(await primary.on_call(utc(2025, 4, 16, 12, 0))) == ["Carol Chen"]
    # Alice's series itself continues after the excluded week.
    assert people(await primary.on_call(utc(2025, 4, 30, 12, 0))) == ["Alice Adams"]


async def test_shift_carries_attendee_name_email_and_schedule_identity() -> None:
    [shift] = await connector(DATA / "rotation" / "payments-primary.ics").on_call(utc(2025, 3, 20))
    assert shift == OnCallShift(
        person="Alice Adams",
        email="alice@example.com",
        team="payments",
        schedule="Payments Primary",
        level=1,
        start=utc(2025, 3, 17, 8, 0),
        end=utc(2025, 3, 24, 8, 0),
        source="oncall-files",
    )


async def test_two_levels_of_one_team_are_both_on_call_primary_first() -> None:
    shifts = await connector(DATA / "rotation").on_call(utc(2025, 4, 2, 12, 0))
    assert [(s.person, s.level, s.team, s.schedule) for s in shifts] == [
        ("Alice Adams", 1, "payments", "Payments Primary"),
        ("Erin Eriksen", 2, "payments", "payments-secondary"),
    ]


async def test_all_day_shift_starts_at_midnight_in_the_calendar_zone() -> None:
    backup = connector(DATA / "allday")
    assert await backup.on_call(utc(2025, 12, 24, 22, 59)) == []
    [shift] = await backup.on_call(utc(2025, 12, 24, 23, 0))
    assert shift.person == "Frank Fischer"
    assert (shift.start, shift.end) == (utc(2025, 12, 24, 23, 0), utc(2025, 12, 26, 23, 0))
    assert (shift.team, shift.level) == ("customer-support", 2)  # X-OPSCONTEXT-TEAM, "Backup"


async def test_pagerduty_feed_yields_person_email_policy_and_schedule() -> None:
    [shift] = await connector(DATA / "pagerduty").on_call(utc(2025, 6, 5, 3, 0))
    assert shift.person == "Tomás Ortega"
    assert shift.email == "tomas.ortega@example.com"
    assert shift.policy == "Checkout Escalation"
    assert (shift.schedule, shift.team, shift.level) == ("Checkout Primary", "checkout", 1)
    assert (shift.start, shift.end) == (utc(2025, 6, 2, 16, 0), utc(2025, 6, 9, 16, 0))


async def test_opsgenie_feed_returns_overlapping_rotation_and_override() -> None:
    shifts = await connector(DATA / "opsgenie").on_call(utc(2025, 6, 10, 20, 0))
    assert sorted(people(shifts)) == ["Mateo Silva", "Nadia Haddad"]
    assert {(s.schedule, s.team, s.level) for s in shifts} == {("platform_schedule", "platform", 1)}
    # An address in the free-text description is not taken as the person's.
    assert all(s.email is None for s in shifts)


async def test_grafana_priority_prefix_is_stripped_and_cancelled_events_ignored() -> None:
    grafana = connector(DATA / "grafana")
    [shift] = await grafana.on_call(utc(2025, 6, 9, 12, 0))
    assert (shift.person, shift.email, shift.level) == ("kenji@example.com", "kenji@example.com", 2)
    assert await grafana.on_call(utc(2025, 6, 10, 12, 0)) == []


async def test_configured_calendar_settings_override_what_the_name_suggests() -> None:
    calendars = {"payments-secondary": {"team": "payments-core", "level": 3, "policy": "Payments"}}
    [_, erin] = await connector(DATA / "rotation", calendars=calendars).on_call(utc(2025, 4, 2))
    assert (erin.team, erin.level, erin.policy) == ("payments-core", 3, "Payments")


async def test_edits_to_a_calendar_are_picked_up_without_rebuilding(tmp_path: Path) -> None:
    target = tmp_path / "payments-primary.ics"
    shutil.copy(DATA / "rotation" / "payments-primary.ics", target)
    oncall = connector(tmp_path)
    assert people(await oncall.on_call(utc(2025, 3, 20))) == ["Alice Adams"]
    target.write_text(target.read_text().replace("Alice Adams", "Zoe Zhang"))
    os.utime(target, ns=(target.stat().st_atime_ns, target.stat().st_mtime_ns + 1_000_000_000))
    assert people(await oncall.on_call(utc(2025, 3, 20))) == ["Zoe Zhang"]


async def test_missing_path_is_a_source_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does-not-exist") as info:
        await connector(tmp_path / "does-not-exist").on_call(utc(2025, 1, 1))
    assert info.value.instance == "oncall-files"


@pytest.mark.parametrize(
    "content",
    ["this is not a calendar\n", "", "BEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT\n"],
    ids=["garbage", "empty", "event-without-calendar"],
)
async def test_corrupt_file_is_left_out_and_reported_naming_the_file(tmp_path: Path, content: str) -> None:
    # Was a data error for every schedule; now the good calendar answers and the broken one is named.
    (tmp_path / "good.ics").write_bytes((DATA / "allday" / "support-backup.ics").read_bytes())
    (tmp_path / "broken.ics").write_text(content)
    ical = connector(tmp_path)
    await ical.on_call(utc(2025, 1, 1))
    assert "1 of 2 files failed: " in ical.problems().summary()
    assert "/broken.ics: " in ical.problems().summary()
    (tmp_path / "good.ics").unlink()
    with pytest.raises(SourceDataError, match=r"broken\.ics"):
        await ical.on_call(utc(2025, 1, 1))


async def test_directory_without_calendars_is_a_data_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("schedules moved\n")
    with pytest.raises(SourceDataError, match=r"no \*\.ics files"):
        await connector(tmp_path).on_call(utc(2025, 1, 1))


async def test_check_names_the_schedules_and_who_is_on_call_now() -> None:
    answer = await connector(DATA / "rotation").check()
    assert "2 schedule(s)" in answer and "Payments Primary" in answer
    assert "2 shift(s) on call now" in answer  # Dave (override) and Erin on 8 April


def test_spec_declares_oncall_and_a_valid_example() -> None:
    assert capabilities_of(spec.factory) == ["oncall"]
    assert spec.config_model is IcalConfig
    assert IcalConfig.model_validate(spec.example).path == Path("oncall")
    assert spec.cacheable is False


def test_unknown_time_zone_is_rejected_at_configuration() -> None:
    with pytest.raises(ValueError, match="Mars/Olympus"):
        IcalConfig(type="ical", path=Path("oncall"), timezone="Mars/Olympus")


EXTRA_DATES = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//opscontext tests//EN
X-WR-CALNAME:Search L2
BEGIN:VEVENT
UID:search-l2-weekend@opscontext.test
DTSTAMP:20250101T000000Z
DTSTART:20250104T080000Z
DTEND:20250105T080000Z
RDATE:20250111T080000Z,20250118T080000Z
SUMMARY:Search weekend cover
ATTENDEE;CN=Gita Gupta;PARTSTAT=ACCEPTED:mailto:gita@example.com
ATTENDEE;CN=Hugo Hall;PARTSTAT=DECLINED:mailto:hugo@example.com
ATTENDEE;CN=Ines Ito:mailto:ines@example.com
END:VEVENT
END:VCALENDAR
"""


async def test_extra_dates_recur_and_each_accepting_attendee_is_on_call(tmp_path: Path) -> None:
    (tmp_path / "search.ics").write_text(EXTRA_DATES)
    shifts = await connector(tmp_path).on_call(utc(2025, 1, 18, 20, 0))
    assert [(s.person, s.email, s.level) for s in shifts] == [
        ("Gita Gupta", "gita@example.com", 2),
        ("Ines Ito", "ines@example.com", 2),
    ]
    assert await connector(tmp_path).on_call(utc(2025, 1, 15, 20, 0)) == []


# Two good rotations and one event whose rule is swapped in: Gita from 6 January, Hugo from the
# 13th, each every other week; the odd event out is Ines's, from 6 January too.
ROTATION = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//opscontext tests//EN
X-WR-CALNAME:Search Primary
BEGIN:VEVENT
UID:search-gita@opscontext.test
DTSTAMP:20250101T000000Z
DTSTART:20250106T090000Z
DTEND:20250113T090000Z
RRULE:FREQ=WEEKLY;INTERVAL=2
SUMMARY:Gita Gupta
END:VEVENT
BEGIN:VEVENT
UID:search-hugo@opscontext.test
DTSTAMP:20250101T000000Z
DTSTART:20250113T090000Z
DTEND:20250120T090000Z
RRULE:FREQ=WEEKLY;INTERVAL=2
SUMMARY:Hugo Hall
END:VEVENT
BEGIN:VEVENT
UID:search-ines@opscontext.test
DTSTAMP:20250101T000000Z
DTSTART:{start}
DTEND:{end}
{rule}
SUMMARY:Ines Ito
END:VEVENT
END:VCALENDAR
"""


def rotation(
    tmp_path: Path, rule: str, *, start: str = "20250106T090000Z", end: str = "20250106T100000Z"
) -> Path:
    text = ROTATION.replace("{rule}", rule).replace("{start}", start).replace("{end}", end)
    (tmp_path / "search-primary.ics").write_text(text)
    return tmp_path


# The child asks the connector and prints who is on call and the problems it reports.
ASK = """
import asyncio, json, sys
from datetime import datetime
from pathlib import Path
from opscontext.registry import ConnectorContext
from opscontext_connectors.ical import IcalConfig, IcalConnector

at = datetime.fromisoformat(sys.argv[2])
config = IcalConfig(type="ical", path=Path(sys.argv[1]))
ical = IcalConnector(ConnectorContext(name="oncall-files", config=config, now=lambda: at))
shifts = asyncio.run(ical.on_call(at))
print(json.dumps({"people": [s.person for s in shifts], "problems": ical.problems().summary()}))
"""


def ask_in_a_child(path: Path, at: datetime) -> dict[str, Any]:
    """What the connector answers, asked in a child process killed after a minute: a rule that
    expands without end fails the test instead of hanging the run (a thread cannot be stopped,
    and INTERVAL=0 grew the process by gigabytes)."""
    done = subprocess.run(
        [sys.executable, "-c", ASK, str(path), at.isoformat()], capture_output=True, text=True, timeout=60, check=True
    )
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


@pytest.mark.parametrize(
    ("rule", "why"),
    [
        ("RRULE:FREQ=WEEKLY;INTERVAL=0", "never moves on: INTERVAL must be 1 or more"),
        ("RRULE:FREQ=SECONDLY", "starts a shift every second"),
    ],
    ids=["interval-0", "secondly"],
)
def test_rule_that_would_expand_without_end_is_left_out_and_named_while_the_rest_answers(
    tmp_path: Path, rule: str, why: str
) -> None:
    answer = ask_in_a_child(rotation(tmp_path, rule), utc(2025, 4, 8, 12))
    assert answer["people"] == ["Hugo Hall"]
    problems = answer["problems"]
    assert "search-primary.ics: " in problems
    assert '"Ines Ito" (UID search-ines@opscontext.test) left out' in problems and why in problems


@pytest.mark.parametrize(
    ("rule", "why"),
    [
        ("RRULE:FREQ=BOGUS", "RRULE FREQ=BOGUS cannot be read"),
        ("RRULE:FREQ=WEEKLY;BYDAY=XX", "RRULE FREQ=WEEKLY;BYDAY=XX cannot be read"),
        ("RRULE:GARBAGE", "names no FREQ"),
        ("RRULE:", "names no FREQ"),
        ("RRULE:FREQ=DAILY;BYHOUR=25", "BYHOUR=25, outside 0 to 23"),
        ("RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "never happens"),
        ("RRULE:FREQ=MINUTELY;INTERVAL=720", "starts a shift every minute"),
        ("RRULE:FREQ=HOURLY;BYMINUTE=0,30", "starts up to 48 shifts a day"),
    ],
    ids=["bogus-freq", "bad-weekday", "garbage", "empty", "hour-25", "30-february", "minutely", "every-half-hour"],
)
async def test_malformed_or_unreal_rule_is_left_out_naming_the_event(tmp_path: Path, rule: str, why: str) -> None:
    ical = connector(rotation(tmp_path, rule))
    assert people(await ical.on_call(utc(2025, 4, 8, 12))) == ["Hugo Hall"]
    assert people(await ical.on_call(utc(2025, 4, 1, 12))) == ["Gita Gupta"]
    [problem] = ical.problems().problems
    assert not problem.skipped and problem.where.endswith("search-primary.ics")
    assert problem.reason.startswith('event "Ines Ito" (UID search-ines@opscontext.test) left out: ')
    assert why in problem.reason


async def test_broken_until_leaves_out_that_event_only_and_the_calendar_still_answers(tmp_path: Path) -> None:
    # The library failed the whole calendar on it, with "invalid 'FREQ': WEEKLY\\".
    ical = connector(rotation(tmp_path, "RRULE:FREQ=WEEKLY;UNTIL=notadate", end="20250113T090000Z"))
    assert people(await ical.on_call(utc(2025, 4, 8, 12))) == ["Hugo Hall"]
    assert people(await ical.on_call(utc(2025, 4, 1, 12))) == ["Gita Gupta"]
    assert ical.problems().summary() == (
        f"entries dropped for bad data: {tmp_path.name}/search-primary.ics: event \"Ines Ito\" "
        "(UID search-ines@opscontext.test) left out: RRULE FREQ=WEEKLY;UNTIL=notadate cannot be read "
        "(Wrong date format notadate)"
    )


async def test_series_too_long_to_expand_is_left_out_of_that_answer_only(tmp_path: Path) -> None:
    # Hourly since 2015: 90,000 occurrences to walk by April 2025, against 3,600 in June 2015.
    ical = connector(rotation(tmp_path, "RRULE:FREQ=HOURLY", start="20150101T000000Z", end="20150101T010000Z"))
    assert people(await ical.on_call(utc(2025, 4, 8, 12))) == ["Hugo Hall"]
    [problem] = ical.problems().problems
    assert problem.reason.startswith('event "Ines Ito" (UID search-ines@opscontext.test) left out: RRULE FREQ=HOURLY')
    assert "expands 90,013 occurrences up to 2025-04-08" in problem.reason and "(limit 50,000)" in problem.reason
    assert people(await ical.on_call(utc(2015, 6, 1, 12, 30))) == ["Ines Ito"]
    assert ical.problems().problems == ()


async def test_overrides_of_a_left_out_rule_still_answer(tmp_path: Path) -> None:
    # Ines's broken rule, and an override of its 7 April occurrence: Jon covers that week.
    override = (
        "RRULE:FREQ=BOGUS\nSUMMARY:Ines Ito\nEND:VEVENT\nBEGIN:VEVENT\nUID:search-ines@opscontext.test\n"
        "DTSTAMP:20250101T000000Z\nRECURRENCE-ID:20250407T090000Z\nDTSTART:20250407T090000Z\n"
        "DTEND:20250414T090000Z\nATTENDEE;CN=Jon Jones:mailto:jon@example.com"
    )
    ical = connector(rotation(tmp_path, override))
    assert sorted(people(await ical.on_call(utc(2025, 4, 8, 12)))) == ["Hugo Hall", "Jon Jones"]
    assert '"Ines Ito" (UID search-ines@opscontext.test) left out: RRULE FREQ=BOGUS' in ical.problems().summary()


async def test_negative_count_at_the_end_of_a_rule_reads_as_no_limit(tmp_path: Path) -> None:
    # Apps write COUNT=-1 for "no limit"; the library lost the whole series when it ended the rule.
    ical = connector(rotation(tmp_path, "RRULE:FREQ=WEEKLY;COUNT=-1", end="20250107T090000Z"))
    assert people(await ical.on_call(utc(2025, 4, 7, 12))) == ["Hugo Hall", "Ines Ito"]
    assert ical.problems().problems == ()


async def test_left_out_events_are_still_reported_after_another_file_changes(tmp_path: Path) -> None:
    rotation(tmp_path, "RRULE:FREQ=BOGUS")
    other = tmp_path / "support-backup.ics"
    shutil.copy(DATA / "allday" / "support-backup.ics", other)
    ical = connector(tmp_path)
    await ical.on_call(utc(2025, 4, 8, 12))
    assert "search-ines@opscontext.test" in ical.problems().summary()
    os.utime(other, ns=(other.stat().st_atime_ns, other.stat().st_mtime_ns + 1_000_000_000))
    await ical.on_call(utc(2025, 4, 8, 12))  # the broken file's parse is reused, its problem kept
    assert "search-ines@opscontext.test" in ical.problems().summary()


async def test_left_out_event_makes_the_source_degraded_in_answers_and_in_doctor(tmp_path: Path) -> None:
    # Was "ok" in both, with the person on call silently missing.
    root = rotation(tmp_path, "RRULE:FREQ=BOGUS")
    settings = Settings(connectors={"oncall": {"type": "ical", "path": str(root)}}, base_dir=tmp_path)
    async with open_app(settings, cache=MemoryCache()) as app:
        got = await app.hub.on_call(utc(2025, 4, 8, 12))
        [check] = [c for c in await run_checks(app) if c.instance == "oncall"]
    [status] = got.statuses
    assert [s.person for s in got.items()] == ["Hugo Hall"]
    assert status.state is SourceState.DEGRADED
    assert "search-primary.ics" in (status.detail or "") and "search-ines@opscontext.test" in (status.detail or "")
    assert (check.state, check.ok) == (SourceState.DEGRADED, False)
    assert '"Ines Ito" (UID search-ines@opscontext.test) left out' in check.detail


async def test_a_this_and_future_override_counts_the_years_it_makes_the_library_look_ahead(tmp_path: Path) -> None:
    # Moving the rest of an hourly series back ten years makes the library walk ten years ahead
    # of every instant asked about (87,000 occurrences, seconds of CPU per question).
    moved = (
        "RRULE:FREQ=HOURLY\nSUMMARY:Ines Ito\nEND:VEVENT\nBEGIN:VEVENT\nUID:search-ines@opscontext.test\n"
        "DTSTAMP:20250101T000000Z\nRECURRENCE-ID;RANGE=THISANDFUTURE:20350106T090000Z\n"
        "DTSTART:20250408T090000Z\nDTEND:20250408T100000Z"
    )
    ical = connector(rotation(tmp_path, moved))
    assert people(await ical.on_call(utc(2025, 4, 8, 12))) == ["Hugo Hall"]
    assert "expands 87,652 occurrences up to 2035-01-06 (limit 50,000)" in ical.problems().summary()
