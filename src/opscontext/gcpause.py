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
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_lock = threading.Lock()
_depth = 0
_was_enabled = False


def _enter() -> None:
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1


def _leave() -> None:
    global _depth
    with _lock:
        _depth -= 1
        if _depth == 0 and _was_enabled:
            gc.enable()


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
