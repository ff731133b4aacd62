"""The summary as a file: CSV (UTF-8 with BOM, so Excel shows the Chinese) and XLSX. Each
column's header is its Chinese name followed by its code, e.g. `办结率 completion_rate`."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from domain.reports import FIGURE_ZH, FIGURES, RATES
from service.report_models import SummaryOut

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

COLUMNS: tuple[tuple[str, str], ...] = (
    ("group", "分组"),
    ("label", "名称"),
    *((name, FIGURE_ZH[name]) for name in FIGURES),
)
HEADERS = [f"{zh} {code}" for code, zh in COLUMNS]


def _rows(summary: SummaryOut) -> list[list[Any]]:
    """One row per group, then the total."""
    return [
        [row.model_dump()[code] for code, _ in COLUMNS] for row in [*summary.groups, summary.total]
    ]


def filename(summary: SummaryOut, suffix: str) -> str:
    by = f"_{summary.group_by}" if summary.group_by else ""
    return f"summary_{summary.from_date}_{summary.to_date}{by}.{suffix}"


def to_csv(summary: SummaryOut) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    for row in _rows(summary):
        writer.writerow(["" if v is None else v for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(summary: SummaryOut) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = f"{summary.from_date}~{summary.to_date}"
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in _rows(summary):
        sheet.append(row)
    for index, (code, _) in enumerate(COLUMNS, start=1):
        if code in RATES:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "0.0%"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
