"""Runbook ranking: a declared service first, then alert and text relevance, and the section
that applies; each runbook's words are read once while it is the same object."""

from __future__ import annotations

import pytest

from opscontext.engine import runbook_rank
from opscontext.engine.runbook_rank import rank
from opscontext.models import Runbook, RunbookSection


def book(title: str, services: list[str], *sections: tuple[str, str]) -> Runbook:
    parts = [RunbookSection(heading=h, anchor=h.lower().replace(" ", "-"), body=b) for h, b in sections]
    return Runbook(title=title, location=f"{title}.md", services=services, sections=parts)


PAYMENTS = book("payment-service", ["payment-service"],
                ("1. Overview", "What the service does."),
                ("2. Database failover", "When the primary database is unreachable, promote the replica."),
                ("3. Bad deploy / rollback", "Errors right after a deploy: roll back with the pipeline."))
CHECKOUT = book("checkout-service", ["checkout-service"], ("1. Overview", "Checkout flow and its queues."))


def test_the_declared_service_leads_and_the_query_picks_the_section() -> None:
    got = rank([CHECKOUT, PAYMENTS], service="payment-service", query="rollback bad deploy")
    assert got[0].runbook is PAYMENTS and got[0].section is not None
    assert got[0].section.heading == "3. Bad deploy / rollback"
    failover = rank([CHECKOUT, PAYMENTS], service="payment-service", query="database replica failover")
    assert failover[0].section is not None and failover[0].section.heading == "2. Database failover"


def test_a_runbook_is_tokenised_once_and_an_edited_one_is_read_anew(monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[str] = []
    real = runbook_rank.tokens

    def counting(text: str) -> list[str]:
        read.append(text)
        return real(text)

    monkeypatch.setattr(runbook_rank, "tokens", counting)
    books = [book(f"svc-{i}", [f"svc-{i}"], ("1. Steps", f"restart worker pool {i}")) for i in range(3)]
    rank(books, query="restart worker")
    first = len(read)
    rank(books, query="restart worker")
    assert len(read) - first == 1, "only the query is read again"
    edited = books[0].model_copy(update={"sections": [RunbookSection(heading="1. Steps", anchor="1-steps",
                                                                     body="drain the kafka consumer")]})
    got = rank([edited, *books[1:]], query="kafka consumer drain")
    assert got and got[0].runbook is edited and got[0].section is not None
    assert "kafka" in got[0].section.body
