"""How many tokens an answer costs a model: tiktoken's ``o200k_base`` encoding (dev-only).

The method every token figure of this project uses (tests, ``benchmarks/answer_tokens.py``,
RESULTS.md): a tool answer is the JSON text of its structured content, serialised compactly
(``json.dumps`` with ``separators=(",", ":")``, non-ASCII kept), and counted with tiktoken's
``o200k_base``, the encoding of OpenAI's GPT-4o family. Other models' tokenizers differ by some
percent; o200k is a public, exact and reproducible stand-in. ``tools/list`` is counted the same
way, over each tool's name, title, description, input schema and output schema.

tiktoken fetches its encoding files over the network the first time; this machine (and CI) has
no route there. The file is therefore shipped beside this module, xz-compressed
(``data/o200k_base.tiktoken.xz``, 1.1 MB), and handed to tiktoken through its documented
offline mechanism, the ``TIKTOKEN_CACHE_DIR`` cache. tiktoken checks the file against the
SHA-256 it pins for ``o200k_base`` before using it, so a corrupt or different file fails loudly
instead of counting wrong. The server never imports this: at run time it budgets with the
conservative estimate in :mod:`opscontext.budget`, which tests check against these counts.
"""

from __future__ import annotations

import functools
import hashlib
import json
import lzma
import os
import tempfile
from pathlib import Path
from typing import Any

import tiktoken

ENCODING = "o200k_base"
# The blob path tiktoken keys its cache by (tiktoken_ext.openai_public); never fetched from here.
BLOB = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"
SHIPPED = Path(__file__).resolve().parent / "data" / "o200k_base.tiktoken.xz"


def _cache_dir() -> Path:
    """tiktoken's cache directory, set to a private one when the user has not chosen one."""
    chosen = os.environ.get("TIKTOKEN_CACHE_DIR")
    if chosen:
        return Path(chosen)
    path = Path(tempfile.gettempdir()) / "opscontext-tiktoken"
    os.environ["TIKTOKEN_CACHE_DIR"] = str(path)
    return path


@functools.cache
def encoding() -> tiktoken.Encoding:
    """tiktoken's ``o200k_base``, loaded from the shipped file (hash-checked by tiktoken)."""
    cache = _cache_dir()
    target = cache / hashlib.sha1(BLOB.encode()).hexdigest()
    if not target.exists():
        cache.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(lzma.decompress(SHIPPED.read_bytes()))
        partial.replace(target)  # atomic: a concurrent reader sees no half-written file
    return tiktoken.get_encoding(ENCODING)


def count(text: str) -> int:
    """o200k tokens in ``text`` (special-token look-alikes are counted as plain text)."""
    return len(encoding().encode(text, disallowed_special=()))


def as_text(value: Any) -> str:
    """The compact JSON text a structured answer is counted as."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def count_json(value: Any) -> int:
    """o200k tokens of ``value`` as compact JSON."""
    return count(as_text(value))
