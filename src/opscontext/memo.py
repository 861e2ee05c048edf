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
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
_SAME = object()  # the value is the key object itself
V = TypeVar("V")


class _Ref(weakref.ref):  # type: ignore[type-arg]
    """A weak reference that carries its memo entry: the key object's id and the value made."""

    __slots__ = ("ident", "value")
    ident: int
    value: object


# Made with weakref.ref's own constructor and the two slots set after: a Python __new__/__init__
# pair on the subclass would run on every entry.
_new_ref = weakref.ref.__new__


class IdentityMemo(Generic[K, V]):
    """``value = memo.get(obj, make)``: ``make(obj)`` once per live ``obj``, by identity.

    One entry is one weak reference carrying the value, under the object's id, with one callback
    shared by all entries: about 180 bytes. (A closure and a tuple per entry cost 500: at 550k
    loaded models, the sanitiser's and the world's memos held 270 MiB.)
    """

    def __init__(self) -> None:
        self._data: dict[int, _Ref] = {}
        data = self._data  # not self: the callback must not keep the memo alive

        def forget(ref: _Ref) -> None:
            if data.get(ref.ident) is ref:
                del data[ref.ident]

        self._forget = forget

    def get(self, key: K, make: Callable[[K], V]) -> V:
        """The remembered value for ``key``, or ``make(key)`` remembered until ``key`` dies."""
        ident = id(key)
        hit = self._data.get(ident)
        if hit is not None and hit() is key:
            return key if hit.value is _SAME else hit.value  # type: ignore[return-value]
        value = make(key)
        try:
            ref: _Ref = _new_ref(_Ref, key, self._forget)
        except TypeError:  # not weak-referenceable (a plain tuple, say): computed, not remembered
            return value
        ref.ident = ident
        ref.value = _SAME if value is key else value  # holding the key itself would keep it alive
        self._data[ident] = ref
        return value

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        """Forget everything (the weak references' callbacks then find nothing to remove)."""
        self._data.clear()


class LruDict(OrderedDict[K, V]):
    """A dict that forgets its least recently used entries beyond ``limit``."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit

    def get(self, key: K, default: V | None = None) -> V | None:  # type: ignore[override]
        """The value (now the most recently used), or ``default``."""
        if key not in self:
            return default
        self.move_to_end(key)
        return self[key]

    def __setitem__(self, key: K, value: V) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.limit:
            self.popitem(last=False)
