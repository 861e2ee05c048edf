"""The escalation connector reads our YAML format and says exactly where a file is wrong."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from opscontext.capabilities import capabilities_of
from opscontext.errors import SourceDataError, SourceError
from opscontext.models import EscalationPolicy, EscalationStep
from opscontext.registry import ConnectorContext
from opscontext_connectors.escalation import EscalationConfig, EscalationConnector, spec
from opscontext_connectors.escalation.wire import parse_duration

pytestmark = pytest.mark.anyio

DATA = Path(__file__).parent / "data" / "escalation"
FORMAT_MD = Path(__file__).parents[2] / "connectors" / "opscontext_connectors" / "escalation" / "FORMAT.md"


def connector(path: Path) -> EscalationConnector:
    config = EscalationConfig(type="escalation", path=path)
    return EscalationConnector(ConnectorContext(name="policies", config=config))


def by_name(policies: list[EscalationPolicy]) -> dict[str, EscalationPolicy]:
    return {p.name: p for p in policies}


def write(tmp_path: Path, body: str, name: str = "escalation.yaml") -> Path:
    path = tmp_path / name
    path.write_text(body)
    return path


async def test_policy_file_parses_into_steps_with_targets_kinds_and_contacts() -> None:
    policies = by_name(await connector(DATA / "escalation.yaml").escalation_policies())
    assert policies["payments-default"] == EscalationPolicy(
        name="payments-default",
        team="payments",
        services=(),
        steps=(
            EscalationStep(after_minutes=0, target="payments-primary", kind="schedule"),
            EscalationStep(
                after_minutes=15,
                target="Platform lead (Ravi Shah)",
                kind="person",
                contact="+1-555-0100",
            ),
            EscalationStep(after_minutes=30, target="Director of Engineering", kind="role"),
            EscalationStep(
                after_minutes=45,
                target="Stripe vendor bridge",
                kind="vendor",
                contact="https://support.example.com/bridge",
            ),
        ),
        source="policies",
    )


async def test_steps_written_out_of_order_come_back_sorted_by_threshold() -> None:
    ledger = by_name(await connector(DATA / "escalation.yaml").escalation_policies())[
        "payments-ledger"
    ]
    assert [(s.after_minutes, s.target) for s in ledger.steps] == [
        (0, "payments-primary"),
        (10, "dba-oncall"),
        (60, "Head of Data"),
    ]
    assert ledger.services == ("ledger-db",)


@pytest.mark.parametrize(
    ("written", "minutes"),
    [("0m", 0), ("15m", 15), ("1h", 60), ("1h30m", 90), ("45 min", 45), ("2 h", 120), (20, 20),
     ("25", 25)],
)
def test_duration_forms_all_mean_minutes(written: str | int, minutes: int) -> None:
    assert parse_duration(written) == minutes


async def test_directory_merges_every_yaml_file_and_document_recursively() -> None:
    policies = by_name(await connector(DATA).escalation_policies())
    assert set(policies) == {
        "payments-default",
        "payments-ledger",
        "search-default",
        "checkout-default",
        "checkout-payments-edge",
    }
    checkout = policies["checkout-default"]
    assert [(s.after_minutes, s.kind) for s in checkout.steps] == [(0, "schedule"), (5, "person")]
    assert policies["search-default"].steps[-1].after_minutes == 90
    edge = policies["checkout-payments-edge"]
    assert (edge.team, edge.services) == (None, ("checkout-api", "payments-gateway"))


POLICY_HEAD = "policies:\n  - name: payments-default\n    team: payments\n    steps:\n"


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        (
            "      - after: -5m\n        target: a\n",
            r"policy 'payments-default': step 1: threshold '-5m' is negative",
        ),
        (
            "      - after_minutes: -5\n        target: a\n",
            r"policy 'payments-default': step 1: threshold -5 minutes is negative",
        ),
        (
            "      - after: 0m\n        target: a\n      - after: 90s\n        target: b\n",
            r"policy 'payments-default': step 2: threshold '90s' is not a duration",
        ),
        (
            "      - after: 0m\n        target: a\n        kind: pager\n",
            r"policy 'payments-default': step 1: kind: unknown kind 'pager' \(expected one of",
        ),
        (
            "      - after: 0m\n        kind: person\n",
            r"policy 'payments-default': step 1: target: missing",
        ),
        (
            "      - after: 0m\n        target: '  '\n",
            r"policy 'payments-default': step 1: target: target is empty",
        ),
        (
            "      - after: 15m\n        target: a\n      - after: 0m\n        target: b\n"
            "      - after_minutes: 15\n        target: c\n",
            r"policy 'payments-default': steps 1 and 3 both engage after 15m",
        ),
        (
            "      - target: a\n",
            r"policy 'payments-default': step 1: missing threshold",
        ),
        (
            "      - after: 0m\n        target: a\n        contcat: x\n",
            r"policy 'payments-default': step 1: contcat: unknown key",
        ),
    ],
    ids=["negative", "negative-minutes", "seconds", "unknown-kind", "no-target", "blank-target",
         "duplicate-threshold", "no-threshold", "misspelt-key"],
)
async def test_invalid_step_is_reported_with_file_policy_and_step(
    tmp_path: Path, steps: str, expected: str
) -> None:
    path = write(tmp_path, POLICY_HEAD + steps + GOOD_POLICY)
    source = connector(path)
    # One bad policy is left out alone: the other teams keep their escalation.
    assert set(by_name(await source.escalation_policies())) == {"orders-default"}
    (problem,) = source.problems().problems
    assert problem.where == path.name and not problem.skipped  # named as a person finds it
    assert re.match(expected, problem.reason) and problem.reason.endswith("; this policy is left out")


GOOD_POLICY = "  - name: orders-default\n    team: orders\n    steps:\n      - after: 0m\n        target: o\n"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("policies:\n  - name: lonely\n    steps:\n      - after: 0m\n        target: a\n",
         r"policy 'lonely': names neither `team` nor `services`"),
        ("policies:\n  - name: empty\n    team: t\n    steps: []\n", r"policy 'empty': steps: "),
        ("policies:\n  - team: t\n    steps:\n      - after: 0m\n        target: a\n",
         r"policy #1: name: missing"),
    ],
    ids=["unscoped", "no-steps", "unnamed"],
)
async def test_an_invalid_policy_is_left_out_and_reported_the_rest_kept(
    tmp_path: Path, body: str, expected: str
) -> None:
    path = write(tmp_path, body + GOOD_POLICY)
    source = connector(path)
    assert set(by_name(await source.escalation_policies())) == {"orders-default"}
    assert [bool(re.match(expected, p.reason)) for p in source.problems().problems] == [True]


async def test_a_left_out_policy_is_still_reported_when_its_file_is_reused(tmp_path: Path) -> None:
    """Per-file reads are kept for unchanged files; what they left out must be reported again."""
    bad = write(tmp_path, POLICY_HEAD + "      - target: a\n", name="a.yaml")
    write(tmp_path, "policies:\n" + GOOD_POLICY, name="b.yaml")
    source = connector(tmp_path)
    await source.escalation_policies()
    (tmp_path / "b.yaml").write_text("policies:\n" + GOOD_POLICY.replace("orders", "shipping"))
    os.utime(tmp_path / "b.yaml", (1, 1))  # a new stamp, whatever the clock's resolution
    assert set(by_name(await source.escalation_policies())) == {"shipping-default"}
    assert [p.where.rsplit("/", 1)[-1] for p in source.problems().problems] == [bad.name]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("apiVersion: opscontext.io/v2\npolicies: []\n",
         r"apiVersion: apiVersion 'opscontext.io/v2' is not supported"),
        ("- just\n- a list\n", r"expected a mapping with `policies`, found list"),
        ("policies: [\n", r"not valid YAML"),
    ],
    ids=["wrong-version", "not-a-mapping", "bad-yaml"],
)
async def test_invalid_file_is_a_data_error_naming_the_file(
    tmp_path: Path, body: str, expected: str
) -> None:
    path = write(tmp_path, body)
    with pytest.raises(SourceDataError, match=expected) as info:
        await connector(path).escalation_policies()
    assert path.name in str(info.value)


async def test_policy_defined_in_two_files_names_both(tmp_path: Path) -> None:
    shutil.copy(DATA / "escalation.yaml", tmp_path / "a.yaml")
    shutil.copy(DATA / "escalation.yaml", tmp_path / "b.yaml")
    with pytest.raises(SourceDataError, match=r"'payments-default' is defined twice") as info:
        await connector(tmp_path).escalation_policies()
    assert "a.yaml" in str(info.value) and "b.yaml" in str(info.value)


async def test_edits_are_picked_up_on_the_next_call(tmp_path: Path) -> None:
    path = tmp_path / "escalation.yaml"
    shutil.copy(DATA / "escalation.yaml", path)
    policies = connector(path)
    before = by_name(await policies.escalation_policies())["payments-default"]
    assert before.steps[1].after_minutes == 15
    path.write_text(path.read_text().replace("after: 15m", "after: 20m"))
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000_000))
    after = by_name(await policies.escalation_policies())["payments-default"]
    assert after.steps[1].after_minutes == 20


async def test_empty_file_declares_no_policies(tmp_path: Path) -> None:
    assert await connector(write(tmp_path, "")).escalation_policies() == []


async def test_missing_path_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"nowhere\.yaml"):
        await connector(tmp_path / "nowhere.yaml").escalation_policies()


async def test_directory_without_yaml_is_a_data_error(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("moved to the wiki\n")
    with pytest.raises(SourceDataError, match=r"no \*\.yaml or \*\.yml files"):
        await connector(tmp_path).escalation_policies()


async def test_check_counts_policies_steps_and_teams() -> None:
    answer = await connector(DATA).check()
    assert answer == "5 escalation policies, 12 steps, for 3 team(s)"


def test_spec_declares_escalation_and_a_valid_example() -> None:
    assert capabilities_of(spec.factory) == ["escalation"]
    assert spec.config_model is EscalationConfig
    assert EscalationConfig.model_validate(spec.example).path == Path("escalation.yaml")
    assert spec.cacheable is False


async def test_format_reference_example_is_itself_valid(tmp_path: Path) -> None:
    example = FORMAT_MD.read_text().split("```yaml\n", 1)[1].split("```", 1)[0]
    policies = await connector(write(tmp_path, example)).escalation_policies()
    assert [p.name for p in policies] == ["payments-default", "payments-ledger"]
