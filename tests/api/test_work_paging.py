"""The unit's task list and the overdue list answer one page at a time, with their total."""

from __future__ import annotations

from datetime import datetime

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
    assert len(page["items"]) == 1
