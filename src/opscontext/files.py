"""Shared machinery for connectors that read files teams keep in git.

:class:`Reloading` re-parses a file or directory only when something in it changed (path set,
sizes or modification times), so edits are picked up without a restart and unchanged files cost
one ``stat`` per file per call. A missing or unreadable path raises ``SourceUnavailableError``
and a parse failure ``SourceDataError``, both naming the file, so the hub reports a failed
source instead of crashing.
"""

from __future__ import annotations

import asyncio
import fnmatch
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Generic, TypeVar

from opscontext.errors import SourceDataError, SourceError, SourceUnavailableError

T = TypeVar("T")

MAX_FILE_BYTES = 50_000_000
MAX_FILES = 20_000
INLINE_SCAN_FILES = 200  # up to this many files, the change check runs on the event loop


def list_files(root: Path, patterns: Iterable[str]) -> list[Path]:
    """Files under ``root`` (or ``root`` itself) matching any glob pattern, sorted, hidden skipped.

    One ``os.walk`` with name matching: several times cheaper than ``rglob`` per pattern, which
    matters because this runs on every call to notice edits.
    """
    if root.is_file():
        return [root]
    pats = tuple(patterns)
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if not name.startswith(".") and any(fnmatch.fnmatch(name, p) for p in pats):
                found.append(Path(dirpath, name))
    return sorted(found)


class Reloading(Generic[T]):
    """Caches ``parse(files)`` until the files under ``root`` change."""

    def __init__(
        self, root: Path, parse: Callable[[list[Path]], T], *, instance: str, patterns: Iterable[str] = ("*",)
    ):
        self.root = root
        self.parse = parse
        self.instance = instance
        self.patterns = tuple(patterns)
        self._signature: tuple[tuple[str, int, int], ...] | None = None
        self._value: T | None = None
        self._lock = asyncio.Lock()

    def _scan(self) -> tuple[list[Path], tuple[tuple[str, int, int], ...]]:
        if not self.root.exists():
            raise SourceUnavailableError(
                f"{self.root} does not exist; check `path` in the config", instance=self.instance
            )
        try:
            files = list_files(self.root, self.patterns)
            if len(files) > MAX_FILES:
                raise SourceDataError(
                    f"{self.root} holds {len(files)} files (limit {MAX_FILES})", instance=self.instance
                )
            sig = []
            for f in files:
                st = f.stat()
                if st.st_size > MAX_FILE_BYTES:
                    raise SourceDataError(f"{f} is {st.st_size} bytes (limit {MAX_FILE_BYTES})", instance=self.instance)
                sig.append((str(f), st.st_size, st.st_mtime_ns))
        except OSError as exc:
            raise SourceUnavailableError(f"cannot read {self.root}: {exc.strerror}", instance=self.instance) from None
        return files, tuple(sig)

    def _load_sync(self, scanned: tuple[list[Path], tuple[tuple[str, int, int], ...]] | None = None) -> T:
        files, sig = scanned or self._scan()
        if sig == self._signature and self._value is not None:
            return self._value
        try:
            value = self.parse(files)
        except SourceError:
            raise
        except OSError as exc:
            raise SourceUnavailableError(f"cannot read {self.root}: {exc}", instance=self.instance) from None
        except Exception as exc:  # parse errors of any library become data errors naming the path
            raise SourceDataError(f"cannot parse {self.root}: {exc}", instance=self.instance) from None
        self._signature, self._value = sig, value
        return value

    async def get(self) -> T:
        """The parsed value, re-read off the event loop when the files changed."""
        async with self._lock:
            if self._value is not None and len(self._signature or ()) <= INLINE_SCAN_FILES:
                # A few stat calls are cheaper than a thread hop; parse only when something changed.
                scanned = self._scan()
                if scanned[1] == self._signature:
                    return self._value
                return await asyncio.to_thread(self._load_sync, scanned)
            return await asyncio.to_thread(self._load_sync)


S = TypeVar("S")


class Derived(Generic[S, T]):
    """``fn(value)``, recomputed only when ``value`` is a different object.

    :class:`Reloading` hands back the same parsed object until the files change, so mapping it
    to domain models through ``Derived`` costs nothing on repeat calls, and callers further up
    (the hub's replay shift, the World) can memoise on identity too.
    """

    def __init__(self, fn: Callable[[S], T]):
        self.fn = fn
        self._input: S | None = None
        self._output: T | None = None

    def __call__(self, value: S) -> T:
        if self._output is None or value is not self._input:
            self._output = self.fn(value)
            self._input = value
        return self._output
