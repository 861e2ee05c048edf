"""OpenSLO objects -> domain :class:`~opscontext.models.Slo`, one per objective.

Every refusal says what to change in the file: the indicator kinds that cannot give a burn rate,
a dangling ``indicatorRef`` or ``metricSourceRef``, a data source that is not Prometheus, a
query with no window to range over.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from opscontext.models import RatioSli, Slo
from opscontext.sli import SliQueryError, has_placeholder, parse_shorthand, queries, short
from opscontext_connectors.openslo.config import OpenSloConfig
from opscontext_connectors.openslo.wire import Indicator, MetricSpec, Objective, RatioMetric, SloObject

QUERY_KEYS = ("query", "promql")


class SloRefused(ValueError):
    """One SLO (or one of its objectives) cannot be used; the message says why and what to do."""


def to_slos(
    obj: SloObject,
    *,
    slis: Mapping[str, Indicator],
    data_sources: Mapping[str, str],
    config: OpenSloConfig,
    location: str,
    source: str,
) -> list[Slo]:
    """The SLO's objectives as domain SLOs; SloRefused when the SLO as a whole cannot be used."""
    spec = obj.spec
    indicator = _indicator(obj, slis)
    ratio = indicator.spec.ratio_metric
    if ratio is None:
        raise SloRefused(
            f"indicator {indicator.metadata.name!r} has no ratioMetric; burn rates need good (or bad) and "
            "total events, so a thresholdMetric SLI is not evaluated"
        )
    sli, ref = _ratio(ratio, data_sources)
    window_seconds, window = _window(spec.time_window)
    if spec.budgeting_method != "Occurrences":
        window += f", {spec.budgeting_method} budget evaluated as an event ratio"
    evaluator = config.data_sources.get(ref or "") or config.evaluator
    several = len(spec.objectives) > 1
    out = []
    for index, objective in enumerate(spec.objectives, start=1):
        label = objective.display_name or f"objective {index}"
        out.append(
            Slo(
                name=f"{obj.metadata.name}/{label}" if several else obj.metadata.name,
                display_name=obj.metadata.display_name or objective.display_name,
                service=spec.service,
                description=spec.description,
                target=_target(objective, label),
                window_seconds=window_seconds,
                window=window,
                budgeting_method=spec.budgeting_method,
                sli=sli,
                metric_source=ref,
                evaluator=evaluator,
                location=location,
                source=source,
            )
        )
    return out


def _indicator(obj: SloObject, slis: Mapping[str, Indicator]) -> Indicator:
    spec = obj.spec
    if spec.indicator is not None and spec.indicator_ref is not None:
        raise SloRefused("gives both indicator and indicatorRef; keep one")
    if spec.indicator is not None:
        return spec.indicator
    if spec.indicator_ref is None:
        raise SloRefused("gives neither indicator nor indicatorRef; one is required")
    found = slis.get(spec.indicator_ref)
    if found is None:
        raise SloRefused(f"indicatorRef {spec.indicator_ref!r} names no SLI in the configured path")
    return found


def _ratio(ratio: RatioMetric, data_sources: Mapping[str, str]) -> tuple[RatioSli, str | None]:
    """The SLI's queries and the data source its numerator names."""
    if ratio.raw is not None:
        if ratio.good or ratio.bad or ratio.total:
            raise SloRefused("ratioMetric.raw cannot be combined with good, bad or total")
        if ratio.raw_type is None:
            raise SloRefused("ratioMetric.raw needs rawType: success or failure")
        query, ref = _query(ratio.raw, "raw", data_sources)
        sli = RatioSli(kind=f"raw_{ratio.raw_type}", numerator=query, counter=ratio.counter)  # type: ignore[arg-type]
    else:
        if (ratio.good is None) == (ratio.bad is None) or ratio.total is None:
            raise SloRefused("ratioMetric needs total and exactly one of good or bad (or raw with rawType)")
        kind = "good" if ratio.good is not None else "bad"
        numerator, ref = _query(ratio.good or ratio.bad, kind, data_sources)  # type: ignore[arg-type]
        total, _ = _query(ratio.total, "total", data_sources)
        if has_placeholder(numerator) != has_placeholder(total):
            raise SloRefused(
                f"the {kind} and total queries must both be bare selectors or both hold {{{{.window}}}}, so both "
                "count events over the window the same way (a rate over an increase is off by the window's seconds)"
            )
        sli = RatioSli(kind=kind, numerator=numerator, total=total, counter=ratio.counter)  # type: ignore[arg-type]
    try:
        queries(sli, 300)  # refused now, naming the file, rather than at every evaluation
    except SliQueryError as exc:
        raise SloRefused(str(exc)) from None
    return sli, ref


def _query(metric: MetricSpec, part: str, data_sources: Mapping[str, str]) -> tuple[str, str | None]:
    source = metric.metric_source
    ref = source.metric_source_ref
    kind = source.type
    if ref is not None:
        if ref not in data_sources:
            raise SloRefused(f"{part}: metricSourceRef {ref!r} names no DataSource in the configured path")
        kind = kind or data_sources[ref]
    if kind is not None and kind.lower() != "prometheus":
        raise SloRefused(f"{part}: metric source type {kind!r} is not evaluated; only Prometheus queries are")
    query = next((source.spec[k] for k in QUERY_KEYS if isinstance(source.spec.get(k), str)), None)
    if not query or not query.strip():
        raise SloRefused(f"{part}: metricSource.spec has no `query` (PromQL)")
    return query.strip(), ref


def _window(windows: Sequence[object]) -> tuple[int, str]:
    if len(windows) != 1:
        raise SloRefused(f"timeWindow must hold exactly one window, found {len(windows)}")
    window = windows[0]
    duration = getattr(window, "duration", "")
    try:
        seconds = parse_shorthand(duration)
    except SliQueryError as exc:
        raise SloRefused(f"timeWindow: {exc}") from None
    calendar = getattr(window, "calendar", None) is not None and getattr(window, "is_rolling", None) is not True
    if calendar:
        return seconds, f"{duration} calendar (evaluated as a rolling {short(seconds)})"
    return seconds, f"{duration} rolling"


def _target(objective: Objective, label: str) -> float:
    if (objective.target is None) == (objective.target_percent is None):
        raise SloRefused(f"{label}: give exactly one of target (0.999) or targetPercent (99.9)")
    target = objective.target if objective.target is not None else objective.target_percent / 100  # type: ignore[operator]
    if not 0 <= target < 1:
        raise SloRefused(f"{label}: target must be at least 0 and below 1 (targetPercent below 100), got {target:g}")
    return float(target)
