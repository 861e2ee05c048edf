"""Shared machinery for connectors that read files teams keep in git.

:class:`Reloading` re-parses a file or directory only when something in it changed (path set,
sizes or modification times), so edits are picked up without a restart and unchanged files cost
one ``stat`` per file per call (once per tool call however often it reads the source:
:func:`one_look`), and the directories one ``stat`` each: they are walked again only when one
changed (:class:`Listing`). With ``per_file=True`` a change re-reads only the files that
changed: what :meth:`Load.each` made of each other file last time is used again (for connectors
whose per-file result depends on that file alone and is kept in the value anyway, so the reuse
costs no memory). Every file is vetted first (:mod:`opscontext.contained`): only regular files
inside the configured path, under the instance's ``max_file_mb``, are read.

Nothing is dropped silently. A refused file, an unreadable directory, a file the connector could
not parse (:meth:`Load.each`) or entries it dropped (:meth:`Load.dropped`) become problems of the
load; the connector hands them to the hub (``problems()``), which reports the source ``degraded``.
When files were found but none could be used, the load fails with ``SourceDataError`` naming them;
a missing path raises ``SourceUnavailableError``.
"""

from __future__ import annotations

import asyncio
import fnmatch
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from opscontext.contained import Boundary, RefusedFile
from opscontext.errors import SourceDataError, SourceError, SourceUnavailableError
from opscontext.gcpause import long_lived
from opscontext.problems import LoadReport, Problem, reason_of

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_MAX_FILE_MB = 50
MAX_FILES = 20_000
INLINE_SCAN_FILES = 200  # up to this many files, the change check runs on the event loop
Signature = tuple[tuple[tuple[str, int, int], ...], tuple[Problem, ...]]
FileKey = tuple[str, int, int, object]  # path, size, mtime, the reader: one file's one read


def walk(
    boundary: Boundary, patterns: Iterable[str], listed: list[str] | None = None,
) -> tuple[list[Path], list[Problem]]:
    """Files under the root (or the root itself) matching a glob pattern, sorted, hidden skipped,
    and the directories that could not be listed or lead outside the root. ``listed`` collects
    the directories walked.

    One ``os.walk`` with name matching: several times cheaper than ``rglob`` per pattern, which
    matters because this runs on every call to notice edits. Directory symlinks are never
    followed; one leading outside the root is reported, one inside adds nothing new.
    """
    root = boundary.root
    if not root.is_dir():
        return [root], []
    pats = tuple(patterns)
    found: list[Path] = []
    problems: list[Problem] = []

    def unreadable(exc: OSError) -> None:
        problems.append(Problem(boundary.name(exc.filename or root) + "/", reason_of(exc)))

    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable):
        if listed is not None:
            listed.append(dirpath)
        kept = []
        for d in dirnames:
            full = Path(dirpath, d)
            if d.startswith("."):
                continue
            if full.is_symlink():
                if not boundary.inside(os.path.realpath(full)):
                    reason = f"a directory symlink leading outside {boundary.name(root)}; refused"
                    problems.append(Problem(boundary.name(full) + "/", reason))
                continue
            kept.append(d)
        dirnames[:] = kept
        for name in filenames:
            if not name.startswith(".") and any(fnmatch.fnmatch(name, p) for p in pats):
                found.append(Path(dirpath, name))
    return sorted(found), problems


# A directory changed less than this before a walk began may change again within the same tick of
# its timestamp; such a walk's listing is not reused (the same care git takes with its index).
RACY_S = 2.0


@dataclass(frozen=True)
class Listing:
    """What one walk found, with each directory's change times at the end of it. While none of
    those times moves, no file was added, removed or renamed and no permission changed, so the
    next check stats the directories instead of walking them (the files are still vetted one by
    one, which is what notices an edit)."""

    stamps: tuple[tuple[str, int, int], ...]  # directory, st_mtime_ns, st_ctime_ns
    files: tuple[Path, ...]
    problems: tuple[Problem, ...]

    @classmethod
    def taken(cls, dirs: list[str], files: list[Path], problems: list[Problem], began: float) -> Listing | None:
        """The listing of a walk that began at ``began`` (epoch s), or None when it cannot be
        trusted later: a directory vanished, or changed within ``RACY_S`` of the walk."""
        stamps = []
        limit = int((began - RACY_S) * 1e9)
        for d in dirs:
            try:
                st = os.stat(d)
            except OSError:
                return None
            if max(st.st_mtime_ns, st.st_ctime_ns) >= limit:
                return None
            stamps.append((d, st.st_mtime_ns, st.st_ctime_ns))
        return cls(tuple(stamps), tuple(files), tuple(problems)) if stamps else None

    def holds(self) -> bool:
        """Whether every directory is as it was when the listing was taken."""
        for d, mtime, ctime in self.stamps:
            try:
                st = os.stat(d)
            except OSError:
                return False
            if st.st_mtime_ns != mtime or st.st_ctime_ns != ctime:
                return False
        return True


