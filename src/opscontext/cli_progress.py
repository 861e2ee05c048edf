"""Progress for terminal commands: a status line on stderr once work has taken a second.

Quick answers print nothing extra; a big world's 3 to 4 seconds show a spinner with the latest
step the query reported ("correlating 221 alerts over 60 services"). stdout stays the answer's
alone, and a stderr that is not a terminal gets no spinner at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from contextvars import ContextVar
from typing import Any, TypeVar

from rich.console import Console
from rich.markup import escape

T = TypeVar("T")
SHOW_AFTER = 1.0  # seconds


class Spinner:
    """Runs one piece of work, showing a status line on ``console`` if it takes over ``after`` s."""

    def __init__(self, console: Console, label: str, after: float = SHOW_AFTER) -> None:
        self.console = console
        self.label = label
        self.after = after
        self._status: Any = None

    async def run(self, work: Awaitable[T]) -> T:
        token = _current.set(self)  # before the task exists: it copies the context it starts in
        task = asyncio.ensure_future(work)
        try:
            done, _ = await asyncio.wait({task}, timeout=self.after)
            if task in done:
                return task.result()
            with self.console.status(escape(self.label)) as status:
                self._status = status
                return await task
        finally:
            self._status = None
            _current.reset(token)
            if not task.done():
                task.cancel()

    def update(self, message: str) -> None:
        self.label = message
        if self._status is not None:
            self._status.update(escape(message))


_current: ContextVar[Spinner | None] = ContextVar("opscontext_cli_spinner", default=None)


async def report(done: float, total: float, message: str) -> None:
    """A query's progress callback: shows ``message`` on the running command's status line."""
    spinner = _current.get()
    if spinner is not None:
        spinner.update(f"{message} ({done:g}/{total:g})")
