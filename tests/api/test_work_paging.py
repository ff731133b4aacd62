"""The unit's task list and the overdue list answer one page at a time, with their total."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from repository.directory import insert_row
from repository.inquiries import TOTAL_CAP
from tests.cases import file_case
from tests.conftest import Service


async def test_the_task_list_pages_soonest_due_first_with_the_total(service: Service) -> None:
    for _ in range(3):
        await file_case(service, "outage")
    handler = await service.staff("handler", "pipe_repair")
    async with service.pool.acquire() as conn:
        open_now = await conn.fetchval(
            "SELECT count(*) FROM tasks WHERE unit_code = 'pipe_repair' AND status = 'open'"
        )

    first = (await service.http.get("/api/v1/tasks?limit=2", headers=handler)).json()
    assert first["total"] == open_now >= 3
    assert first["total_exact"] is True
    assert (first["limit"], first["offset"], len(first["items"])) == (2, 0, 2)
    rest = await service.http.get(f"/api/v1/tasks?limit=2&offset={open_now - 1}", headers=handler)
    assert len(rest.json()["items"]) == 1
    due = [datetime.fromisoformat(t["due_at"]) for t in first["items"]]
    assert due == sorted(due)
    too_many = await service.http.get("/api/v1/tasks?limit=501", headers=handler)
    assert too_many.status_code == 422


async def test_the_overdue_list_counts_every_overdue_case(service: Service) -> None:
    category = await service.category(reply_within=0.0003)  # due about a second after dispatch
    inquiry_id, _ = await file_case(service, category)
    await service.wait_for(
        "SELECT reply_due_at < now() FROM inquiries WHERE id = $1::uuid", inquiry_id
    )
    supervisor = await service.staff("supervisor")
    page = (
        await service.http.get("/api/v1/supervision/overdue?limit=1", headers=supervisor)
    ).json()
    async with service.pool.acquire() as conn:
        overdue = await conn.fetchval(
            "SELECT count(*) FROM inquiries WHERE status IN"
            " ('dispatched', 'handling', 'in_review', 'returned')"
            " AND NOT paused AND reply_due_at < now()"
        )
    assert page["total"] == overdue >= 1
    assert page["total_exact"] is True
    assert len(page["items"]) == 1


async def _copies(service: Service, inquiry_id: str, unit: str, numbers: range) -> None:
    """Overdue copies of a filed inquiry in the given unit, each with an open task."""
    async with service.pool.acquire() as conn:
        await conn.execute(
            """
            WITH copied AS (
                INSERT INTO inquiries
                SELECT (jsonb_populate_record(NULL::inquiries, to_jsonb(i) || jsonb_build_object(
                    'id', gen_random_uuid(), 'tracking_code', i.tracking_code || '-' || n,
                    'workflow_id', i.workflow_id || '-' || n, 'unit_code', $2::text,
                    'status', 'dispatched', 'paused', false,
                    'reply_due_at', now() - interval '1 hour'))).*
                FROM inquiries i, generate_series($3::int, $4::int) AS n WHERE i.id = $1::uuid
                RETURNING id, unit_code, reply_due_at
            )
            INSERT INTO tasks (inquiry_id, unit_code, kind, status, due_at, created_at, task_key)
            SELECT id, unit_code, 'reply', 'open', reply_due_at, now(), 'reply' FROM copied
            """,
            inquiry_id,
            unit,
            numbers.start,
            numbers.stop - 1,
        )


async def _remove_copies(service: Service, unit: str) -> None:
    """The copies go, so that other tests' lists and totals are as they were; the unit stays
    (its handler refers to it)."""
    async with service.pool.acquire() as conn, conn.transaction():
        await conn.execute("DELETE FROM tasks WHERE unit_code = $1", unit)
        await conn.execute("DELETE FROM inquiries WHERE unit_code = $1", unit)


async def test_past_ten_thousand_the_lists_say_so_instead_of_counting_on(
    service: Service,
) -> None:
    inquiry_id, _ = await file_case(service, "outage")
    unit = f"u_{uuid.uuid4().hex[:8]}"
    async with service.pool.acquire() as conn:
        await insert_row(conn, "units", {"code": unit, "name": unit})
    handler = await service.staff("handler", unit)
    supervisor = await service.staff("supervisor")
    lists = {  # the path, who reads it, and its filter
        "tasks": ("/api/v1/tasks", handler, {}),
        "overdue": ("/api/v1/supervision/overdue", supervisor, {"unit": unit}),
        "staff list": ("/api/v1/inquiries", supervisor, {"unit": unit}),
    }

    async def page(name: str, offset: int = 0) -> Any:
        path, headers, only = lists[name]
        response = await service.http.get(
            path, params={"limit": 50, "offset": offset, **only}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    try:
        await _copies(service, inquiry_id, unit, range(1, TOTAL_CAP + 1))
        for name in lists:
            first = await page(name)
            assert (first["total"], first["total_exact"]) == (TOTAL_CAP, True), name

        await _copies(service, inquiry_id, unit, range(TOTAL_CAP + 1, TOTAL_CAP + 2))
        for name in lists:
            first = await page(name)
            assert (first["total"], first["total_exact"]) == (TOTAL_CAP, False), name
            assert len(first["items"]) == 50, name
            # The row past the cap is still listed, on the page after the cap.
            assert len((await page(name, offset=TOTAL_CAP))["items"]) == 1, name
    finally:
        await _remove_copies(service, unit)
