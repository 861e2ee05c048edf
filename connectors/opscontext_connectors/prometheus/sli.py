"""Prometheus as an SLI evaluator: one instant query's vector summed into one number."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from opscontext_connectors.prometheus.wire import Sample

log = logging.getLogger(__name__)


def vector_sum(samples: Iterable[Any]) -> float | None:
    """Sum of the finite values of an instant vector; None when it holds none (no data)."""
    values = []
    for item in samples:
        try:
            value = float(Sample.model_validate(item).value[1])
        except (ValidationError, ValueError):
            log.warning("skipping unreadable sample in an SLI query result")
            continue
        if math.isfinite(value):
            values.append(value)
    return sum(values) if values else None
