"""Per-service health from instant PromQL: template expansion and vector -> ServiceHealth mapping.

One query per metric covers every service asked: the template's ``{services_regex}`` becomes an
anchored alternation (``a|b\\.c``; Prometheus anchors ``=~`` matchers at both ends), so the only
series that can come back are the services asked about, and the label value maps back to the
requested name exactly.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from opscontext.models import ServiceHealth
from opscontext_connectors.prometheus.wire import Sample

log = logging.getLogger(__name__)

# RE2 metacharacters; anything else matches itself and stays readable in the query.
_REGEX_SPECIAL = frozenset("\\.+*?()|[]{}^$")

Values = dict[str, float | None]


def escape_regex(name: str) -> str:
    return "".join("\\" + c if c in _REGEX_SPECIAL else c for c in name)


def services_regex(services: Iterable[str]) -> str:
    """An alternation matching exactly ``services``, ready to sit inside a double-quoted PromQL
    string: regex escapes first, then the string literal's own escaping of ``\\`` and ``"``."""
    alternation = "|".join(escape_regex(s) for s in sorted(set(services)))
    return alternation.replace("\\", "\\\\").replace('"', '\\"')


def expand(template: str, *, label: str, services: Sequence[str]) -> str:
    # Plain replacement, not str.format: PromQL is full of braces of its own.
    return template.replace("{label}", label).replace("{services_regex}", services_regex(services))


def _error_rate(value: float) -> float | None:
    return min(max(value, 0.0), 1.0)


def _non_negative(value: float) -> float | None:
    return value if value >= 0 else None


# Per metric: how to clean one value, and how to fold several series of one service (a template
# that did not aggregate fully): traffic adds up, a ratio or a quantile reports the worst.
_CLEAN: dict[str, Callable[[float], float | None]] = {
    "error_rate": _error_rate,
    "latency_p99_seconds": _non_negative,
    "request_rate": _non_negative,
}
_FOLD: dict[str, Callable[[list[float]], float]] = {
    "error_rate": max,
    "latency_p99_seconds": max,
    "request_rate": sum,
}


def values_by_service(samples: Iterable[Any], *, metric: str, label: str, wanted: frozenset[str]) -> Values:
    """The metric per requested service. A service with a series whose value is NaN or infinite
    (no traffic in a ratio, a quantile past the last bucket) maps to None; one without a series
    is absent."""
    found: dict[str, list[float]] = {}
    for item in samples:
        try:
            sample = Sample.model_validate(item)
            value = float(sample.value[1])
        except (ValidationError, ValueError):
            log.warning("skipping unreadable sample in a %s health query result", metric)
            continue
        service = sample.metric.get(label)
        if service not in wanted:
            continue  # a template without the matcher, or a label spelled differently
        cleaned = _CLEAN[metric](value) if math.isfinite(value) else None
        found.setdefault(service, [])
        if cleaned is not None:
            found[service].append(cleaned)
    return {service: (_FOLD[metric](vals) if vals else None) for service, vals in found.items()}


def to_health(
    services: Sequence[str], metrics: Mapping[str, Values], *, at: datetime, source: str
) -> list[ServiceHealth]:
    """One entry per service, in the order asked, for services with at least one value."""
    out = []
    for service in dict.fromkeys(services):
        got = {metric: values.get(service) for metric, values in metrics.items()}
        if any(v is not None for v in got.values()):
            out.append(ServiceHealth.model_validate({"service": service, "at": at, "source": source, **got}))
    return out
