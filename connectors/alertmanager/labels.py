"""Label-set rules shared by every Prometheus-family alert source (Alertmanager, Prometheus).

Both sources must agree on an alert's identity and on which label names its service, or the
engine could not deduplicate the same alert seen through both. The fingerprint is therefore
computed exactly as Prometheus' ``model.LabelSet.Fingerprint`` does it: FNV-1a 64-bit over the
label names in sorted order, each name and each value followed by the 0xFF separator byte (a
byte that cannot occur in UTF-8, so ``a=bc`` and ``ab=c`` differ), printed as 16 hex digits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from opscontext.fingerprint import fingerprint

DEFAULT_SERVICE_LABELS: tuple[str, ...] = (
    "service",
    "app",
    "app_kubernetes_io_name",
    "kubernetes_deployment",
    "deployment",
    "service_name",
    "job",
    "container",
)
__all__ = ["DEFAULT_SERVICE_LABELS", "SUMMARY_ANNOTATIONS", "fingerprint", "first_label", "summary_of"]

SUMMARY_ANNOTATIONS: tuple[str, ...] = ("summary", "description", "message")

def first_label(labels: Mapping[str, str], names: Sequence[str]) -> str | None:
    """Value of the first of ``names`` present (and non-empty) in ``labels``."""
    for name in names:
        value = labels.get(name)
        if value:
            return value
    return None


def summary_of(annotations: Mapping[str, str]) -> str | None:
    return first_label(annotations, SUMMARY_ANNOTATIONS)
