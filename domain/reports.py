"""The figures the group publishes (DOMAIN.md "Figures the group reports"), computed from each
case's append-only events: what one case contributes, how figures add up per group, the rates,
and the median and 90th percentile of handling time. Pure: no I/O, no clock of its own.

A period's cohort is the inquiries whose `received` event falls in it; each one's outcomes are
read from its events up to the cut-off (the end of the period unless asked otherwise), so a past
period gives the same figures however often it is recomputed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from domain.calendar import CHINA_TZ
from domain.case import OPEN_STATUSES
from domain.models import Channel

GIVEN_RATINGS = ("satisfied", "basically_satisfied", "unsatisfied")  # not_rated is no rating
ANSWER_KINDS = frozenset({"answered_on_site", "replied", "review_approved"})
CLOSING_KINDS = frozenset({"closed", "withdrawn"})
NO_GROUP = "none"  # the group of cases that lack the grouping fact (no district, no unit)


class GroupBy(StrEnum):
    UNIT = "unit"
    CHANNEL = "channel"
    CATEGORY = "category"
    DISTRICT = "district"
    MONTH = "month"


CHANNEL_ZH: Mapping[str, str] = {
    Channel.HOTLINE: "114公民政务咨询热线",
    Channel.MINXIN: "省“民心网”",
    Channel.TRANSFER: "市政务公开办转办件",
    Channel.WEB: "政府网站",
    Channel.ONSITE: "“5.15”政务公开日",
    Channel.COUNTER: "营业窗口",
}


# Every figure's Chinese name, as the exports' headers and the report write it.
FIGURE_ZH: Mapping[str, str] = {
    "received": "受理",
    "answered_on_site": "现场解答",
    "dispatched": "转交单位办理",
    "transferred_in": "转办件",
    "answered": "已答复",
    "closed": "办结",
    "closed_on_time": "按时办结",
    "rated": "回访评价",
    "satisfied": "满意",
    "basically_satisfied": "基本满意",
    "unsatisfied": "不满意",
    "returned": "退单",
    "extended": "延期",
    "reopened": "重办",
    "overdue_now": "当前超期",
    "completion_rate": "办结率",
    "on_time_rate": "按时办结率",
    "satisfaction_rate": "满意率",
    "return_rate": "退单率",
    "extension_rate": "延期率",
    "reopen_rate": "重办率",
    "handling_median_seconds": "办理用时中位数（秒）",
    "handling_p90_seconds": "办理用时90分位（秒）",
}


@dataclass(frozen=True)
class EventFact:
    """One row of inquiry_events as the figures read it."""

    kind: str
    occurred_at: datetime
    detail: Mapping[str, Any]


@dataclass(frozen=True)
class CaseRow:
    """The inquiries row: the case's fixed facts, its state now, and the values that events
    written before they carried their columns fall back to."""

    inquiry_id: str
    tracking_code: str
    content: str
    channel: str
    category: str
    district: str | None
    unit_code: str | None
    status: str
    paused: bool
    reply_due_at: datetime | None
    on_time: bool | None
    rating: str | None
    close_reason: str | None
    handling_seconds: int | None


@dataclass(frozen=True)
class CaseFacts:
    """What one case of the cohort contributes to the figures."""

    inquiry_id: str
    tracking_code: str
    content: str
    received_at: datetime
    channel: str
    category: str
    district: str | None
    unit: str | None
    answered_on_site: bool = False
    dispatched: bool = False
    answered: bool = False
    closed: bool = False
    on_time: bool | None = None
    rating: str | None = None
    returned: bool = False
    extended: bool = False
    reopened: bool = False
    overdue_now: bool = False
    handling_seconds: int | None = None

    def group(self, by: GroupBy) -> str:
        if by == GroupBy.MONTH:
            return self.received_at.astimezone(CHINA_TZ).strftime("%Y-%m")
        value = {
            GroupBy.UNIT: self.unit,
            GroupBy.CHANNEL: self.channel,
            GroupBy.CATEGORY: self.category,
            GroupBy.DISTRICT: self.district,
        }[by]
        return value or NO_GROUP


def _column(event: EventFact, name: str, fallback: Any) -> Any:
    """A fact the transition set: from the event's columns (recorded since reports exist), the
    event's own detail (legacy v1), else the inquiries row (events written before)."""
    if "columns" in event.detail:
        return event.detail["columns"].get(name)
    if name in event.detail:
        return event.detail[name]
    return fallback


