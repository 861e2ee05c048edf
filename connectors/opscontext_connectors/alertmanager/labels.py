"""Label-set rules of the Prometheus family, as the Alertmanager connector uses them.

They live in the core (:mod:`opscontext.promfamily`, :mod:`opscontext.fingerprint`) because the
Prometheus connector shares them; this module keeps the names importable where they were.
"""

from __future__ import annotations

from opscontext.fingerprint import fingerprint
from opscontext.promfamily import DEFAULT_SERVICE_LABELS, SUMMARY_ANNOTATIONS, first_label, summary_of

__all__ = ["DEFAULT_SERVICE_LABELS", "SUMMARY_ANNOTATIONS", "fingerprint", "first_label", "summary_of"]
