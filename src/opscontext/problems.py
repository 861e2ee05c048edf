"""What was wrong with a source's last load, carried beside the data it produced.

A file source that reads eleven catalog files and fails on the twelfth still answers, but the
answer is partial: the hub must report it ``degraded`` with the file and the reason, never
``ok``. Connectors that can tell implement :class:`ReportsProblems`; the hub asks right after
each call and, when something was wrong, caches the value wrapped in :class:`Partial` so an
answer served later from the cache is still reported degraded.

An HTTP source that reads one item at a time (a repository, an incident, a table) reports the
items it could not read with :func:`report` from inside the capability call instead: the report
belongs to that call (it travels in the task's context), so concurrent calls of one connector
never see each other's problems.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from pydantic import ValidationError

from opscontext.models import SourceState, SourceStatus
from opscontext.redact import redact_shapes

MAX_REASON = 200
MAX_DETAIL = 600
LISTED = 3
MAX_FIELD = 60  # a location part in a reason: a mapping key there is the data's, not the model's


@dataclass(frozen=True)
class Problem:
    """One file (or directory) that was left out, or whose entries were partly dropped."""

    where: str  # path as a person finds it: relative to the configured path's directory
    reason: str
    skipped: bool = True  # the whole file was left out; False: some of its entries were dropped


@dataclass(frozen=True)
class LoadReport:
    """Problems of one load. ``files`` counts every file found, refused and failed ones included.

    ``noun`` names what ``files`` counts ("repositories", "incidents") and ``partly`` says what
    happened to the entries of a problem that is not ``skipped``, for sources that read items
    other than files.
    """

    files: int = 0
    problems: tuple[Problem, ...] = ()
    noun: str = "files"
    partly: str = "entries dropped for bad data"

    @property
    def skipped(self) -> int:
        """How many files (or directories) were left out entirely."""
        return len({p.where for p in self.problems if p.skipped})

    @property
    def usable(self) -> bool:
        """False when files were found but every one of them was left out."""
        return self.files == 0 or self.skipped < self.files

    def summary(self) -> str:
        """One bounded line naming the first few files and counting the rest."""
        skipped = [p for p in self.problems if p.skipped]
        dropped = [p for p in self.problems if not p.skipped]
        if self.files == 1 and len(skipped) == 1 and not dropped and self.noun == "files":
            return _clip(f"{skipped[0].where}: {_masked(skipped[0].reason)}", MAX_DETAIL)  # one file: no counts
        parts = []
        if skipped:
            parts.append(f"{self.skipped} of {self.files} {self.noun} failed: {_listing(skipped)}")
        if dropped:
            parts.append(f"{self.partly}: {_listing(dropped)}")
        return _clip("; ".join(parts), MAX_DETAIL)


@runtime_checkable
class ReportsProblems(Protocol):
    """Implemented by connectors that can say what went wrong in their last load (file sources).

    Called by the hub right after a capability call returned, with no await in between, so the
    report describes the load that produced the value. An empty report means nothing was wrong.
    """

    def problems(self) -> LoadReport: ...


@dataclass(frozen=True)
class Partial:
    """A value from a load that had problems; what the hub caches instead of the bare value."""

    value: Any
    detail: str


_REPORTED: ContextVar[tuple[LoadReport, ...]] = ContextVar("opscontext_reported_problems", default=())


def report(found: LoadReport) -> None:
    """Called by a connector inside a capability call: the answer it is about to return is
    partial, for the reasons in ``found``. Several reports of one call add up; an empty one is
    ignored. Must be called from the task that runs the capability call (not a child task)."""
    if found.problems:
        _REPORTED.set((*_REPORTED.get(), found))


def report_cut(where: str, reason: str) -> None:
    """Report, from inside a capability call, that a list was cut short (a paging limit hit):
    the answer is partial even though nothing failed."""
    report(LoadReport(1, (Problem(where, reason, skipped=False),), noun="lists", partly="lists cut short"))


def take_reported() -> tuple[LoadReport, ...]:
    """The reports made by the capability call that just returned in this task, cleared."""
    found = _REPORTED.get()
    if found:
        _REPORTED.set(())
    return found


def attach(connector: object, value: Any) -> Any:
    """``value`` wrapped in :class:`Partial` when the connector reports problems with its load,
    through :class:`ReportsProblems` or :func:`report` during the call that produced it."""
    details = [r.summary() for r in take_reported()]
    if isinstance(connector, ReportsProblems):
        own = connector.problems()
        if own.problems:
            details.append(own.summary())
    return Partial(value, _clip("; ".join(details), MAX_DETAIL)) if details else value


def settle(value: Any, status: SourceStatus) -> tuple[Any, SourceStatus]:
    """Unwrap a :class:`Partial`: an ok status becomes degraded, a stale one keeps both reasons."""
    if not isinstance(value, Partial):
        return value, status
    update: dict[str, Any] = {"items": _count(value.value)}
    if status.state is SourceState.OK:
        update |= {"state": SourceState.DEGRADED, "detail": value.detail}
    else:
        update["detail"] = _clip(f"{status.detail}; the data served was itself partial: {value.detail}", MAX_DETAIL)
    return value.value, status.model_copy(update=update)


def reason_of(exc: BaseException, *, names: tuple[str, ...] = ()) -> str:
    """A short, one-line reason for a parse or read error: YAML and JSON errors with their line,
    validation errors with the field and what it should be. Never the data itself: secret shapes
    in what is left are masked (:func:`opscontext.redact.redact_shapes`: a reason reads
    ``where: what``, which the ``key: value`` rule of ``redact`` would mask)."""
    mark = getattr(exc, "problem_mark", None)  # yaml.MarkedYAMLError, without importing yaml here
    if isinstance(exc, ValidationError):
        text = invalid(exc)
    elif mark is not None:
        text = f"line {mark.line + 1}: {getattr(exc, 'problem', None) or type(exc).__name__}"
    elif hasattr(exc, "lineno") and hasattr(exc, "msg"):  # json.JSONDecodeError
        text = f"line {exc.lineno}: {exc.msg}"
    elif isinstance(exc, UnicodeDecodeError):
        text = "not UTF-8 text"
    elif isinstance(exc, OSError) and exc.strerror:
        text = f"cannot be read: {exc.strerror}"
    else:
        text = str(exc) or type(exc).__name__
        instance = getattr(exc, "instance", "")
        text = text.removeprefix(f"{instance}: ") if instance else text
    for name in names:  # the caller names the file already; a message repeating it is trimmed
        text = text.removeprefix(f"{name}: ").removeprefix(f"{name} ")
    return _clip(redact_shapes(" ".join(text.split())) or "", MAX_REASON)


def invalid(exc: ValidationError) -> str:
    """The first error of a validation: the field's path in backticks, what was expected, and
    how many more errors there are.

    Built from pydantic's error list without its input: ``str(exc)`` quotes the input value
    (a secret in a mapping, or, for a value full of YAML aliases, a rendering of gigabytes)
    and a documentation link a person fixing a file does not need. The backticks keep the
    masking of secrets from reading ``design: Field required`` as a ``sig`` key's value."""
    errors = exc.errors(include_url=False, include_context=False, include_input=False)
    if not errors:
        return f"invalid {exc.title}"
    first = errors[0]
    where = ".".join(_clip(str(part), MAX_FIELD) for part in first["loc"])
    what = first["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    more = len(errors) - 1
    text = f"`{where}`: {what}" if where else what
    return f"{text} (and {more} more)" if more else text


def _listing(problems: list[Problem]) -> str:
    # Each part gets its share of the budget, so the count of the rest always survives clipping.
    shown = "; ".join(f"{p.where}: {_masked(p.reason)}" for p in problems[:LISTED])
    rest = len(problems) - LISTED
    shown = _clip(shown, MAX_DETAIL // 2 - 20)
    return f"{shown} (and {rest} more)" if rest > 0 else shown


def _masked(reason: str) -> str:
    # A connector's own reason may quote its data (a field's value, an unknown apiVersion): the
    # detail reaches answers and doctor, so secret shapes are masked here for every source.
    return redact_shapes(reason) or reason


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _count(value: Any) -> int | None:
    if isinstance(value, list | tuple):
        return len(value)
    services = getattr(value, "services", None)
    return len(services) if isinstance(services, tuple) else None
