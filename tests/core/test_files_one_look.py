"""One tool call checks each file source for edits once (``files.one_look``); the next call
checks again, so an edit is still picked up by the next call; a task that outlives its call
checks as before."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from opscontext.files import Reloading, one_look

pytestmark = pytest.mark.anyio


def source(tmp_path: Path) -> tuple[Reloading[str], list[int]]:
    (tmp_path / "a.txt").write_text("alpha\n")
    files: Reloading[str] = Reloading(tmp_path, lambda load: load.read_text(load.files[0]).strip(), instance="t",
                                      patterns=("*.txt",))
    walks: list[int] = []
    scan = files._scan

    def counted() -> object:
        walks.append(1)
        return scan()

    files._scan = counted  # type: ignore[method-assign]
    return files, walks


async def test_a_call_walks_a_source_once_however_often_it_reads_it(tmp_path: Path) -> None:
    files, walks = source(tmp_path)
    with one_look():
        assert [await files.get() for _ in range(5)] == ["alpha"] * 5
    assert len(walks) == 1
    with one_look():
        await files.get()
        await files.get()
    assert len(walks) == 2, "the next call walks again"


async def test_an_edit_is_seen_by_the_next_call(tmp_path: Path) -> None:
    files, _ = source(tmp_path)
    with one_look():
        assert await files.get() == "alpha"
        (tmp_path / "a.txt").write_text("alpha, edited\n")
        assert await files.get() == "alpha", "within the call the source was checked already"
    with one_look():
        assert await files.get() == "alpha, edited"


async def test_without_a_call_every_read_walks(tmp_path: Path) -> None:
    files, walks = source(tmp_path)
    for _ in range(3):
        await files.get()
    assert len(walks) == 3


async def test_a_nested_call_shares_the_outer_look_and_a_task_outliving_its_call_walks_again(tmp_path: Path) -> None:
    files, walks = source(tmp_path)
    release = asyncio.Event()

    async def later() -> str:  # a background refresh the call started
        await release.wait()
        return await files.get()

    with one_look():
        await files.get()
        with one_look():
            await files.get()
        task = asyncio.ensure_future(later())
    assert len(walks) == 1
    (tmp_path / "a.txt").write_text("alpha, edited\n")
    release.set()
    assert await task == "alpha, edited"
    assert len(walks) == 2

