"""The contract's checks as plain functions: each raises AssertionError with a message that names
the connector type, the method and what is wrong, and returns quietly otherwise.

They are what the generated tests (``suite.py``) call; a connector's own tests may call them too.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Iterator, Sequence

from pydantic import BaseModel, ValidationError

from opscontext.cache import Entry
from opscontext.cache_codec import CodecError, decode, encode
from opscontext.capabilities import CAPABILITIES
from opscontext.capability import Capability
from opscontext.config import ConnectorConfig
from opscontext.errors import SourceError
from opscontext.registry import ConnectorSpec


def check_spec(spec: ConnectorSpec[ConnectorConfig]) -> None:
    """The spec can be listed and configured: a summary, a config model, an example that validates
    as its own type, at least one capability, and a factory whose class can be inspected."""
    where = f"connector {spec.type!r}"
    assert spec.type.strip(), "the spec's type is empty; it is what users write as `type = ...`"
    assert spec.summary.strip(), f"{where}: the summary is empty; `opscontext connectors` shows it"
    assert isinstance(spec.config_model, type) and issubclass(spec.config_model, ConnectorConfig), (
        f"{where}: config_model must extend opscontext.config.ConnectorConfig "
        "(or HttpConnectorConfig / FileConnectorConfig)"
    )
    assert spec.connector_class is not None, (
        f"{where}: the factory is neither a class nor annotated with the class it returns"
    )
    assert spec.capabilities, f"{where}: implements no capability; subclass a Protocol of opscontext.capabilities"
    try:
        config = spec.config_model.model_validate({**spec.example, "type": spec.type})
    except ValidationError as exc:
        raise AssertionError(f"{where}: the spec's example does not validate: {exc}") from None
    assert config.type == spec.type, f"{where}: the example validates as type {config.type!r}"


def check_refuses_unknown_keys(spec: ConnectorSpec[ConnectorConfig]) -> None:
    """A misspelt option fails at start-up instead of silently doing nothing."""
    try:
        spec.config_model.model_validate({**spec.example, "type": spec.type, "no_such_option": 1})
    except ValidationError:
        return
    raise AssertionError(
        f"connector {spec.type!r}: its config accepted an unknown key; keep model_config extra='forbid'"
    )


def check_implements(spec: ConnectorSpec[ConnectorConfig], capability: Capability[..., object]) -> None:
    """The class subclasses the capability's Protocol (so mypy checks it) and implements its method
    as a coroutine with the Protocol's parameters."""
    cls = spec.connector_class
    where = f"connector {spec.type!r}"
    proto, method = capability.protocol.__name__, capability.method_name
    assert cls is not None, f"{where}: the factory's class cannot be inspected"
    assert capability.protocol in cls.__mro__, (
        f"{where}: {cls.__name__} has {method}() but does not subclass {proto}; "
        "subclass it so mypy checks the signature"
    )
    assert capability.implemented_by(cls), f"{where}: {cls.__name__} does not implement {method}() of {proto}"
    found = getattr(cls, method)
    assert inspect.iscoroutinefunction(found), f"{where}: {cls.__name__}.{method} must be `async def`"
    arity = len(inspect.signature(found).parameters) - 1
    assert arity == capability.arity(), (
        f"{where}: {cls.__name__}.{method} takes {arity} arguments besides self, {proto} says {capability.arity()}"
    )


def check_answer(
    kind: str, capability: Capability[..., object], answer: object, args: tuple[object, ...], instance: str
) -> None:
    """A right answer: of the declared type, not empty once the hub's filter has run, every item
    stamped with the instance name, and storable in a cache shared by replicas."""
    check_type(kind, capability, answer)
    kept = capability.items(capability.trim(answer, args))
    assert kept, (
        f"connector {kind!r} method {capability.method_name} returned no {capability.item.__name__} the hub keeps "
        f"for the sample question {_show(args)}; give sample data that answers it, or this check proves nothing"
    )
    for model in stamped(answer):
        source = getattr(model, "source", instance)
        assert source == instance, (
            f"connector {kind!r} method {capability.method_name}: a {type(model).__name__} has source "
            f"{source!r}, expected the instance name {instance!r}"
        )
    try:
        back = decode(encode(Entry(answer, time.time()))).value
    except CodecError as exc:
        raise AssertionError(
            f"connector {kind!r} method {capability.method_name}: the answer cannot be cached ({exc}); "
            "return opscontext.models classes themselves, not subclasses"
        ) from None
    assert back == answer, f"connector {kind!r} method {capability.method_name}: the answer changes when cached"


def check_type(kind: str, capability: Capability[..., object], answer: object) -> None:
    """The answer is ``list[item]`` (or ``item``) as the Protocol declares."""
    item = capability.item
    if capability.many:
        right = isinstance(answer, list) and all(isinstance(v, item) for v in answer)
        expected = f"list[{item.__name__}]"
    else:
        right, expected = isinstance(answer, item), item.__name__
    assert right, (
        f"connector {kind!r} method {capability.method_name} returned {describe(answer)}, expected {expected}"
    )


def check_raises(
    kind: str,
    capability: Capability[..., object],
    error: BaseException | None,
    expected: type[SourceError],
    situation: str,
    instance: str,
) -> None:
    """What a method raised in ``situation`` (None: it answered) is ``expected``, naming the instance."""
    method = capability.method_name
    assert error is not None, (
        f"connector {kind!r} method {method} answered on {situation}; expected {expected.__name__}"
    )
    assert isinstance(error, expected), (
        f"connector {kind!r} method {method} raised {type(error).__name__} on {situation}, "
        f"expected {expected.__name__}"
    )
    assert error.instance == instance, (
        f"connector {kind!r} method {method}: the {expected.__name__} names instance {error.instance!r}, "
        f"expected {instance!r}"
    )


def describe(value: object) -> str:
    """A value's shape for a message: ``list[str]``, ``list[Alert | dict]``, ``NoneType``."""
    if isinstance(value, list):
        names = sorted({type(v).__name__ for v in value})
        return f"list[{' | '.join(names)}]" if names else "an empty list"
    return type(value).__name__


def stamped(answer: object) -> Iterator[BaseModel]:
    """The models in an answer that carry a ``source``: list items, or a snapshot's members."""
    for value in answer if isinstance(answer, list) else [answer]:
        if isinstance(value, BaseModel) and "source" in type(value).model_fields:
            yield value
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                inner = getattr(value, name)
                if isinstance(inner, tuple):
                    yield from (m for m in inner if isinstance(m, BaseModel) and "source" in type(m).model_fields)


def capability_named(name: str) -> Capability[..., object]:
    """The declaration of one capability, by name."""
    return CAPABILITIES[name]


def _show(args: Sequence[object]) -> str:
    return "(" + ", ".join(str(a) for a in args) + ")" if args else "(no arguments)"
