"""Helpers for connectors' wire models (vendor JSON -> pydantic), shared so every vendor is
equally tolerant: one malformed record is skipped, logged and reported (the source degraded),
never fatal to the page."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from opscontext.problems import LoadReport, Problem, invalid, report

log = logging.getLogger("opscontext.wire")
W = TypeVar("W", bound=BaseModel)


def parse_each(model: type[W], records: Iterable[Any], *, instance: str, id_field: str = "id") -> list[W]:
    """Validate records one by one; a malformed record is skipped with a warning naming its id,
    and the answer is reported partial (:func:`opscontext.problems.report`): a vendor record
    dropped for bad data leaves the source degraded, never ``ok``. Call it from the task that
    runs the capability call, as ``report`` requires."""
    parsed: list[W] = []
    bad = 0
    first = ""
    for record in records:
        try:
            parsed.append(model.model_validate(record))
        except ValidationError as exc:
            ident = record.get(id_field, "?") if isinstance(record, dict) else "?"
            log.warning(
                "%s: skipped a malformed %s (%s=%s): %d field error(s)",
                instance, model.__name__, id_field, ident, exc.error_count(),
            )
            bad += 1
            first = first or f"{id_field}={str(ident)[:60]}: {invalid(exc)}"
    report_dropped(model.__name__, bad, first)
    return parsed


def report_dropped(what: str, count: int, first: str = "", where: str | None = None) -> None:
    """From inside a capability call: ``count`` records of ``what`` were left out for bad data,
    so the answer is partial and the source degraded (nothing when ``count`` is 0). ``first``
    says which and why, without quoting a value."""
    if count <= 0:
        return
    detail = f" (first: {first})" if first else ""
    reason = f"{count} malformed {what} record{'s' if count > 1 else ''} left out{detail}"
    report(LoadReport(1, (Problem(where or what, reason, skipped=False),), noun="lists",
                      partly="records dropped for bad data"))
