"""SQL of the reports: a period's cohort with its events, the names groups are shown with, and
the write of one imported closed case of a past year (row and events, once per natural key)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from domain import reports as fig
from domain.reports import CaseFacts, CaseRow, EventFact
from repository import Conn
from repository.inquiries import add_event


async def cohort(conn: Conn, *, start: datetime, end: datetime) -> list[asyncpg.Record]:
    """The inquiries whose `received` event falls in [start, end), with the facts reports read."""
    return await conn.fetch(
        """
        SELECT i.id, i.tracking_code, i.content, i.channel, i.category, i.district, i.unit_code,
               i.status, i.paused, i.reply_due_at, i.on_time, i.rating, i.close_reason,
               i.handling_seconds
        FROM inquiries i
        JOIN inquiry_events r ON r.inquiry_id = i.id AND r.kind = 'received'
        WHERE r.occurred_at >= $1 AND r.occurred_at < $2
        ORDER BY r.occurred_at, i.id
        """,
        start,
        end,
    )


async def cohort_facts(
    conn: Conn, *, start: datetime, cut_off: datetime, now: datetime
) -> list[CaseFacts]:
    """What each inquiry received in [start, cut_off) contributes, from its events up to the
    cut-off (the rules are domain/reports.py's; the reports and the monthly summary read this)."""
    rows = await cohort(conn, start=start, end=cut_off)
    events = await events_before(conn, inquiry_ids=[r["id"] for r in rows], cut_off=cut_off)
    timeline: dict[str, list[EventFact]] = defaultdict(list)
    for e in events:
        timeline[str(e["inquiry_id"])].append(
            EventFact(kind=e["kind"], occurred_at=e["occurred_at"], detail=e["detail"] or {})
        )
    return [
        fig.case_facts(_case_row(r), timeline[str(r["id"])], cut_off=cut_off, now=now) for r in rows
    ]


def _case_row(r: asyncpg.Record) -> CaseRow:
    return CaseRow(
        inquiry_id=str(r["id"]),
        tracking_code=r["tracking_code"],
        content=r["content"],
        channel=r["channel"],
        category=r["category"],
        district=r["district"],
        unit_code=r["unit_code"],
        status=r["status"],
        paused=r["paused"],
        reply_due_at=r["reply_due_at"],
        on_time=r["on_time"],
        rating=r["rating"],
        close_reason=r["close_reason"],
        handling_seconds=r["handling_seconds"],
    )


async def events_before(
    conn: Conn, *, inquiry_ids: list[UUID], cut_off: datetime
) -> list[asyncpg.Record]:
    """The events of these inquiries that happened before the cut-off, in the order they did."""
    return await conn.fetch(
        """
        SELECT inquiry_id, kind, occurred_at, detail
        FROM inquiry_events
        WHERE inquiry_id = ANY($1::uuid[]) AND occurred_at < $2
        ORDER BY inquiry_id, occurred_at, id
        """,
        inquiry_ids,
        cut_off,
    )


async def unit_names(conn: Conn) -> dict[str, str]:
    rows = await conn.fetch("SELECT code, name, name_zh FROM units")
    return {r["code"]: r["name_zh"] or r["name"] for r in rows}


async def category_names(conn: Conn) -> dict[str, str]:
    rows = await conn.fetch("SELECT code, name, name_zh FROM categories")
    return {r["code"]: r["name_zh"] or r["name"] for r in rows}


async def insert_imported(conn: Conn, *, row: dict[str, Any]) -> bool:
    """The inquiries row of an imported case; False when its id (natural key) is there already."""
    columns = list(row)
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    inserted = await conn.fetchval(
        f"INSERT INTO inquiries ({', '.join(columns)}) VALUES ({placeholders})"
        " ON CONFLICT (id) DO NOTHING RETURNING id",
        *row.values(),
    )
    return inserted is not None


async def add_imported_events(
    conn: Conn, *, inquiry_id: str, actor: str, events: list[tuple[str, datetime, dict[str, Any]]]
) -> None:
    """The imported case's timeline, keyed by kind so a repeated import adds nothing."""
    for kind, at, detail in events:
        await add_event(
            conn,
            inquiry_id=inquiry_id,
            event_key=kind,
            kind=kind,
            actor=actor,
            occurred_at=at,
            detail=detail,
        )
