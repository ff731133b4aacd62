"""What the reports answer: the figures per group and in total, the cases behind a figure, and
the line-by-line outcome of an import of closed cases."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel


class FigureRow(BaseModel):
    """Every figure of one group, or of the whole period (group `total`); README defines each."""

    group: str
    label: str
    received: int
    answered_on_site: int
    dispatched: int
    transferred_in: int
    answered: int
    closed: int
    closed_on_time: int
    rated: int
    satisfied: int
    basically_satisfied: int
    unsatisfied: int
    returned: int
    extended: int
    reopened: int
    overdue_now: int
    completion_rate: float | None
    on_time_rate: float | None
    satisfaction_rate: float | None
    return_rate: float | None
    extension_rate: float | None
    reopen_rate: float | None
    handling_median_seconds: int | None
    handling_p90_seconds: int | None


class SummaryOut(BaseModel):
    from_date: date
    to_date: date
    group_by: str | None
    computed_at: datetime
    total: FigureRow
    groups: list[FigureRow]
    # The list of cases behind any figure: fill in {figure} (and {group} for a group's).
    cases_link: str


class CaseRef(BaseModel):
    id: UUID
    tracking_code: str
    received_at: datetime
    channel: str
    category: str
    unit: str | None
    summary: str


class CaseListOut(BaseModel):
    figure: str
    from_date: date
    to_date: date
    group_by: str | None
    group: str | None
    total: int
    items: list[CaseRef]


class ImportLine(BaseModel):
    line: int
    outcome: Literal["imported", "skipped_duplicate", "error"]
    inquiry_id: UUID | None = None
    tracking_code: str | None = None
    reason: str | None = None


class ImportReport(BaseModel):
    imported: int
    skipped_duplicate: int
    errors: int
    lines: list[ImportLine]
