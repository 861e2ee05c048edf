"""Helpers for connectors' wire models (vendor JSON -> pydantic), shared so every vendor is
equally tolerant: one malformed record is skipped and logged, never fatal to the page."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

log = logging.getLogger("opscontext.wire")
W = TypeVar("W", bound=BaseModel)


def parse_each(model: type[W], records: Iterable[Any], *, instance: str, id_field: str = "id") -> list[W]:
    """Validate records one by one; a malformed record is skipped with a warning naming its id."""
    parsed: list[W] = []
    for record in records:
        try:
            parsed.append(model.model_validate(record))
        except ValidationError as exc:
            ident = record.get(id_field, "?") if isinstance(record, dict) else "?"
            log.warning(
                "%s: skipped a malformed %s (%s=%s): %d field error(s)",
                instance, model.__name__, id_field, ident, exc.error_count(),
            )
    return parsed
