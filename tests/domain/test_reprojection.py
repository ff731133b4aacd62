"""The preview of a calendar or policy change (pure): due times moved, cases overdue at once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from domain.clock import ClockLedger, open_segment
from domain.policy import CasePolicy
from domain.reprojection import OpenCase, Setting, preview

START = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
NOW = START + timedelta(days=1)  # Tuesday 10:00
WEDNESDAY = date(2026, 11, 4)


def _case(n: int, status: str, unit: str, budget: float, *, paused: bool = False) -> OpenCase:
    reply = ClockLedger("reply", unit, budget, START)
    if paused:
        reply = open_segment(reply, "paused", START + timedelta(hours=2))
    return OpenCase(f"id{n}", f"WQ{n}", status, 1, {"reply": reply})


def _policy(unit: str, within: float) -> CasePolicy:
    return CasePolicy(category="t", reply_unit=unit, reply_within=within)


def test_a_holiday_moves_working_day_cases_and_leaves_hours_alone() -> None:
    days = _case(1, "handling", "working_days", 5)  # due Monday 9 Nov 10:00
    hours = _case(2, "handling", "natural_hours", 48)
    current: dict[date, bool] = {}  # no overrides yet
    holiday = {WEDNESDAY: False}
    got = preview(
        [
            (days, Setting(_policy("working_days", 5), current), Setting(_policy("working_days", 5), holiday)),
            (hours, Setting(_policy("natural_hours", 48), current), Setting(_policy("natural_hours", 48), holiday)),
        ],
        NOW,
        new_policy=False,
    )  # fmt: skip
    assert (got.open_cases, got.changed, got.overdue_at_once) == (2, 1, 0)
    (shift,) = got.shifts
    assert shift.tracking_code == "WQ1"
    assert shift.reply_due_after - shift.reply_due_before == timedelta(days=1)  # type: ignore[operator]


def test_a_shorter_budget_makes_running_cases_overdue_at_once_but_not_paused_ones() -> None:
    running = _case(1, "handling", "natural_hours", 48)  # 24 h consumed by NOW
    paused = _case(2, "paused", "natural_hours", 48, paused=True)
    late = _case(3, "handling", "natural_hours", 12)  # overdue already: not "at once"
    young = _case(4, "dispatched", "natural_hours", 48)
    before, after = _policy("natural_hours", 48), _policy("natural_hours", 10)
    cases = [(c, Setting(before, {}), Setting(after, {})) for c in (running, paused, young)]
    cases.append((late, Setting(_policy("natural_hours", 12), {}), Setting(after, {})))
    got = preview(cases, NOW, new_policy=True)
    # Every budget shrinks except a paused clock's due time, which stays open (None).
    assert {s.tracking_code for s in got.shifts} == {"WQ1", "WQ3", "WQ4"}
    assert {s.tracking_code for s in got.shifts if s.overdue_at_once} == {"WQ1", "WQ4"}
    assert (got.open_cases, got.changed, got.overdue_at_once) == (4, 3, 2)


def test_a_budget_of_another_clock_unit_is_not_taken() -> None:
    """As the workflow's policy_changed: a reply ledger in another unit keeps its budget."""
    case = _case(1, "handling", "working_days", 5)
    got = preview(
        [(case, Setting(_policy("working_days", 5), {}), Setting(_policy("natural_hours", 1), {}))],
        NOW,
        new_policy=True,
    )
    assert (got.changed, got.overdue_at_once) == (0, 0)


def test_nothing_proposed_changes_nothing() -> None:
    case = _case(1, "handling", "working_days", 5)
    same = Setting(_policy("working_days", 5), {WEDNESDAY: False})
    assert preview([(case, same, same)], NOW, new_policy=True).changed == 0
