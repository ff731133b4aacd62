"""Legacy v1's reply clock plan (domain/legacy_v1.py): both clock kinds, escalation grace,
validation, ordering."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.calendar import CHINA_TZ
from domain.legacy_v1 import ClockKind, ReplyClockPlan, SlaPolicy, plan_reply_clock


def local(*args: int) -> datetime:
    """A China-local aware datetime, converted to UTC for comparison with plan fields."""
    return datetime(*args, tzinfo=CHINA_TZ).astimezone(UTC)


def test_natural_hours_plan() -> None:
    policy = SlaPolicy(ClockKind.NATURAL_HOURS, reply_within=24, level2_grace=12)
    plan = plan_reply_clock(policy, datetime(2026, 9, 30, 10, tzinfo=CHINA_TZ))
    assert plan == ReplyClockPlan(
        dispatched_at=local(2026, 9, 30, 10),
        remind_at=local(2026, 10, 1, 4),  # 18h, straight through the holiday
        due_at=local(2026, 10, 1, 10),
        level2_at=local(2026, 10, 1, 22),
        provisional=False,
    )
    assert plan.dispatched_at.tzinfo is UTC


def test_working_days_plan_across_national_day() -> None:
    policy = SlaPolicy(ClockKind.WORKING_DAYS, reply_within=2, level2_grace=1)
    plan = plan_reply_clock(policy, datetime(2026, 9, 30, 10, tzinfo=CHINA_TZ))
    # 1.5 WD: 14h on 09-30 + 22h on 10-08. 2 WD: +10h on 10-09.
    assert plan.remind_at == local(2026, 10, 8, 22)
    assert plan.due_at == local(2026, 10, 9, 10)
    # Grace from due: 14h on 10-09, then 10h on make-up Saturday 10-10.
    assert plan.level2_at == local(2026, 10, 10, 10)
    assert plan.provisional is False


def test_zero_grace_escalates_at_due_even_before_weekend() -> None:
    # Due lands on Friday 24:00 (Saturday 00:00); level 2 must not slide to Monday.
    policy = SlaPolicy(ClockKind.WORKING_DAYS, reply_within=1, level2_grace=0)
    plan = plan_reply_clock(policy, datetime(2026, 11, 6, tzinfo=CHINA_TZ))
    assert plan.due_at == local(2026, 11, 7)
    assert plan.level2_at == plan.due_at


def test_plan_into_2027_is_provisional() -> None:
    policy = SlaPolicy(ClockKind.WORKING_DAYS, reply_within=10, level2_grace=5)
    plan = plan_reply_clock(policy, datetime(2026, 12, 28, 10, tzinfo=CHINA_TZ))
    assert plan.level2_at == local(2027, 1, 18, 10)
    assert plan.provisional is True


def test_plan_only_level2_in_2027_is_provisional() -> None:
    policy = SlaPolicy(ClockKind.WORKING_DAYS, reply_within=1, level2_grace=2)
    plan = plan_reply_clock(policy, datetime(2026, 12, 29, 10, tzinfo=CHINA_TZ))
    assert plan.due_at == local(2026, 12, 30, 10)
    assert plan.provisional is True


def test_extra_override_reaches_plan() -> None:
    policy = SlaPolicy(ClockKind.WORKING_DAYS, reply_within=10, level2_grace=5)
    dispatched = datetime(2026, 12, 28, 10, tzinfo=CHINA_TZ)
    plan = plan_reply_clock(policy, dispatched, {datetime(2027, 1, 1).date(): False})
    assert plan.level2_at == local(2027, 1, 19, 10)


def test_policy_accepts_string_clock() -> None:
    policy = SlaPolicy("working_days", reply_within=2, level2_grace=1)  # type: ignore[arg-type]
    assert policy.clock is ClockKind.WORKING_DAYS


@pytest.mark.parametrize(
    ("reply_within", "level2_grace", "reminder_ratio"),
    [
        (0, 1, 0.75),
        (-1, 1, 0.75),
        (float("nan"), 1, 0.75),
        (1, -0.5, 0.75),
        (1, float("inf"), 0.75),
        (1, 1, 0),
        (1, 1, 1),
        (1, 1, 1.5),
    ],
)
def test_policy_validation(reply_within: float, level2_grace: float, reminder_ratio: float) -> None:
    with pytest.raises(ValueError):
        SlaPolicy(ClockKind.NATURAL_HOURS, reply_within, level2_grace, reminder_ratio)


def test_policy_rejects_unknown_clock() -> None:
    with pytest.raises(ValueError):
        SlaPolicy("fortnights", 1, 1)  # type: ignore[arg-type]


def test_naive_dispatch_rejected() -> None:
    policy = SlaPolicy(ClockKind.NATURAL_HOURS, reply_within=24, level2_grace=12)
    with pytest.raises(ValueError):
        plan_reply_clock(policy, datetime(2026, 9, 30, 10))


policies = st.builds(
    SlaPolicy,
    clock=st.sampled_from(ClockKind),
    reply_within=st.floats(min_value=0.01, max_value=15),
    level2_grace=st.floats(min_value=0, max_value=5),
    reminder_ratio=st.floats(min_value=0.01, max_value=0.99),
)
dispatches = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2026, 11, 15), timezones=st.just(CHINA_TZ)
)


@settings(max_examples=200, deadline=None)
@given(policy=policies, dispatched_at=dispatches)
def test_plan_is_ordered(policy: SlaPolicy, dispatched_at: datetime) -> None:
    plan = plan_reply_clock(policy, dispatched_at)
    assert plan.dispatched_at <= plan.remind_at <= plan.due_at <= plan.level2_at
    assert plan.provisional is False
