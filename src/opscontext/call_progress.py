"""Progress notifications of one tool call: the background load it may be waiting on, and the
tool's own steps (the sources a fan-out has heard from), sent as one rising count.

MCP requires a request's progress to increase with every notification. A call that arrives while
the server is still loading its file sources (``opscontext.warm``) follows that load; a tool that
reports its own steps does so at the same time. Each stream only grows, so their sum does:
``progress`` is load steps done plus tool steps done, ``total`` the sum of both totals, and the
message is that of whichever moved. Without a progress token from the client, sending is a no-op
(the SDK drops it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar

from opscontext.warm import LoadProgress

log = logging.getLogger(__name__)
Send = Callable[[float, float | None, str | None], Awaitable[None]]


class CallProgress:
    """One call's progress as the client sees it; ``load`` and ``step`` each report one stream."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self._load = (0.0, 0.0)
        self._steps = (0.0, 0.0)
        self._last: float | None = None
        self._lock = asyncio.Lock()  # notifications leave in the order their counts rose

    async def load(self, done: float, total: float, message: str) -> None:
        """The background load reached ``done`` of ``total`` steps."""
        self._load = (done, total)
        await self._emit(message)

    async def step(self, done: float, total: float, message: str) -> None:
        """The tool itself reached ``done`` of ``total``."""
        self._steps = (done, total)
        await self._emit(message)

    async def _emit(self, message: str) -> None:
        async with self._lock:
            progress = self._load[0] + self._steps[0]
            if self._last is not None and progress <= self._last:
                return  # nothing new: the spec wants each notification higher than the last
            self._last = progress
            await self._send(progress, (self._load[1] + self._steps[1]) or None, message)


_current: ContextVar[CallProgress | None] = ContextVar("opscontext_call_progress", default=None)


@asynccontextmanager
async def following(send: Send, loading: LoadProgress | None) -> AsyncIterator[CallProgress]:
    """For the body's duration: the call's progress, following ``loading`` while it runs."""
    progress = CallProgress(send)
    token = _current.set(progress)
    stop = asyncio.Event()
    follower = None
    if loading is not None and not loading.finished:
        follower = asyncio.create_task(loading.follow(progress.load, stop))
    try:
        yield progress
    finally:
        _current.reset(token)
        stop.set()
        if follower is not None:
            try:
                await follower  # lets a notification in flight finish instead of cutting it
            except Exception as exc:  # a client gone mid-call: the answer is what matters
                log.debug("load progress not delivered: %s", type(exc).__name__)


def step_reporter(send: Send) -> Callable[[float, float, str], Awaitable[None]]:
    """How a tool reports its own steps: through the call's progress when one is being followed
    (the sum stays rising), straight to ``send`` otherwise."""

    async def report(done: float, total: float, message: str) -> None:
        current = _current.get()
        if current is None:
            await send(done, total, message)
        else:
            await current.step(done, total, message)

    return report
