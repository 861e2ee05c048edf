"""Reading files a team keeps in git without reading anything else on the host.

A file source may only read regular files inside its configured path. A symlink that leads out
of it (to ``/etc/passwd``, ``/proc/self/environ``, a ``.netrc``), a FIFO, socket or device, and a
file over the instance's ``max_file_mb`` are refused with a reason that says what to do. Files are
opened non-blocking, so a FIFO can never hang a load, and checked again on the open descriptor,
so a file swapped for something else between listing and reading is still refused.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

MB = 1_000_000
_KINDS = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFDIR: "a directory",
}


class RefusedFile(Exception):
    """A file the source may not read; the message is the reason, without the file's name."""


@dataclass(frozen=True)
class Boundary:
    """The configured path of one instance and the limits its files must keep."""

    root: Path  # as configured (may itself be a symlink: the operator chose it)
    instance: str
    max_file_mb: float = 50

    @property
    def real_root(self) -> str:
        return os.path.realpath(self.root)

    def name(self, path: Path | str) -> str:
        """``path`` as a person finds it: relative to the directory holding the configured path."""
        try:
            return Path(path).relative_to(self.root.parent).as_posix()
        except ValueError:
            return Path(path).name

    def inside(self, real: str) -> bool:
        """True when a resolved path is the root itself or lies under it."""
        top = self.real_root
        return real == top or real.startswith(top.rstrip(os.sep) + os.sep)

    def vet(self, path: Path) -> os.stat_result:
        """The ``stat`` of a file this source may read; :class:`RefusedFile` otherwise."""
        try:
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                if path != self.root and not self.inside(os.path.realpath(path)):
                    raise RefusedFile(f"a symlink leading outside {self.name(self.root)}; refused")
                st = os.stat(path)
        except FileNotFoundError:
            raise RefusedFile("a broken symlink, or the file vanished while being read") from None
        self._check(st)
        return st

    def read_bytes(self, path: Path) -> bytes:
        """The file's bytes, read through one descriptor that is checked before reading.

        Raises :class:`RefusedFile` for anything :meth:`vet` refuses, and ``OSError`` when the
        file cannot be read.
        """
        real = os.path.realpath(path) if path != self.root else str(path)
        if path != self.root and not self.inside(real):
            raise RefusedFile(f"a symlink leading outside {self.name(self.root)}; refused")
        flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
        if path != self.root:
            flags |= getattr(os, "O_NOFOLLOW", 0)  # resolved above: a link appearing now is a swap
        fd = os.open(real, flags)
        try:
            limit = self._check(os.fstat(fd))
            chunks, total = [], 0
            while chunk := os.read(fd, 1 << 20):
                chunks.append(chunk)
                total += len(chunk)
                if total > limit:
                    raise RefusedFile(self._too_big(total))
            return b"".join(chunks)
        finally:
            os.close(fd)

    def _check(self, st: os.stat_result) -> int:
        if not stat.S_ISREG(st.st_mode):
            kind = _KINDS.get(stat.S_IFMT(st.st_mode), "a special file")
            raise RefusedFile(f"{kind}, not a regular file; refused")
        limit = int(self.max_file_mb * MB)
        if st.st_size > limit:
            raise RefusedFile(self._too_big(st.st_size))
        return limit

    def _too_big(self, size: int) -> str:
        return (
            f"{size / MB:.3g} MB, over connectors.{self.instance}.max_file_mb = {self.max_file_mb:g}; "
            "raise it to read this file"
        )
