"""Alert correlation, split by stage: dedup, topology index, grouping, ranking, calibration.

The entry point is :func:`opscontext.engine.correlate.correlate`.
"""

from opscontext.engine.correlation.models import (
    AlertBrief,
    AlertGroup,
    Candidate,
    Correlation,
    CorrelationOptions,
)

__all__ = ["AlertBrief", "AlertGroup", "Candidate", "Correlation", "CorrelationOptions"]
