"""A file source of several files re-reads only the files that changed (per_file), and its
answer is the same as a full re-read's: the change is in, removed files are out, a file that
failed is tried again."""

from __future__ import annotations

from pathlib import Path

import pytest

from opscontext.files import Load, Reloading

pytestmark = pytest.mark.anyio


class Counting:
    """A parse that reads each file through ``Load.each`` and counts the reads."""

    def __init__(self) -> None:
        self.reads: list[str] = []

    def read(self, load: Load, path: Path) -> str:
        self.reads.append(path.name)
        text = load.read_text(path)
        if text.startswith("bad"):
            raise ValueError("not a record")
        return text.strip()

    def __call__(self, load: Load) -> dict[str, str]:
        return {path.name: value for path, value in load.each(lambda p: self.read(load, p))}


def two_files(tmp_path: Path) -> Path:
    (tmp_path / "a.txt").write_text("alpha\n")
    (tmp_path / "b.txt").write_text("beta\n")
    return tmp_path


@pytest.mark.parametrize("per_file", [True, False])
async def test_changing_one_of_two_files_re_reads_only_it(tmp_path: Path, per_file: bool) -> None:
    parse = Counting()
    files = Reloading(two_files(tmp_path), parse, instance="t", patterns=("*.txt",), per_file=per_file)
    assert await files.get() == {"a.txt": "alpha", "b.txt": "beta"}
    parse.reads.clear()
    (tmp_path / "b.txt").write_text("beta, edited\n")  # a different size: a different file version
    assert await files.get() == {"a.txt": "alpha", "b.txt": "beta, edited"}
    assert parse.reads == (["b.txt"] if per_file else ["a.txt", "b.txt"])
    assert files.parsed == len(parse.reads)


async def test_added_and_removed_files_are_in_and_out_and_nothing_unchanged_is_read(tmp_path: Path) -> None:
    parse = Counting()
    files = Reloading(two_files(tmp_path), parse, instance="t", patterns=("*.txt",), per_file=True)
    await files.get()
    parse.reads.clear()
    (tmp_path / "a.txt").unlink()
    (tmp_path / "c.txt").write_text("gamma\n")
    assert await files.get() == {"b.txt": "beta", "c.txt": "gamma"}
    assert parse.reads == ["c.txt"]
    parse.reads.clear()
    (tmp_path / "a.txt").write_text("alpha\n")  # back, after it was dropped from the reuse
    assert await files.get() == {"a.txt": "alpha", "b.txt": "beta", "c.txt": "gamma"}
    assert parse.reads == ["a.txt"]


async def test_a_file_that_failed_is_read_again_and_still_reported(tmp_path: Path) -> None:
    parse = Counting()
    (two_files(tmp_path) / "c.txt").write_text("bad record\n")
    files = Reloading(tmp_path, parse, instance="t", patterns=("*.txt",), per_file=True)
    assert await files.get() == {"a.txt": "alpha", "b.txt": "beta"}
    assert [Path(p.where).name for p in files.problems().problems] == ["c.txt"]
    parse.reads.clear()
    (tmp_path / "a.txt").write_text("alpha, edited\n")
    assert await files.get() == {"a.txt": "alpha, edited", "b.txt": "beta"}
    assert sorted(parse.reads) == ["a.txt", "c.txt"], "a failure is not kept: it is tried again"
    assert [Path(p.where).name for p in files.problems().problems] == ["c.txt"]
