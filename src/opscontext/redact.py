"""Keep secrets out of answers and logs.

Alert annotations, runbook bodies, change summaries, catalog links and log lines are written by
many hands and sometimes carry a token or a password. :func:`redact` masks every shape below; the
patterns favour false positives (a masked harmless string) over leaks. :func:`needs_redaction`
is a cheap test that is False for text none of them can match, so clean text costs one scan.

What stays on purpose: e-mail addresses and phone numbers (reaching people is the product),
timestamps, ids, hashes and ordinary URLs. Long digit runs are masked only when they look like a
card number: a known card prefix and a valid Luhn checksum.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re

from opscontext.textcut import shorten

MASK = "[REDACTED]"

# Words that make a key, header, env variable or query parameter name a secret.
_SECRET_WORD = (
    r"pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|"
    r"account[_-]?key|shared[_-]?access[_-]?key|routing[_-]?key|integration[_-]?key|service[_-]?key|"
    r"credentials?|auth(?!or)|signature|sig|session[_-]?id|cookie|sas|[_-]key"
)

# Whole tokens of known vendor shapes, masked outright.
_TOKENS = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)"
    r"|\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\b"  # AWS key ids
    r"|\bAIza[0-9A-Za-z_-]{35}\b"  # Google API keys
    r"|\bya29\.[0-9A-Za-z_-]{20,}"  # Google OAuth access tokens
    r"|\b[A-Za-z0-9_~.-]{3}8Q~[A-Za-z0-9_~.-]{31,34}"  # Azure AD client secrets
    r"|\bgh[pousr]_[A-Za-z0-9]{30,}\b|\bgithub_pat_[A-Za-z0-9_]{22,}\b"  # GitHub
    r"|\bgl(?:pat|dt|rt|ptt|oas|cbt|imt|ft|agent)-[A-Za-z0-9_-]{20,}"  # GitLab
    r"|\bxox[abposre]-[A-Za-z0-9-]{10,}|\bxapp-[A-Za-z0-9-]{10,}"  # Slack tokens
    r"|https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]+"  # Slack webhooks
    r"|\bdt0[a-z]\d{2}\.[A-Za-z0-9]{8,}(?:\.[A-Za-z0-9]{16,})?"  # Dynatrace tokens
    r"|\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}|\bwhsec_[A-Za-z0-9]{20,}"  # Stripe
    r"|\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}"  # sk- style API keys
    r"|\bSK[0-9a-fA-F]{32}\b|\bAC[0-9a-f]{32}\b"  # Twilio API key and account SIDs
    r"|\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}"  # SendGrid
    r"|\bnpm_[A-Za-z0-9]{36}\b"  # npm
    r"|\bpypi-[A-Za-z0-9_-]{50,}"  # PyPI
    r"|\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",  # JWTs
    re.S,
)
# `Authorization: Bearer x`, `Basic dXNlcjpwYXNz`, PagerDuty's `Token token=x`.
_AUTH_HEADER = re.compile(r"(?i)\b((?:bearer|basic|token|negotiate|digest)\s+(?:token=)?)[A-Za-z0-9._~+/=-]{8,}")
# key=value, key: value, "key": "value", KEY=value; the key stays so the reader knows what it was.
_ASSIGN = re.compile(
    r"(?i)(?<![\w.-])([\w.-]*(?:" + _SECRET_WORD + r")[\w.-]*[\"']?\s*(?:=|:)\s*(?:(?:bearer|basic|token)\s+)?)"
    # A value that is already the mask stays as it is: redacting twice must change nothing.
    r"(\"[^\"]*\"|'[^']*'|(?!\[REDACTED\](?:[\s&#\"'<>:;,)}\]]|$))[^\s,;&\"'<>)}\]]+)"
)
# The same with "=" only (key=value, KEY=value): diagnostics read "where: what", and a colon
# there is punctuation, not an assignment (redact_shapes).
_ASSIGN_EQ = re.compile(_ASSIGN.pattern.replace(r"(?:=|:)", "="))
# URL userinfo (scheme://user:password@host) and credential query parameters.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/?#\"']+@")
_QUERY = re.compile(
    r"(?i)([?&;](?:x-amz-[\w-]+|key|code|" + _SECRET_WORD + r"|[\w.-]*(?:token|secret|password))=)"
    r"(?!\[REDACTED\](?:[\s&#\"'<>:;,)}\]]|$))[^&#\s\"'<>]+"
)
# Digit runs that may be card numbers (checked with Luhn before masking).
_CARD = re.compile(r"(?<![\w.-])[2-6]\d{3}(?:[ -]?\d){9,15}(?![\w])")
# Standalone base64 of `user:password` (as echoed by servers that quote a Basic header); the
# pre-check only notices padded ones, so an unpadded one is caught when something else is there.
_B64 = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{12,}={0,2}(?![A-Za-z0-9+/=])")
_B64_CREDS = re.compile(r"[\x21-\x39\x3b-\x7e]{1,64}:[\x20-\x7e]{1,128}")

# A superset of every pattern above, run on lower-cased text: when it finds nothing, redact()
# would change nothing. Every branch starts with a literal, which keeps the scan cheap.
_TRIGGER = re.compile(
    r"(?:"
    + _SECRET_WORD.replace("(?!or)", "")
    + r"|akia|asia|agpa|aida|aroa|anpa|aiza|ya29\.|8q~|gh[pousr]_|github_pat"
    r"|gl[a-z]{2,5}-|xox|xapp-|hooks\.slack|dt0|sk_|rk_|pk_|whsec_|sk-|sg\.|npm_|pypi-|eyj|-----begin|bearer|basic"
    r"|negotiate|digest|x-amz-|://[^\s/?#]+@|&code=|\?code=|;code=|&key=|\?key=|;key=)"
)
_SHAPES = re.compile(r"[2-6]\d{3}(?:[ -]?\d){9,15}|[A-Za-z0-9+/]{10}={1,2}|[SA][KC][0-9a-fA-F]{32}")


def needs_redaction(text: str) -> bool:
    """False when :func:`redact` would return ``text`` unchanged (a cheap pre-check)."""
    return _remembered(text) if len(text) <= _REMEMBERED_LEN else _needs(text)


def _needs(text: str) -> bool:
    return _TRIGGER.search(text.lower()) is not None or _SHAPES.search(text) is not None


# Every answer's texts are checked before they leave, and the same names, summaries and labels
# come back call after call (a correlate_alerts page checks about 170): short ones are remembered.
_REMEMBERED_LEN = 512
_remembered = functools.lru_cache(maxsize=4096)(_needs)


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum card numbers carry."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"[ -]", "", match.group(0))
    return MASK if 13 <= len(digits) <= 19 and luhn_ok(digits) else match.group(0)


def _b64(match: re.Match[str]) -> str:
    token = match.group(0)
    if len(token) % 4 or not any(c.isdigit() or c in "+/=" for c in token):
        return token
    try:
        decoded = base64.b64decode(token, validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return token
    return MASK if _B64_CREDS.fullmatch(decoded) else token


def redact_query(url: str) -> str:
    """``url`` with userinfo and credential query values masked; other text untouched."""
    url = _USERINFO.sub(lambda m: m.group(1) + MASK + "@", url)
    return _QUERY.sub(lambda m: m.group(1) + MASK, url)


# A key ending in "tokens" with a whole number is a count (``max_tokens=600``, ``total_tokens: 1975``
# in an audit line or an LLM client's log), not a credential; the singular ``token=123456`` is
# still masked (a one-time code looks just like that).
_COUNT_KEY = re.compile(r"(?i)tokens[\"']?\s*[=:]\s*$")


def _assigned(m: re.Match[str]) -> str:
    key, value = m.group(1), m.group(2)
    count = value.strip("\"'")  # the audit line quotes every argument's value
    if value == MASK or (count.isdigit() and len(count) <= 9 and _COUNT_KEY.search(key)):
        return m.group(0)
    return key + MASK


def redact(text: str | None) -> str | None:
    """``text`` with every secret shape masked; None and clean text come back as they are."""
    return _masked(text, _ASSIGN)


def redact_shapes(text: str | None) -> str | None:
    """:func:`redact` with its assignment rule for ``key=value`` only, not ``key: value``: for
    diagnostics written as ``where: what``, where that form masks the text a person needs
    ("policy 'auth-default': step 2" read "[REDACTED] 2", "token-service.md: line 3" lost its
    line). Vendor tokens, keys, JWTs, credentials in URLs and Authorization values, card numbers
    and ``password=...`` are masked as by :func:`redact`."""
    return _masked(text, _ASSIGN_EQ)


def _masked(text: str | None, assign: re.Pattern[str]) -> str | None:
    if not text or not needs_redaction(text):
        return text
    text = _TOKENS.sub(MASK, text)
    text = redact_query(text)
    text = _AUTH_HEADER.sub(lambda m: m.group(1) + MASK, text)
    text = assign.sub(_assigned, text)
    text = _CARD.sub(_card, text)
    return _B64.sub(_b64, text)


def clip(text: str | None, limit: int) -> str | None:
    """Redacted and cut to ``limit`` characters at a word boundary, marking the cut."""
    text = redact(text)
    if text is None or len(text) <= limit:
        return text
    return shorten(text, limit)
