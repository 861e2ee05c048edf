"""Reads escalation policy YAML files and says exactly where a file is wrong.

A validation error names the file, the policy and the step (1-based, as a person counts them in
the file), because the person fixing it has the file open, not a stack trace.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from opscontext.errors import SourceDataError
from opscontext.files import DEFAULT_MAX_FILE_MB, Load, Reloading
from opscontext.models import EscalationPolicy
from opscontext.problems import LoadReport, reason_of
from opscontext.yamlbound import TooBig, load_all
from opscontext_connectors.escalation.mapping import to_policy
from opscontext_connectors.escalation.wire import PolicyDoc, PolicyListDoc

log = logging.getLogger(__name__)

PATTERNS = ("*.yaml", "*.yml")


def _policy_label(raw: Any, index: int) -> str:
    policies = raw.get("policies") if isinstance(raw, dict) else None
    entry = policies[index] if isinstance(policies, list) and index < len(policies) else None
    name = entry.get("name") if isinstance(entry, dict) else None
    return f"policy {name!r}" if name else f"policy #{index + 1}"


def _where(raw: Any, loc: tuple[int | str, ...]) -> tuple[list[str], list[str]]:
    """Split a pydantic error location into (policy/step labels, remaining field path)."""
    labels: list[str] = []
    rest = list(loc)
    if len(rest) >= 2 and rest[0] == "policies" and isinstance(rest[1], int):
        labels.append(_policy_label(raw, rest[1]))
        rest = rest[2:]
        if len(rest) >= 2 and rest[0] == "steps" and isinstance(rest[1], int):
            labels.append(f"step {rest[1] + 1}")
            rest = rest[2:]
    return labels, [str(p) for p in rest]


def _describe(path: Path | None, raw: Any, errors: list[ErrorDetails]) -> str:
    """Where and what, e.g. ``policy 'payments': step 2: contact: ...``; led by ``path`` when
    given (a problem reported per entry is already listed under its file's name)."""
    first = errors[0]
    labels, field = _where(raw, tuple(first["loc"]))
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown key (see FORMAT.md for the fields this format has)"
    elif first["type"] == "missing":
        message = "missing"
    head = ": ".join([*([str(path)] if path is not None else []), *labels, *([".".join(field)] if field else [])])
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    return f"{head}: {message}{more}"


def parse_file(path: Path, text: str, *, instance: str) -> tuple[list[EscalationPolicy], list[str]]:
    """Every valid policy in one file's text (several YAML documents allowed), and why each
    invalid one was left out. A wrong envelope (apiVersion, kind, no list of policies) fails the
    file; one bad policy is left out alone, so one team's typo does not take every team's
    escalation down."""
    try:
        documents = list(load_all(text))
    except yaml.YAMLError as exc:
        raise SourceDataError(f"{path}: not valid YAML: {reason_of(exc)}", instance=instance) from None
    except TooBig as exc:
        raise SourceDataError(f"{path}: {exc}", instance=instance) from None
    except UnicodeDecodeError:
        raise SourceDataError(f"{path}: not UTF-8 text", instance=instance) from None
    policies: list[EscalationPolicy] = []
    left_out: list[str] = []
    for raw in documents:
        if raw is None:
            continue  # an empty document (or file) declares nothing
        if not isinstance(raw, dict):
            message = f"{path}: expected a mapping with `policies`, found {type(raw).__name__}"
            raise SourceDataError(message, instance=instance)
        entries = raw.get("policies")
        try:  # the envelope alone when the policies are a list: each policy is checked by itself
            PolicyListDoc.model_validate({**raw, "policies": []} if isinstance(entries, list) else raw)
        except ValidationError as exc:
            raise SourceDataError(_describe(path, raw, exc.errors()), instance=instance) from None
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            try:
                doc = PolicyDoc.model_validate(entry)
            except ValidationError as exc:
                errors = [{**e, "loc": ("policies", index, *e["loc"])} for e in exc.errors()]
                left_out.append(_describe(None, raw, errors) + "; this policy is left out")  # type: ignore[arg-type]
                continue
            policies.append(to_policy(doc, source=instance))
    return policies, left_out


def merge(load: Load, *, instance: str) -> list[EscalationPolicy]:
    """Policies of all readable files; a file that fails validation is left out and reported,
    a name defined twice is an error naming both files."""
    seen: dict[str, Path] = {}
    merged: list[EscalationPolicy] = []
    for path, (policies, left_out) in load.each(lambda p: parse_file(p, load.read_text(p), instance=instance)):
        for reason in left_out:  # reported on every load: an unchanged file's result is reused
            load.dropped(path, reason)
        for policy in policies:
            first = seen.get(policy.name)
            if first is not None:
                where = f"{first} and {path}" if first != path else str(path)
                message = f"policy {policy.name!r} is defined twice ({where}); names must be unique"
                raise SourceDataError(message, instance=instance)
            seen[policy.name] = path
            merged.append(policy)
    return merged


class PolicyReader:
    """The policies under the configured path, re-read when any file changes."""

    def __init__(self, root: Path, *, instance: str, max_file_mb: float = DEFAULT_MAX_FILE_MB):
        self.root = root
        self.instance = instance
        self._files = Reloading(
            root, self._parse, instance=instance, patterns=PATTERNS, max_file_mb=max_file_mb, per_file=True
        )

    def problems(self) -> LoadReport:
        """Policy files left out of the last load, each with its reason."""
        return self._files.problems()

    def _parse(self, load: Load) -> list[EscalationPolicy]:
        policies = merge(load, instance=self.instance)
        log.debug("%s: loaded %d escalation policies", self.instance, len(policies))
        return policies

    async def get(self) -> list[EscalationPolicy]:
        return await self._files.get()
