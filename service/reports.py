"""The reports: a period's figures, in total and per group, and the cases behind each figure.

Reads a period's cohort and its events (repository/reports.py) and leaves every rule of what
a figure counts to domain/reports.py; the exports and the annual report take what this gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import UUID

import asyncpg

from domain import reports as fig
from domain.reports import CaseFacts, GroupBy
from repository import reports as repo
from service.errors import ServiceError
from service.report_models import CaseListOut, CaseRef, FigureRow, SummaryOut

TOTAL = "total"
SUMMARY_LENGTH = 60  # characters of the inquiry's content shown in a list of cases


@dataclass
class Period:
    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ServiceError(422, "invalid_period", "`to` is before `from`")


async def cohort(pool: asyncpg.Pool, period: Period, now: datetime) -> list[CaseFacts]:
    """What each inquiry received in the period contributes, from its events up to its end."""
    start, cut_off = fig.period_bounds(period.start, period.end)
    async with pool.acquire() as conn:
        return await repo.cohort_facts(conn, start=start, cut_off=cut_off, now=now)


async def labels(pool: asyncpg.Pool, by: GroupBy | None) -> dict[str, str]:
    """How each group's key is shown: units and categories by their Chinese names."""
    named: dict[str, str] = {TOTAL: "合计", fig.NO_GROUP: "未指定"}
    if by == GroupBy.UNIT:
        async with pool.acquire() as conn:
            named |= await repo.unit_names(conn)
    elif by == GroupBy.CATEGORY:
        async with pool.acquire() as conn:
            named |= await repo.category_names(conn)
    elif by == GroupBy.CHANNEL:
        named |= dict(fig.CHANNEL_ZH)
    return named


def _label(key: str, by: GroupBy | None, named: dict[str, str]) -> str:
    if by == GroupBy.MONTH and key != TOTAL:
        year, month = key.split("-")
        return f"{year}年{int(month)}月"
    return named.get(key, key)


def _row(key: str, figures: fig.Figures, by: GroupBy | None, named: dict[str, str]) -> FigureRow:
    return FigureRow(group=key, label=_label(key, by, named), **figures.as_dict())


async def summary(
    pool: asyncpg.Pool, period: Period, by: GroupBy | None, *, now: datetime | None = None
) -> SummaryOut:
    now = now or datetime.now(UTC)
    cases = await cohort(pool, period, now)
    result = fig.summarize(cases, by)
    named = await labels(pool, by)
    link = f"/api/v1/reports/cases?figure={{figure}}&from={period.start}&to={period.end}"
    if by is not None:
        link += f"&group_by={by.value}&group={{group}}"
    return SummaryOut(
        from_date=period.start,
        to_date=period.end,
        group_by=by.value if by else None,
        computed_at=now,
        total=_row(TOTAL, result.total, None, named),
        groups=[_row(key, figures, by, named) for key, figures in result.groups],
        cases_link=link,
    )


async def cases_behind(
    pool: asyncpg.Pool,
    period: Period,
    figure: str,
    by: GroupBy | None,
    group: str | None,
    *,
    now: datetime | None = None,
) -> CaseListOut:
    """The inquiries a figure counts (a rate's numerator), of one group or of the period."""
    if fig.behind(figure) is None:
        raise ServiceError(
            422, "unknown_figure", f"no figure {figure!r}; one of {', '.join(fig.FIGURES)}"
        )
    if group is not None and by is None:
        raise ServiceError(422, "group_without_group_by", "a group needs its group_by")
    cases = await cohort(pool, period, now or datetime.now(UTC))
    chosen = fig.cases_behind(cases, figure, by, group)
    return CaseListOut(
        figure=figure,
        from_date=period.start,
        to_date=period.end,
        group_by=by.value if by else None,
        group=group,
        total=len(chosen),
        items=[
            CaseRef(
                id=UUID(c.inquiry_id),
                tracking_code=c.tracking_code,
                received_at=c.received_at,
                channel=c.channel,
                category=c.category,
                unit=c.unit,
                summary=c.content[:SUMMARY_LENGTH],
            )
            for c in chosen
        ],
    )
