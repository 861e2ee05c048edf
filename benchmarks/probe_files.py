"""Outside probe of the file sources: can a planted entry reach host files, or hide a breakage?

    python benchmarks/probe_files.py

For each of the demo world's six file connectors, plants one hostile or broken entry at a time in
a fresh copy (symlinks to /etc/passwd, /proc/self/environ, a .netrc-like file and a directory
outside the root, a FIFO, an oversize file, binary garbage, broken syntax, every file deleted), asks the
source through the hub under a timeout, and counts:

- host files reachable: answers that contain a marker of a file outside the configured path;
- broken sources reported ok: planted cases whose source status still says ``ok``.

Both must be 0. Exit status 1 otherwise.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from opscontext.app import open_app
from opscontext.cache import MemoryCache
from opscontext.hub import Gathered, Hub
from opscontext.models import SourceState, TimeWindow
from opscontext.settings import load

DEMO = Path(__file__).resolve().parents[1] / "fixtures" / "demo"
ANCHOR = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
WINDOW = TimeWindow(since=ANCHOR - timedelta(days=7), until=ANCHOR)
MARKER = "probe-host-file-marker-5b1e"
Ask = Callable[[Hub], Awaitable[Gathered[Any]]]
SOURCES: dict[str, tuple[str, str, Ask]] = {  # instance -> (directory, extension, question)
    "catalog": ("catalog/payments", ".yaml", lambda hub: hub.catalog()),
    "alerts": ("alerts", ".json", lambda hub: hub.alerts(WINDOW)),
    "changes": ("changes", ".jsonl", lambda hub: hub.changes(WINDOW)),
    "runbooks": ("runbooks", ".md", lambda hub: hub.runbooks()),
    "oncall": ("oncall", ".ics", lambda hub: hub.on_call(ANCHOR)),
    "escalation": ("escalation", ".yaml", lambda hub: hub.escalation_policies()),
}


def fresh_world(base: Path) -> Path:
    """A copy of the demo world with escalation in a directory, plus host-like files outside it."""
    if base.exists():
        shutil.rmtree(base)
    world = base / "world"
    shutil.copytree(DEMO, world)
    (world / "escalation").mkdir()
    (world / "escalation.yaml").rename(world / "escalation" / "escalation.yaml")
    toml = world / "opscontext.toml"
    toml.write_text(toml.read_text().replace('path = "escalation.yaml"', 'path = "escalation"'))
    home = base / "home"
    home.mkdir()
    (home / ".netrc").write_text(f"machine example.com login probe password {MARKER}\n")
    for name, (directory, ext, _ask) in SOURCES.items():
        # A valid file of each format, outside the root: readable if a link were followed.
        sample = sorted((world / directory).glob(f"*{ext}"))[0]
        (home / f"{name}{ext}").write_text(sample.read_text() + f"\n{MARKER}\n")
    return world


def plant(world: Path, instance: str, case: str) -> None:
    """Put one hostile or broken entry into the instance's directory."""
    directory, ext, _ask = SOURCES[instance]
    where = world / directory
    home = world.parent / "home"
    actions: dict[str, Callable[[], Any]] = {
        "symlink /etc/passwd": lambda: (where / f"p{ext}").symlink_to("/etc/passwd"),
        "symlink /proc/self/environ": lambda: (where / f"e{ext}").symlink_to("/proc/self/environ"),
        "symlink .netrc": lambda: (where / f"n{ext}").symlink_to(home / ".netrc"),
        "symlink outside file": lambda: (where / f"o{ext}").symlink_to(home / f"{instance}{ext}"),
        "symlink outside directory": lambda: (where / "vendored").symlink_to(home, target_is_directory=True),
        "fifo": lambda: os.mkfifo(where / f"pipe{ext}"),
        "oversize": lambda: _oversize(world, instance, where / f"big{ext}"),
        "binary garbage": lambda: (where / f"zz-garbage{ext}").write_bytes(b"\x00\xff: [unclosed {"),
        "broken syntax": lambda: (where / f"zz-broken{ext}").write_text(BROKEN[ext]),
        "all files deleted": lambda: _delete_all(world / directory.split("/")[0]),
    }
    actions[case]()


BROKEN = {
    ".yaml": "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: name: x\n",
    ".json": '[{"labels": {"alertname": "X"}, ',
    ".jsonl": '{"context": {"id": \n',
    ".md": "---\nservices: [payment-service\n---\n# Broken\n",
    ".ics": "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:notadate\n",
}


def _delete_all(root: Path) -> None:
    """Every file under the configured path goes: a source with nothing left must not be ok."""
    for path in sorted(root.rglob("*"), reverse=True):
        if path.is_file() or path.is_symlink():
            path.unlink()


def _oversize(world: Path, instance: str, path: Path) -> None:
    toml = world / "opscontext.toml"
    header = f"[connectors.{instance}]\n"
    toml.write_text(toml.read_text().replace(header, header + "max_file_mb = 1\n"))
    path.write_bytes(b" " * 1_500_000)


CASES = [
    "symlink /etc/passwd",
    "symlink /proc/self/environ",
    "symlink .netrc",
    "symlink outside file",
    "symlink outside directory",
    "fifo",
    "oversize",
    "binary garbage",
    "broken syntax",
    "all files deleted",
]
HOST_MARKERS = (MARKER, "root:x:0:0", "PROBE_ENV_MARKER")


async def probe(world: Path, instance: str) -> tuple[str, str, str]:
    """(answer text, state, detail) of one source, asked under a timeout guard."""
    async with open_app(load(world / "opscontext.toml"), cache=MemoryCache(), clock=lambda: ANCHOR) as app:
        try:
            got = await asyncio.wait_for(SOURCES[instance][2](app.hub), timeout=20)
        except TimeoutError:
            return "", "hung", "no answer within 20 s"
    status = next(s for s in got.statuses if s.source == instance)
    parts = []
    for _inst, value in got.results:
        items = [value] if isinstance(value, BaseModel) else value
        parts += [item.model_dump_json() for item in items]
    return "\n".join(parts), status.state.value, status.detail or ""


async def main() -> int:
    os.environ["PROBE_ENV_MARKER"] = "PROBE_ENV_MARKER"  # so /proc/self/environ holds a marker
    reachable = reported_ok = total = 0
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "probe"
        for instance in SOURCES:
            for case in CASES:
                world = fresh_world(base)
                plant(world, instance, case)
                answer, state, detail = await probe(world, instance)
                total += 1
                leaked = any(m in answer for m in HOST_MARKERS)
                reachable += leaked
                reported_ok += state == SourceState.OK.value
                flag = "LEAK " if leaked else ("OK?! " if state == "ok" else "")
                print(f"{flag}{instance:<10} {case:<28} {state:<9} {detail[:110]}")
    print(f"\n{total} planted cases over {len(SOURCES)} file connectors")
    print(f"host files reachable: {reachable}")
    print(f"broken sources reported ok: {reported_ok}")
    return 0 if reachable == reported_ok == 0 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
