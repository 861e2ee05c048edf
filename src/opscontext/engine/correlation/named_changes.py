"""Which service a change without one is about, read from its own words.

A feature-flag flip or a config push is often recorded against no service, or against the flag
or config service that stores it, while its key names the service it changes: OpenTelemetry
demo flags are ``paymentServiceFailure`` or ``productCatalogFailure``, LaunchDarkly and Unleash
keys are commonly ``checkout-new-pricing``. Such a change is evidence for the service its key
names, exactly as a deploy is for the service deployed. Only one named service counts: a change
whose words name two services says nothing about which one it broke.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from opscontext.models import Change

_TOKEN = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_SEPARATORS = re.compile(r"[^a-z0-9]")
_SUFFIX = "service"
# Kinds whose subject is what they configure, not the service that stores them.
CONFIG_KINDS = frozenset({"feature-flag", "flag", "config", "configuration", "environment"})


def by_name(change: Change, service: str) -> bool:
    """Whether ``change`` counts for ``service`` because its key or summary names it (it is
    recorded on another service, or on none), not because it was made on ``service``."""
    return change.service != service
_MAX_RUN = 5  # tokens joined to spell one name: cassandra + notify + 7 + db
_MEMO_MAX = 200_000  # summaries remembered per graph


def normal(name: str) -> str:
    return _SEPARATORS.sub("", name.lower())


class NameIndex:
    """Service names by their spelling without case or separators (``product-catalog`` and
    ``productcatalog`` read alike; ``checkoutservice`` is also found as ``checkout``)."""

    def __init__(self, names: Iterable[str]) -> None:
        self._by: dict[str, str | None] = {}
        # Text -> the service it names: the graph's index outlives every correlation over it,
        # and a change source repeats its summaries on every call (25k changes at scale: 0.2 s
        # of tokenising per call before).
        self._named: dict[str, str | None] = {}
        for name in names:
            key = normal(name)
            if len(key) < 2:
                continue
            # Two services that read alike (orders and orders-service) make the spelling ambiguous.
            self._by[key] = name if self._by.get(key, name) == name else None

    def named(self, text: str) -> str | None:
        """The one service ``text`` names, or None when it names none or several."""
        if text in self._named:
            return self._named[text]
        found = self._find(text)
        if len(self._named) < _MEMO_MAX:  # free text: bounded
            self._named[text] = found
        return found

    def _find(self, text: str) -> str | None:
        tokens = [t.lower() for t in _TOKEN.findall(text)]
        found: set[str] = set()
        for i in range(len(tokens)):
            joined = ""
            for j in range(i, min(i + _MAX_RUN, len(tokens))):
                joined += tokens[j]
                for key in (joined, joined + _SUFFIX):
                    hit = self._by.get(key)
                    if hit is not None:
                        found.add(hit)
        # "checkoutservice" also names "checkout" when both exist: keep the longest spelling.
        longest = {n for n in found if not any(n != m and normal(n) in normal(m) for m in found)}
        return next(iter(longest)) if len(longest) == 1 else None
