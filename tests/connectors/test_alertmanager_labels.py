"""Fingerprints must equal Alertmanager's own, or alerts from two sources never deduplicate."""

from __future__ import annotations

from opscontext_connectors.alertmanager.labels import fingerprint, first_label


def test_fingerprint_equals_one_alertmanager_computed_for_the_same_labels() -> None:
    # Recorded from Alertmanager 0.25.0's GET /api/v2/alerts for an alert Prometheus sent it.
    labels = {"alertname": "CheckoutErrors", "service": "checkout", "severity": "critical"}
    assert fingerprint(labels) == "4889ff3223809fa0"


def test_fingerprint_ignores_label_order_but_not_values() -> None:
    a = {"alertname": "X", "job": "api"}
    assert fingerprint(a) == fingerprint(dict(reversed(list(a.items()))))
    assert fingerprint(a) != fingerprint({"alertname": "X", "job": "apj"})


def test_separator_keeps_name_value_boundaries_apart() -> None:
    assert fingerprint({"a": "bc"}) != fingerprint({"ab": "c"})


def test_empty_label_set_is_the_fnv_offset_basis_in_sixteen_hex_digits() -> None:
    assert fingerprint({}) == "cbf29ce484222325"


def test_first_label_skips_missing_and_empty_values() -> None:
    assert (
        first_label({"service": "", "app": "web", "job": "x"}, ["service", "app", "job"]) == "web"
    )
    assert first_label({"job": "x"}, ["service"]) is None
