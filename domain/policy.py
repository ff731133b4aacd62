"""A category's policy for the whole closed loop: clocks, ladder, and the limits of each path."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any


class Review(StrEnum):
    """Who reviews a draft reply (审核) before it reaches the citizen."""

    NONE = "none"
    UNIT_HEAD = "unit_head"
    OFFICE = "office"


@dataclass
class CasePolicy:
    """Snapshot of a category's policy, carried by the case workflow (a Temporal payload)."""

    category: str
    reply_unit: str  # a domain.clock.BudgetUnit value
    reply_within: float
    ack_unit: str = "natural_hours"
    ack_within: float = 8.0
    ack_grace: float = 4.0  # after the missed acknowledgement, before it goes back to the office
    ack_repeat_minutes: float = 0.0  # urgent categories: remind every N minutes until signed
    warnings: list[float] = field(default_factory=lambda: [0.5, 0.75])
    supervision_after: float = 1.0  # 督办 this long after the breach (催办), in the reply unit
    notice_after: float = 1.0  # 通报 this long after 督办
    hold_notices: bool = False  # deliver ladder notices only in office hours
    review: str = Review.NONE.value
    return_window_days: float = 1.0  # 退单 allowed within this many working days of dispatch
    max_returns: int = 2  # from this many returns on, a supervisor decides
    max_extensions: int = 1
    max_extension: float = 0.0  # in the reply unit; 0: no extension for this category
    extension_notice_days: float = 1.0  # ask at least this many working days before the deadline
    pause_limit_days: float = 15.0  # 补正: no answer within this many working days → withdrawn
    restart_on_supplement: bool = False  # information disclosure: the clock restarts on 补正
    followup_days: float = 3.0  # 回访: rating expected within this many working days
    office_start: str = "08:30"
    office_end: str = "17:30"
    urgent: bool = False


# The ladder of the reply clock (DOMAIN.md: 催办 → 督办 → 通报), each step once per cycle.
class Step(StrEnum):
    WARNING = "warning"  # before the deadline, to the unit (level 0)
    REMINDER = "reminder"  # 催办 at the deadline, to the unit and its head (level 1)
    SUPERVISION = "supervision"  # 督办, to the unit head and the open-affairs office (level 2)
    NOTICE = "notice"  # 通报, to supervisors (level 3)
    ACK_REMINDER = "ack_reminder"  # urgent: not yet signed for
    ACK_BREACH = "ack_breach"  # 签收 deadline missed: to the unit head (level 1)
    ACK_RETURN = "ack_return"  # still unsigned after the grace: back to the office
    PAUSE_EXPIRED = "pause_expired"  # 补正 unanswered: withdrawn
    FOLLOWUP_EXPIRED = "followup_expired"  # 回访 unrated: closed as not rated


STEP_LEVEL = {
    Step.WARNING: 0,
    Step.ACK_REMINDER: 0,
    Step.REMINDER: 1,
    Step.ACK_BREACH: 1,
    Step.ACK_RETURN: 1,
    Step.SUPERVISION: 2,
    Step.NOTICE: 3,
}


def with_targets(policy: CasePolicy, targets: Mapping[str, Any]) -> CasePolicy:
    """The policy with a priority's own targets (category_priorities); None keeps the category's."""
    chosen: dict[str, Any] = {n: float(v) for n, v in targets.items() if v is not None}
    return replace(policy, **chosen)
