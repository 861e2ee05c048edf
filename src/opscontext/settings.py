"""Settings: one typed object built once at start-up from a TOML file and the environment.

Precedence (highest first): ``OPSCONTEXT_*`` environment variables (nested with ``__``, e.g.
``OPSCONTEXT_CONNECTORS__PAGERDUTY__TOKEN``), then the TOML file. The file is found by
``--config``, then ``$OPSCONTEXT_CONFIG``, then ``./opscontext.toml``, then
``~/.config/opscontext/config.toml``; with none of them, the built-in demo world is served.
Nothing below this layer reads ``os.environ``.
"""

from __future__ import annotations

import os
import tomllib
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, create_model
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from opscontext.capabilities import CAPABILITIES
from opscontext.capability import Capability
from opscontext.errors import ConfigError
from opscontext.promfamily import DEFAULT_SERVICE_LABELS
from opscontext.settings_http import HttpSettings

DEMO_DIR_IN_PACKAGE = Path(__file__).parent / "_demo"
DEMO_DIR_IN_CLONE = Path(__file__).resolve().parents[2] / "fixtures" / "demo"


class TtlBase(BaseModel):
    """Cache lifetimes per data family, in seconds. Stale data is still served when a source fails.

    One field per capability, made from the capability table (``TtlSettings``), plus ``stale_max``.
    """

    model_config = ConfigDict(extra="forbid")
    stale_max: float = Field(default=86_400, ge=0, description="Never serve data older than this.")

    def seconds(self, capability: str) -> float:
        """The configured lifetime of one capability's answers."""
        return float(getattr(self, capability))


def _ttl_field(capability: Capability[..., Any]) -> Any:
    return (float, Field(default=capability.ttl, ge=0, description=capability.ttl_doc or None))


if TYPE_CHECKING:
    TtlSettings = TtlBase
else:
    TtlSettings = create_model(
        "TtlSettings",
        __base__=TtlBase,
        __doc__=TtlBase.__doc__,
        **{name: _ttl_field(capability) for name, capability in CAPABILITIES.items()},
    )


class CacheSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    backend: Literal["disk", "memory", "none", "redis"] = Field(
        default="disk", description="disk: one process (the default); redis: several replicas share one cache."
    )
    path: Path | None = Field(default=None, description="diskcache directory; default: user cache dir.")
    url: str = Field(default="redis://127.0.0.1:6379/0", description="Redis URL (backend = redis).")
    password: SecretStr | None = Field(default=None, description="Redis password (never logged).")
    signing_key: SecretStr | None = Field(
        default=None, description="Sign Redis entries (HMAC-SHA256); replicas ignore entries without a valid one."
    )
    ttl: TtlSettings = Field(default_factory=TtlSettings)


class WorldSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = "default"
    # Replay mode, used by the demo: shift every timestamp the sources report by (now - anchor) so
    # a recorded incident is live whenever the server starts. Unset for real worlds.
    time_anchor: datetime | None = None


class IdentitySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Alert/change labels that may name a service, tried in order when resolving to the catalog.
    service_labels: list[str] = Field(default_factory=lambda: list(DEFAULT_SERVICE_LABELS))
    fuzzy_cutoff: float = Field(default=80, ge=0, le=100)


class LimitSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_window_days: float = Field(default=31, gt=0, description="Refuse time windows longer than this.")
    source_timeout_seconds: float = Field(default=15, gt=0, description="Upper bound per source per call.")
    call_timeout_seconds: float | None = Field(
        default=None,
        gt=0,
        description="One deadline for a whole tool call, however many fan-outs it makes; "
        "default: source_timeout_seconds, so one dead source costs a call that once, not per fan-out.",
    )
    breaker_failures: int = Field(
        default=3, ge=0, description="Consecutive failures or timeouts that open a source's circuit; 0: never."
    )
    breaker_cooldown_seconds: float = Field(
        default=30, gt=0, description="How long an open circuit skips its source before one trial request."
    )
    breaker_max_cooldown_seconds: float = Field(
        default=480, gt=0, description="The cool-down doubles after each failed trial, up to this."
    )

    def call_seconds(self) -> float:
        """The deadline of one tool call."""
        return self.call_timeout_seconds or self.source_timeout_seconds
    max_items: int = Field(default=50, ge=1, le=1000, description="Default cap on list lengths in answers.")
    answer_tokens: int = Field(
        default=2_000, ge=500, le=100_000,
        description="Token budget of a tool's answer (MCP and CLI) when the caller gives no explicit `limit`: "
        "lists are cut (each cut counted, with the argument that gets the rest) until the answer fits.",
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPSCONTEXT_", env_nested_delimiter="__", extra="forbid")

    connectors: dict[str, dict[str, Any]] = Field(default_factory=dict)
    cache: CacheSettings = Field(default_factory=CacheSettings)
    world: WorldSettings = Field(default_factory=WorldSettings)
    identity: IdentitySettings = Field(default_factory=IdentitySettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    log_level: str = "INFO"

    # Set by load(): directory relative paths resolve against, and the file read (if any).
    base_dir: Path = Path(".")
    config_file: Path | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment wins over the file (passed as init values), so secrets can stay out of it.
        return (env_settings, init_settings)


def demo_dir() -> Path:
    """The demo world: inside the installed package, or fixtures/demo in a clone."""
    for candidate in (DEMO_DIR_IN_PACKAGE, DEMO_DIR_IN_CLONE):
        if (candidate / "opscontext.toml").is_file():
            return candidate
    raise ConfigError("the built-in demo world is missing from this installation")


def find_config(explicit: Path | None, environ: dict[str, str] | None = None) -> Path | None:
    env = os.environ if environ is None else environ
    if explicit is not None:
        return explicit
    if env.get("OPSCONTEXT_CONFIG"):
        return Path(env["OPSCONTEXT_CONFIG"])
    for candidate in (Path("opscontext.toml"), Path.home() / ".config" / "opscontext" / "config.toml"):
        if candidate.is_file():
            return candidate
    return None


def load(config: Path | None = None, *, demo: bool = False) -> Settings:
    """Build settings from the chosen file (or the demo world) plus the environment."""
    path = demo_dir() / "opscontext.toml" if demo else find_config(config)
    if path is None:
        path = demo_dir() / "opscontext.toml"
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    data.pop("base_dir", None)
    data.pop("config_file", None)
    _refuse_http_secrets_in_file(data, path)
    try:
        settings = Settings(**data, base_dir=path.resolve().parent, config_file=path.resolve())
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise ConfigError(f"{err['msg']} (in {path} or its OPSCONTEXT_* environment overrides)", field=loc) from None
    _fold_env_instances(settings, set(data.get("connectors", {})))
    if settings.cache.path is not None and not settings.cache.path.is_absolute():
        settings.cache.path = settings.base_dir / settings.cache.path  # relative to the config file
    return settings


def _refuse_http_secrets_in_file(data: dict[str, Any], path: Path) -> None:
    """The token that guards the on-call phone numbers must not sit in a file that gets committed."""
    http = data.get("http")
    if not isinstance(http, dict):
        return  # absent, or malformed and refused by validation with a better message
    oauth = http.get("oauth")
    oauth = oauth if isinstance(oauth, dict) else {}
    for field, present in (("http.token", "token" in http), ("http.oauth.client_secret", "client_secret" in oauth)):
        if present:
            env = "OPSCONTEXT_" + field.upper().replace(".", "__")
            raise ConfigError(f"secrets stay out of {path}: set {env} in the environment instead", field=field)


def _fold_env_instances(settings: Settings, from_file: set[str]) -> None:
    """Environment variable names are case-insensitive, so OPSCONTEXT_CONNECTORS__PAGERDUTY__TOKEN
    arrives as instance "pagerduty"; give it to the file's "PagerDuty" instead of a new one."""
    by_lower = {name.lower(): name for name in from_file}
    for name in list(settings.connectors):
        target = by_lower.get(name.lower())
        if name in from_file or target is None:
            continue
        settings.connectors[target] = {**settings.connectors[target], **settings.connectors.pop(name)}
