from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

import opscontext_connectors.runbooks as runbooks
from opscontext.capabilities import capabilities_of
from opscontext.errors import SourceDataError, SourceUnavailableError
from opscontext.models import Runbook
from opscontext.registry import ConnectorContext
from opscontext_connectors.runbooks.connector import Runbooks, RunbooksConfig
from opscontext_connectors.runbooks.markdown import split

pytestmark = pytest.mark.anyio

DATA = Path(__file__).parent / "data" / "runbooks"


def make(path: Path, **extra: Any) -> Runbooks:
    config = RunbooksConfig.model_validate({"type": "runbooks", "path": path, **extra})
    return Runbooks(ConnectorContext(name="books", config=config))


async def by_location(connector: Runbooks) -> dict[str, Runbook]:
    return {r.location: r for r in await connector.runbooks()}


@pytest.fixture
def books_dir(tmp_path: Path) -> Path:
    shutil.copytree(DATA, tmp_path / "runbooks")
    return tmp_path / "runbooks"


def test_runbooks_is_a_runbook_source_read_from_files() -> None:
    assert capabilities_of(runbooks.spec.factory) == ["runbooks"]
    assert runbooks.spec.cacheable is False


async def test_locations_are_paths_relative_to_the_configured_directory() -> None:
    books = await by_location(make(DATA))
    assert sorted(books) == ["checkout-latency.md", "db-failover.md", "payments/card-auth-failures.md"]
    assert {r.source for r in books.values()} == {"books"}


async def test_front_matter_gives_title_services_alerts_and_tags() -> None:
    book = (await by_location(make(DATA)))["payments/card-auth-failures.md"]
    assert book.title == "Payment service: card authorisation failures"
    assert book.services == ("payment-service", "checkout-web")
    assert book.alerts == ("PaymentAuthErrorsHigh", "PaymentGatewayTimeouts")
    assert book.tags == ("payments", "tier-1")


async def test_sections_split_at_level_two_headings_with_github_anchors() -> None:
    book = (await by_location(make(DATA)))["payments/card-auth-failures.md"]
    assert [(s.heading, s.anchor) for s in book.sections] == [
        ("Symptoms", "symptoms"),
        ("Diagnose", "diagnose"),
        ("Mitigate: roll back the last deploy", "mitigate-roll-back-the-last-deploy"),
        ("Diagnose", "diagnose-1"),
    ]
    diagnose = book.sections[1].body
    # Shell comments inside the fence stay in the body; the ### subsection belongs to it too.
    assert "## this is a comment in a script, not a heading" in diagnose
    assert "### Gateway status" in diagnose
    assert "status.stripe.com" in diagnose
    assert book.sections[2].body.startswith("1. Find the last deployment")


async def test_text_before_the_first_section_is_the_summary_without_the_title() -> None:
    book = (await by_location(make(DATA)))["payments/card-auth-failures.md"]
    assert book.summary is not None
    assert book.summary.startswith("Use this when customers cannot pay by card.")
    assert "# Card authorisation failures" not in book.summary


async def test_without_front_matter_title_comes_from_the_first_heading_and_sections_from_h1() -> None:
    book = (await by_location(make(DATA)))["checkout-latency.md"]
    assert book.title == "Checkout latency"
    assert book.services == ()
    assert [(s.heading, s.anchor) for s in book.sections] == [
        ("Checkout latency", "checkout-latency"),
        ("Steps", "steps"),
        ("Escalate to platform", "escalate-to-platform"),
    ]
    assert book.sections[1].body == (
        "Look at the [checkout dashboard](https://grafana.example.com/d/checkout) p99 panel."
    )
    assert book.summary is None


async def test_title_falls_back_to_the_file_stem_and_names_may_be_comma_separated() -> None:
    book = (await by_location(make(DATA)))["db-failover.md"]
    assert book.title == "db-failover"
    assert book.services == ("payments-db", "ledger-db")
    assert book.alerts == ("PostgresPrimaryDown",)
    assert book.sections == ()
    assert book.summary == ("Promote the replica with `patronictl failover`, then confirm replication lag is zero.")


async def test_base_url_turns_locations_into_links() -> None:
    base = "https://github.com/example/runbooks/blob/main/"
    books = await by_location(make(DATA, base_url=base))
    assert f"{base}payments/card-auth-failures.md" in books


async def test_a_single_file_is_located_by_its_name() -> None:
    books = await make(DATA / "payments" / "card-auth-failures.md").runbooks()
    assert [b.location for b in books] == ["card-auth-failures.md"]


async def test_edits_are_seen_without_rebuilding_the_connector(books_dir: Path) -> None:
    connector = make(books_dir)
    assert "kafka-lag.md" not in await by_location(connector)
    (books_dir / "kafka-lag.md").write_text("---\nservices: [orders]\n---\n## Check lag\nrun it\n")
    book = (await by_location(connector))["kafka-lag.md"]
    assert (book.services, [s.anchor for s in book.sections]) == (("orders",), ["check-lag"])
    failover = books_dir / "db-failover.md"
    failover.write_text(failover.read_text().replace("ledger-db", "ledger-db, orders-db"))
    book = (await by_location(connector))["db-failover.md"]
    assert book.services == ("payments-db", "ledger-db", "orders-db")