def _rating_of(event: EventFact, row: CaseRow) -> str | None:
    """The rating an event records, if any (a citizen's rating, never `not_rated`)."""
    if "columns" in event.detail:
        value = event.detail["columns"].get("rating")
    elif event.kind in ("reopened", "rated_unsatisfied_again"):
        value = "unsatisfied"
    elif event.kind == "closed" and row.close_reason in ("rated", "supervisor_closed"):
        value = row.rating
    else:
        value = None
    return value if value in GIVEN_RATINGS else None


def case_facts(
    row: CaseRow, events: Sequence[EventFact], *, cut_off: datetime, now: datetime
) -> CaseFacts:
    """The case's contribution from its events before the cut-off, in the order they happened.

    Overdue is the one figure of the present: open now, reply clock running, past its due time.
    """
    seen = [e for e in events if e.occurred_at < cut_off]
    kinds = {e.kind for e in seen}
    received = next(e.occurred_at for e in seen if e.kind == "received")
    unit = row.unit_code
    rating = None
    for event in seen:
        unit = event.detail.get("unit") or unit
        rating = _rating_of(event, row) or rating
    answers = [e for e in seen if e.kind in ANSWER_KINDS]
    closing = next((e for e in seen if e.kind in CLOSING_KINDS), None)
    handling = None
    if answers and answers[-1].kind != "answered_on_site":
        value = _column(answers[-1], "handling_seconds", row.handling_seconds)
        handling = int(value) if value is not None else None
    on_time = None
    if closing is not None:
        value = _column(closing, "on_time", row.on_time)
        on_time = bool(value) if value is not None else None
    overdue = (
        row.status in OPEN_STATUSES
        and not row.paused
        and row.reply_due_at is not None
        and row.reply_due_at < now
    )
    return CaseFacts(
        inquiry_id=row.inquiry_id,
        tracking_code=row.tracking_code,
        content=row.content,
        received_at=received,
        channel=row.channel,
        category=row.category,
        district=row.district,
        unit=unit,
        answered_on_site="answered_on_site" in kinds,
        dispatched="dispatched" in kinds,
        answered=bool(answers),
        closed=closing is not None,
        on_time=on_time,
        rating=rating,
        returned="returned" in kinds,
        extended="extension_approved" in kinds,
        reopened="reopened" in kinds,
        overdue_now=overdue,
        handling_seconds=handling,
    )


# ---- the figures: which cases each counts, and the rates made of them ----

Predicate = Callable[[CaseFacts], bool]

COUNTS: Mapping[str, Predicate] = {
    "received": lambda c: True,
    "answered_on_site": lambda c: c.answered_on_site,
    "dispatched": lambda c: c.dispatched,
    "transferred_in": lambda c: c.channel == Channel.TRANSFER,
    "answered": lambda c: c.answered,
    "closed": lambda c: c.closed,
    "closed_on_time": lambda c: c.closed and c.on_time is True,
    "rated": lambda c: c.rating is not None,
    "satisfied": lambda c: c.rating == "satisfied",
    "basically_satisfied": lambda c: c.rating == "basically_satisfied",
    "unsatisfied": lambda c: c.rating == "unsatisfied",
    "returned": lambda c: c.returned,
    "extended": lambda c: c.extended,
    "reopened": lambda c: c.reopened,
    "overdue_now": lambda c: c.overdue_now,
}

# rate: (numerator figures, denominator figure)
RATES: Mapping[str, tuple[tuple[str, ...], str]] = {
    "completion_rate": (("closed",), "received"),
    "on_time_rate": (("closed_on_time",), "closed"),
    "satisfaction_rate": (("satisfied", "basically_satisfied"), "rated"),
    "return_rate": (("returned",), "dispatched"),
    "extension_rate": (("extended",), "dispatched"),
    "reopen_rate": (("reopened",), "answered"),
}

