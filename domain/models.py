"""The inquiry's vocabulary: channels, roles, statuses and the messages passed through Temporal.

Temporal payloads are plain dataclasses so new optional fields can be added without breaking
the histories of running workflows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Channel(StrEnum):
    """Where an inquiry came from (DOMAIN.md, "Where inquiries come from")."""

    HOTLINE = "hotline"  # 114 公民政务咨询热线
    MINXIN = "minxin"  # 省“民心网”
    TRANSFER = "transfer"  # 转办件 from the city open-affairs office
    WEB = "web"  # government website and intake forms
    ONSITE = "onsite"  # “5.15” open-affairs day
    COUNTER = "counter"  # 营业窗口 / city service hall


class Role(StrEnum):
    OPERATOR = "operator"
    HANDLER = "handler"
    UNIT_HEAD = "unit_head"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


UNIT_BOUND_ROLES = frozenset({Role.HANDLER, Role.UNIT_HEAD})


class InquiryStatus(StrEnum):
    """Where an inquiry stands in the closed loop."""

    RECEIVED = "received"  # 受理: recorded, not yet dispatched
    DISPATCHED = "dispatched"  # 派单: the unit's task is open, the reply clock runs
    REPLIED = "replied"  # 答复: the unit replied, feedback to the citizen under way
    CLOSED = "closed"  # 办结: feedback sent, durations recorded


class EscalationStep(StrEnum):
    """The ladder of one reply clock; each step fires at most once."""

    REMINDER = "reminder"  # 催办 at 75% of the budget
    LEVEL1 = "level1"  # 督办 to the unit head at the deadline
    LEVEL2 = "level2"  # 通报 to supervisors after the policy's grace


ESCALATION_LEVEL = {EscalationStep.REMINDER: 0, EscalationStep.LEVEL1: 1, EscalationStep.LEVEL2: 2}


@dataclass
class Citizen:
    name: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass
class InquiryInput:
    """Everything intake knows; the workflow's single input."""

    inquiry_id: str
    tracking_code: str
    channel: str
    category: str
    content: str
    citizen: Citizen
    submitted_by: str
    received_at: datetime
    address: str | None = None
    district: str | None = None
    external_ref: str | None = None
    priority: str = "normal"  # a Priority value; added with default so old histories decode


class Priority(StrEnum):
    """How pressing an inquiry is; a category may set shorter targets for urgent ones."""

    NORMAL = "normal"
    URGENT = "urgent"


@dataclass
class ClockPlan:
    """The reply clock as computed at dispatch; due times come from the SLA policy."""

    dispatched_at: datetime
    remind_at: datetime
    due_at: datetime
    level2_at: datetime
    provisional: bool


@dataclass
class RouteInput:
    inquiry_id: str
    category: str
    content: str
    decided_at: datetime
    district: str | None = None


@dataclass
class RouteResult:
    unit_code: str
    plan: ClockPlan
    rule_name: str | None = None


@dataclass
class DispatchInput:
    inquiry_id: str
    unit_code: str
    plan: ClockPlan
    rule_name: str | None = None


@dataclass
class EscalationInput:
    inquiry_id: str
    unit_code: str
    step: str
    fired_at: datetime
    due_at: datetime


@dataclass
class ReplySubmission:
    """A unit's reply as a handler submits it (update or, when no worker answers, signal)."""

    reply_id: str
    content: str
    replied_by: str
    unit_code: str
    submitted_at: datetime | None = None


@dataclass
class ReplyRecord:
    inquiry_id: str
    reply_id: str
    content: str
    replied_by: str
    unit_code: str
    replied_at: datetime


@dataclass
class FeedbackInput:
    inquiry_id: str
    tracking_code: str
    reply_content: str
    sent_at: datetime


@dataclass
class FeedbackResult:
    channel: str
    recipient_masked: str


@dataclass
class CloseInput:
    inquiry_id: str
    closed_at: datetime
    on_time: bool
    handling_seconds: int
    total_seconds: int


@dataclass
class InquiryState:
    """What the workflow query answers."""

    inquiry_id: str
    status: str
    unit_code: str | None = None
    plan: ClockPlan | None = None
    escalation_level: int = 0
    overdue: bool = False
    fired_steps: list[str] = field(default_factory=list)
    replied_at: datetime | None = None
    on_time: bool | None = None


@dataclass
class InquiryOutcome:
    inquiry_id: str
    unit_code: str
    on_time: bool
    feedback_channel: str
    escalation_level: int


@dataclass
class CalendarChange:
    """Signal `calendar_changed`: operator calendar days changed; open cases re-project."""

    changed_days: list[str]  # ISO dates
    changed_at: datetime
    reason: str = ""
