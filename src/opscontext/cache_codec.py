"""How cache entries travel through a shared cache: JSON, never pickle, optionally signed.

A Redis that several replicas share is a place other programs may write to. Unpickling what it
holds would run whatever code a writer put there, so entries are JSON: the stored time, the
name of a domain model from an allowlist (``opscontext.models``) and the model's JSON dump, read
back through pydantic validation (plus, for a partial load, its problems' summary). The worst a
stranger's entry can then do is carry wrong data; with ``cache.signing_key`` set, each entry
also carries an HMAC-SHA256 and one without a valid signature is a miss, so only holders of the
key can feed the replicas.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from functools import cache
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from opscontext import models
from opscontext.cache import Entry
from opscontext.problems import Partial

ALLOWED: dict[str, type[BaseModel]] = {
    name: cls
    for name, cls in vars(models).items()
    if isinstance(cls, type) and issubclass(cls, BaseModel) and cls.__module__ == models.__name__
}


class CodecError(ValueError):
    """An entry that cannot be trusted or read: the caller treats it as a miss."""


def encode(entry: Entry, key: bytes | None = None) -> bytes:
    """``entry`` as JSON bytes (signed when ``key`` is given). Raises CodecError for a value
    that is not a domain model or a list of them."""
    value, partial = entry.value, None
    if isinstance(value, Partial):  # a load with problems: the detail travels with the data
        value, partial = value.value, value.detail
    if isinstance(value, BaseModel):
        doc: dict[str, Any] = {"model": _name(value), "many": False, "data": value.model_dump(mode="json")}
    elif isinstance(value, list | tuple):
        names = {_name(v) for v in value}
        if len(names) > 1:
            raise CodecError(f"mixed list of {sorted(names)}")
        data = [v.model_dump(mode="json") for v in value]
        doc = {"model": names.pop() if names else None, "many": True, "data": data}
    else:
        raise CodecError(f"cannot store {type(value).__name__}")
    body = json.dumps({"at": entry.stored_at, "partial": partial, **doc}, separators=(",", ":")).encode()
    return _sign(body, key) + b"." + body if key else body


def decode(raw: bytes, key: bytes | None = None) -> Entry:
    """The entry ``encode`` made. Raises CodecError for a bad signature, an unknown model or data
    that does not validate."""
    body = raw
    if key:
        mac, _, body = raw.partition(b".")
        if not hmac.compare_digest(mac, _sign(body, key)):
            raise CodecError("signature does not match")
    try:
        doc = json.loads(body)
        name, data = doc["model"], doc["data"]
        if doc["many"]:
            value: Any = [] if name is None else _list_of(_model(name)).validate_python(data)
        else:
            value = _model(name).model_validate(data)
        partial = doc.get("partial")
        return Entry(value if partial is None else Partial(value, str(partial)), float(doc["at"]))
    except (ValueError, KeyError, TypeError, ValidationError) as exc:
        raise CodecError(str(exc)) from None


def _name(value: Any) -> str:
    name = type(value).__name__
    if ALLOWED.get(name) is not type(value):
        raise CodecError(f"{name} is not a domain model")
    return name


def _model(name: Any) -> type[BaseModel]:
    cls = ALLOWED.get(str(name))
    if cls is None:
        raise CodecError(f"unknown model {name!r}")
    return cls


@cache
def _list_of(cls: type[BaseModel]) -> TypeAdapter[list[Any]]:
    return TypeAdapter(list[cls])  # type: ignore[valid-type]


def _sign(body: bytes, key: bytes) -> bytes:
    return hmac.new(key, body, hashlib.sha256).hexdigest().encode()
