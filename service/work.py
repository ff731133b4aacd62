"""The open tasks a member of staff works from: their unit's, or every unit's for the office."""

from __future__ import annotations

import asyncpg

from repository import inquiries as repo
from repository.inquiries import Total
from service.principals import Staff


async def open_tasks(
    pool: asyncpg.Pool, *, unit_code: str | None, limit: int | None = None, offset: int = 0
) -> list[asyncpg.Record]:
    """Open tasks, soonest due first: of one unit, or of every unit when unit_code is None; one
    page of them when limit is given."""
    async with pool.acquire() as conn:
        return await repo.open_tasks(conn, unit_code=unit_code, limit=limit, offset=offset)


async def task_page(
    pool: asyncpg.Pool, *, unit_code: str | None, limit: int, offset: int
) -> tuple[Total, list[asyncpg.Record]]:
    """One page of the open tasks and how many there are in all (exact up to a cap)."""
    async with pool.acquire() as conn:
        total = await repo.count_open_tasks(conn, unit_code=unit_code)
        rows = await repo.open_tasks(conn, unit_code=unit_code, limit=limit, offset=offset)
    return total, rows


async def overdue_page(
    pool: asyncpg.Pool, *, unit: str | None, limit: int, offset: int
) -> tuple[Total, list[asyncpg.Record]]:
    """One page of the overdue list, most overdue first, and how many it holds in all (exact up
    to a cap)."""
    async with pool.acquire() as conn:
        total = await repo.count_overdue(conn, unit=unit)
        rows = await repo.overdue_inquiries(conn, unit=unit, limit=limit, offset=offset)
    return total, rows


async def inbox(pool: asyncpg.Pool, staff: Staff) -> list[asyncpg.Record]:
    """Handlers and unit heads see their unit's tasks; operators, supervisors and admins see the
    open tasks of every unit, i.e. every case waiting for someone on staff."""
    return await open_tasks(pool, unit_code=staff.unit_code if staff.unit_bound else None)
