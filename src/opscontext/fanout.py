"""The pieces of one fan-out: the gathered answer, one question and its cache key, a status reason.

``Gathered`` is what every ``Hub`` call returns. A :class:`Question` is one instance asked one
capability with one set of arguments; its key buckets times by the capability's TTL so calls
inside one bucket share an entry, and names its instance's config digest so another URL or
account never shares entries.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, SecretStr

from opscontext.capability import Capability
from opscontext.errors import SourceError
from opscontext.models import SourceStatus, TimeWindow
from opscontext.registry import Instance

log = logging.getLogger("opscontext.hub")  # where operators already look for connector bugs
T = TypeVar("T")
I = TypeVar("I")  # noqa: E741 - an item of a list answer


@dataclass
class Gathered(Generic[T]):
    """Results per instance (in configuration order) and the status of every instance asked.

    ``T`` is one source's answer: ``list[Alert]``, or ``CatalogSnapshot`` for catalogs."""

    results: list[tuple[Instance, T]] = field(default_factory=list)
    statuses: list[SourceStatus] = field(default_factory=list)

    def items(self: Gathered[list[I]]) -> list[I]:
        """Every source's items in one list, in configuration order (for list answers only)."""
        out: list[I] = []
        for _inst, value in self.results:
            out.extend(value)
        return out


@dataclass(frozen=True)
class Question:
    """One instance asked one capability with one set of arguments, and where its answer is kept."""

    inst: Instance
    capability: Capability[..., Any]
    args: tuple[object, ...]
    key: str
    last_key: str
    cacheable: bool


def key_part(arg: object, bucket: float) -> str:
    """One argument as a cache-key part: times by TTL bucket, name lists in sorted order."""
    if isinstance(arg, TimeWindow):
        return f"{int(arg.since.timestamp() // bucket)}|{int(arg.until.timestamp() // bucket)}"
    if isinstance(arg, datetime):
        return f"{int(arg.timestamp() // bucket)}"
    if isinstance(arg, tuple | list | frozenset):  # names asked about: order does not matter
        return ",".join(sorted(map(str, arg)))
    return repr(arg)


def config_digest(config: BaseModel) -> str:
    """Short stable hash of an instance's validated config; secrets enter only as their hash."""

    def plain(value: object) -> object:
        if isinstance(value, SecretStr):
            return hashlib.sha256(value.get_secret_value().encode()).hexdigest()
        return str(value)

    text = json.dumps(config.model_dump(), default=plain, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def count(value: object) -> int | None:
    """How many items an answer holds (a catalog: its services), for the status line."""
    if isinstance(value, list | tuple):
        return len(value)
    services = getattr(value, "services", None)
    return len(services) if isinstance(services, tuple) else None


def reason_for(inst: Instance, exc: BaseException, timeout: float) -> str:
    """Why a source gave no answer, in words for the status; a connector bug is logged in full."""
    if isinstance(exc, TimeoutError):
        return (
            f"no answer within {round(timeout, 1):g} s; the source is slow or unreachable "
            "(it keeps loading in the background)"
        )
    if isinstance(exc, SourceError):
        exc.instance = exc.instance or inst.name
        text = str(exc)
        return text.removeprefix(f"{inst.name}: ")
    log.exception("connector %s (%s) raised an unexpected error", inst.name, inst.spec.type, exc_info=exc)
    return f"connector bug: {type(exc).__name__}; see the server log"

