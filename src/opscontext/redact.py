"""Keep secrets out of answers and logs.

Alert annotations, runbook bodies and change summaries are written by many hands and sometimes
carry a token or a password. Everything such text passes through ``redact`` before it reaches a
tool answer; the patterns favour false positives (a masked harmless string) over leaks.
"""

from __future__ import annotations

import re

_PATTERNS = [
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)", re.S),
    re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),  # AWS access key ids
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b"),  # GitHub tokens
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{22,}\b"),  # GitHub fine-grained tokens
    re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}\b"),  # GitLab tokens
    re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}\b"),  # API keys in the sk- style
    re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/]+"),  # Slack webhooks
    re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"),  # Slack tokens
    re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b"),  # JWTs
    re.compile(r"(?i)\b(bearer|token|basic)\s+[A-Za-z0-9._~+/=-]{16,}"),
]
# key=value / key: value where the key names a secret; the key stays so the reader knows.
_ASSIGN = re.compile(
    r"(?i)(?<![a-z])((?:api[_-]?key|apikey|secret|password|passwd|pwd|token|access[_-]?key|private[_-]?key|"
    r"client[_-]?secret|auth)[\w-]*\s*[=:]\s*(?:(?:bearer|basic|token)\s+)?)(\"[^\"]*\"|'[^']*'|[^\s,;&]+)"
)
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/:@]+:[^\s/]*@")

MASK = "[REDACTED]"


def redact(text: str | None) -> str | None:
    if not text:
        return text
    for pattern in _PATTERNS:
        text = pattern.sub(MASK, text)
    text = _ASSIGN.sub(lambda m: m.group(1) + MASK, text)
    return _URL_CREDENTIALS.sub(lambda m: m.group(1) + MASK + "@", text)


def clip(text: str | None, limit: int) -> str | None:
    """Redacted and cut to ``limit`` characters, marking the cut."""
    text = redact(text)
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"
