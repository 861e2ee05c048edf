"""Shared-cache entries are JSON of allowlisted domain models, optionally signed; never pickle."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta

import pytest

from opscontext.app import open_app
from opscontext.cache import Entry, MemoryCache
from opscontext.cache_codec import CodecError, decode, encode
from opscontext.models import Alert, TimeWindow
from opscontext.problems import Partial
from opscontext.settings import load
from tests.conftest import FIXTURES

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
METHODS = {
    "catalog": (),
    "edges": (),
    "runbooks": (),
    "escalation_policies": (),
    "on_call": (NOW,),
}


async def test_every_demo_source_answer_survives_the_round_trip_unchanged() -> None:
    window = TimeWindow(since=NOW - timedelta(days=2), until=NOW)
    async with open_app(load(FIXTURES / "demo" / "opscontext.toml"), cache=MemoryCache(), clock=lambda: NOW) as app:
        checked = 0
        for inst in app.registry.instances:
            for method, args in [*METHODS.items(), ("alerts", (window,)), ("changes", (window,))]:
                if not hasattr(inst.connector, method):
                    continue
                value = await getattr(inst.connector, method)(*args)
                back = decode(encode(Entry(value, 123.5)))
                assert back.value == value and back.stored_at == 123.5, (inst.name, method)
                checked += 1
    assert checked >= 7


def test_a_signed_entry_is_refused_under_another_key_or_without_one() -> None:
    entry = Entry([Alert(fingerprint="f", alertname="A", starts_at=NOW)], 1.0)
    raw = encode(entry, b"k1")
    assert decode(raw, b"k1") == entry
    with pytest.raises(CodecError):
        decode(raw, b"k2")
    with pytest.raises(CodecError):
        decode(encode(entry), b"k1")  # an unsigned entry where signatures are required


def test_pickles_and_unknown_types_are_refused_never_loaded() -> None:
    with pytest.raises(CodecError):
        decode(pickle.dumps(Entry([], 1.0)))
    with pytest.raises(CodecError):
        decode(b'{"at": 1, "model": "Popen", "many": false, "data": {}}')
    with pytest.raises(CodecError):
        encode(Entry({"not": "a model"}, 1.0))


def test_an_empty_answer_round_trips() -> None:
    assert decode(encode(Entry([], 2.0))) == Entry([], 2.0)


def test_a_partial_load_keeps_its_problem_summary_through_the_round_trip() -> None:
    entry = Entry(Partial([Alert(fingerprint="f", alertname="A", starts_at=NOW)], "2 of 3 files failed"), 4.0)
    back = decode(encode(entry))
    assert isinstance(back.value, Partial) and back.value == entry.value
