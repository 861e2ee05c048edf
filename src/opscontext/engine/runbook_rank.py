"""Rank runbooks for a service, an alert and/or free text, and pick the section that applies.

Scoring is additive and explainable: a runbook declared for the service (or an alias of it)
scores highest, a declared alert name next, then text relevance (BM25 over title, tags and
section text). The excerpt is the best-matching section, so "runbook section 3 applies" is an
answer, not a hunt.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from opscontext.memo import IdentityMemo
from opscontext.models import Runbook, RunbookSection

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset("a an and are as at be by for from has how if in is it of on or the to when with what why".split())

SERVICE_WEIGHT = 10.0
ALERT_WEIGHT = 8.0
TEXT_WEIGHT = 3.0


def tokens(text: str) -> list[str]:
    words = _WORD.findall(text.lower())
    # CamelCase alert names ("PaymentLatencyHigh") also match their parts.
    return [w for w in words if w not in _STOP]


def split_camel(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)


@dataclass
class Ranked:
    runbook: Runbook
    score: float
    matched_on: list[str] = field(default_factory=list)
    section: RunbookSection | None = None


class _Bm25:
    def __init__(self, docs: Sequence[list[str]], k1: float = 1.2, b: float = 0.75):
        self.docs = [Counter(d) for d in docs]
        self.lengths = [len(d) for d in docs]
        self.avg = (sum(self.lengths) / len(docs)) if docs else 1.0
        df: Counter[str] = Counter()
        for d in self.docs:
            df.update(d.keys())
        n = len(docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self.k1, self.b = k1, b

    def score(self, i: int, query: Sequence[str]) -> float:
        doc, total = self.docs[i], 0.0
        norm = self.k1 * (1 - self.b + self.b * self.lengths[i] / (self.avg or 1.0))
        for t in set(query):
            f = doc.get(t, 0)
            if f:
                total += self.idf.get(t, 0.0) * f * (self.k1 + 1) / (f + norm)
        return total


def rank(
    runbooks: Sequence[Runbook],
    *,
    service: str | None = None,
    alert: str | None = None,
    query: str | None = None,
    resolve: Callable[[str], str | None] = lambda s: s,
) -> list[Ranked]:
    """Runbooks scoring above zero, best first. ``resolve`` maps declared service names to canonical."""
    query_terms = tokens(" ".join(filter(None, [query, split_camel(alert) if alert else None])))
    bm25 = _Bm25([_DOC_TOKENS.get(rb, _doc_tokens) for rb in runbooks])
    out: list[Ranked] = []
    for i, rb in enumerate(runbooks):
        r = Ranked(rb, 0.0)
        if service and any(resolve(s) == service for s in rb.services):
            r.score += SERVICE_WEIGHT
            r.matched_on.append(f"service {service}")
        if alert and any(a.lower() == alert.lower() for a in rb.alerts):
            r.score += ALERT_WEIGHT
            r.matched_on.append(f"alert {alert}")
        if query_terms:
            text = bm25.score(i, query_terms)
            if text > 0:
                r.score += TEXT_WEIGHT * text / (1 + text)  # bounded: text never outranks a declared match
                r.matched_on.append("text")
        if r.score > 0:
            r.section = best_section(rb, query_terms, alert)
            out.append(r)
    out.sort(key=lambda r: (-r.score, r.runbook.title))
    return out


def best_section(rb: Runbook, query_terms: Sequence[str], alert: str | None) -> RunbookSection | None:
    if not rb.sections:
        return None
    if alert:
        for s in rb.sections:
            if alert.lower() in (s.heading + " " + s.body).lower():
                return s
    if query_terms:
        bm25 = _SECTIONS.get(rb, _sections_index)
        scores = [bm25.score(i, query_terms) for i in range(len(rb.sections))]
        best = max(range(len(scores)), key=lambda i: scores[i])
        if scores[best] > 0:
            return rb.sections[best]
    return rb.sections[0]


# A file source hands back the same runbook objects while its files are unchanged, and every
# get_runbook or incident_context call ranks all of them: each runbook's words are read, and its
# sections indexed, once.
_DOC_TOKENS: IdentityMemo[Runbook, list[str]] = IdentityMemo()
_SECTIONS: IdentityMemo[Runbook, _Bm25] = IdentityMemo()


def _doc_tokens(rb: Runbook) -> list[str]:
    return tokens(_doc_text(rb))


def _sections_index(rb: Runbook) -> _Bm25:
    """BM25 over one runbook's sections (each heading counted twice)."""
    return _Bm25([tokens(s.heading + " " + s.heading + " " + s.body) for s in rb.sections])


def _doc_text(rb: Runbook) -> str:
    parts = [rb.title, rb.title, " ".join(rb.tags), " ".join(split_camel(a) for a in rb.alerts), rb.summary or ""]
    parts += [s.heading + " " + s.body for s in rb.sections]
    return " ".join(parts)
