"""Which service a change without one is about, read from its own words.

A feature-flag flip or a config push is often recorded against no service, or against the flag
or config service that stores it, while its key names the service it changes: OpenTelemetry
demo flags are ``paymentServiceFailure`` or ``productCatalogFailure``, LaunchDarkly and Unleash
keys are commonly ``checkout-new-pricing``. Such a change is evidence for the service its key
names, exactly as a deploy is for the service deployed. Only one named service counts: a change
whose words name two services says nothing about which one it broke.

A key may also name its service by the start of its name only (the demo's ``imageSlowLoad``
switches ``image-provider``): read only for changes, and only when no name is spelled out whole.
On fault injection's OpenTelemetry demo worlds, spare seeds 1000-1029, the incidents rooted at a
quiet image-provider went from 0 to 9 of 11 named right; over the four fitting topologies, spare
seeds 1020-1039, fault injection AC@1 0.792 -> 0.803, the other families unchanged.
"""

from __future__ import annotations

import re
from bisect import bisect_left
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
_MIN_PREFIX = 4  # "cart" may begin a name; "ad" or "db" would begin too many
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
        self._keyed: dict[str, str | None] = {}  # the same, read as a change's keys
        self._keys: list[str] | None = None  # the spellings, sorted, once a prefix is looked up
        for name in names:
            key = normal(name)
            if len(key) < 2:
                continue
            # Two services that read alike (orders and orders-service) make the spelling ambiguous.
            self._by[key] = name if self._by.get(key, name) == name else None

    def named(self, text: str, keys: bool = False) -> str | None:
        """The one service ``text`` names, or None when it names none or several.

        ``keys``: ``text`` describes a change, whose flag or config keys may name their service
        by the start of its name alone (:meth:`_by_prefix`). Alert labels are not read that way:
        a ``db="postgres-main"`` label names no ``postgres-exporter``."""
        memo = self._keyed if keys else self._named
        if text in memo:
            return memo[text]
        found = self._find(text, keys)
        if len(memo) < _MEMO_MAX:  # free text: bounded
            memo[text] = found
        return found

    def _find(self, text: str, keys: bool) -> str | None:
        tokens = [t.lower() for t in _TOKEN.findall(text)]
        found: set[str] = set()
        spelled = False  # some name spelled out whole, even one two services share
        for i in range(len(tokens)):
            joined = ""
            for j in range(i, min(i + _MAX_RUN, len(tokens))):
                joined += tokens[j]
                for key in (joined, joined + _SUFFIX):
                    if key in self._by:
                        spelled = True
                        hit = self._by[key]
                        if hit is not None:
                            found.add(hit)
        if not spelled and keys:
            return self._by_prefix(text)
        # "checkoutservice" also names "checkout" when both exist: keep the longest spelling.
        longest = {n for n in found if not any(n != m and normal(n) in normal(m) for m in found)}
        return next(iter(longest)) if len(longest) == 1 else None

    def _by_prefix(self, text: str) -> str | None:
        """The one service a key's leading word begins the name of, when no name is spelled out
        whole: the OpenTelemetry demo's ``imageSlowLoad`` switches ``image-provider``. Only keys
        (a camelCase or dashed word of two parts or more) are read, and only their first part, of
        at least :data:`_MIN_PREFIX` letters: that is where a key names its subject."""
        found: set[str] = set()
        for word in text.split():
            tokens = _TOKEN.findall(word)
            if len(tokens) < 2:
                continue
            head = tokens[0].lower()
            if len(head) < _MIN_PREFIX or not head.isalpha():
                continue
            keys = self._sorted_keys()
            i = bisect_left(keys, head)
            while i < len(keys) and keys[i].startswith(head):
                name = self._by[keys[i]]
                if name is None:  # a spelling two services share
                    return None
                found.add(name)
                if len(found) > 1:
                    return None
                i += 1
        return next(iter(found)) if len(found) == 1 else None

    def _sorted_keys(self) -> list[str]:
        if self._keys is None:
            self._keys = sorted(self._by)
        return self._keys
