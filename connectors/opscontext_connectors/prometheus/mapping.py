"""Prometheus wire data -> opscontext alerts and observed dependency edges."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from opscontext.fingerprint import fingerprint
from opscontext.models import Alert, AlertState, DependencyEdge, EdgeProvenance
from opscontext.promfamily import first_label, summary_of
from opscontext_connectors.prometheus.config import PrometheusConfig
from opscontext_connectors.prometheus.wire import RuleAlert, Sample

log = logging.getLogger(__name__)

Pair = tuple[str, str]


def parse_rule_alerts(raw: Iterable[Any]) -> list[RuleAlert]:
    parsed: list[RuleAlert] = []
    for index, item in enumerate(raw):
        try:
            parsed.append(RuleAlert.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]  # no values: labels may carry secrets
            log.warning(
                "skipping Prometheus alert #%d: %s at %s", index, first["type"], first["loc"]
            )
    return parsed


def to_alert(wire: RuleAlert, *, source: str, config: PrometheusConfig) -> Alert:
    """A rule alert as Alertmanager will know it: same labels (plus external labels), same
    fingerprint. Pending alerts have not been sent anywhere yet, hence ``unprocessed``."""
    labels = {**config.external_labels, **wire.labels}
    return Alert(
        fingerprint=fingerprint(labels),
        alertname=labels.get("alertname", ""),
        service=first_label(labels, config.service_labels),
        severity=labels.get(config.severity_label) or None,
        summary=summary_of(wire.annotations),
        labels=labels,
        annotations=dict(wire.annotations),
        starts_at=wire.active_at,
        state=AlertState.ACTIVE if wire.state == "firing" else AlertState.UNPROCESSED,
        source=source,
    )


def rates_by_pair(samples: Iterable[Any], *, client: str, server: str) -> dict[Pair, float]:
    """Finite per-pair values of an instant vector; series missing either endpoint are skipped."""
    rates: dict[Pair, float] = {}
    for item in samples:
        try:
            sample = Sample.model_validate(item)
            value = float(sample.value[1])
        except (ValidationError, ValueError):
            log.warning("skipping unreadable sample in a topology query result")
            continue
        caller, callee = sample.metric.get(client), sample.metric.get(server)
        if not caller or not callee or not math.isfinite(value):
            continue
        rates[(caller, callee)] = rates.get((caller, callee), 0.0) + value
    return rates


def to_edges(
    requests: dict[Pair, float], failed: dict[Pair, float], *, source: str
) -> list[DependencyEdge]:
    """Observed ``calls`` edges with traffic; the caller depends on the callee."""
    edges = []
    for (caller, callee), rate in sorted(requests.items()):
        if rate <= 0:
            continue  # a pair that stopped talking inside the rate window is not a dependency now
        errors = min(max(failed.get((caller, callee), 0.0) / rate, 0.0), 1.0)
        edges.append(
            DependencyEdge(
                dependent=caller,
                dependency=callee,
                kind="calls",
                provenance=EdgeProvenance.OBSERVED,
                source=source,
                request_rate=rate,
                error_rate=errors,
            )
        )
    return edges
