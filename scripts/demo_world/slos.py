# ruff: noqa: E501  (PromQL is kept on one line, as written in the files)
"""The demo's SLOs (OpenSLO v1) and the request metrics their SLIs read (OpenMetrics samples).

Availability SLOs for the services users reach (web shop, mobile backend, public API, checkout,
payments, orders) and two control services the incident does not touch (search, product
catalog), plus one latency SLO (checkout requests under one second). The metrics are
``http_requests_total{job, code}`` counters (the Prometheus instrumentation convention) and one
``http_request_duration_seconds`` histogram, recorded as Prometheus would have scraped them:
every 2 minutes over the last 6h40m before the anchor and one hour past it (the incident still
unresolved), every 15 minutes back to three days before, every 6 hours back to 28 days before.
Sample times sit 30 s off the minute, so no window of the SLO evaluation starts exactly on a
sample and Prometheus 2 and 3 (which differ on that edge) give the same answers.

The errors follow the incident script (``incident.py``): each service starts failing one minute
before its first alert, ramps up over two minutes and stays at its level; the events-kafka
cause burns no SLO (none of these SLOs measures notification delay).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .incident import CAUSES
from .world import ANCHOR

JOB_LABEL = "job"
DATA_SOURCE = "larkspur-prometheus"
RAMP = 120.0  # seconds from first errors to the full level
LEAD = 60  # errors start this long before the first alert of a hop


@dataclass(frozen=True)
class Impact:
    cause: str  # Cause.id whose hop on this service starts the errors
    level: float  # share of requests failing (or slow) once ramped up


@dataclass(frozen=True)
class Target:
    service: str  # job label value and catalog name
    rps: float
    baseline: float  # share failing on a normal day
    impacts: tuple[Impact, ...] = ()


TARGETS = (
    Target("web-storefront", 120.0, 0.0002, (Impact("payments-bad-deploy", 0.08), Impact("orders-db-disk-full", 0.06))),
    Target("mobile-bff", 60.0, 0.0003, (Impact("payments-bad-deploy", 0.12),)),
    Target("api-gateway", 300.0, 0.0001, (Impact("payments-bad-deploy", 0.06), Impact("orders-db-disk-full", 0.05))),
    Target("checkout-service", 25.0, 0.0003, (Impact("payments-bad-deploy", 0.30),)),
    Target("payment-service", 20.0, 0.0004, (Impact("payments-bad-deploy", 0.35),)),
    Target("order-service", 15.0, 0.0002, (Impact("orders-db-disk-full", 0.45),)),
    Target("search-service", 80.0, 0.0002),
    Target("product-catalog-service", 150.0, 0.0001),
)
# Checkout latency: share of requests slower than 1 s.
LATENCY = Target("checkout-service", 25.0, 0.002, (Impact("payments-bad-deploy", 0.45),))


def onset(service: str, cause_id: str) -> float:
    """Seconds relative to the anchor when ``service`` starts failing for ``cause_id``."""
    cause = next(c for c in CAUSES if c.id == cause_id)
    hop = next(h for h in cause.hops if h.service == service)
    return cause.start + hop.delay - LEAD


def share(target: Target, t: float) -> float:
    """Share of requests failing (or slow) at ``t`` seconds relative to the anchor."""
    value = target.baseline
    for impact in target.impacts:
        start = onset(target.service, impact.cause)
        if t > start:
            value += impact.level * min(1.0, (t - start) / RAMP)
    return min(value, 1.0)


def sample_times() -> list[int]:
    """Offsets from the anchor (seconds), ascending: 6 h, 15 min and 2 min tiers, 30 s off the minute."""
    times = set(range(-28 * 86_400 - 6 * 3600 + 30, -3 * 86_400 - 3600, 6 * 3600))
    times |= set(range(-3 * 86_400 - 3600 + 30, -6 * 3600 - 40 * 60, 15 * 60))
    times |= set(range(-6 * 3600 - 40 * 60 + 30, 3600, 120))
    return sorted(times)


def _counts(target: Target, times: list[int]) -> list[tuple[float, float]]:
    """Cumulative (ok, failed) requests at each time, integrated at each interval's midpoint."""
    ok = failed = 0.0
    out = []
    last = times[0] - 60
    for t in times:
        span = t - last
        bad = share(target, (t + last) / 2)
        failed += target.rps * span * bad
        ok += target.rps * span * (1 - bad)
        out.append((round(ok), round(failed)))
        last = t
    return out


def openmetrics() -> str:
    """The recording: counters per service and status code, then the checkout latency histogram."""
    times = sample_times()
    base = int(ANCHOR.timestamp())
    lines = ["# HELP http_requests Requests served, by status code.", "# TYPE http_requests counter"]
    for target in TARGETS:  # OpenMetrics keeps each series' samples together, oldest first
        counts = _counts(target, times)
        for code, column in (("200", 0), ("503", 1)):
            labels = f'{JOB_LABEL}="{target.service}",code="{code}"'
            lines += [f"http_requests_total{{{labels}}} {c[column]} {base + t}" for c, t in zip(counts, times, strict=True)]
    # The histogram's bucket and count series as Prometheus stores them, typed `unknown`: the
    # Python client's OpenMetrics parser rejects histogram points that carry timestamps.
    latency = _counts(LATENCY, times)
    job = f'{JOB_LABEL}="checkout-service"'
    lines += ["# TYPE http_request_duration_seconds_bucket unknown"]
    for le in ("1.0", "+Inf"):
        lines += [f'http_request_duration_seconds_bucket{{{job},le="{le}"}} {fast if le == "1.0" else fast + slow} {base + t}'
                  for (fast, slow), t in zip(latency, times, strict=True)]
    lines += ["# TYPE http_request_duration_seconds_count unknown"]
    lines += [f"http_request_duration_seconds_count{{{job}}} {fast + slow} {base + t}"
              for (fast, slow), t in zip(latency, times, strict=True)]
    return "\n".join([*lines, "# EOF", ""])


