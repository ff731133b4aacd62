"""The open tasks a member of staff works from: their unit's, or every unit's for the office."""

from __future__ import annotations

import asyncpg

from repository import inquiries as repo
from service.principals import Staff


async def open_tasks(pool: asyncpg.Pool, *, unit_code: str | None) -> list[asyncpg.Record]:
    """Open tasks, soonest due first: of one unit, or of every unit when unit_code is None."""
    async with pool.acquire() as conn:
        return await repo.open_tasks(conn, unit_code=unit_code)


async def inbox(pool: asyncpg.Pool, staff: Staff) -> list[asyncpg.Record]:
    """Handlers and unit heads see their unit's tasks; operators, supervisors and admins see the
    open tasks of every unit, i.e. every case waiting for someone on staff."""
    return await open_tasks(pool, unit_code=staff.unit_code if staff.unit_bound else None)
