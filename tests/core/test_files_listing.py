"""A file source's directories are walked again only when one of them changed: a file added,
removed or renamed changes its directory, and is seen by the next read; an edit inside a file
does not, and is seen through the file's own stat. A listing taken while a directory was still
changing is not trusted."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

import opscontext.files as files_mod
from opscontext.files import Reloading

pytestmark = pytest.mark.anyio


def names(tmp_path: Path) -> Reloading[list[str]]:
    """A source whose value is every .txt file's path (relative) and text."""
    def parse(load: files_mod.Load) -> list[str]:
        return [f"{p.relative_to(tmp_path).as_posix()}={load.read_text(p).strip()}" for p in load.files]

    return Reloading(tmp_path, parse, instance="t", patterns=("*.txt",))


def tree(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("alpha\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("beta\n")


def aged(monkeypatch: pytest.MonkeyPatch) -> None:
    # Directories made a moment ago count as settled: the tests need not wait out the guard.
    monkeypatch.setattr(files_mod, "RACY_S", -60.0)


async def test_an_unchanged_tree_is_not_walked_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    aged(monkeypatch)
    tree(tmp_path)
    src = names(tmp_path)
    first = await src.get()
    assert first == ["a.txt=alpha", "sub/b.txt=beta"] and src.walks == 1
    assert await src.get() is first and await src.get() is first
    assert src.walks == 1


@pytest.mark.parametrize("change", ["add in sub", "remove", "rename", "new subdirectory", "edit in place"])
async def test_every_kind_of_change_is_seen_by_the_next_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str,
) -> None:
    aged(monkeypatch)
    tree(tmp_path)
    src = names(tmp_path)
    await src.get()
    if change == "add in sub":
        (tmp_path / "sub" / "c.txt").write_text("gamma\n")
        want = ["a.txt=alpha", "sub/b.txt=beta", "sub/c.txt=gamma"]
    elif change == "remove":
        (tmp_path / "sub" / "b.txt").unlink()
        want = ["a.txt=alpha"]
    elif change == "rename":
        (tmp_path / "sub" / "b.txt").rename(tmp_path / "sub" / "bb.txt")
        want = ["a.txt=alpha", "sub/bb.txt=beta"]
    elif change == "new subdirectory":
        (tmp_path / "sub" / "deeper").mkdir()
        (tmp_path / "sub" / "deeper" / "d.txt").write_text("delta\n")
        want = ["a.txt=alpha", "sub/b.txt=beta", "sub/deeper/d.txt=delta"]
    else:
        path = tmp_path / "a.txt"
        before = path.stat().st_mtime_ns
        path.write_text("alpha, edited\n")
        os.utime(path, ns=(before + 10**9, before + 10**9))  # a coarse clock could leave it equal
        want = ["a.txt=alpha, edited", "sub/b.txt=beta"]
    assert await src.get() == want
    assert src.walks == (1 if change == "edit in place" else 2)


async def test_a_tree_changed_just_before_its_walk_is_walked_every_time(tmp_path: Path) -> None:
    tree(tmp_path)  # just made: within the default guard
    src = names(tmp_path)
    for _ in range(3):
        await src.get()
    assert src.walks == 3


async def test_the_listing_is_trusted_once_the_tree_settled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree(tmp_path)
    src = names(tmp_path)
    await src.get()
    real = time.time
    monkeypatch.setattr(files_mod.time, "time", lambda: real() + 10.0)  # the walk begins 10 s later
    await src.get()
    await src.get()
    await src.get()
    assert src.walks == 2


async def test_a_vanished_root_is_still_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    aged(monkeypatch)
    root = tmp_path / "src"
    root.mkdir()
    (root / "a.txt").write_text("alpha\n")
    src = names(root)
    assert await src.get() == ["a.txt=alpha"]
    (root / "a.txt").unlink()
    root.rmdir()
    with pytest.raises(files_mod.SourceUnavailableError):
        await src.get()
