"""Replay as a connector wrapper: a recorded world served as if it were happening now.

A world with a ``time_anchor`` (the demo) is a recording. Wrapping each of its connectors moves
every question back into the recording's time and every answer forward into ours by one fixed
offset, so neither the connectors nor the hub know about replay (as an httpx transport wraps
another). Work is done once per distinct source answer: a bulk answer is shifted once while the
source hands back the same object, and a windowed item once while it is alive. Nothing here keeps
an object alive that the source itself has let go of, so memory stays flat however long it runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from opscontext.capabilities import CAPABILITIES
from opscontext.memo import IdentityMemo
from opscontext.registry import Registry
from opscontext.timeshift import shift

# Capability methods by shape, from the capability table: no arguments (bulk), or asked about a
# time (windowed: every argument is shifted back into the recording; names are left as they are).
BULK_METHODS = tuple(c.method_name for c in CAPABILITIES.values() if c.arity() == 0)
WINDOWED_METHODS = tuple(c.method_name for c in CAPABILITIES.values() if c.arity() > 0)
PASS_THROUGH = ("check", "aclose", "problems")  # problems: what went wrong in the last load


class Replayed:
    """Base of the generated wrapper classes; holds the inner connector and the memos."""

    def __init__(self, inner: Any, offset: timedelta):
        self.inner = inner
        self.offset = offset
        self.last: dict[str, tuple[Any, Any]] = {}  # bulk method -> (raw answer, shifted answer)
        self.items: IdentityMemo[Any, Any] = IdentityMemo()

    def __getattr__(self, name: str) -> Any:
        # Only reached for attributes the wrapper lacks (a connector's name, say).
        return getattr(self.__dict__["inner"], name)

    def memo_sizes(self) -> dict[str, int]:
        """How much the wrapper remembers: one bulk answer per method and the live items."""
        return {"bulk": len(self.last), "items": len(self.items)}

    def shift_bulk(self, method: str, raw: Any) -> Any:
        last = self.last.get(method)
        if last is not None and _same(last[0], raw):
            return last[1]  # the same object downstream, so the World is not rebuilt
        moved = shift(raw, self.offset)
        self.last[method] = (raw, moved)
        return moved

    def shift_items(self, raw: Any) -> Any:
        if not isinstance(raw, list):
            return shift(raw, self.offset)
        return [self.items.get(item, self._moved) for item in raw]

    def _moved(self, item: Any) -> Any:
        return shift(item, self.offset)


def _same(before: Any, now: Any) -> bool:
    """Whether ``now`` is the answer ``before`` was: the same object, or a new list of the same
    objects (a file source handing over its parse in a fresh list on every call; shifted anew,
    every runbook, policy and SLO was copied and then sanitised again on every call)."""
    if before is now:
        return True
    return (now.__class__ is list and before.__class__ is list and len(now) == len(before)
            and all(a is b for a, b in zip(before, now, strict=True)))


def _bulk(method: str) -> Callable[..., Awaitable[Any]]:
    async def call(self: Replayed) -> Any:
        return self.shift_bulk(method, await getattr(self.inner, method)())

    call.__name__ = method
    return call


def _windowed(method: str) -> Callable[..., Awaitable[Any]]:
    async def call(self: Replayed, *args: Any) -> Any:
        back = [shift(a, -self.offset) for a in args]
        return self.shift_items(await getattr(self.inner, method)(*back))

    call.__name__ = method
    return call


def _through(method: str) -> Callable[..., Any]:
    def call(self: Replayed, *args: Any, **kwargs: Any) -> Any:
        return getattr(self.inner, method)(*args, **kwargs)

    call.__name__ = method
    return call


def replayed(connector: Any, offset: timedelta) -> Any:
    """``connector`` answering in our time; the connector itself when there is no offset.

    The wrapper class gets exactly the capability methods the connector has, so the registry's
    Protocol checks index it under the same capabilities.
    """
    if not offset:
        return connector
    methods: dict[str, Any] = {}
    for name, make in [
        *((n, _bulk) for n in BULK_METHODS),
        *((n, _windowed) for n in WINDOWED_METHODS),
        *((n, _through) for n in PASS_THROUGH),
    ]:
        if callable(getattr(connector, name, None)):
            methods[name] = make(name)
    cls = type(f"Replayed{type(connector).__name__}", (Replayed,), methods)
    return cls(connector, offset)


def replay(registry: Registry, offset: timedelta) -> Registry:
    """A registry whose connectors answer ``offset`` later than their recording (a new one)."""
    if not offset:
        return registry
    return Registry([replace(inst, connector=replayed(inst.connector, offset)) for inst in registry.instances])
