"""Request and response bodies of the HTTP API."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, ClassVar, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from api.errors import ErrorOut
from service.inquiry_models import MAX_CONTENT, ShortText


class ReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_CONTENT)
    ]


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


class UnitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,40}$")]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    name_zh: ShortText = ""
    duty_24h: bool = False
    active: bool = True


class _Patch(BaseModel):
    """A partial change: a field left out keeps its value; `null` only where the column may be
    empty (NULLABLE), since a column that may not be empty cannot be set to nothing."""

    model_config = ConfigDict(extra="forbid")
    NULLABLE: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _no_null_for_required(self) -> Self:
        nulled = sorted(
            name
            for name in self.model_fields_set
            if getattr(self, name) is None and name not in self.NULLABLE
        )
        if nulled:
            raise ValueError(
                f"may not be null (leave the field out to keep it): {', '.join(nulled)}"
            )
        return self


class UnitPatch(_Patch):
    name: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
        | None
    ) = None
    name_zh: ShortText | None = None
    duty_24h: bool | None = None
    active: bool | None = None


class PolicyFields(BaseModel):
    """The closed-loop policy of a category; unset fields keep their defaults (migration 003)."""

    ack_unit: Literal["natural_hours", "working_hours", "working_days"] | None = None
    ack_within: float | None = Field(default=None, gt=0, le=24 * 366)
    ack_grace: float | None = Field(default=None, ge=0, le=24 * 366)
    ack_repeat_minutes: float | None = Field(default=None, ge=0, le=24 * 60)
    warnings: list[Annotated[float, Field(gt=0, lt=1)]] | None = Field(default=None, max_length=5)
    supervision_after: float | None = Field(default=None, ge=0, le=24 * 366)
    notice_after: float | None = Field(default=None, ge=0, le=24 * 366)
    hold_notices: bool | None = None
    review: Literal["none", "unit_head", "office"] | None = None
    return_window_days: float | None = Field(default=None, ge=0, le=60)
    max_returns: int | None = Field(default=None, ge=1, le=10)
    max_extensions: int | None = Field(default=None, ge=0, le=5)
    max_extension: float | None = Field(default=None, ge=0, le=24 * 366)
    extension_notice_days: float | None = Field(default=None, ge=0, le=60)
    pause_limit_days: float | None = Field(default=None, gt=0, le=366)
    restart_on_supplement: bool | None = None
    followup_days: float | None = Field(default=None, gt=0, le=60)
    office_start: time | None = None
    office_end: time | None = None


class CategoryIn(PolicyFields):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,40}$")]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    name_zh: ShortText = ""
    clock: Annotated[str, StringConstraints(pattern=r"^(natural_hours|working_days)$")]
    reply_within: float = Field(gt=0, le=24 * 366)
    level2_grace: float = Field(ge=0, le=24 * 366)
    reminder_ratio: float = Field(default=0.75, gt=0, lt=1)
    urgent: bool = False
    active: bool = True


class CategoryPatch(PolicyFields, _Patch):
    model_config = ConfigDict(extra="forbid")

    name: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
        | None
    ) = None
    name_zh: ShortText | None = None
    clock: Annotated[str, StringConstraints(pattern=r"^(natural_hours|working_days)$")] | None = (
        None
    )
    reply_within: float | None = Field(default=None, gt=0, le=24 * 366)
    level2_grace: float | None = Field(default=None, ge=0, le=24 * 366)
    reminder_ratio: float | None = Field(default=None, gt=0, lt=1)
    urgent: bool | None = None
    active: bool | None = None


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    priority: int = Field(ge=0, le=1_000_000)
    unit_code: str
    category: str | None = None
    district: ShortText | None = None
    keywords: list[
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
    ] = Field(default_factory=list, max_length=50)
    active: bool = True


class RulePatch(_Patch):
    NULLABLE = frozenset({"category", "district"})

    name: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
        | None
    ) = None
    priority: int | None = Field(default=None, ge=0, le=1_000_000)
    unit_code: str | None = None
    category: str | None = None
    district: ShortText | None = None
    keywords: (
        list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]]
        | None
    ) = None
    active: bool | None = None


class PriorityTargetsIn(BaseModel):
    """Targets of one priority of a category; an unset field keeps the category's own."""

    model_config = ConfigDict(extra="forbid")

    ack_within: float | None = Field(default=None, gt=0, le=24 * 366)
    ack_repeat_minutes: float | None = Field(default=None, ge=0, le=24 * 60)
    reply_within: float | None = Field(default=None, gt=0, le=24 * 366)
    followup_days: float | None = Field(default=None, gt=0, le=60)


# ---- what the admin API answers ----


class UnitOut(BaseModel):
    code: str
    name: str
    name_zh: str
    duty_24h: bool
    active: bool
    created_at: datetime
    updated_at: datetime


class CategoryOut(BaseModel):
    """A category with its whole policy (numbers as numbers, office hours as HH:MM)."""

    code: str
    name: str
    name_zh: str
    clock: str
    reply_within: float
    level2_grace: float
    reminder_ratio: float
    urgent: bool
    active: bool
    ack_unit: str
    ack_within: float
    ack_grace: float
    ack_repeat_minutes: float
    warnings: list[float]
    supervision_after: float
    notice_after: float
    hold_notices: bool
    review: str
    return_window_days: float
    max_returns: int
    max_extensions: int
    max_extension: float
    extension_notice_days: float
    pause_limit_days: float
    restart_on_supplement: bool
    followup_days: float
    office_start: str
    office_end: str
    created_at: datetime
    updated_at: datetime


class CategoryChanged(CategoryOut):
    cases_notified: int = Field(description="open cases told to re-project their due times")


class RuleOut(BaseModel):
    id: int
    name: str
    priority: int
    category: str | None
    district: str | None
    keywords: list[str]
    unit_code: str
    active: bool
    created_at: datetime
    updated_at: datetime


class PriorityTargetsOut(BaseModel):
    category: str
    priority: Literal["normal", "urgent"]
    ack_within: float | None
    ack_repeat_minutes: float | None
    reply_within: float | None
    followup_days: float | None
    updated_at: datetime


class PriorityTargetsChanged(PriorityTargetsOut):
    cases_notified: int = Field(description="open cases told to re-project their due times")


class CalendarDayOut(BaseModel):
    day: date
    working: bool
    note: str
    updated_by: str
    updated_at: datetime


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Ready(BaseModel):
    status: Literal["ready"] = "ready"


class NotReady(ErrorOut):
    failing: list[Literal["postgresql", "temporal"]]
