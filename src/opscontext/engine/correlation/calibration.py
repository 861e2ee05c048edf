"""Calibrated confidence: the chance that a group's primary contributor is the real root cause.

Raw candidate scores are not probabilities. Platt scaling maps three features of a ranked group
to a probability with a logistic curve::

    confidence = 1 / (1 + exp(-(A * margin + B * top + C * spread + D)))

``top`` is the best score, ``margin`` its lead over the runner-up and ``spread`` the log of the
number of alerting services (big groups hide their root better).

How the constants were obtained: ``python -m opscontext.eval.calibrate`` generates scenarios
from the three bundled topologies with the *training* seeds (``TRAIN_SEEDS`` in
``opscontext.eval.runner``: 1000-1119, disjoint from the reported test seeds 0-49), runs
correlation with these weights, labels each ground-truth incident's best-matching group 1 when
its primary contributor is the injected root and 0 otherwise, and fits the four numbers by
Newton-Raphson on the log-loss. Re-run it and paste its output here whenever ranking changes.
"""

from __future__ import annotations

import math

# Output of `python -m opscontext.eval.calibrate` (1075 training incidents, top-1 accuracy 0.897),
# refitted after bridge placement and the shared-entry scenarios moved the score distribution.
A_MARGIN = 7.3623
B_TOP = -1.8207
C_SPREAD = -0.2180
D_BIAS = 1.5564


def features(top: float, runner_up: float, n_services: int) -> tuple[float, float, float]:
    return top - runner_up, top, math.log(max(n_services, 1))


def confidence(top: float, runner_up: float, n_services: int) -> float:
    margin, best, spread = features(top, runner_up, n_services)
    z = A_MARGIN * margin + B_TOP * best + C_SPREAD * spread + D_BIAS
    return 1.0 / (1.0 + math.exp(-z))
