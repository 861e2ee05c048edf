"""Connector discovery and instance building.

Connector types are found through the ``opscontext.connectors`` entry-point group, built-in and
third-party alike. Each entry point names a :class:`ConnectorSpec`. Configuration names
instances; the registry validates each instance's table against its type's config model, builds
it, and indexes the instances by the capabilities they implement.
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Generic, TypeVar, get_type_hints

import httpx
from pydantic import ValidationError

from opscontext.capabilities import CAPABILITIES, capabilities_of
from opscontext.config import ConnectorConfig, FileConnectorConfig, HttpConnectorConfig
from opscontext.errors import ConfigError

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "opscontext.connectors"
C = TypeVar("C", bound=ConnectorConfig)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (the default clock)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class ConnectorContext(Generic[C]):
    """What the core hands a connector factory: its name, its typed config and injected I/O.

    ``config`` is already validated against the spec's ``config_model`` (relative file paths made
    absolute), so a connector declared ``ConnectorContext[MyConfig]`` reads ``ctx.config.token``
    with its type known and checks nothing. ``http`` is built by the core for configs extending
    ``HttpConnectorConfig`` (auth headers, timeouts, TLS, a log hook that redacts); ``now`` is the
    clock to use for "now" (tests and replays set it).
    """

    name: str
    config: C
    http: httpx.AsyncClient | None = None  # built by the core for HTTP connectors
    base_dir: Path = Path(".")  # directory of the config file; relative paths resolve here
    now: Callable[[], datetime] = utcnow

    def resolve_path(self, path: Path) -> Path:
        """``path`` made absolute against the config file's directory."""
        return path if path.is_absolute() else (self.base_dir / path)

    def http_client(self) -> httpx.AsyncClient:
        """The HTTP client the core built for this instance; ConfigError when there is none."""
        if self.http is None:
            raise ConfigError(
                "needs an HTTP client; the core builds one for configs extending HttpConnectorConfig",
                instance=self.name,
            )
        return self.http


@dataclass(frozen=True)
class ConnectorSpec(Generic[C]):
    """Declarative description of a connector type, exported by each connector package.

    ``factory`` builds one instance from its context and is usually the connector class itself,
    whose ``__init__`` takes ``ConnectorContext[C]`` for the same ``C`` as ``config_model``: mypy
    checks they agree. The capabilities are the Protocols the class subclasses (or, for a factory
    function, the Protocols of its declared return type).
    """

    type: str
    summary: str
    config_model: builtins.type[C]
    factory: Callable[[ConnectorContext[C]], object]
    # Bulk families (catalog, topology) are cached long; windowed ones for seconds. File
    # connectors re-read on change themselves and need no cache.
    cacheable: bool = True
    example: dict[str, Any] = field(default_factory=dict)

    @property
    def connector_class(self) -> builtins.type | None:
        """The class the factory builds: the factory itself, or its declared return type."""
        if isinstance(self.factory, builtins.type):
            return self.factory
        try:
            made = get_type_hints(self.factory).get("return")
        except Exception:  # an annotation that does not resolve: nothing to read from it
            return None
        return made if isinstance(made, builtins.type) else None

    @property
    def capabilities(self) -> list[str]:
        """Names of the capabilities an instance of this type answers."""
        made = self.connector_class
        return capabilities_of(made) if made is not None else []

    def build(self, ctx: ConnectorContext[Any]) -> object:
        """One connector instance (the registry validated ``ctx.config`` against ``config_model``)."""
        return self.factory(ctx)


@dataclass
class Instance:
    """One configured, built connector instance: what the hub asks and doctor checks."""

    name: str
    spec: ConnectorSpec[Any]
    config: ConnectorConfig
    connector: object
    http: httpx.AsyncClient | None = None

    @property
    def capabilities(self) -> list[str]:
        """Names of the capabilities this instance answers (by the Protocols it implements)."""
        return capabilities_of(self.connector)


