"""The README's connectors section says what the installed connectors really are and accept."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from opscontext.capabilities import CAPABILITIES
from opscontext.registry import discover, validate_config
from opscontext.settings import load

README = Path(__file__).resolve().parents[1] / "README.md"
SPECS = discover(distribution="opscontext")  # the built-ins; a plugin installed beside documents itself
CHECK = "✓"
SECRET_ENV = re.compile(r"OPSCONTEXT_CONNECTORS__([A-Z0-9_]+)__([A-Z0-9_]+)")


def connectors_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("\n### Connectors\n")
    end = text.index("\n## ", start)
    return text[start:end]


def table_rows() -> dict[str, dict[str, bool]]:
    """Connector type -> {capability: checked} from the section's markdown table."""
    lines = [line.strip() for line in connectors_section().splitlines() if line.strip().startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    rows: dict[str, dict[str, bool]] = {}
    for line in lines[2:]:  # past the header and the |---| rule
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        kind = cells[0].strip("`")
        assert kind not in rows, f"{kind} listed twice"
        rows[kind] = {cap: cell == CHECK for cap, cell in zip(header[1:], cells[1:], strict=True)}
        assert all(cell in ("", CHECK) for cell in cells[1:]), line
    assert header[1:] == list(CAPABILITIES), f"table columns {header[1:]}"
    return rows


def toml_examples() -> list[str]:
    return re.findall(r"```toml\n(.*?)```", connectors_section(), flags=re.DOTALL)


def test_the_table_lists_every_registered_connector_type_and_no_other() -> None:
    assert set(table_rows()) == set(SPECS)


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_each_type_is_checked_for_exactly_its_capabilities(kind: str) -> None:
    checked = {cap for cap, on in table_rows()[kind].items() if on}
    assert checked == set(SPECS[kind].capabilities)


def test_every_registered_type_has_a_toml_example() -> None:
    types = {m for block in toml_examples() for m in re.findall(r'^type = "([^"]+)"', block, flags=re.M)}
    assert types == set(SPECS)


@pytest.mark.parametrize("block", toml_examples(), ids=lambda b: re.findall(r'type = "([^"]+)"', b)[0])
def test_each_example_validates_with_its_secrets_from_the_environment(
    block: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The secrets the example names as environment overrides, set the way a user would.
    for instance, field in SECRET_ENV.findall(block):
        monkeypatch.setenv(f"OPSCONTEXT_CONNECTORS__{instance}__{field}", f"placeholder-{field.lower()}")
    (tmp_path / "opscontext.toml").write_text(block, encoding="utf-8")
    settings = load(tmp_path / "opscontext.toml")  # parses, and merges the environment in
    assert settings.connectors, "the example configures no connector"
    for name, raw in settings.connectors.items():
        config = validate_config(name, raw, SPECS)
        assert type(config) is SPECS[config.type].config_model
        for instance, field in SECRET_ENV.findall(block):
            if instance.lower() == name:
                secret = getattr(config, field.lower())
                assert secret.get_secret_value() == f"placeholder-{field.lower()}"
