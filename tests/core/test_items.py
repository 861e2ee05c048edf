"""read_each: bounded concurrency, and one item's failure costs that item only."""

from __future__ import annotations

import asyncio

import pytest

from opscontext.errors import SourceAuthError, SourceNotFoundError, SourceUnavailableError
from opscontext.items import read_each
from opscontext.problems import Partial, attach, take_reported

pytestmark = pytest.mark.anyio


class Probe:
    """A fake per-item read that records how many reads ran at once."""

    def __init__(self, fail: dict[str, Exception] | None = None) -> None:
        self.fail = fail or {}
        self.running = 0
        self.most = 0
        self.started: list[str] = []

    async def __call__(self, item: str) -> str:
        self.started.append(item)
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            await asyncio.sleep(0)  # let the other reads start
            await asyncio.sleep(0)
            if item in self.fail:
                raise self.fail[item]
            return item.upper()
        finally:
            self.running -= 1


async def each(items: list[str], probe: Probe, **kw: object) -> list[tuple[str, str]]:
    take_reported()
    return await read_each(items, probe, name=str, noun="repositories", instance="gh", **kw)  # type: ignore[arg-type]


async def test_reads_run_concurrently_but_never_more_than_the_limit() -> None:
    probe = Probe()
    got = await each([f"r{i}" for i in range(20)], probe, limit=3)
    assert probe.most == 3
    assert [r for _, r in got] == [f"R{i}" for i in range(20)]  # item order, whatever the timing
    assert take_reported() == ()


async def test_one_failing_item_is_left_out_and_named_in_the_report() -> None:
    probe = Probe({"b": SourceNotFoundError("HTTP 404 from https://api/b: gone", instance="gh")})
    got = await each(["a", "b", "c"], probe)
    assert [item for item, _ in got] == ["a", "c"]
    (found,) = take_reported()
    assert found.summary() == "1 of 3 repositories failed: b: HTTP 404 from https://api/b: gone"


async def test_the_report_travels_with_the_value_the_hub_caches() -> None:
    await each(["a", "b"], Probe({"a": SourceNotFoundError("HTTP 404", instance="gh")}))
    wrapped = attach(object(), ["B"])
    assert isinstance(wrapped, Partial) and wrapped.detail == "1 of 2 repositories failed: a: HTTP 404"
    assert attach(object(), ["B"]) == ["B"]  # taken once: the next call starts clean


async def test_a_halting_error_stops_new_reads_and_names_the_items_not_read() -> None:
    limited = SourceUnavailableError("GitHub rate limit exhausted; it resets 14:00 UTC", instance="gh")
    probe = Probe({"r1": limited})
    got = await each([f"r{i}" for i in range(10)], probe, limit=2, halts=lambda e: "rate limit" in str(e))
    assert [item for item, _ in got] == ["r0"]
    assert len(probe.started) == 2  # nothing started after the limit was hit
    (found,) = take_reported()
    assert found.skipped == 9
    assert "r2: not read: GitHub rate limit exhausted; it resets 14:00 UTC" in found.summary()


async def test_when_every_item_fails_the_call_fails_with_the_kind_of_error_they_met() -> None:
    rejected = SourceAuthError("HTTP 401 from https://api/x: credentials were rejected", instance="gh")
    rejected.status = 401
    with pytest.raises(SourceAuthError, match="3 of 3 repositories failed: a: HTTP 401") as caught:
        await each(["a", "b", "c"], Probe(dict.fromkeys("abc", rejected)))
    assert caught.value.status == 401


async def test_a_single_item_that_fails_raises_its_own_error_unchanged() -> None:
    gone = SourceNotFoundError("HTTP 404 from https://api/a", instance="gh")
    with pytest.raises(SourceNotFoundError) as caught:
        await each(["a"], Probe({"a": gone}))
    assert caught.value is gone


async def test_optional_reads_never_fail_the_call_and_are_reported_as_partly_read() -> None:
    gone = SourceNotFoundError("HTTP 404", instance="gh")
    got = await each(["a", "b"], Probe({"a": gone, "b": gone}), lost=False, partly="statuses not read")
    assert got == []
    (found,) = take_reported()
    assert found.skipped == 0 and found.summary() == "statuses not read: a: HTTP 404; b: HTTP 404"


async def test_a_bug_in_a_read_is_raised_not_reported() -> None:
    with pytest.raises(ZeroDivisionError):
        await each(["a", "b"], Probe({"b": ZeroDivisionError()}))
