"""The inquiry as intake takes it and as staff and citizens read it: the service's contracts."""

from __future__ import annotations

import re
from datetime import datetime
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

from domain.models import Channel
from repository.inquiries import TOTAL_CAP

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
    lat: float | None = Field(
        default=None, ge=-90, le=90, allow_inf_nan=False, description="WGS 84 latitude"
    )
    long: float | None = Field(
        default=None, ge=-180, le=180, allow_inf_nan=False, description="WGS 84 longitude"
    )
    answered_on_site: (
        Annotated[
            str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_CONTENT)
        ]
        | None
    ) = Field(default=None, description="现场解答: the operator's answer given while filing.")

    @model_validator(mode="after")
    def _lat_long_together(self) -> InquiryCreate:
        if (self.lat is None) != (self.long is None):
            raise ValueError("give lat and long together, or neither")
        return self


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


class NoticeOut(BaseModel):
    """A notice of the case and its delivery: queued, sent, failed (retried) or gave_up (the
    office was given a reach_citizen task)."""

    kind: str
    audience: str
    channel: str
    recipient: str
    status: str
    attempts: int
    provider_id: str | None = None
    last_error: str | None = None
    created_at: datetime
    held_until: datetime | None = Field(default=None, description="quiet hours hold it until")
    sent_at: datetime | None = None
    gave_up_at: datetime | None = None


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
    notices: list[NoticeOut] = Field(default_factory=list)
    clocks_note: str | None = Field(
        default=None, description="why there are no SLA targets yet, when there are none"
    )


TOTAL_EXACT = Field(
    description=f"false when more than {TOTAL_CAP:,} rows match: `total` is then {TOTAL_CAP:,}"
    " (a list does not count further), and the rows past it are reached by paging on"
)


class Page(BaseModel):
    total: int
    total_exact: bool = TOTAL_EXACT
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
    question: str | None = Field(
        default=None, description="the unit's 补正 question while awaiting is 'supplement'"
    )
