"""Memos keyed by object identity that forget an entry when its key object is collected.

Sources hand back the same objects while their data is unchanged (file connectors keep what they
parsed), so work derived from an object (its time-shifted copy, its resolved service) is worth
doing once per object. Keying by ``id()`` alone needs the memo to hold the object so the id stays
unique, which made such memos grow with every fresh object a source produced. Here the memo holds
a weak reference instead: an entry lives exactly as long as its key object, so the memo is never
larger than the set of objects still alive elsewhere.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class IdentityMemo(Generic[K, V]):
    """``value = memo.get(obj, make)``: ``make(obj)`` once per live ``obj``, by identity."""

    def __init__(self) -> None:
        self._data: dict[int, tuple[weakref.ref[Any], V]] = {}

    def get(self, key: K, make: Callable[[K], V]) -> V:
        """The remembered value for ``key``, or ``make(key)`` remembered until ``key`` dies."""
        ident = id(key)
        hit = self._data.get(ident)
        if hit is not None and hit[0]() is key:
            return hit[1]
        value = make(key)
        try:
            ref = weakref.ref(key, self._forget(ident))
        except TypeError:  # not weak-referenceable (a plain tuple, say): computed, not remembered
            return value
        self._data[ident] = (ref, value)
        return value

    def _forget(self, ident: int) -> Callable[[weakref.ref[Any]], None]:
        data = self._data  # not self: the callback must not keep the memo alive

        def forget(ref: weakref.ref[Any]) -> None:
            hit = data.get(ident)
            if hit is not None and hit[0] is ref:
                del data[ident]

        return forget

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        """Forget everything (the weak references' callbacks then find nothing to remove)."""
        self._data.clear()
