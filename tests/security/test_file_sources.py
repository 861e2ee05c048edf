"""File sources read regular files inside their configured path and nothing else on the host.

Each test plants one hostile entry in the directory of every file connector of a copy of the
demo world and asks through the hub: the entry is refused and reported (the source is degraded,
naming it), and nothing from outside the directory reaches the answer.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from pydantic import BaseModel

from opscontext.models import SourceState, SourceStatus
from tests.security.conftest import SOURCES, Source, app_for, set_option

pytestmark = pytest.mark.anyio
IDS = [s.instance for s in SOURCES]
SENTINEL = "outside-the-root-sentinel-7f3a"


async def ask(world: Path, source: Source) -> tuple[str, SourceStatus]:
    """The source's answer as JSON text, and its status, under a timeout guard."""
    async with app_for(world) as app:
        got = await asyncio.wait_for(source.ask(app.hub), timeout=20)
    (status,) = [s for s in got.statuses if s.source == source.instance]
    parts = []
    for _inst, value in got.results:
        items = [value] if isinstance(value, BaseModel) else value
        parts += [item.model_dump_json() for item in items]
    return "\n".join(parts), status


def outside_file(world: Path, source: Source) -> Path:
    """A valid file of the source's own format outside its directory, carrying a sentinel."""
    sample = sorted((world / source.directory).glob(f"*{source.ext}"))[0]
    text = sample.read_text()
    target = world.parent / "outside" / f"secret{source.ext}"
    target.parent.mkdir(exist_ok=True)
    target.write_text(text.replace("payment", SENTINEL, 1) + f"\n{SENTINEL}\n")
    return target


@pytest.mark.parametrize("source", SOURCES, ids=IDS)
async def test_a_symlink_to_etc_passwd_is_refused_reported_and_never_in_the_answer(world: Path, source: Source) -> None:
    baseline, _ = await ask(world, source)
    (world / source.directory / f"passwd{source.ext}").symlink_to("/etc/passwd")
    answer, status = await ask(world, source)
    assert "root:x:0" not in answer
    assert answer == baseline
    assert status.state is SourceState.DEGRADED
    assert f"passwd{source.ext}: a symlink leading outside" in (status.detail or "")


@pytest.mark.parametrize("source", SOURCES, ids=IDS)
async def test_a_symlink_to_a_valid_file_outside_the_root_is_refused_and_reported(world: Path, source: Source) -> None:
    baseline, _ = await ask(world, source)
    (world / source.directory / f"linked{source.ext}").symlink_to(outside_file(world, source))
    answer, status = await ask(world, source)
    assert SENTINEL not in answer
    assert answer == baseline
    assert status.state is SourceState.DEGRADED
    assert "refused" in (status.detail or "")


@pytest.mark.parametrize("source", SOURCES, ids=IDS)
async def test_a_directory_symlink_leading_outside_is_not_followed_and_is_reported(world: Path, source: Source) -> None:
    outside = outside_file(world, source).parent
    (world / source.directory / "vendored").symlink_to(outside, target_is_directory=True)
    answer, status = await ask(world, source)
    assert SENTINEL not in answer
    assert status.state is SourceState.DEGRADED
    assert "vendored/: a directory symlink leading outside" in (status.detail or "")


@pytest.mark.parametrize("source", SOURCES, ids=IDS)
async def test_a_fifo_never_hangs_the_load_and_is_reported(world: Path, source: Source) -> None:
    os.mkfifo(world / source.directory / f"pipe{source.ext}")
    _answer, status = await ask(world, source)  # ask() fails the test after 20 s
    assert status.state is SourceState.DEGRADED
    assert f"pipe{source.ext}: a FIFO, not a regular file; refused" in (status.detail or "")


@pytest.mark.parametrize("source", SOURCES, ids=IDS)
async def test_an_oversize_file_is_refused_with_the_setting_to_raise(world: Path, source: Source) -> None:
    set_option(world, source.instance, "max_file_mb = 1")
    (world / source.directory / f"big{source.ext}").write_bytes(b" " * 1_500_000)
    _answer, status = await ask(world, source)
    assert status.state is SourceState.DEGRADED
    expected = f"big{source.ext}: 1.5 MB, over connectors.{source.instance}.max_file_mb = 1; raise it"
    assert expected in (status.detail or "")


async def test_a_symlink_inside_the_root_is_read_like_the_file_it_names(world: Path) -> None:
    runbooks = next(s for s in SOURCES if s.instance == "runbooks")
    (world / "runbooks" / "alias.md").symlink_to(world / "runbooks" / "payment-service.md")
    answer, status = await ask(world, runbooks)
    assert status.state is SourceState.OK
    assert '"location":"alias.md"' in answer


async def test_a_configured_path_that_is_a_fifo_fails_without_hanging(world: Path) -> None:
    changes = next(s for s in SOURCES if s.instance == "changes")
    toml = world / "opscontext.toml"
    toml.write_text(toml.read_text().replace('path = "changes"', 'path = "changes.pipe"'))
    os.mkfifo(world / "changes.pipe")
    _answer, status = await ask(world, changes)
    assert status.state is SourceState.FAILED
    assert "changes.pipe: a FIFO, not a regular file; refused" in (status.detail or "")