def _metric(query: str) -> dict[str, Any]:
    return {"metricSource": {"metricSourceRef": DATA_SOURCE, "type": "Prometheus", "spec": {"query": query}}}


def _slo(name: str, display: str, service: str, target: float, indicator: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "apiVersion": "openslo/v1",
        "kind": "SLO",
        "metadata": {"name": name, "displayName": display},
        "spec": {
            "description": description,
            "service": service,
            **indicator,
            "timeWindow": [{"duration": "28d", "isRolling": True}],
            "budgetingMethod": "Occurrences",
            "objectives": [{"displayName": display, "target": target}],
        },
    }


def _errors_over_total(name: str, job: str) -> dict[str, Any]:
    """Inline indicator: 5xx over all requests, in the {{.window}} form."""
    return {
        "indicator": {
            "metadata": {"name": name},
            "spec": {
                "ratioMetric": {
                    "counter": True,
                    "bad": _metric(f'sum(rate(http_requests_total{{{JOB_LABEL}="{job}",code=~"5.."}}[{{{{.window}}}}]))'),
                    "total": _metric(f'sum(rate(http_requests_total{{{JOB_LABEL}="{job}"}}[{{{{.window}}}}]))'),
                }
            },
        }
    }


def documents() -> dict[str, list[dict[str, Any]]]:
    """File name -> OpenSLO objects, in the forms the spec allows (inline, indicatorRef, lists)."""
    source = {
        "apiVersion": "openslo/v1",
        "kind": "DataSource",
        "metadata": {"name": DATA_SOURCE, "displayName": "Larkspur production Prometheus"},
        "spec": {"type": "Prometheus", "connectionDetails": {"url": "https://prometheus.larkspur.example"}},
    }
    payment_sli = {
        "apiVersion": "openslo/v1",
        "kind": "SLI",
        "metadata": {"name": "payment-authorizations", "displayName": "Payment authorizations that succeed"},
        "spec": {
            "ratioMetric": {
                "counter": True,
                "good": _metric(f'http_requests_total{{{JOB_LABEL}="payment-service",code!~"5.."}}'),
                "total": _metric(f'http_requests_total{{{JOB_LABEL}="payment-service"}}'),
            }
        },
    }
    checkout_latency = {
        "indicator": {
            "metadata": {"name": "checkout-fast-requests"},
            "spec": {
                "ratioMetric": {
                    "counter": True,
                    "good": _metric(f'http_request_duration_seconds_bucket{{{JOB_LABEL}="checkout-service",le="1.0"}}'),
                    "total": _metric(f'http_request_duration_seconds_count{{{JOB_LABEL}="checkout-service"}}'),
                }
            },
        }
    }
    pay_ref = {"indicatorRef": "payment-authorizations"}
    return {
        "data-sources.yaml": [source],
        "storefront.yaml": [
            _slo("web-storefront-availability", "Web shop pages served without error", "web-storefront", 0.999,
                 _errors_over_total("web-storefront-errors", "web-storefront"), "Share of web shop page requests answered without a 5xx."),
            _slo("mobile-api-availability", "Mobile app API calls served without error", "mobile-bff", 0.999,
                 _errors_over_total("mobile-bff-errors", "mobile-bff"), "Share of mobile app API calls the BFF answers without a 5xx."),
        ],
        "edge.yaml": [
            _slo("public-api-availability", "Public API requests served without error", "api-gateway", 0.9995,
                 _errors_over_total("api-gateway-errors", "api-gateway"), "Share of public API requests the gateway answers without a 5xx."),
        ],
        "checkout.yaml": [
            _slo("checkout-availability", "Checkout requests served without error", "checkout", 0.999,
                 _errors_over_total("checkout-errors", "checkout-service"), "Share of checkout API requests answered without a 5xx."),
            _slo("checkout-latency", "Checkout requests answered within 1 s", "checkout-service", 0.995,
                 checkout_latency, "Share of checkout API requests answered in under one second."),
        ],
        "payments.yaml": [
            payment_sli,
            _slo("payment-authorization-success", "Payment authorizations that succeed", "payment-service", 0.999,
                 pay_ref, "Share of payment authorization calls that succeed."),
        ],
        "orders.yaml": [
            _slo("orders-api-availability", "Order API requests served without error", "order-service", 0.999,
                 _errors_over_total("order-service-errors", "order-service"), "Share of order API requests answered without a 5xx."),
        ],
        "catalog.yaml": [
            _slo("search-availability", "Searches served without error", "search-service", 0.999,
                 _errors_over_total("search-errors", "search-service"), "Share of product searches answered without a 5xx."),
            _slo("product-catalog-availability", "Product pages' data served without error", "product-catalog-service", 0.999,
                 _errors_over_total("product-catalog-errors", "product-catalog-service"), "Share of product data requests answered without a 5xx."),
        ],
    }


# What the demo's SLOs show at the anchor (tests read it): the alert condition per SLO.
EXPECTED_AT_ANCHOR = {
    "web-storefront-availability": "page",
    "mobile-api-availability": "page",
    "public-api-availability": "page",
    "checkout-availability": "page",
    "checkout-latency": "page",
    "payment-authorization-success": "page",
    "orders-api-availability": "page",
    "search-availability": "none",
    "product-catalog-availability": "none",
}
