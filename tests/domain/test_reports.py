"""The figure maths: what a case's events contribute (new and older events), the rates, the
median and 90th percentile, grouping, the cases behind a figure, and one import line."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from domain import case_import
from domain.calendar import CHINA_TZ
from domain.reports import (
    FIGURE_ZH,
    FIGURES,
    CaseFacts,
    CaseRow,
    EventFact,
    GroupBy,
    case_facts,
    cases_behind,
    duration_zh,
    median,
    percent,
    percentile,
    period_bounds,
    rate,
    summarize,
)

T0 = datetime(2019, 3, 1, 1, 0, tzinfo=UTC)
CUT = datetime(2020, 1, 1, tzinfo=CHINA_TZ)
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def _row(**changes: Any) -> CaseRow:
    row = CaseRow(
        inquiry_id="00000000-0000-0000-0000-000000000001",
        tracking_code="WQTEST",
        content="停水了",
        channel="hotline",
        category="billing",
        district="和平区",
        unit_code="pipe_repair",
        status="closed",
        paused=False,
        reply_due_at=None,
        on_time=None,
        rating=None,
        close_reason=None,
        handling_seconds=None,
    )
    return replace(row, **changes)


def _e(kind: str, hours: float, **detail: Any) -> EventFact:
    return EventFact(kind, T0 + timedelta(hours=hours), detail)


def test_a_case_read_from_events_that_carry_their_columns() -> None:
    events = [
        _e("received", 0, channel="hotline"),
        _e("dispatched", 0.1, unit="open_affairs", columns={}),
        _e("returned", 1, unit="open_affairs", columns={"returns": 1}),
        _e("redispatched", 2, unit="pipe_repair", columns={}),
        _e("extension_approved", 3, unit="pipe_repair", columns={"extensions": 1}),
        _e("replied", 5, unit="pipe_repair", columns={"on_time": True, "handling_seconds": 17640}),
        _e("reopened", 6, unit="pipe_repair", columns={"rating": "unsatisfied", "reopened": 1}),
        _e("replied", 8, unit="pipe_repair", columns={"on_time": False, "handling_seconds": 28440}),
        _e("closed", 9, unit="pipe_repair", columns={"on_time": False, "rating": "satisfied"}),
    ]
    # The row says otherwise: events that carry columns win over it.
    facts = case_facts(_row(on_time=True, handling_seconds=1), events, cut_off=CUT, now=NOW)
    assert (facts.unit, facts.dispatched, facts.answered, facts.closed) == (
        "pipe_repair", True, True, True,
    )  # fmt: skip
    assert (facts.returned, facts.extended, facts.reopened) == (True, True, True)
    assert facts.on_time is False and facts.rating == "satisfied"
    assert facts.handling_seconds == 28440 and not facts.answered_on_site


def test_events_written_before_they_carried_columns_fall_back_to_the_row() -> None:
    events = [
        _e("received", 0),
        _e("dispatched", 0.1, unit="drainage"),
        _e("replied", 5, unit="drainage"),
        _e("closed", 9, unit="drainage", reason="好"),
    ]
    row = _row(on_time=True, rating="basically_satisfied", close_reason="rated",
               handling_seconds=18000, unit_code=None)  # fmt: skip
    facts = case_facts(row, events, cut_off=CUT, now=NOW)
    assert facts.on_time is True and facts.rating == "basically_satisfied"
    assert facts.handling_seconds == 18000 and facts.unit == "drainage"
    # An old reopening is an 不满意 even without columns; not_rated is no rating.
    reopened = [*events[:3], _e("reopened", 6, unit="drainage")]
    assert case_facts(_row(), reopened, cut_off=CUT, now=NOW).rating == "unsatisfied"
    unrated = _row(rating="not_rated", close_reason="not_rated")
    assert case_facts(unrated, events, cut_off=CUT, now=NOW).rating is None
    # Legacy v1 wrote on_time into the closed event's own detail.
    legacy = [*events[:3], _e("closed", 9, on_time=False)]
    assert case_facts(_row(on_time=True), legacy, cut_off=CUT, now=NOW).on_time is False


def test_nothing_after_the_cut_off_counts_and_an_answer_on_the_spot_has_no_handling_time() -> None:
    events = [
        _e("received", 0),
        _e("answered_on_site", 0, columns={"on_time": True, "handling_seconds": 0}),
        _e("closed", 9, columns={"on_time": True, "rating": "satisfied"}),
    ]
    early = case_facts(_row(), events, cut_off=T0 + timedelta(hours=1), now=NOW)
    assert early.answered and early.answered_on_site and not early.closed
    assert early.rating is None and early.handling_seconds is None
    assert not early.dispatched


def test_overdue_is_of_the_present_and_a_paused_case_is_not_overdue() -> None:
    due = NOW - timedelta(hours=1)
    events = [_e("received", 0), _e("dispatched", 0.1, unit="drainage", columns={})]
    open_row = _row(status="handling", reply_due_at=due)
    assert case_facts(open_row, events, cut_off=CUT, now=NOW).overdue_now
    assert not case_facts(replace(open_row, paused=True), events, cut_off=CUT, now=NOW).overdue_now
    assert not case_facts(open_row, events, cut_off=CUT, now=due).overdue_now
    answered = replace(open_row, status="follow_up")
    assert not case_facts(answered, events, cut_off=CUT, now=NOW).overdue_now


def test_rates_median_and_nearest_rank_percentile() -> None:
    assert rate(2, 3) == 0.6667 and rate(0, 0) is None and rate(3, 3) == 1.0
    assert median([]) is None and median([5]) == 5 and median([1, 2, 3, 10]) == 3  # 2.5 → 3
    assert median([4, 1, 7]) == 4
    values = list(range(1, 11))
    assert percentile(values, 0.9) == 9 and percentile([7], 0.9) == 7
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 0.9) == 10
    assert percent(1.0) == "100%" and percent(0.6667) == "66.7%" and percent(None) == "—"
    assert duration_zh(86400) == "24.0小时" and duration_zh(172800) == "2.0天"
    assert set(FIGURE_ZH) == set(FIGURES)


def _facts(key: str, **changes: Any) -> CaseFacts:
    base = CaseFacts(
        inquiry_id=key,
        tracking_code=key,
        content="",
        received_at=datetime(2019, 5, 31, 17, tzinfo=UTC),  # 2019-06-01 01:00 in China
        channel="hotline",
        category="billing",
        district=None,
        unit="drainage",
    )
    return replace(base, **changes)


def test_summaries_group_and_the_cases_behind_a_figure() -> None:
    cases = [
        _facts("a", dispatched=True, answered=True, closed=True, on_time=True,
               rating="satisfied", handling_seconds=100),
        _facts("b", dispatched=True, answered=True, closed=True, on_time=False,
               rating="unsatisfied", handling_seconds=300, unit="pipe_repair", returned=True),
        _facts("c", answered_on_site=True, answered=True, channel="onsite", unit=None,
               rating="basically_satisfied"),
        _facts("d", dispatched=True, channel="transfer", overdue_now=True, district="和平区"),
    ]  # fmt: skip
    total = summarize(cases, None).total
    assert total.counts == {
        "received": 4, "answered_on_site": 1, "dispatched": 3, "transferred_in": 1,
        "answered": 3, "closed": 2, "closed_on_time": 1, "rated": 3, "satisfied": 1,
        "basically_satisfied": 1, "unsatisfied": 1, "returned": 1, "extended": 0,
        "reopened": 0, "overdue_now": 1,
    }  # fmt: skip
    assert total.rates == {
        "completion_rate": 0.5, "on_time_rate": 0.5, "satisfaction_rate": 0.6667,
        "return_rate": 0.3333, "extension_rate": 0.0, "reopen_rate": 0.0,
    }  # fmt: skip
    assert (total.handling_median_seconds, total.handling_p90_seconds) == (200, 300)

    by_unit = summarize(cases, GroupBy.UNIT).groups
    assert [k for k, _ in by_unit] == ["drainage", "pipe_repair", "none"]
    assert [f.counts["received"] for _, f in by_unit] == [2, 1, 1]
    assert [k for k, _ in summarize(cases, GroupBy.MONTH).groups] == ["2019-06"]
    districts = summarize(cases, GroupBy.DISTRICT).groups
    assert [(k, f.counts["received"]) for k, f in districts] == [("和平区", 1), ("none", 3)]

    assert [c.inquiry_id for c in cases_behind(cases, "satisfaction_rate", None, None)] == [
        "a", "c",
    ]  # fmt: skip
    assert [c.inquiry_id for c in cases_behind(cases, "closed", GroupBy.UNIT, "drainage")] == ["a"]
    assert [c.inquiry_id for c in cases_behind(cases, "handling_p90_seconds", None, None)] == [
        "a", "b",
    ]  # fmt: skip
    with pytest.raises(ValueError):
        cases_behind(cases, "happiness", None, None)


def test_a_period_is_whole_days_in_china_time() -> None:
    start, end = period_bounds(date(2019, 1, 1), date(2019, 12, 31))
    assert start == datetime(2018, 12, 31, 16, tzinfo=UTC)
    assert end == datetime(2019, 12, 31, 16, tzinfo=UTC)


LINE = {
    "external_ref": "", "channel": "hotline", "category": "billing", "unit": "business_window",
    "district": "", "content": "", "received_at": "2019-03-05 10:00",
    "dispatched_at": "2019-03-05 10:30", "replied_at": "2019-03-07 10:30",
    "closed_at": "2019-03-08", "reply_due_at": "2019-03-06 10:30", "on_time": "",
    "reply": "已处理", "rating": "基本满意", "answered_on_site": "",
}  # fmt: skip


def test_an_import_line_becomes_a_case_with_the_events_the_workflow_would_write() -> None:
    case = case_import.read_line(LINE)
    assert case.received_at == datetime(2019, 3, 5, 10, tzinfo=CHINA_TZ)
    assert case.closed_at == datetime(2019, 3, 8, tzinfo=CHINA_TZ)
    assert case.on_time is False  # replied after its due time
    assert case.rating == "basically_satisfied" and case.content == case_import.DEFAULT_CONTENT
    assert case_import.handling_seconds(case) == 48 * 3600
    timeline = case_import.events(case)
    assert [kind for kind, _, _ in timeline] == ["received", "dispatched", "replied", "closed"]
    closed = timeline[-1][2]
    assert closed["columns"]["rating"] == "basically_satisfied"
    assert closed["columns"]["on_time"] is False and closed["unit"] == "business_window"
    # The reports read the imported events like the workflow's.
    facts = case_facts(
        _row(unit_code="business_window"),
        [EventFact(kind, at, detail) for kind, at, detail in timeline],
        cut_off=CUT,
        now=NOW,
    )
    assert facts.closed and facts.on_time is False and facts.rating == "basically_satisfied"
    assert facts.handling_seconds == 48 * 3600


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"channel": "fax"}, "channel"),
        ({"closed_at": ""}, "missing closed_at"),
        ({"received_at": "5.3.2019"}, "received_at"),
        ({"replied_at": "2019-03-05 09:00"}, "replied_at is before dispatched_at"),
        ({"rating": "great"}, "rating"),
        ({"answered_on_site": "是"}, "not passed to a unit"),
        ({"dispatched_at": ""}, "needs its unit and dispatched_at"),
        ({"on_time": "maybe"}, "on_time"),
    ],
)
def test_a_wrong_import_line_is_refused_with_its_reason(
    changes: dict[str, str], reason: str
) -> None:
    with pytest.raises(case_import.LineError, match=reason):
        case_import.read_line({**LINE, **changes})


def test_the_natural_key_is_the_external_ref_or_the_line_itself() -> None:
    assert case_import.natural_key({**LINE, "external_ref": "MX-1"}) == "ref:MX-1"
    same = case_import.natural_key(LINE)
    assert same == case_import.natural_key(dict(LINE)) and same.startswith("line:")
    assert case_import.natural_key({**LINE, "reply": "另一答复"}) != same
