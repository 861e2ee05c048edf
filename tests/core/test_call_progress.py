"""One call's progress: the background load's steps and the tool's own, as one count that rises
with every notification (the MCP spec requires it), whichever order they come in."""

from __future__ import annotations

import asyncio

import pytest

from opscontext.call_progress import CallProgress, following, step_reporter
from opscontext.warm import LoadProgress

pytestmark = pytest.mark.anyio
Sent = list[tuple[float, float | None, str | None]]


def recorder() -> tuple[Sent, CallProgress]:
    sent: Sent = []

    async def send(progress: float, total: float | None, message: str | None) -> None:
        sent.append((progress, total, message))

    return sent, CallProgress(send)


async def test_load_and_tool_steps_add_up_and_a_repeat_is_not_sent() -> None:
    sent, progress = recorder()
    await progress.load(2, 5, "load 2")
    await progress.step(1, 3, "tool 1")
    await progress.load(3, 5, "load 3")
    await progress.step(1, 3, "tool 1 again")  # no new step: nothing to say
    await progress.step(2, 3, "tool 2")
    assert sent == [(2, 5, "load 2"), (3, 8, "tool 1"), (4, 8, "load 3"), (5, 8, "tool 2")]


async def test_a_tool_reports_straight_through_when_no_call_progress_is_followed() -> None:
    sent: Sent = []

    async def send(progress: float, total: float | None, message: str | None) -> None:
        sent.append((progress, total, message))

    await step_reporter(send)(1, 3, "alone")
    assert sent == [(1, 3, "alone")]


async def test_a_finished_load_is_not_followed_and_tool_steps_keep_their_own_numbers() -> None:
    sent: Sent = []

    async def send(progress: float, total: float | None, message: str | None) -> None:
        sent.append((progress, total, message))

    loaded = LoadProgress()
    loaded.update(total=2, done=2, finished=True)
    async with following(send, loaded):
        await step_reporter(send)(1, 3, "fetching")
    assert sent == [(1, 3, "fetching")]


def test_the_load_says_what_it_is_doing_and_how_far_it_has_got() -> None:
    loading = LoadProgress()
    assert loading.message() == "waiting for the background load to start"
    loading.update(stage="reading the other file sources", total=4, done=3)
    assert loading.message() == "waiting for the background load: reading the other file sources (3 of 4 steps)"
    loading.update(done=1, finished=True)
    assert loading.message() == "background load finished (4 of 4 steps)"


async def test_a_followed_load_reports_where_it_is_then_each_step() -> None:
    sent: Sent = []
    second = asyncio.Event()

    async def send(progress: float, total: float | None, message: str | None) -> None:
        sent.append((progress, total, message))
        if len(sent) == 1:
            loading.update(stage="building the service graph", done=1)  # the load moves on
        else:
            second.set()

    loading = LoadProgress()
    loading.update(stage="reading catalog and topology files", total=3, done=1)
    async with following(send, loading):
        await second.wait()
    assert sent == [(1, 3, "waiting for the background load: reading catalog and topology files (1 of 3 steps)"),
                    (2, 3, "waiting for the background load: building the service graph (2 of 3 steps)")]
