"""An alert's end and update times: a time before it began means "not set" (Go's zero time)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from opscontext.models import Alert, TimeWindow

START = datetime(2026, 3, 1, 11, 40, tzinfo=UTC)
GO_ZERO = datetime(1, 1, 1, tzinfo=UTC)


def alert(**times: datetime | None) -> Alert:
    return Alert(fingerprint="f", alertname="HighErrorRate", starts_at=START, **times)  # type: ignore[arg-type]


def test_go_zero_end_and_update_are_unset_and_the_alert_still_fires() -> None:
    a = alert(ends_at=GO_ZERO, updated_at=GO_ZERO)
    assert (a.ends_at, a.updated_at) == (None, None)
    assert a.active_during(TimeWindow(since=START + timedelta(hours=2), until=START + timedelta(hours=3)))


def test_a_real_end_is_kept_naive_times_read_as_utc() -> None:
    a = Alert(fingerprint="f", alertname="x", starts_at=datetime(2026, 3, 1, 11, 40),
              ends_at=datetime(2026, 3, 1, 12, 0))
    assert a.ends_at == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert not a.active_during(TimeWindow(since=START + timedelta(hours=1), until=START + timedelta(hours=2)))
    assert alert(ends_at=START).ends_at == START  # ended the moment it began: an end, kept
