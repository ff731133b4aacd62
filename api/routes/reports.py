"""The figures the group publishes: the summary (JSON, CSV, XLSX), the cases behind a figure,
the annual report (HTML or PDF), and the import of closed cases of past years."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, UploadFile
from fastapi.responses import HTMLResponse, Response

from api.deps import Pool, Staff, require_role
from api.errors import error_responses
from domain.models import Role
from domain.reports import GroupBy
from service import annual_report, case_import, report_exports, reports
from service.report_models import CaseListOut, ImportReport, SummaryOut

router = APIRouter(prefix="/api/v1", tags=["reports"], responses=error_responses(401, 403, 422))
Reader = Annotated[Staff, Depends(require_role(Role.SUPERVISOR, Role.ADMIN))]
Admin = Annotated[Staff, Depends(require_role(Role.ADMIN))]
From = Annotated[date, Query(alias="from", description="first day, YYYY-MM-DD (China time)")]
To = Annotated[date, Query(alias="to", description="last day, included")]


def _file(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    """The 200 of an operation that answers a file rather than JSON."""
    schema = {"type": "string", "format": "binary"}
    return {200: {"description": description, "content": {media_type: {"schema": schema}}}}


@router.get("/reports/summary", response_model=SummaryOut)
async def summary(
    pool: Pool, _: Reader, date_from: From, date_to: To, group_by: GroupBy | None = None
) -> SummaryOut:
    """Every figure of the inquiries received in the period, in total and per group."""
    return await reports.summary(pool, reports.Period(date_from, date_to), group_by)


@router.get(
    "/reports/summary.csv",
    response_class=Response,
    responses=_file("text/csv", "the summary as CSV (UTF-8 with BOM)"),
)
async def summary_csv(
    pool: Pool, _: Reader, date_from: From, date_to: To, group_by: GroupBy | None = None
) -> Response:
    """The summary as CSV: a row per group and the total; headers `中文 code`."""
    result = await reports.summary(pool, reports.Period(date_from, date_to), group_by)
    return _download(report_exports.to_csv(result), report_exports.CSV_TYPE,
                     report_exports.filename(result, "csv"))  # fmt: skip


@router.get(
    "/reports/summary.xlsx",
    response_class=Response,
    responses=_file(report_exports.XLSX_TYPE, "the summary as an Excel workbook"),
)
async def summary_xlsx(
    pool: Pool, _: Reader, date_from: From, date_to: To, group_by: GroupBy | None = None
) -> Response:
    """The summary as an XLSX workbook, rates formatted as percentages."""
    result = await reports.summary(pool, reports.Period(date_from, date_to), group_by)
    return _download(report_exports.to_xlsx(result), report_exports.XLSX_TYPE,
                     report_exports.filename(result, "xlsx"))  # fmt: skip


def _download(body: bytes, media_type: str, name: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/reports/cases", response_model=CaseListOut)
async def cases_behind(
    pool: Pool,
    _: Reader,
    figure: str,
    date_from: From,
    date_to: To,
    group_by: GroupBy | None = None,
    group: str | None = None,
) -> CaseListOut:
    """The inquiries behind a figure (for a rate, its numerator), of one group or all."""
    return await reports.cases_behind(
        pool, reports.Period(date_from, date_to), figure, group_by, group
    )


@router.get(
    "/reports/annual/{year}",
    response_class=Response,  # HTML or PDF, declared below; errors stay JSON
    responses={
        200: {
            "description": "the report as HTML, or as PDF for `Accept: application/pdf`",
            "content": {
                "text/html": {"schema": {"type": "string"}},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
async def annual(
    pool: Pool,
    _: Reader,
    year: int,
    accept: Annotated[str, Header()] = "text/html",
    format: Literal["html", "pdf"] | None = None,
) -> Response:
    """The year's 办事公开 report in the seed report's sentences; `format=pdf` for links."""
    report = await annual_report.annual(pool, year)
    if format == "pdf" or (format is None and "application/pdf" in accept):
        return Response(
            annual_report.to_pdf(report),
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="annual_report_{year}.pdf"'},
        )
    return HTMLResponse(annual_report.to_html(report))


@router.post("/admin/import/closed-cases", response_model=ImportReport)
async def import_closed_cases(pool: Pool, _: Admin, file: UploadFile) -> ImportReport:
    """Closed cases of past years from CSV, line by line; importing a file again adds nothing."""
    return await case_import.import_closed_cases(pool, await file.read())
