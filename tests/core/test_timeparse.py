from datetime import UTC, datetime, timedelta

import pytest

from opscontext.errors import InputError
from opscontext.timeparse import humanize, parse_duration, parse_time, parse_window

NOW = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90m", timedelta(minutes=90)),
        ("2h", timedelta(hours=2)),
        ("1h30m", timedelta(minutes=90)),
        ("2 hours ago", timedelta(hours=2)),
        ("-15min", timedelta(minutes=15)),
        ("1w", timedelta(days=7)),
        ("10 minutes", timedelta(minutes=10)),
        ("45s", timedelta(seconds=45)),
    ],
)
def test_durations_in_common_spellings_are_understood(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


def test_relative_time_means_that_long_before_now() -> None:
    assert parse_time("90m", now=NOW) == NOW - timedelta(minutes=90)


def test_iso_timestamps_are_normalised_to_utc_and_naive_ones_read_as_utc() -> None:
    assert parse_time("2026-03-10T15:00:00+01:00", now=NOW) == datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
    assert parse_time("2026-03-10T14:00:00", now=NOW).tzinfo is UTC


@pytest.mark.parametrize("bad", ["yesterday-ish", "", "x" * 500, "2026-13-45T99:00"])
def test_unreadable_times_get_an_error_with_an_example(bad: str) -> None:
    with pytest.raises(InputError, match="ISO 8601"):
        parse_time(bad, now=NOW)


def test_window_defaults_to_the_tools_span_ending_now() -> None:
    w = parse_window(None, None, now=NOW, default=timedelta(hours=2), max_window=timedelta(days=31))
    assert (w.since, w.until) == (NOW - timedelta(hours=2), NOW)


def test_reversed_window_is_refused_with_advice_to_swap() -> None:
    with pytest.raises(InputError, match="swap"):
        parse_window("1h", "2h", now=NOW, default=timedelta(hours=2), max_window=timedelta(days=31))


def test_absurdly_long_window_is_refused() -> None:
    with pytest.raises(InputError, match="limit of 31 days"):
        parse_window("400d", None, now=NOW, default=timedelta(hours=2), max_window=timedelta(days=31))


def test_huge_duration_does_not_overflow_into_a_traceback() -> None:
    with pytest.raises(InputError):
        parse_window("99999999999w", None, now=NOW, default=timedelta(hours=2), max_window=timedelta(days=31))


def test_humanize_reads_like_a_person_would_say_it() -> None:
    assert humanize(timedelta(minutes=6)) == "6 min"
    assert humanize(timedelta(seconds=30)) == "30 s"
    assert humanize(timedelta(hours=3)) == "3 h"
    assert humanize(timedelta(milliseconds=400)) == "1 s", "due within a second is not '0 s'"
    assert humanize(timedelta(0)) == "0 s"


@pytest.mark.parametrize("far", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-05:00", "1900-01-01T00:00:00Z"])
def test_far_past_or_future_dates_are_refused_before_they_overflow(far: str) -> None:
    with pytest.raises(InputError, match="check the year"):
        parse_time(far, now=NOW)


def test_non_ascii_digits_are_not_read_as_a_duration() -> None:
    with pytest.raises(InputError):
        parse_time("١h", now=NOW)
