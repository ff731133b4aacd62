"""The supervisors' dashboard: the overdue list (the same read as GET /api/v1/supervision/
overdue), the cases waiting for a decision, open cases by unit and status, and the trend of
cases received per day."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import asyncpg

from domain.calendar import CHINA_TZ
from repository import dashboard
from repository import inquiries as reads

TREND_DAYS = 14


async def overdue(
    pool: asyncpg.Pool, *, unit: str | None = None, limit: int = 50, offset: int = 0
) -> list[asyncpg.Record]:
    """Open inquiries past their reply deadline, most overdue first (paused ones are not): the
    page the JSON list (service.work.overdue_page) answers too, without its total (the
    dashboard counts the overdue cases by unit)."""
    async with pool.acquire() as conn:
        return await reads.overdue_inquiries(conn, unit=unit, limit=limit, offset=offset)


@dataclass(frozen=True)
class Decision:
    """A case waiting for the office or a supervisor, and which decision it waits for."""

    row: asyncpg.Record
    kind: str  # return | reopen | review | extension

    @property
    def waiting_since(self) -> datetime:
        moment: datetime = self.row["extension_asked_at"] or self.row["updated_at"]
        return moment


def decision_kind(row: asyncpg.Record) -> str:
    """退单 and the decision after N returns → return; after a second 不满意 → reopen; a draft
    in review → review; else an extension request not yet decided."""
    status = row["status"]
    if status == "returned":
        return "return"
    if status == "awaiting_decision":
        return "reopen" if row["last_trigger"] == "rated_unsatisfied_again" else "return"
    if status == "in_review":
        return "review"
    return "extension"


async def waiting_for_decision(pool: asyncpg.Pool, *, limit: int = 100) -> list[Decision]:
    async with pool.acquire() as conn:
        rows = await dashboard.waiting_for_decision(conn, limit=limit)
    found = []
    for row in rows:
        found.append(Decision(row, decision_kind(row)))
        if row["extension_pending"] and decision_kind(row) != "extension":
            found.append(Decision(row, "extension"))
    return found


@dataclass(frozen=True)
class UnitCounts:
    """Open cases by unit (rows) and status (columns)."""

    statuses: list[str]
    units: list[str]
    cells: dict[tuple[str, str], int]

    def of_unit(self, unit: str) -> int:
        return sum(n for (u, _), n in self.cells.items() if u == unit)


async def by_unit_and_status(pool: asyncpg.Pool) -> UnitCounts:
    async with pool.acquire() as conn:
        rows = await dashboard.open_by_unit_and_status(conn)
    cells = {(r["unit_code"], r["status"]): int(r["cases"]) for r in rows}
    return UnitCounts(
        statuses=sorted({s for _, s in cells}),
        units=sorted({u for u, _ in cells}),
        cells=cells,
    )


async def received_trend(
    pool: asyncpg.Pool, *, days: int = TREND_DAYS, now: datetime | None = None
) -> list[tuple[date, int]]:
    """Cases received on each of the last `days` China days, today last, zero days included."""
    last = (now or datetime.now(UTC)).astimezone(CHINA_TZ).date()
    first = last - timedelta(days=days - 1)
    async with pool.acquire() as conn:
        rows = await dashboard.received_per_day(conn, first=first, last=last)
    counted: dict[date, int] = defaultdict(int, {r["day"]: int(r["cases"]) for r in rows})
    return [(first + timedelta(days=i), counted[first + timedelta(days=i)]) for i in range(days)]
