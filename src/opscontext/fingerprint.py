"""Alertmanager-style fingerprints: FNV-1a 64 over sorted label names and values.

Prometheus' ``model.LabelSet.Fingerprint`` hashes each label name and value in name order, each
followed by the 0xff separator byte, and Alertmanager prints it as 16 hex digits.
"""

from __future__ import annotations

from collections.abc import Mapping

_OFFSET = 14695981039346656037
_PRIME = 1099511628211
_MASK = (1 << 64) - 1
_SEP = 0xFF


def _add(h: int, data: bytes) -> int:
    for byte in data:
        h ^= byte
        h = (h * _PRIME) & _MASK
    return h


def fingerprint(labels: Mapping[str, str]) -> str:
    h = _OFFSET
    for name in sorted(labels):
        h = _add(h, name.encode())
        h = _add(h, bytes([_SEP]))
        h = _add(h, labels[name].encode())
        h = _add(h, bytes([_SEP]))
    return f"{h:016x}"