def discover(*, distribution: str | None = None) -> dict[str, ConnectorSpec[Any]]:
    """All connector types installed, by type name. A broken plugin is logged, not fatal.

    ``distribution`` keeps only the types one installed distribution registers (``"opscontext"``:
    the built-ins), so a suite about the built-ins is not changed by a plugin installed beside them.
    """
    specs: dict[str, ConnectorSpec[Any]] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if distribution is not None and (ep.dist is None or ep.dist.name != distribution):
            continue
        try:
            spec = ep.load()
        except Exception as exc:  # a third-party plugin must not take the server down
            log.error("connector entry point %s failed to load: %s", ep.name, exc)
            continue
        if not isinstance(spec, ConnectorSpec):
            log.error("connector entry point %s is not a ConnectorSpec", ep.name)
            continue
        specs[spec.type] = spec
    return specs


def validate_config(name: str, raw: dict[str, Any], specs: dict[str, ConnectorSpec[Any]]) -> ConnectorConfig:
    """Validate one instance's table; errors name the instance and the field."""
    kind = raw.get("type")
    if not kind:
        raise ConfigError("missing `type`; run `opscontext connectors` for the list", instance=name, field="type")
    spec = specs.get(str(kind))
    if spec is None:
        known = ", ".join(sorted(specs)) or "none installed"
        raise ConfigError(f"unknown connector type {kind!r} (known: {known})", instance=name, field="type")
    try:
        config: ConnectorConfig = spec.config_model.model_validate(raw)
        return config
    except ValidationError as exc:
        # A misspelt key also makes the real one "missing": name the typo first, then the rest.
        errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        first = errors[0]
        loc = ".".join(str(p) for p in first["loc"]) or None
        more = [f"{'.'.join(str(p) for p in e['loc'])}: {_msg(e['msg'])}" for e in errors[1:3]]
        message = _msg(first["msg"]) + (f" (also {'; '.join(more)})" if more else "")
        raise ConfigError(message, instance=name, field=loc) from None


def _msg(text: str) -> str:
    """A validation message as a person reads it: our own validators' words, without pydantic's
    "Value error, " in front."""
    return text.removeprefix("Value error, ")


def build_http_client(
    config: HttpConnectorConfig, *, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    from opscontext.http import redacting_event_hooks, user_agent

    return httpx.AsyncClient(
        base_url=str(config.url),
        headers={"User-Agent": user_agent(), "Accept": "application/json", **config.auth_headers()},
        auth=config.httpx_auth(),
        timeout=httpx.Timeout(config.timeout_seconds),
        verify=config.verify_tls,
        follow_redirects=False,
        transport=transport,
        event_hooks=redacting_event_hooks(),
    )


class Registry:
    """Built connector instances, indexed by capability."""

    def __init__(self, instances: list[Instance]):
        self.instances = instances
        # Protocol isinstance checks are slow; index once, serve every call from the table.
        self._by_capability = {
            name: [i for i in instances if isinstance(i.connector, cap.protocol)] for name, cap in CAPABILITIES.items()
        }

    @classmethod
    def build(
        cls,
        configs: dict[str, dict[str, Any]],
        *,
        base_dir: Path = Path("."),
        specs: dict[str, ConnectorSpec[Any]] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        now: Callable[[], datetime] = utcnow,
    ) -> Registry:
        specs = discover() if specs is None else specs
        base_dir = base_dir.resolve()  # connectors may resolve paths again; make that idempotent
        instances: list[Instance] = []
        for name, raw in configs.items():
            config = validate_config(name, raw, specs)
            if not config.enabled:
                continue
            spec = specs[config.type]
            http = build_http_client(config, transport=transport) if isinstance(config, HttpConnectorConfig) else None
            if isinstance(config, FileConnectorConfig) and not config.path.is_absolute():
                config = config.model_copy(update={"path": base_dir / config.path})
            ctx = ConnectorContext(name=name, config=config, http=http, base_dir=base_dir, now=now)
            try:
                connector = spec.build(ctx)
            except ConfigError:
                raise
            except Exception as exc:
                raise ConfigError(f"could not be built: {exc}", instance=name) from exc
            instances.append(Instance(name=name, spec=spec, config=config, connector=connector, http=http))
        return cls(instances)

    def of(self, capability: str) -> Iterator[Instance]:
        if capability not in CAPABILITIES:
            raise KeyError(capability)
        return iter(self._by_capability[capability])

    async def aclose(self) -> None:
        for inst in self.instances:
            closer = getattr(inst.connector, "aclose", None)
            if closer is not None:
                await closer()
            if inst.http is not None:
                await inst.http.aclose()
