"""Pause the cyclic garbage collector while one bulk step runs.

Correlating 100k alerts allocates millions of small, short-lived, acyclic objects (tuples,
lists, dataclasses). Each allocation burst triggers CPython's generational collector, and its
full collections re-trace every live object in the process, the caller's alerts and graph
included: at 50k services / 100k alerts that was ~2.4 s of a ~7 s run, more than any stage.
Loading is the same shape: parsing a 20k-service catalog and 50k alerts, mapping them to domain
models and sanitising them took 2.5-5x longer with the collector on (benchmarks/estate.py).
Reference counting still frees everything such a step drops; only cycle detection waits until
the call returns. The pause is reference-counted so overlapping calls from threads never turn
the collector back on early, and a caller who disabled it already keeps it disabled.

Pausing alone moves the cost rather than removing it: when the collector comes back, the millions
of objects a load made are young, and the next collections trace them all, again at every full
collection for as long as they live (at 50k services / 100k alerts, several seconds charged to
whatever allocated next). What a load makes is what the server keeps (the parsed source, the
world), so :func:`long_lived` also moves everything alive into the collector's permanent
generation (``gc.freeze``) on the way out, where collections no longer look. Reference counting
still frees those objects when they are dropped; only a reference cycle among them would outlive
its last use, and the loaded data (plain dicts, lists, pydantic models, the graph's dicts) holds
none.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_lock = threading.Lock()
_depth = 0
_was_enabled = False
_freeze = False


def _enter() -> None:
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1


def _leave(freeze: bool = False) -> None:
    global _depth, _freeze
    with _lock:
        _depth -= 1
        _freeze = _freeze or freeze
        if _depth == 0:
            if _freeze:
                gc.freeze()  # before enabling: nothing gets the chance to trace the new objects
                _freeze = False
            if _was_enabled:
                gc.enable()


@contextmanager
def paused() -> Iterator[None]:
    """The collector paused for a block, awaits included (an async query whose bulk objects die
    with it): no freeze on the way out, so nothing it drops can outlive its last use."""
    _enter()
    try:
        yield
    finally:
        _leave()


def without_gc(fn: Callable[P, R]) -> Callable[P, R]:
    """Run ``fn`` with the cyclic collector paused (see the module docstring for why)."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        _enter()
        try:
            return fn(*args, **kwargs)
        finally:
            _leave()

    return wrapper


def long_lived(fn: Callable[P, R]) -> Callable[P, R]:
    """Like :func:`without_gc`, for a step whose result the server keeps (a parsed source, its
    mapped models, the world): on the way out, everything alive is frozen (module docstring)."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        _enter()
        done = False
        try:
            result = fn(*args, **kwargs)
            done = True
            return result
        finally:
            _leave(freeze=done)

    return wrapper
