"""Reply clock plan for one inquiry: when to remind, when the reply is due, when to escalate."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum

from domain.calendar import Deadline, add_natural, add_working_days


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