@dataclass(frozen=True)
class Scan:
    files: list[Path]  # vetted: safe to read
    signature: Signature
    problems: tuple[Problem, ...]  # refused files and unreadable directories
    found: int  # everything found, refused included


class Load:
    """One read of a file source, handed to the connector's parse function.

    Read files only through :meth:`read_text`/:meth:`read_bytes`: they re-check each file on
    the open descriptor. Report what could not be used with :meth:`skip` (whole file) or
    :meth:`dropped` (some entries); :meth:`each` does the first for a per-file reader.
    """

    def __init__(
        self,
        boundary: Boundary,
        files: list[Path],
        problems: Iterable[Problem] = (),
        *,
        stamps: dict[str, tuple[int, int]] | None = None,
        earlier: dict[FileKey, Any] | None = None,
    ):
        self.boundary = boundary
        self.files = files
        self.problems: list[Problem] = list(problems)
        self._stamps = stamps or {}  # path -> (size, mtime) as vetted: which file is which version
        self._earlier = earlier  # the previous load's reads, when they may be used again
        self.kept: dict[FileKey, Any] = {}  # this load's reads, for the next one
        self.parsed = 0  # files actually read by :meth:`each` (the others were reused)

    def read_bytes(self, path: Path) -> bytes:
        """The bytes of one listed file; ``RefusedFile`` or ``OSError`` when it may not be read."""
        return self.boundary.read_bytes(path)

    def read_text(self, path: Path) -> str:
        """The UTF-8 text of one listed file; ``UnicodeDecodeError`` when it is not text."""
        return self.read_bytes(path).decode("utf-8")

    def name(self, path: Path) -> str:
        """How a person finds the file: relative to the directory of the configured path."""
        return self.boundary.name(path)

    def skip(self, path: Path, why: BaseException | str) -> None:
        """Record that ``path`` was left out, and why."""
        names = (str(path), self.name(path), path.name)
        reason = why if isinstance(why, str) else reason_of(why, names=names)
        self.problems.append(Problem(self.name(path), reason))

    def dropped(self, path: Path, reason: str) -> None:
        """Record that some entries of ``path`` were dropped for bad data; the rest was used."""
        self.problems.append(Problem(self.name(path), reason, skipped=False))

    def each(self, read: Callable[[Path], R]) -> list[tuple[Path, R]]:
        """``read(path)`` for every file; a file whose read raises is skipped and reported. In a
        per-file source, an unchanged file's earlier result is used instead of reading it again
        (a failed read is not kept: it is tried again)."""
        out: list[tuple[Path, R]] = []
        reader = getattr(read, "__code__", read)  # a lambda made anew each load is the same reader
        earlier = self._earlier
        for path in self.files:
            stamp = self._stamps.get(str(path)) if earlier is not None else None
            key = (str(path), *stamp, reader) if stamp is not None else None
            if key is not None and earlier is not None and key in earlier:
                value: R = earlier[key]
            else:
                try:
                    value = read(path)
                except Exception as exc:  # any library's parse error: the file is left out, named
                    self.skip(path, exc)
                    continue
                self.parsed += 1
            if key is not None:
                self.kept[key] = value
            out.append((path, value))
        return out


@dataclass
class _Look:
    """The file sources one tool call has checked for edits, each with the load it found current."""

    open: bool = True
    seen: dict[Reloading[Any], _State[Any]] = field(default_factory=dict)


_look: ContextVar[_Look | None] = ContextVar("opscontext_files_look", default=None)


@contextmanager
def one_look() -> Iterator[None]:
    """Within one tool call, check each file source for edits once.

    A source's files are walked and stat-ed on every read so an edit is picked up by the next
    call, and one call reads the same source many times (incident_context asks the catalog eight
    times through its parts: 26 directory walks a call, a third of its time on the demo). Inside
    this block a source whose current load was checked already is not walked again; the next call
    opens a new block and walks again, so an edit is still seen by the next call. A task the call
    started that outlives it (a background refresh) walks as before: the block is closed then.
    A call nested in another shares the outer block.
    """
    if _look.get() is not None:
        yield
        return
    look = _Look()
    token = _look.set(look)
    try:
        yield
    finally:
        look.open = False
        _look.reset(token)


@dataclass(frozen=True)
class _State(Generic[T]):
    signature: Signature
    value: T
    report: LoadReport


