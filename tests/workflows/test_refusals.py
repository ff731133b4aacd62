"""A refused action answers 4xx with a reason and writes nothing: not to PostgreSQL, not even
to the workflow's history (update validators refuse before the update is accepted)."""

from __future__ import annotations

from typing import Any

from tests.cases import act, file_case, handle
from tests.conftest import Service


async def _footprint(service: Service, inquiry_id: str) -> tuple[Any, ...]:
    async with service.pool.acquire() as conn:
        counts = await conn.fetchrow(
            """
            SELECT (SELECT count(*) FROM inquiry_events WHERE inquiry_id = $1::uuid) AS events,
                   (SELECT count(*) FROM tasks WHERE inquiry_id = $1::uuid) AS tasks,
                   (SELECT count(*) FROM notifications WHERE inquiry_id = $1::uuid) AS notices,
                   (SELECT status FROM inquiries WHERE id = $1::uuid) AS status
            """,
            inquiry_id,
        )
    history = [e async for e in handle(service, inquiry_id).fetch_history_events()]
    return (*counts.values(), len(history))


async def test_refused_actions_leave_no_trace(service: Service) -> None:
    category = await service.category(max_extension=0)
    inquiry_id, _ = await file_case(service, category)
    office = await service.staff("handler", "open_affairs")
    pipe = await service.staff("handler", "pipe_repair")
    supervisor = await service.staff("supervisor")
    before = await _footprint(service, inquiry_id)

    refusals = [
        (await act(service, inquiry_id, "acknowledge", pipe), 403, "wrong_unit"),
        (await act(service, inquiry_id, "review", supervisor, approve=True), 409, "wrong_state"),
        (await act(service, inquiry_id, "extension", office, amount=1, reason="r", legal_basis="b"), 409, "over_cap"),
        (await act(service, inquiry_id, "extension-decision", supervisor, approve=True), 409, "wrong_state"),
        (await act(service, inquiry_id, "return-decision", office, accept=False), 409, "wrong_state"),
        (await act(service, inquiry_id, "reopen-decision", supervisor, reopen=True), 409, "wrong_state"),
        (await act(service, inquiry_id, "transfer", pipe, new_unit="drainage", reason="x"), 403, "forbidden"),
        (await act(service, inquiry_id, "cohandlers", pipe, units=["drainage"], within=1), 403, "forbidden"),
        (await act(service, inquiry_id, "cohandlers", supervisor, units=["open_affairs"], within=1), 422, "invalid"),
    ]  # fmt: skip
    for response, status, code in refusals:
        assert response.status_code == status, response.text
        assert response.json()["code"] == code
        assert response.json()["message"]
    assert await _footprint(service, inquiry_id) == before
