"""The escalation policy file format (``opscontext.io/v1``, ``EscalationPolicyList``).

This is our own format, documented in FORMAT.md beside this module. Unlike a vendor's wire
models, unknown keys are rejected: people write these files by hand, and a misspelt ``contcat``
silently dropped would leave a responder unreachable in the middle of an incident.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

API_VERSION = "opscontext.io/v1"
KIND = "EscalationPolicyList"
STEP_KINDS = ("person", "role", "schedule", "team", "vendor", "other")
StepKind = Literal["person", "role", "schedule", "team", "vendor", "other"]

_DURATION = re.compile(r"^(?:(?P<h>\d+)\s*h)?\s*(?:(?P<m>\d+)\s*m(?:in)?)?$", re.IGNORECASE)
DURATION_HINT = "write minutes or hours such as 0m, 15m, 1h or 1h30m"


def parse_duration(value: object) -> int:
    """Minutes in ``15m``, ``1h``, ``1h30m`` or a bare number of minutes."""
    if isinstance(value, int) and not isinstance(value, bool):
        minutes = value
    else:
        text = str(value).strip()
        if text.startswith("-"):
            raise ValueError(f"threshold {text!r} is negative; steps engage at 0m or later")
        if text.isdigit():
            return int(text)
        match = _DURATION.match(text)
        if match is None or not (match["h"] or match["m"]):
            raise ValueError(f"threshold {text!r} is not a duration; {DURATION_HINT}")
        minutes = int(match["h"] or 0) * 60 + int(match["m"] or 0)
    if minutes < 0:
        raise ValueError(f"threshold {minutes} minutes is negative; steps engage at 0m or later")
    return minutes


def format_minutes(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{hours}h{rest}m" if hours and rest else f"{hours}h" if hours else f"{rest}m"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class StepDoc(_Strict):
    after: int | str | None = None
    after_minutes: int | None = None
    target: str
    kind: StepKind = "other"
    contact: str | None = None

    @field_validator("after", "after_minutes", mode="before")
    @classmethod
    def _whole_duration(cls, value: Any) -> Any:
        # Caught before pydantic's coercion would turn `yes` into 1 minute or reject 1.5 obscurely.
        if isinstance(value, bool | float):
            raise ValueError(f"threshold {value!r} is not a duration; {DURATION_HINT}")
        return value

    @field_validator("target")
    @classmethod
    def _target_named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("target is empty; name who is reached at this step")
        return value.strip()

    @field_validator("kind", mode="before")
    @classmethod
    def _known_kind(cls, value: Any) -> Any:
        text = str(value).strip().lower()
        if text not in STEP_KINDS:
            raise ValueError(f"unknown kind {value!r} (expected one of {', '.join(STEP_KINDS)})")
        return text

    @model_validator(mode="after")
    def _one_threshold(self) -> StepDoc:
        if self.after is None and self.after_minutes is None:
            raise ValueError("missing threshold; give `after` (e.g. 15m) or `after_minutes`")
        if self.after is not None and self.after_minutes is not None:
            raise ValueError("give either `after` or `after_minutes`, not both")
        parse_duration(self.after if self.after is not None else self.after_minutes)
        return self

    @property
    def minutes(self) -> int:
        return parse_duration(self.after if self.after is not None else self.after_minutes)


class PolicyDoc(_Strict):
    name: str
    team: str | None = None
    services: list[str] = Field(default_factory=list)
    description: str | None = None
    steps: list[StepDoc] = Field(min_length=1)

    @field_validator("name")
    @classmethod
    def _name_given(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("name is empty")
        return value.strip()

    @model_validator(mode="after")
    def _scoped_and_distinct(self) -> PolicyDoc:
        if not self.team and not self.services:
            raise ValueError("names neither `team` nor `services`; say whose incidents it covers")
        first_at: dict[int, int] = {}
        for number, step in enumerate(self.steps, start=1):
            earlier = first_at.setdefault(step.minutes, number)
            if earlier != number:
                when = format_minutes(step.minutes)
                raise ValueError(
                    f"steps {earlier} and {number} both engage after {when}; "
                    "give each step its own threshold"
                )
        return self


class PolicyListDoc(_Strict):
    api_version: str = Field(default=API_VERSION, alias="apiVersion")
    kind: str = KIND
    policies: list[PolicyDoc] = Field(default_factory=list)

    @field_validator("api_version")
    @classmethod
    def _known_version(cls, value: str) -> str:
        if value != API_VERSION:
            raise ValueError(f"apiVersion {value!r} is not supported (expected {API_VERSION})")
        return value

    @field_validator("kind")
    @classmethod
    def _known_list_kind(cls, value: str) -> str:
        if value != KIND:
            raise ValueError(f"kind {value!r} is not supported (expected {KIND})")
        return value
