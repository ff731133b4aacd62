"""Legacy v1: the first workflow version's vocabulary and reply clock, kept only so that the
InquiryWorkflow runs started before CaseWorkflow replace it still run to their end.

Imported by nothing but workflows/legacy_v1.py, activities/legacy_v1.py, repository/legacy_v1.py
and their tests. Delete it with them once `inquiry legacy status` reports 0 running (README.md).
Temporal payloads are plain dataclasses: their field names are recorded in histories, keep them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from types import MappingProxyType

from domain.calendar import Deadline, add_natural, add_working_days

# ---- the first version's statuses and ladder ----


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


ESCALATION_LEVEL = MappingProxyType(
    {EscalationStep.REMINDER: 0, EscalationStep.LEVEL1: 1, EscalationStep.LEVEL2: 2}
)


# ---- the reply clock (was domain/sla.py) ----


class ClockKind(StrEnum):
    """How an SLA budget is measured."""

    NATURAL_HOURS = "natural_hours"
    WORKING_DAYS = "working_days"


@dataclass(frozen=True)
class SlaPolicy:
    """Reply budget and level-2 grace, in hours or working days depending on the clock."""

    clock: ClockKind
    reply_within: float
    level2_grace: float
    reminder_ratio: float = 0.75

    def __post_init__(self) -> None:
        """Reject budgets that would produce an impossible or unordered plan."""
        # Accept the plain string form, e.g. when a policy is loaded from configuration.
        object.__setattr__(self, "clock", ClockKind(self.clock))
        if not (math.isfinite(self.reply_within) and self.reply_within > 0):
            raise ValueError(f"reply_within must be > 0: {self.reply_within!r}")
        if not (math.isfinite(self.level2_grace) and self.level2_grace >= 0):
            raise ValueError(f"level2_grace must be >= 0: {self.level2_grace!r}")
        if not 0 < self.reminder_ratio < 1:
            raise ValueError(f"reminder_ratio must be in (0, 1): {self.reminder_ratio!r}")


@dataclass(frozen=True)
class ReplyClockPlan:
    """The UTC instants the reply workflow waits for; provisional if holiday data was guessed."""

    dispatched_at: datetime
    remind_at: datetime
    due_at: datetime
    level2_at: datetime
    provisional: bool


def plan_reply_clock(
    policy: SlaPolicy, dispatched_at: datetime, extra: Mapping[date, bool] | None = None
) -> ReplyClockPlan:
    """Compute remind/due/level-2 instants from dispatch; ordered remind <= due <= level2."""

    def add(start: datetime, amount: float) -> Deadline:
        if policy.clock is ClockKind.WORKING_DAYS:
            return add_working_days(start, amount, extra)
        return add_natural(start, amount)

    remind = add(dispatched_at, policy.reply_within * policy.reminder_ratio)
    due = add(dispatched_at, policy.reply_within)
    # Zero grace escalates at the due instant itself, even when that is 24:00 before a weekend.
    level2 = add(due.due_at, policy.level2_grace) if policy.level2_grace > 0 else due
    return ReplyClockPlan(
        dispatched_at=dispatched_at.astimezone(UTC),
        remind_at=remind.due_at,
        due_at=due.due_at,
        level2_at=level2.due_at,
        provisional=remind.provisional or due.provisional or level2.provisional,
    )


# ---- messages passed through Temporal ----


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
