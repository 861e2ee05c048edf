"""The hub cleans bulk answers and snapshots whole, without a memo entry per model."""

from __future__ import annotations

from opscontext.models import DependencyEdge, Service
from opscontext.redact import MASK
from opscontext.sanitize import Sanitizer

TOKEN = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"  # a GitHub token's shape


def services() -> list[Service]:
    return [
        Service(name="checkout", description=f"deploy with {TOKEN}", source="catalog"),
        Service(name="payments\u202e", description="clean", source="catalog"),
        Service(name="ledger", source="catalog"),
    ]


def test_a_whole_answer_is_cleaned_as_model_by_model_and_no_model_is_remembered() -> None:
    items = services()
    remembering, whole = Sanitizer(), Sanitizer().unremembered()
    expected, got = remembering(items), whole(items)
    assert [s.model_dump_json() for s in got] == [s.model_dump_json() for s in expected]
    assert MASK in (got[0].description or "") and got[1].name == "payments"
    assert got[2] is items[2]  # clean models are the source's own objects
    assert len(whole._memo) == 0 and len(remembering._memo) == 3


def test_the_whole_cleaner_shares_what_it_learns_about_strings() -> None:
    clean = Sanitizer()
    whole = clean.unremembered()
    edges = [DependencyEdge(dependent="checkout", dependency="payments", source="catalog")]
    assert whole(edges) is edges
    assert "checkout" in clean._seen  # learnt once, for both
