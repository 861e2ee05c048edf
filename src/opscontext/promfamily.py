"""What every Prometheus-family alert source shares (Alertmanager, Prometheus, and any connector a
third party writes for a compatible API): which labels name a service, where a summary lives, and
the config pieces for label mapping and basic auth.

It lives in the core so connectors never import each other: both sources must agree on an alert's
identity (:func:`opscontext.fingerprint.fingerprint`) and on which label names its service, or the
engine could not deduplicate the same alert seen through both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import httpx
from pydantic import BaseModel, Field, SecretStr, model_validator

DEFAULT_SERVICE_LABELS: tuple[str, ...] = (
    "service",
    "app",
    "app_kubernetes_io_name",
    "kubernetes_deployment",
    "deployment",
    "service_name",
    # OpenTelemetry's Kubernetes attributes as Prometheus labels (k8s.deployment.name, ...)
    "k8s_deployment_name",
    "k8s_statefulset_name",
    "k8s_daemonset_name",
    # Edge metrics name both ends: the calling side first (Istio's source-reported metrics, the
    # OpenTelemetry service graph connector's ``client``), else the called one; the called end is
    # then read as the call's target (engine/correlation/peers.py).
    "source_workload",
    "client",
    "destination_workload",
    "server",
    # Prometheus keeps a scraped series' own ``job`` as ``exported_job`` when the scrape job's name
    # wins (scraping an OpenTelemetry collector: job="otel-collector",
    # exported_job="opentelemetry-demo/checkout"), so the original is the more telling one.
    "exported_job",
    "job",
    "container",
)
SUMMARY_ANNOTATIONS: tuple[str, ...] = ("summary", "description", "message")


def first_label(labels: Mapping[str, str], names: Sequence[str]) -> str | None:
    """Value of the first of ``names`` present (and non-empty) in ``labels``."""
    for name in names:
        value = labels.get(name)
        if value:
            return value
    return None


def summary_of(annotations: Mapping[str, str]) -> str | None:
    """The alert's one-line summary from its conventional annotations, if any."""
    return first_label(annotations, SUMMARY_ANNOTATIONS)


class LabelMapping(BaseModel):
    """How alert labels map onto opscontext's alert fields."""

    service_labels: list[str] = Field(
        default_factory=lambda: list(DEFAULT_SERVICE_LABELS),
        min_length=1,
        description="Labels naming the affected service, first present wins.",
    )
    severity_label: str = Field(default="severity", description="Label holding the severity.")


class BasicAuthMixin(BaseModel):
    """Basic auth (common in front of Alertmanager and Prometheus) or the inherited bearer token."""

    username: str | None = Field(default=None, description="Basic-auth user name.")
    password: SecretStr | None = Field(default=None, description="Basic-auth password (never logged).")

    @model_validator(mode="after")
    def _one_scheme(self) -> BasicAuthMixin:
        if (self.username is None) != (self.password is None):
            raise ValueError("set both `username` and `password` for basic auth, or neither")
        if self.username is not None and getattr(self, "token", None) is not None:
            raise ValueError("set either `token` (bearer) or `username`/`password`, not both")
        return self

    def basic_auth(self) -> httpx.Auth | None:
        """httpx's basic auth when a user name and password are set."""
        if self.username is None or self.password is None:
            return None
        return httpx.BasicAuth(self.username, self.password.get_secret_value())