HANDLING = ("handling_median_seconds", "handling_p90_seconds")


def _handled(c: CaseFacts) -> bool:
    return c.handling_seconds is not None


def behind(figure: str) -> Predicate | None:
    """The cases behind a figure: a count's own, a rate's numerator, handling time's answers."""
    if figure in COUNTS:
        return COUNTS[figure]
    if figure in RATES:
        parts = [COUNTS[name] for name in RATES[figure][0]]
        return lambda c: any(p(c) for p in parts)
    if figure in HANDLING:
        return _handled
    return None


FIGURES: tuple[str, ...] = (*COUNTS, *RATES, *HANDLING)


def rate(numerator: int, denominator: int) -> float | None:
    """A share rounded to 4 places; none when nothing was there to count."""
    return round(numerator / denominator, 4) if denominator else None


def median(values: Sequence[int]) -> int | None:
    """The middle value (the mean of the two middle ones, half a second up), none for none."""
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid] + 1) // 2


def percentile(values: Sequence[int], share: float) -> int | None:
    """Nearest rank: the smallest value that at least `share` of the values do not exceed."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


@dataclass
class Figures:
    """Every figure of one group (or of the whole period)."""

    counts: dict[str, int]
    rates: dict[str, float | None]
    handling_median_seconds: int | None
    handling_p90_seconds: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.counts,
            **self.rates,
            "handling_median_seconds": self.handling_median_seconds,
            "handling_p90_seconds": self.handling_p90_seconds,
        }


def figures(cases: Iterable[CaseFacts]) -> Figures:
    cases = list(cases)
    counts = {name: sum(1 for c in cases if test(c)) for name, test in COUNTS.items()}
    rates = {
        name: rate(sum(counts[n] for n in numerators), counts[denominator])
        for name, (numerators, denominator) in RATES.items()
    }
    times = [c.handling_seconds for c in cases if c.handling_seconds is not None]
    return Figures(counts, rates, median(times), percentile(times, 0.9))


@dataclass
class Summary:
    total: Figures
    groups: list[tuple[str, Figures]] = field(default_factory=list)


def summarize(cases: Sequence[CaseFacts], by: GroupBy | None) -> Summary:
    """The figures in total and, when asked, per group (groups in key order, `none` last)."""
    if by is None:
        return Summary(figures(cases))
    keys = sorted({c.group(by) for c in cases}, key=lambda k: (k == NO_GROUP, k))
    return Summary(
        figures(cases), [(k, figures(c for c in cases if c.group(by) == k)) for k in keys]
    )


def cases_behind(
    cases: Sequence[CaseFacts], figure: str, by: GroupBy | None, group: str | None
) -> list[CaseFacts]:
    """The cases a figure counts, of one group or of all; oldest first."""
    test = behind(figure)
    if test is None:
        raise ValueError(f"unknown figure {figure!r}")
    chosen = [c for c in cases if test(c) and (by is None or group is None or c.group(by) == group)]
    return sorted(chosen, key=lambda c: (c.received_at, c.inquiry_id))


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in China time, as aware datetimes."""
    return (
        datetime.combine(start, time(), tzinfo=CHINA_TZ),
        datetime.combine(end + timedelta(days=1), time(), tzinfo=CHINA_TZ),
    )


def percent(value: float | None) -> str:
    """A rate as the report writes it: 100%, 97.5%; a dash when there was nothing to count."""
    if value is None:
        return "—"
    text = f"{value * 100:.1f}".removesuffix(".0")
    return f"{text}%"


def duration_zh(seconds: int | None) -> str:
    """Handling time in words: 3.5小时, 2.0天; a dash when none."""
    if seconds is None:
        return "—"
    hours = seconds / 3600
    if hours < 48:
        return f"{hours:.1f}小时"
    return f"{hours / 24:.1f}天"
