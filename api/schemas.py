"""Request and response bodies of the HTTP API."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Annotated, Any, Literal
from uuid import UUID

import phonenumbers
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from api.errors import ErrorOut
from domain.models import Channel

MAX_CONTENT = 10_000
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class CitizenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)] | None = None
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=254)] | None = None

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        """Mobile or landline numbers valid in China, stored in E.164 form."""
        if not value:
            return None
        try:
            number = phonenumbers.parse(value, "CN")
        except phonenumbers.NumberParseException as exc:
            raise ValueError("not a phone number") from exc
        if not phonenumbers.is_valid_number(number):
            raise ValueError("not a valid phone number")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not _EMAIL_RE.match(value):
            raise ValueError("not an email address")
        return value

    @model_validator(mode="after")
    def _reachable(self) -> CitizenIn:
        if not self.phone and not self.email:
            raise ValueError("give at least one contact: phone or email")
        return self


class InquiryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    content: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_CONTENT)
    ]
    citizen: CitizenIn
    address: ShortText | None = None
    district: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    external_ref: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None
    ) = None
    channel: Channel | None = Field(
        default=None, description="Set by operators; an intake key fixes its own channel."
    )
    priority: Literal["normal", "urgent"] = Field(
        default="normal", description="urgent inquiries follow the category's urgent targets"
    )
    answered_on_site: (
        Annotated[
            str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_CONTENT)
        ]
        | None
    ) = Field(default=None, description="现场解答: the operator's answer given while filing.")


class InquiryCreated(BaseModel):
    id: UUID
    tracking_code: str
    status: str


class InquirySummary(BaseModel):
    """One line of the staff list."""

    id: UUID
    tracking_code: str
    status: str
    category: str
    channel: str
    unit: str | None = None
    received_at: datetime
    reply_due_at: datetime | None = None
    due_provisional: bool = False
    escalation_level: int = 0
    overdue: bool = False
    closed_at: datetime | None = None
    on_time: bool | None = None


class CitizenOut(BaseModel):
    name: str | None = None
    phone: str | None = None
    email: str | None = None


class ReplyOut(BaseModel):
    content: str | None
    replied_by: str | None
    replied_at: datetime


class FeedbackOut(BaseModel):
    channel: str
    recipient: str
    status: str
    sent_at: datetime | None = None


class EscalationOut(BaseModel):
    step: str
    level: int
    fired_at: datetime
    due_at: datetime


class TimelineEvent(BaseModel):
    kind: str
    actor: str
    occurred_at: datetime
    detail: dict[str, Any] = Field(default_factory=dict)


class CohandlingOut(BaseModel):
    unit_code: str
    status: str
    due_at: datetime
    content: str | None = None
    answered_by: str | None = None
    answered_at: datetime | None = None


class InquiryDetail(InquirySummary):
    """Everything staff see of one inquiry."""

    content: str
    citizen: CitizenOut
    address: str | None = None
    district: str | None = None
    external_ref: str | None = None
    routing_rule: str | None = None
    dispatched_at: datetime | None = None
    remind_at: datetime | None = None
    level2_at: datetime | None = None
    reply: ReplyOut | None = None
    feedback_sent: bool = False
    feedback: list[FeedbackOut] = Field(default_factory=list)
    handling_seconds: int | None = None
    total_seconds: int | None = None
    escalations: list[EscalationOut] = Field(default_factory=list)
    timeline: list[TimelineEvent] = Field(default_factory=list)
    cohandling: list[CohandlingOut] = Field(default_factory=list)
    clocks_note: str | None = Field(
        default=None, description="why there are no SLA targets yet, when there are none"
    )


class ReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_CONTENT)
    ]


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


class Page(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[InquirySummary]


class PublicInquiry(BaseModel):
    """What a citizen sees with the tracking code: no staff names, units, escalations or ids."""

    tracking_code: str
    status: str
    category: str
    received_at: datetime
    reply_due_at: datetime | None
    due_provisional: bool
    reply: str | None
    replied_at: datetime | None
    feedback_sent_at: datetime | None
    contact: str | None
    awaiting: str | None = None


class UnitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,40}$")]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    name_zh: ShortText = ""
    duty_24h: bool = False
    active: bool = True


class UnitPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

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


class CategoryPatch(PolicyFields):
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


class RulePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

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
