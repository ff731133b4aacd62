"""`/console/reports`: the summary of a period (service.reports, the same as GET
/api/v1/reports/summary) as a table and a bar chart, every figure linking to the cases behind
it, CSV/XLSX downloads; and `/console/reports/annual/{year}`, the annual 办事公开 report inside
the console, ready to print."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import Pool
from api.pages import charts
from api.pages.session import page_role
from api.pages.texts import Texts
from api.pages.web import lang_of, page_router, render
from domain.calendar import CHINA_TZ
from domain.models import Role
from domain.reports import COUNTS, FIGURES, RATES, GroupBy
from service import annual_report, report_exports, reports
from service.errors import ServiceError
from service.principals import Staff

router = page_router(prefix="/console/reports")
Reader = Annotated[Staff, Depends(page_role(Role.SUPERVISOR, Role.ADMIN))]
CHART_SERIES = ("received", "closed", "closed_on_time")
From = Annotated[date | None, Query(alias="from")]
To = Annotated[date | None, Query(alias="to")]


def _period(date_from: date | None, date_to: date | None) -> reports.Period:
    """The chosen period; by default this year up to today (China time)."""
    today = datetime.now(UTC).astimezone(CHINA_TZ).date()
    start, end = date_from or date(today.year, 1, 1), date_to or today
    if end < start:
        raise ServiceError(422, "validation_error", "the period ends before it starts")
    return reports.Period(start, end)


def _query(period: reports.Period, by: GroupBy | None, **more: str) -> str:
    params = {"from": period.start.isoformat(), "to": period.end.isoformat()}
    if by is not None:
        params["group_by"] = by.value
    return urlencode(params | more)


@router.get("")
async def summary_page(
    request: Request,
    pool: Pool,
    staff: Reader,
    date_from: From = None,
    date_to: To = None,
    group_by: GroupBy | None = None,
) -> HTMLResponse:
    period = _period(date_from, date_to)
    result = await reports.summary(pool, period, group_by)
    rows = [*result.groups, result.total]
    t = Texts(lang_of(request))
    chart = charts.bars(
        [(r.label, [getattr(r, f) for f in CHART_SERIES]) for r in result.groups or [result.total]],
        [t[f"fig.{f}"] for f in CHART_SERIES],
        t["rep.chart"],
    )
    return render(
        request,
        "console/reports.html",
        staff=staff,
        period=period,
        group_by=group_by.value if group_by else "",
        groupings=[g.value for g in GroupBy],
        rows=rows,
        figures=FIGURES,
        counts=set(COUNTS),
        rates=set(RATES),
        chart=chart,
        query=_query(period, group_by),
        link=lambda figure, group: (
            "/console/reports/cases?"
            + _query(
                period, group_by, figure=figure, **({} if group == "total" else {"group": group})
            )
        ),
        computed_at=result.computed_at,
    )


@router.get("/cases")
async def cases_page(
    request: Request,
    pool: Pool,
    staff: Reader,
    figure: str,
    date_from: From = None,
    date_to: To = None,
    group_by: GroupBy | None = None,
    group: str | None = None,
) -> HTMLResponse:
    """The cases behind a figure (a rate: its numerator), as GET /api/v1/reports/cases."""
    period = _period(date_from, date_to)
    listed = await reports.cases_behind(pool, period, figure, group_by, group)
    return render(
        request,
        "console/report_cases.html",
        staff=staff,
        listed=listed,
        back="/console/reports?" + _query(period, group_by),
    )


async def _summary_file(
    pool: Pool, date_from: date | None, date_to: date | None, group_by: GroupBy | None, kind: str
) -> Response:
    result = await reports.summary(pool, _period(date_from, date_to), group_by)
    body, media = (
        (report_exports.to_csv(result), report_exports.CSV_TYPE)
        if kind == "csv"
        else (report_exports.to_xlsx(result), report_exports.XLSX_TYPE)
    )
    name = report_exports.filename(result, kind)
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(body, media_type=media, headers=disposition)


@router.get("/summary.csv")
async def summary_csv(
    pool: Pool,
    staff: Reader,
    date_from: From = None,
    date_to: To = None,
    group_by: GroupBy | None = None,
) -> Response:
    return await _summary_file(pool, date_from, date_to, group_by, "csv")


@router.get("/summary.xlsx")
async def summary_xlsx(
    pool: Pool,
    staff: Reader,
    date_from: From = None,
    date_to: To = None,
    group_by: GroupBy | None = None,
) -> Response:
    return await _summary_file(pool, date_from, date_to, group_by, "xlsx")


@router.get("/annual/{year}")
async def annual_page(request: Request, year: int, pool: Pool, staff: Reader) -> HTMLResponse:
    """The annual report (service.annual_report, as GET /api/v1/reports/annual/{year})."""
    report = await annual_report.annual(pool, year)
    return render(request, "console/annual.html", staff=staff, report=report)


@router.get("/annual/{year}/pdf")
async def annual_pdf(year: int, pool: Pool, staff: Reader) -> Response:
    report = await annual_report.annual(pool, year)
    return Response(
        annual_report.to_pdf(report),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="annual_report_{year}.pdf"'},
    )