async def test_an_edit_to_one_runbook_re_reads_that_file_alone(books_dir: Path) -> None:
    connector = make(books_dir)
    before = await by_location(connector)
    assert connector._files.parsed == len(before) > 2
    failover = books_dir / "db-failover.md"
    failover.write_text(failover.read_text().replace("ledger-db", "ledger-db, orders-db"))
    after = await by_location(connector)
    assert connector._files.parsed == 1
    assert after["db-failover.md"].services == ("payments-db", "ledger-db", "orders-db")
    assert {k: v for k, v in after.items() if k != "db-failover.md"} == {
        k: v for k, v in before.items() if k != "db-failover.md"}


async def test_a_missing_path_is_reported_unavailable(tmp_path: Path) -> None:
    with pytest.raises(SourceUnavailableError) as info:
        await make(tmp_path / "nowhere").runbooks()
    assert info.value.instance == "books"


async def test_a_corrupt_file_is_skipped_and_reported_as_a_problem_of_the_load(books_dir: Path) -> None:
    (books_dir / "broken.md").write_text("---\nservices: [unclosed\n---\n# Broken\n")
    (books_dir / "latin1.md").write_bytes("# Caf\xe9 outage\n".encode("latin-1"))
    connector = make(books_dir)
    assert len(await connector.runbooks()) == 3
    assert await connector.check() == "3 runbooks, 7 sections"
    summary = connector.problems().summary()
    assert "2 of 5 files failed" in summary
    assert "broken.md: line " in summary and "latin1.md: not UTF-8 text" in summary


async def test_a_source_where_no_file_can_be_read_is_a_data_error(tmp_path: Path) -> None:
    (tmp_path / "only.md").write_text("---\nservices: {a: [\n---\n")
    with pytest.raises(SourceDataError):
        await make(tmp_path).runbooks()


async def test_check_reports_counts() -> None:
    assert await make(DATA).check() == "3 runbooks, 7 sections"


def test_anchors_follow_github_rules_for_punctuation_code_and_links() -> None:
    doc = split("## Restart `payment-service` (safely)\nx\n## See [the docs](https://x)\ny\n## Ünïcode_ok 2\nz\n")
    assert [s.anchor for s in doc.sections] == [
        "restart-payment-service-safely",
        "see-the-docs",
        "ünïcode_ok-2",
    ]


def test_tilde_fences_also_hide_headings() -> None:
    doc = split("## One\n~~~\n## not a section\n~~~\n## Two\n")
    assert [s.heading for s in doc.sections] == ["One", "Two"]


# "Billion laughs": nine anchors, each a list of nine aliases of the one before; ~600 bytes of
# YAML that stand for 9^9 strings once the aliases are expanded.
BOMB = "".join(
    f"x{i}: &{i} [{', '.join(['lol'] * 9) if i == 'a' else ', '.join([f'*{p}'] * 9)}]\n"
    for p, i in zip(" abcdefgh", "abcdefghi", strict=True)
)


@pytest.mark.parametrize("field", ["services", "title", "tags"])
async def test_an_alias_bomb_in_front_matter_is_refused_and_the_other_runbooks_still_load(
    books_dir: Path, field: str
) -> None:
    (books_dir / "bomb.md").write_text(f"---\n{BOMB}{field}: *i\n---\n# Bomb\n## Steps\nx\n")
    connector = make(books_dir)
    assert sorted(await by_location(connector)) == [
        "checkout-latency.md", "db-failover.md", "payments/card-auth-failures.md"]
    summary = connector.problems().summary()
    assert summary.startswith("1 of 4 files failed: runbooks/bomb.md: line ")
    assert "expands to more than 10,000 values, each alias (*name) counted in full" in summary
    assert "lol" not in summary


def test_the_front_matter_budget_counts_expanded_aliases_not_text() -> None:
    from opscontext_connectors.runbooks.frontyaml import FrontMatterTooBig, parse

    # Five levels of nine stand for 9^5 = 59,049 values in a few lines: over the budget.
    small_bomb = "".join(BOMB.splitlines(keepends=True)[:5]) + "services: *e\n"
    with pytest.raises(FrontMatterTooBig):
        parse(f"---\n{small_bomb}---\nbody\n")
    with pytest.raises(FrontMatterTooBig, match="inside itself"):
        parse("---\nservices: &s [a, *s]\n---\nbody\n")
    # Aliases that repeat a little are ordinary YAML and still read.
    meta, body = parse("---\nservices: &s [a, b]\nalerts: *s\n---\nbody\n")
    assert (meta, body) == ({"services": ["a", "b"], "alerts": ["a", "b"]}, "body")


@pytest.mark.parametrize(
    ("front", "reason"),
    [
        ("title: {token: x}", "`title`: expected one line of text, found a mapping"),
        ("services: {a: 1}", "`services`: expected a list of names or one comma-separated string, found a mapping"),
        ("alerts: [A, [B, C]]", "`alerts`: expected a list of names, found a list as item 2"),
    ],
)
async def test_a_front_matter_field_of_the_wrong_shape_names_the_field_not_the_value(
    books_dir: Path, front: str, reason: str
) -> None:
    (books_dir / "odd.md").write_text(f"---\n{front}\n---\n# Odd\n")
    connector = make(books_dir)
    assert len(await connector.runbooks()) == 3
    summary = connector.problems().summary()
    assert summary == f"1 of 4 files failed: runbooks/odd.md: {reason}"
