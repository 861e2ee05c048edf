"""What declaring a capability means: one :class:`Capability` record per kind of question.

The table of records lives in :mod:`opscontext.capabilities`, beside the Protocols. Everything
that used to spell a capability out by hand reads it from there: the hub (which method to call,
how to cache it, which items to keep), the settings (one TTL field each), ``opscontext doctor``
(what to ask) and the contract suite in :mod:`opscontext.testing` (what a right answer looks like).

A record is generic in the Protocol method's parameters ``P`` and its answer ``R``, both taken
from the method it names, so ``hub.gather(ALERTS, window)`` is checked by mypy like a direct call
``connector.alerts(window)`` and returns ``Gathered[list[Alert]]``.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, cast, get_args, get_origin, get_type_hints

from pydantic import BaseModel

from opscontext.models import TimeWindow

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Ask:
    """The sample question a probe puts to a connector: doctor asks about the last hour with a
    service name no one uses; the contract suite asks what its sample data covers."""

    now: datetime
    window: TimeWindow
    services: tuple[str, ...]


def _as_list(answer: object) -> Sequence[object]:
    return answer if isinstance(answer, list) else ()


@dataclass(frozen=True, eq=False)
class Capability(Generic[P, R]):
    """One capability, declared once.

    ``method`` is the Protocol's own method (``AlertSource.alerts``): its name is what the hub
    calls on a connector and its signature types the call. ``item`` is the domain model an answer
    holds (a list of them, or one, as the method's return annotation says; checked at import).
    ``ttl`` is the default cache lifetime in seconds, the setting ``[cache.ttl] <name>``. ``bulk``
    families (whole catalogs) are served from cache and refreshed in the background; the others
    are keyed by their arguments and cached for seconds. ``probe`` says in words what doctor asks,
    ``sample`` builds those arguments. ``keep`` is the hub's filter on each item (a connector may
    return items outside the window it was asked about); ``unpack`` lists the items of an answer
    that is not itself a list (a catalog snapshot's services).
    """

    name: str
    protocol: type
    method: Callable[Concatenate[Any, P], Awaitable[R]]
    item: type[BaseModel]
    ttl: float
    bulk: bool
    probe: str
    sample: Callable[[Ask], tuple[object, ...]]
    keep: Callable[Concatenate[Any, P], bool] | None = None
    unpack: Callable[[R], Sequence[object]] = _as_list
    ttl_doc: str = ""

    def __post_init__(self) -> None:
        expected = self.answer_type()
        if get_origin(expected) is list:
            expected = get_args(expected)[0]
        if expected is not self.item:
            raise TypeError(f"capability {self.name!r}: {self.method_name} returns {expected}, not {self.item}")

    @property
    def method_name(self) -> str:
        """The name of the method a connector implements for this capability."""
        return self.method.__name__

    @property
    def many(self) -> bool:
        """True when an answer is a list of ``item``; False when it is one ``item``."""
        return get_origin(self.answer_type()) is list

    def answer_type(self) -> Any:
        """The method's declared return type (``list[Alert]``, ``CatalogSnapshot``)."""
        return get_type_hints(self.method)["return"]

    @cached_property
    def signature(self) -> inspect.Signature:
        """The Protocol method's signature, ``self`` included."""
        return inspect.signature(self.method)

    def arity(self) -> int:
        """How many arguments the method takes besides ``self``."""
        return len(self.signature.parameters) - 1

    def positional(self, args: tuple[object, ...], kwargs: dict[str, object]) -> tuple[object, ...]:
        """The arguments of one call, all by position (the form the hub keys its cache by)."""
        if not kwargs:
            return args
        return tuple(self.signature.bind(None, *args, **kwargs).args[1:])

    def call(self, connector: object, args: tuple[object, ...]) -> Awaitable[R]:
        """Ask ``connector`` with ``args`` (already checked against ``P`` by the caller's types)."""
        method: Callable[..., Awaitable[R]] = getattr(connector, self.method_name)
        return method(*args)

    def implemented_by(self, cls: type) -> bool:
        """Whether ``cls`` has its own implementation of the method (not the Protocol's stub)."""
        found = getattr(cls, self.method_name, None)
        return callable(found) and found is not getattr(self.protocol, self.method_name, None)

    def items(self, answer: R) -> Sequence[object]:
        """The items an answer holds: the list itself, or what ``unpack`` takes out of it."""
        return self.unpack(answer)

    def trim(self, answer: R, args: tuple[object, ...]) -> R:
        """``answer`` without the items ``keep`` rejects for these arguments (the hub's filter)."""
        if self.keep is None or not isinstance(answer, list):
            return answer
        keep = cast(Callable[..., bool], self.keep)
        return cast(R, [item for item in answer if keep(item, *args)])

