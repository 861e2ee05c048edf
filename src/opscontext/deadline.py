"""One deadline per tool call, shared by every fan-out the call makes.

A tool asks the hub several times one after another (the world, then on-call, policies and
alerts, say). With a deadline per fan-out, one dead source cost a timeout per fan-out. Here the
call sets one budget when it starts (``call_deadline``, held in a context variable so it follows
the call through ``asyncio.gather``); each fan-out waits at most what is left of it, and a source
that already ran out of time in this call is not waited on again.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

# A fan-out that starts when the call's budget is used up still gives its sources this long (never
# more than the per-source limit), so a healthy source (a cold file read, say) is not dropped only
# because another source ate the call's time. A dead source is skipped in later fan-outs, so with
# one dead source a call takes its deadline; a second, different slow source adds at most this.
GRACE_SECONDS = 1.0


@dataclass
class CallBudget:
    """The time one tool call has left, and the sources that already timed out in it."""

    seconds: float
    expires: float  # time.monotonic() value
    timed_out: dict[str, str] = field(default_factory=dict)  # connector instance name -> why

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self.expires - time.monotonic())

    def wait_for(self, source_limit: float) -> float:
        """How long a fan-out may wait for one source now: what is left of the call (at least a
        short grace), and never more than the per-source limit."""
        return min(source_limit, max(self.remaining(), GRACE_SECONDS))


_current: ContextVar[CallBudget | None] = ContextVar("opscontext_call_budget", default=None)


def current() -> CallBudget | None:
    """The budget of the tool call running in this context, if one was set."""
    return _current.get()


@contextmanager
def call_deadline(seconds: float) -> Iterator[CallBudget]:
    """Run a tool call under one deadline; a call nested in another keeps the outer budget."""
    outer = _current.get()
    if outer is not None:
        yield outer
        return
    budget = CallBudget(seconds=seconds, expires=time.monotonic() + seconds)
    token = _current.set(budget)
    try:
        yield budget
    finally:
        _current.reset(token)