class Reloading(Generic[T]):
    """Caches ``parse(load)`` until the files under ``root`` change."""

    def __init__(
        self,
        root: Path,
        parse: Callable[[Load], T],
        *,
        instance: str,
        patterns: Iterable[str] = ("*",),
        max_file_mb: float = DEFAULT_MAX_FILE_MB,
        per_file: bool = False,
    ):
        self.root = root
        self.parse = parse
        self.instance = instance
        self.patterns = tuple(patterns)
        self.boundary = Boundary(root, instance, max_file_mb)
        self.per_file = per_file
        # One attribute, replaced whole: value and report always describe the same load.
        self._state: _State[T] | None = None
        self._reads: dict[FileKey, Any] = {}  # per file: what the last good load made of it
        self.parsed = 0  # files the last load read (in a per-file source, the changed ones)
        self._listing: Listing | None = None  # the last walk, while its directories are unchanged
        self.walks = 0  # directory walks made (the rest were answered by the listing)
        self._lock = asyncio.Lock()

    def problems(self) -> LoadReport:
        """What was wrong with the load that produced the value last returned."""
        return self._state.report if self._state is not None else LoadReport()

    def _scan(self) -> Scan:
        if not self.root.exists():
            raise SourceUnavailableError(
                f"{self.root} does not exist; check `path` in the config", instance=self.instance
            )
        listing = self._listing
        if listing is not None and listing.holds():
            files, problems = list(listing.files), list(listing.problems)
        else:
            began = time.time()
            listed: list[str] = []
            try:
                files, problems = walk(self.boundary, self.patterns, listed)
            except OSError as exc:
                raise SourceUnavailableError(
                    f"cannot read {self.root}: {exc.strerror}", instance=self.instance) from None
            self.walks += 1
            self._listing = Listing.taken(listed, files, problems, began)
        if len(files) > MAX_FILES:
            raise SourceDataError(f"{self.root} holds {len(files)} files (limit {MAX_FILES})", instance=self.instance)
        if not files and not problems:
            wanted = " or ".join(self.patterns)
            raise SourceDataError(f"no {wanted} files under {self.root}", instance=self.instance)
        dirs = len(problems)
        vetted, sig = [], []
        for f in files:
            try:
                st = self.boundary.vet(f)
            except (RefusedFile, OSError) as exc:
                problems.append(Problem(self.boundary.name(f), reason_of(exc)))
                continue
            vetted.append(f)
            sig.append((str(f), st.st_size, st.st_mtime_ns))
        return Scan(vetted, (tuple(sig), tuple(problems)), tuple(problems), len(files) + dirs)

    def _load_sync(self, scanned: Scan | None = None) -> T:
        scan = scanned or self._scan()
        state = self._state
        if state is not None and scan.signature == state.signature:
            return state.value
        if not scan.files:
            raise _unusable(LoadReport(scan.found, scan.problems), self.instance)
        stamps = {path: (size, mtime) for path, size, mtime in scan.signature[0]}
        load = Load(self.boundary, scan.files, scan.problems, stamps=stamps,
                    earlier=self._reads if self.per_file else None)
        try:
            value = long_lived(self.parse)(load)  # bulk parse: see gcpause for the measured cost
        except SourceError:
            raise
        except (RefusedFile, OSError) as exc:
            raise SourceUnavailableError(f"cannot read {self.root}: {reason_of(exc)}", instance=self.instance) from None
        except Exception as exc:  # parse errors of any library become data errors naming the path
            # reason_of: a validation error's str() quotes the data (a secret, a rendered alias bomb)
            raise SourceDataError(f"cannot parse {self.root}: {reason_of(exc)}", instance=self.instance) from None
        report = LoadReport(scan.found, tuple(load.problems))
        if not report.usable:
            raise _unusable(report, self.instance)
        self._state = _State(scan.signature, value, report)
        self._reads = load.kept if self.per_file else {}
        self.parsed = load.parsed
        return value

    async def get(self) -> T:
        """The parsed value, re-read off the event loop when the files changed (checked once per
        tool call: :func:`one_look`)."""
        look = _look.get()
        if look is not None and not look.open:
            look = None
        async with self._lock:
            state = self._state
            checked = look is not None and look.seen.get(self) is state
            if state is not None and checked:
                return state.value
            if state is not None and len(state.signature[0]) <= INLINE_SCAN_FILES:
                # A few stat calls are cheaper than a thread hop; parse only when something changed.
                scanned = self._scan()
                if scanned.signature == state.signature:
                    value = state.value
                else:
                    value = await asyncio.to_thread(self._load_sync, scanned)
            else:
                value = await asyncio.to_thread(self._load_sync)
            if look is not None and self._state is not None:
                look.seen[self] = self._state
            return value


def _unusable(report: LoadReport, instance: str) -> SourceDataError:
    """The error of a load where files were found but none could be used."""
    prefix = "" if report.files == 1 else "no file could be used: "
    return SourceDataError(prefix + report.summary(), instance=instance)


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
            self._output = long_lived(self.fn)(value)
            self._input = value
        return self._output
