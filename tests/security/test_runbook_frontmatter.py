"""Hostile runbook front matter: an alias bomb costs one file, not the source or the machine, and
a secret in a field of the wrong shape never comes out through an answer, a source's status or
doctor. Validation errors of any data file read as the field and what it should be, never the
input value pydantic's own message quotes."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError, field_validator

from opscontext.doctor import run_checks
from opscontext.errors import SourceDataError
from opscontext.files import Load, Reloading
from opscontext.models import SourceState, SourceStatus
from opscontext.problems import LoadReport, Problem, reason_of
from opscontext.queries.get_runbook import get_runbook
from tests.security.conftest import app_for

pytestmark = pytest.mark.anyio

# The outside tester's ~600-byte "billion laughs": 9^9 strings once the aliases are expanded.
BOMB = "".join(
    f"x{i}: &{i} [{', '.join(['lol'] * 9) if i == 'a' else ', '.join([f'*{p}'] * 9)}]\n"
    for p, i in zip(" abcdefgh", "abcdefghi", strict=True)
)
# The tester's r_sec case: secrets in front matter fields that expect names or a title.
LEAK = "---\ntitle: leak\nservices: [payment-service]\nalerts:\n  db_password: SECRET_RB_PW_123\n" \
       "  api_token: SECRET_RB_TOKEN\n---\n# leak\n## Steps\nfoo\n"
LEAK_TITLE = "---\ntitle: {token: SECRET_TITLE_TOKEN}\nservices: [payment-service]\n---\n# leak\n## Steps\nfoo\n"


class Labels(BaseModel):
    alerts: tuple[str, ...] = ()
    port: int = 0

    @field_validator("port", mode="before")
    @classmethod
    def _port(cls, value: object) -> object:
        if value == "explain":
            raise ValueError("password=hunter2hunter2 is not a port")  # a message quoting its data
        return value


def rejected(data: dict[str, object]) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        Labels.model_validate(data)
    return info.value


def runbooks_status(sources: list[SourceStatus]) -> SourceStatus:
    return next(s for s in sources if s.source == "runbooks")


def test_a_validation_error_reads_as_the_field_and_what_was_expected_never_the_input() -> None:
    exc = rejected({"alerts": {"db_password": "SECRET_RB_PW_123", "api_token": "SECRET_RB_TOKEN"}})
    assert "SECRET_RB" in str(exc) and "pydantic.dev" in str(exc)  # what pydantic's own text holds
    assert reason_of(exc) == "`alerts`: Input should be a valid tuple"


def test_a_validation_reason_counts_the_other_errors_and_masks_a_secret_a_message_quotes() -> None:
    reason = reason_of(rejected({"alerts": ["a", ["SECRET_RB_TOKEN"]], "port": "explain"}))
    assert reason == "`alerts.1`: Input should be a valid string (and 1 more)"
    reason = reason_of(rejected({"port": "explain"}))
    assert reason == "`port`: password=[REDACTED] is not a port"


def test_a_field_named_like_a_secret_is_named_in_full() -> None:
    class Step(BaseModel):
        design: str
        routing_key: str

    with pytest.raises(ValidationError) as info:
        Step.model_validate({"routing_key": 7})
    assert reason_of(info.value) == "`design`: Field required (and 1 more)"


def test_a_connector_reason_quoting_a_secret_is_masked_in_the_load_summary() -> None:
    report = LoadReport(4, (Problem("slos/a.yaml", "apiVersion 'api_token=SECRET_RB_TOKEN' is not read"),))
    assert report.summary() == "1 of 4 files failed: slos/a.yaml: apiVersion 'api_token=[REDACTED]' is not read"


async def test_a_secret_in_runbook_front_matter_never_reaches_get_runbook_or_doctor(world: Path) -> None:
    (world / "runbooks" / "leak.md").write_text(LEAK)
    (world / "runbooks" / "leak2.md").write_text(LEAK_TITLE)
    async with app_for(world) as app:
        answer = await get_runbook(app, service="payment-service")
        checks = {c.instance: c for c in await run_checks(app)}
    text = answer.model_dump_json() + checks["runbooks"].model_dump_json()
    assert answer.runbooks, "the other runbooks are still served"
    for secret in ("SECRET_RB_PW_123", "SECRET_RB_TOKEN", "SECRET_TITLE_TOKEN", "input_value", "pydantic.dev"):
        assert secret not in text
    status = runbooks_status(answer.sources)
    assert status.state is SourceState.DEGRADED
    assert status.detail is not None
    assert "runbooks/leak.md: `alerts`: expected a list of names or one comma-separated string, found a mapping" \
        in status.detail
    assert "runbooks/leak2.md: `title`: expected one line of text, found a mapping" in status.detail
    assert checks["runbooks"].state is SourceState.DEGRADED


@pytest.mark.parametrize("field", ["services", "title"])
async def test_an_alias_bomb_in_one_runbook_leaves_the_others_served_and_the_source_degraded(
    world: Path, field: str
) -> None:
    (world / "runbooks" / "bomb.md").write_text(f"---\n{BOMB}{field}: *i\n---\n# bomb\n## Steps\nx\n")
    async with app_for(world) as app:
        answer = await get_runbook(app, service="payment-service")
    assert answer.runbooks and all("bomb" not in hit.title for hit in answer.runbooks)
    status = runbooks_status(answer.sources)
    assert status.state is SourceState.DEGRADED
    assert status.detail is not None and "runbooks/bomb.md: line " in status.detail
    assert "expands to more than 10,000 values, each alias (*name) counted in full" in status.detail
    assert any("runbooks/bomb.md" in note for note in answer.notes)


async def test_a_validation_error_escaping_a_whole_source_parse_does_not_quote_its_data(tmp_path: Path) -> None:
    """Reloading turns any parse error into a data error naming the path: from str(exc), a
    pydantic error quoted the input (here a token) into every answer and doctor."""
    class Strict(BaseModel):
        port: int

    (tmp_path / "a.txt").write_text("x\n")

    def parse(load: Load) -> Strict:
        return Strict.model_validate({"port": {"api_token": "tok_live_8f3a9c2e7b1d4f6a"}})

    source = Reloading(tmp_path, parse, instance="t", patterns=("*.txt",))
    with pytest.raises(SourceDataError) as info:
        await source.get()
    message = str(info.value)
    assert "`port`: Input should be a valid integer" in message
    assert "tok_live" not in message and "input_value" not in message and "pydantic.dev" not in message


def test_a_problem_reason_keeps_where_and_what_while_secret_shapes_are_masked() -> None:
    """The key: value rule of the masking read "policy 'auth-default': step 2" as a credential
    ("[REDACTED] 2") and "token-service.md: line 3" lost its line number."""
    report = LoadReport(2, (
        Problem("escalation.yaml", "policy 'auth-default': step 2: target: target is empty", skipped=False),
        Problem("runbooks/token-service.md", "line 3: did not find expected ','"),
        Problem("x.yaml", "api_token=abcdef123456 and Authorization: Bearer abcdefghijkl", skipped=False),
    ))
    summary = report.summary()
    assert "policy 'auth-default': step 2: target: target is empty" in summary
    assert "runbooks/token-service.md: line 3: did not find" in summary
    assert "abcdef123456" not in summary and "abcdefghijkl" not in summary
