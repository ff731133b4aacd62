"""The SLA explanation staff read on /sla, when a target stops, and the ledger's stored form."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.calendar import CHINA_TZ
from domain.clock import (
    BudgetUnit,
    ClockLedger,
    Segment,
    SegmentKind,
    WorkCalendar,
    close_segment,
    extend,
    ledger_from_json,
    ledger_to_json,
    open_segment,
)
from domain.explain import CaseTimes, explain, stopped_at


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=CHINA_TZ)  # type: ignore[misc]


def times(status: str, **at: datetime | None) -> CaseTimes:
    return CaseTimes(
        status=status,
        acknowledged_at=at.get("acknowledged_at"),
        replied_at=at.get("replied_at"),
        closed_at=at.get("closed_at"),
        updated_at=at.get("updated_at") or local(2026, 3, 2, 12),
    )


def reply_ledger() -> ClockLedger:
    """24 natural hours from Mon 09:00, paused 10:00-12:00, extended by 4 h."""
    ledger = ClockLedger("reply", BudgetUnit.NATURAL_HOURS, 24, local(2026, 3, 2, 9))
    ledger = open_segment(ledger, SegmentKind.PAUSED, local(2026, 3, 2, 10), "补正")
    ledger = close_segment(ledger, local(2026, 3, 2, 12))
    return extend(ledger, 4, local(2026, 3, 2, 13), "延期")


def test_a_running_target_is_explained_as_of_now() -> None:
    shown = explain(reply_ledger(), WorkCalendar(), None, local(2026, 3, 2, 15))
    assert shown.budget == 24 and shown.extended == 4 and shown.total == 28
    assert shown.consumed == 4  # 09-10 and 12-15; the pause is not counted
    assert shown.remaining == 24
    assert shown.due_at == local(2026, 3, 3, 15)  # 28 h + the 2 h pause
    assert [s.kind for s in shown.segments] == ["paused", "extended"]
    assert shown.started_at == local(2026, 3, 2, 9)
    assert not shown.overdue and not shown.paused and not shown.provisional
    assert shown.stopped_at is None


def test_a_done_target_is_explained_as_of_when_it_stopped() -> None:
    done = local(2026, 3, 2, 14)
    shown = explain(reply_ledger(), WorkCalendar(), done, local(2026, 3, 9, 9))
    assert shown.consumed == 3  # frozen at 14:00, not a week of overdue
    assert not shown.overdue
    assert shown.stopped_at == done


def test_an_overdue_target_shows_a_negative_remainder() -> None:
    ledger = ClockLedger("reply", BudgetUnit.NATURAL_HOURS, 4, local(2026, 3, 2, 9))
    shown = explain(ledger, WorkCalendar(), None, local(2026, 3, 2, 15, 30))
    assert shown.overdue and shown.remaining == -2.5
    assert shown.due_at == local(2026, 3, 2, 13)


def test_an_open_pause_has_no_due_time() -> None:
    ledger = ClockLedger("reply", BudgetUnit.WORKING_DAYS, 5, local(2026, 3, 2, 9))
    ledger = open_segment(ledger, SegmentKind.PAUSED, local(2026, 3, 3, 9), "补正")
    shown = explain(ledger, WorkCalendar(), None, local(2026, 3, 5, 9))
    assert shown.paused and shown.due_at is None and not shown.overdue
    assert shown.consumed == 1


def test_a_ledger_into_an_unpublished_year_is_provisional() -> None:
    ledger = ClockLedger("reply", BudgetUnit.WORKING_DAYS, 20, local(2026, 12, 20, 9))
    assert explain(ledger, WorkCalendar(), None, local(2026, 12, 21, 9)).provisional


@pytest.mark.parametrize(
    ("target", "active", "case", "expected"),
    [
        ("acknowledge", True, times("handling", acknowledged_at=local(2026, 3, 2, 9)), "ack"),
        ("acknowledge", True, times("dispatched"), None),
        ("acknowledge", True, times("returned"), "updated"),
        ("reply", True, times("handling", replied_at=local(2026, 3, 2, 11)), None),
        ("reply", True, times("follow_up", replied_at=local(2026, 3, 2, 11)), "replied"),
        ("reply", True, times("closed", replied_at=local(2026, 3, 2, 11)), "replied"),
        ("reply", False, times("handling"), "updated"),
        ("follow_up", True, times("follow_up"), None),
        ("follow_up", True, times("closed", closed_at=local(2026, 3, 4, 9)), "closed"),
    ],
)
def test_when_a_target_stops(target: str, active: bool, case: CaseTimes, expected: str) -> None:
    moments = {
        "ack": case.acknowledged_at,
        "updated": case.updated_at,
        "replied": case.replied_at,
        "closed": case.closed_at,
        None: None,
    }
    assert stopped_at(target, active, case) == moments[expected]


# ---- the stored form ----

_moments = st.datetimes(
    min_value=datetime(2004, 1, 1),
    max_value=datetime(2040, 12, 31),
    timezones=st.sampled_from([UTC, CHINA_TZ, timezone(timedelta(hours=-5, minutes=-30))]),
)
_amounts = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)
_segments = st.builds(
    Segment,
    kind=st.sampled_from([k.value for k in SegmentKind]),
    start=_moments,
    end=st.none() | _moments,
    amount=_amounts,
    reason=st.text(max_size=20),
)
_ledgers = st.builds(
    ClockLedger,
    target=st.sampled_from(["acknowledge", "reply", "follow_up"]),
    unit=st.sampled_from([u.value for u in BudgetUnit]),
    budget=_amounts,
    started_at=_moments,
    segments=st.lists(_segments, max_size=5),
)


@given(_ledgers)
def test_a_stored_ledger_reads_back_as_the_same_ledger(ledger: ClockLedger) -> None:
    stored = json.loads(json.dumps(ledger_to_json(ledger)))  # as PostgreSQL's jsonb gives it
    assert ledger_from_json(stored) == ledger


def test_the_stored_form_is_what_sla_clocks_holds() -> None:
    stored = ledger_to_json(reply_ledger())
    assert stored["started_at"] == "2026-03-02T09:00:00+08:00"
    assert stored["segments"][0] == {
        "kind": "paused",
        "start": "2026-03-02T10:00:00+08:00",
        "end": "2026-03-02T12:00:00+08:00",
        "amount": 0.0,
        "reason": "补正",
    }


def test_a_ledger_stored_before_a_field_existed_reads_with_its_default() -> None:
    older = {
        "target": "reply",
        "unit": "natural_hours",
        "budget": 24,
        "started_at": "2026-03-02T09:00:00+08:00",
        "segments": [{"kind": "paused", "start": "2026-03-02T10:00:00+08:00", "end": None}],
    }
    ledger = ledger_from_json(older)
    assert ledger.segments[0].amount == 0.0 and ledger.segments[0].reason == ""
    assert ledger.segments[0].end is None and ledger.budget == 24.0
