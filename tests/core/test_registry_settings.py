from pathlib import Path

import pytest

from opscontext.errors import ConfigError
from opscontext.registry import discover
from opscontext.settings import load


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "opscontext.toml"
    p.write_text(text)
    return p


def test_environment_overrides_a_field_of_a_configured_instance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = write(tmp_path, '[connectors.alerts]\ntype = "alertmanager"\npath = "a.json"\n')
    monkeypatch.setenv("OPSCONTEXT_CONNECTORS__ALERTS__PATH", "/elsewhere/b.json")
    settings = load(cfg)
    assert settings.connectors["alerts"] == {"type": "alertmanager", "path": "/elsewhere/b.json"}
    assert settings.base_dir == tmp_path


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load(write(tmp_path, "[connectors\n"))


def test_unknown_top_level_key_is_rejected_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="conectors"):
        load(write(tmp_path, "[conectors.x]\ntype='a'\n"))


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load(tmp_path / "nope.toml")


def test_unknown_connector_type_names_instance_and_field() -> None:
    from opscontext.registry import Registry

    with pytest.raises(ConfigError) as info:
        Registry.build({"mycmdb": {"type": "cmdbx"}})
    assert "connectors.mycmdb.type" in str(info.value)
    assert "unknown connector type 'cmdbx'" in str(info.value)


def test_a_misspelt_connector_field_fails_at_start_up_naming_it() -> None:
    from opscontext.registry import Registry

    with pytest.raises(ConfigError) as info:
        Registry.build({"alerts": {"type": "alertmanager", "path": "x.json", "pathh": "typo"}})
    assert "connectors.alerts.pathh" in str(info.value)


def test_builtin_connectors_are_discovered_through_entry_points() -> None:
    specs = discover()
    for expected in ("backstage", "alertmanager", "cdevents", "runbooks", "ical", "escalation"):
        assert expected in specs, f"{expected} connector not registered"


def test_demo_world_config_is_found_without_any_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("OPSCONTEXT_CONFIG", raising=False)
    settings = load(None)
    assert settings.world.time_anchor is not None
    assert {"catalog", "alerts"} <= set(settings.connectors)


def test_env_override_reaches_an_instance_whose_name_has_capitals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = write(tmp_path, '[connectors.PagerDuty]\ntype = "pagerduty"\nurl = "https://api.pagerduty.com"\n')
    monkeypatch.setenv("OPSCONTEXT_CONNECTORS__PAGERDUTY__TOKEN", "sekret")
    settings = load(cfg)
    assert set(settings.connectors) == {"PagerDuty"}
    assert settings.connectors["PagerDuty"]["token"] == "sekret"


def test_a_relative_cache_path_is_relative_to_the_config_file(tmp_path: Path) -> None:
    settings = load(write(tmp_path, '[cache]\npath = "mycache"\n'))
    assert settings.cache.path == tmp_path / "mycache"
