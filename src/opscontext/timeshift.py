"""Replay: move every timestamp a source reports by a fixed offset.

The demo world is a recording anchored at a fixed instant; shifting it by ``now - anchor`` at
load makes its incident live whenever the server starts. Queries are shifted back into the
recording's time, answers forward into ours, so connectors never know. Real worlds have no anchor
and pass through untouched.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


def shift(value: T, delta: timedelta) -> T:
    """``value`` with every datetime inside it (models, lists, tuples, dicts) moved by ``delta``."""
    if not delta:
        return value
    return _shift(value, delta)  # type: ignore[no-any-return]


def _shift(value: Any, delta: timedelta) -> Any:
    if isinstance(value, datetime):
        return value + delta
    if isinstance(value, BaseModel):
        update = {}
        for name in type(value).model_fields:
            current = getattr(value, name)
            if isinstance(current, (datetime, BaseModel, list, tuple)):
                moved = _shift(current, delta)
                if moved is not current:
                    update[name] = moved
        return value.model_copy(update=update) if update else value
    if isinstance(value, (list, tuple)):
        if not value or not isinstance(value[0], (datetime, BaseModel)):
            return value
        return type(value)(_shift(v, delta) for v in value)
    return value
