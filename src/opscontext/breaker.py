"""A circuit breaker per source: stop asking a source that keeps failing, then try it again.

States: closed (ask), open (skip until the cool-down ends), half-open (one trial request is in
flight; everyone else still skips). ``failures`` consecutive failures or timeouts open it; a
failed trial reopens it with the cool-down doubled up to ``max_cooldown``; any success closes it
and resets the cool-down. The hub reports a skipped source as stale (cached data) or failed, with
the breaker's own words ("circuit open after 3 failures; next try in 24 s (last: HTTP 503 ...)").
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from enum import StrEnum


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


class Breaker:
    """Consecutive-failure breaker for one connector instance. Not thread-safe (one event loop)."""

    def __init__(
        self,
        failures: int,
        cooldown: float,
        max_cooldown: float,
        *,
        probe_timeout: float,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.threshold = failures
        self.base_cooldown = cooldown
        self.max_cooldown = max(cooldown, max_cooldown)
        self.probe_timeout = probe_timeout  # a trial whose outcome never came is given up after this
        self.clock = clock
        self.state = BreakerState.CLOSED
        self.failures = 0
        self.cooldown = cooldown
        self.retry_at = 0.0  # open: when the trial may go; half-open: when the trial is given up
        self.last_error = ""

    def admit(self) -> str | None:
        """None when the caller may ask the source (closed, or it is now the one trial request);
        otherwise why not, in words for the answer's source status."""
        if self.threshold <= 0 or self.state is BreakerState.CLOSED:
            return None
        now = self.clock()
        if now >= self.retry_at:  # cool-down over, or the last trial never reported back
            self.state = BreakerState.HALF_OPEN
            self.retry_at = now + self.probe_timeout
            return None
        if self.state is BreakerState.HALF_OPEN:
            return f"circuit half-open after {self.failures} failures; a trial request is in flight{self._last()}"
        wait = math.ceil(self.retry_at - now)
        return f"circuit open after {self.failures} failures; next try in {wait} s{self._last()}"

    def success(self) -> None:
        """The source answered: close and forget past failures."""
        self.state = BreakerState.CLOSED
        self.failures = 0
        self.cooldown = self.base_cooldown

    def failure(self, reason: str = "") -> None:
        """The source failed or timed out (``reason`` in words): count it; open at the threshold or
        after a failed trial."""
        self.failures += 1
        self.last_error = reason
        if self.threshold <= 0:
            return
        if self.state is BreakerState.HALF_OPEN:
            self.cooldown = min(self.cooldown * 2, self.max_cooldown)
        elif self.failures < self.threshold:
            return
        self.state = BreakerState.OPEN
        self.retry_at = self.clock() + self.cooldown

    def _last(self) -> str:
        return f" (last: {self.last_error})" if self.last_error else ""
