"""Import of closed cases of past years from CSV, so a year that began before the service can
still be reported. Each line is checked on its own and reported: imported, skipped as a
duplicate (its external ref, or the line itself, was imported before), or an error with its
reason. A case is written with its events, as the case workflow would have, in one transaction.
"""

from __future__ import annotations

import csv
import io

import asyncpg

from domain import case_import as lines
from domain.ids import (
    IMPORTED_VERSION,
    imported_inquiry_id,
    imported_record_id,
    new_tracking_code,
)
from repository import reports as repo
from service.errors import ServiceError
from service.report_models import ImportLine, ImportReport

IMPORT_ACTOR = "import"
MAX_BYTES = 20 * 1024 * 1024


def _records(data: bytes) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header and each data line with its line number (the header is line 1)."""
    if len(data) > MAX_BYTES:
        raise ServiceError(422, "file_too_large", f"the file is over {MAX_BYTES} bytes")
    try:
        text = data.decode("utf-8-sig")  # Excel writes a BOM
    except UnicodeDecodeError:
        raise ServiceError(422, "not_utf8", "the file must be UTF-8 CSV") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in lines.REQUIRED if name not in header]
    if missing:
        raise ServiceError(
            422, "missing_columns", f"the header lacks {', '.join(missing)}; columns: "
            + ", ".join(lines.COLUMNS),
        )  # fmt: skip
    reader.fieldnames = header
    records = []
    for record in reader:
        values = {k: (v or "") for k, v in record.items() if k is not None}
        if any(v.strip() for v in values.values()):
            records.append((reader.line_num, values))
    return header, records


async def import_closed_cases(pool: asyncpg.Pool, data: bytes) -> ImportReport:
    _, records = _records(data)
    async with pool.acquire() as conn:
        categories = set(await repo.category_names(conn))  # inactive ones too: past years
        units = set(await repo.unit_names(conn))
    report: list[ImportLine] = []
    for number, record in records:
        try:
            case = lines.read_line(record)
            if case.category not in categories:
                raise lines.LineError(f"category: no category {case.category!r}")
            if case.unit is not None and case.unit not in units:
                raise lines.LineError(f"unit: no unit {case.unit!r}")
        except lines.LineError as wrong:
            report.append(ImportLine(line=number, outcome="error", reason=str(wrong)))
            continue
        report.append(await _write(pool, number, case))
    return ImportReport(
        imported=sum(1 for r in report if r.outcome == "imported"),
        skipped_duplicate=sum(1 for r in report if r.outcome == "skipped_duplicate"),
        errors=sum(1 for r in report if r.outcome == "error"),
        lines=report,
    )


async def _write(pool: asyncpg.Pool, number: int, case: lines.ImportedCase) -> ImportLine:
    inquiry_id = imported_inquiry_id(case.natural_key)
    code = new_tracking_code()
    row = {
        "id": inquiry_id,
        "tracking_code": code,
        "workflow_id": imported_record_id(inquiry_id),
        "workflow_version": IMPORTED_VERSION,
        "submitted_by": IMPORT_ACTOR,
        **lines.row_values(case),
    }
    async with pool.acquire() as conn, conn.transaction():
        if not await repo.insert_imported(conn, row=row):
            return ImportLine(line=number, outcome="skipped_duplicate", inquiry_id=inquiry_id,
                              reason="imported before (same external_ref or the same line)")  # fmt: skip
        await repo.add_imported_events(
            conn, inquiry_id=inquiry_id, actor=IMPORT_ACTOR, events=lines.events(case)
        )
    return ImportLine(line=number, outcome="imported", inquiry_id=inquiry_id, tracking_code=code)
