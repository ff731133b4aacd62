"""The operator calendar: admin CRUD over HTTP, the change record, and open cases being told."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from temporalio import workflow
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from api.app import create_app
from domain.ids import case_workflow_id
from domain.models import CalendarChange
from tests.conftest import Service

CALENDAR = "/api/v1/admin/calendar"


@workflow.defn(name="CalendarProbe")
class CalendarProbe:
    """Stands in for a v2 case workflow: remembers every calendar change it is told of."""

    def __init__(self) -> None:
        self._received: list[list[str]] = []

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False)

    @workflow.signal(name="calendar_changed")
    def calendar_changed(self, change: CalendarChange) -> None:
        self._received.append(change.changed_days)

    @workflow.query
    def received(self) -> list[list[str]]:
        return self._received


async def _put(service: Service, headers: dict[str, str], body: object) -> httpx.Response:
    return await service.http.put(CALENDAR, json=body, headers=headers)


async def _delete(service: Service, headers: dict[str, str], body: object) -> httpx.Response:
    return await service.http.request("DELETE", CALENDAR, json=body, headers=headers)


async def test_admin_sets_lists_and_removes_days(service: Service) -> None:
    admin = await service.staff("admin")
    operator = await service.staff("operator")
    reason = f"State Council 2091 notice {uuid.uuid4().hex[:6]}"
    body = {
        "days": [
            {"day": "2091-01-01", "working": False, "note": "元旦"},
            {"day": "2091-01-06", "working": True, "note": "调休上班"},
        ],
        "reason": reason,
    }

    unauthenticated = await service.http.get(CALENDAR, params={"year": 2091})
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["code"] == "unauthenticated"
    assert (await service.http.put(CALENDAR, json=body)).status_code == 401
    for refused in (
        await service.http.get(CALENDAR, headers=operator),
        await _put(service, operator, body),
        await _delete(service, operator, {"days": ["2091-01-01"]}),
    ):
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden"

    invalid_bodies = [
        {"days": []},
        {"days": [{"day": "2091-01-01", "working": False}] * 2},
        {"days": [{"day": "2091-01-01", "working": "maybe"}]},
        {"days": [{"day": "2091-02-30", "working": False}]},
        {"days": [{"day": "1999-01-01", "working": False}]},
        {"days": [{"day": "2091-01-01", "working": False, "colour": "red"}]},
        {
            "days": [
                {"day": str(date(2091, 1, 1) + timedelta(n)), "working": True} for n in range(401)
            ]
        },
        {"days": [{"day": "2091-01-01", "working": False}], "reason": "x" * 501},
    ]
    for invalid in invalid_bodies:
        response = await _put(service, admin, invalid)
        assert response.status_code == 422, (invalid, response.text)
        assert response.json()["code"] == "validation_error"
        assert response.json()["details"]
    duplicate = await _put(service, admin, invalid_bodies[1])
    assert "2091-01-01" in duplicate.json()["message"]
    assert (
        await service.http.get(CALENDAR, params={"year": 1999}, headers=admin)
    ).status_code == 422

    created = await _put(service, admin, body)
    assert created.status_code == 200, created.text
    assert created.json()["changed"] == 2
    assert created.json()["cases_unreached"] == 0
    listed = (await service.http.get(CALENDAR, params={"year": 2091}, headers=admin)).json()
    assert [(d["day"], d["working"], d["note"]) for d in listed] == [
        ("2091-01-01", False, "元旦"),
        ("2091-01-06", True, "调休上班"),
    ]
    assert all(d["updated_by"].startswith("admin-") for d in listed)
    everything = (await service.http.get(CALENDAR, headers=admin)).json()
    assert {"2091-01-01", "2091-01-06"} <= {d["day"] for d in everything}

    async with service.pool.acquire() as conn:
        record = await conn.fetchrow(
            "SELECT changed_by, days, cases_notified FROM calendar_changes WHERE reason = $1",
            reason,
        )
    assert record["changed_by"] == listed[0]["updated_by"]
    assert record["days"] == ["2091-01-01", "2091-01-06"]
    assert record["cases_notified"] == created.json()["cases_notified"]

    # The same day again replaces its override.
    replaced = await _put(
        service, admin, {"days": [{"day": "2091-01-06", "working": False, "note": "改为休息"}]}
    )
    assert replaced.status_code == 200 and replaced.json()["changed"] == 1
    listed = (await service.http.get(CALENDAR, params={"year": 2091}, headers=admin)).json()
    assert [(d["day"], d["working"]) for d in listed] == [
        ("2091-01-01", False),
        ("2091-01-06", False),
    ]

    removed = await _delete(
        service, admin, {"days": ["2091-01-06", "2091-03-03"], "reason": f"undo {reason}"}
    )
    assert removed.status_code == 200, removed.text
    assert removed.json()["changed"] == 1
    async with service.pool.acquire() as conn:
        undo_days = await conn.fetchval(
            "SELECT days FROM calendar_changes WHERE reason = $1", f"undo {reason}"
        )
    assert undo_days == ["2091-01-06"]  # only the day that had an override
    missing = await _delete(service, admin, {"days": ["2091-01-06", "2091-03-03"]})
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert (await _delete(service, admin, {"days": []})).status_code == 422
    listed = (await service.http.get(CALENDAR, params={"year": 2091}, headers=admin)).json()
    assert [d["day"] for d in listed] == ["2091-01-01"]
    await _delete(service, admin, {"days": ["2091-01-01"], "reason": "test cleanup"})


class _Cases:
    """Inquiry rows pointing at probe workflows, removed again after the test."""

    def __init__(self, service: Service, client: Client, task_queue: str) -> None:
        self.service, self.client, self.task_queue = service, client, task_queue
        self.ids: list[uuid.UUID] = []
        self.handles: list[WorkflowHandle] = []

    async def add(self, *, version: int, closed: bool, start: bool = True) -> WorkflowHandle:
        inquiry_id = uuid.uuid4()
        workflow_id = case_workflow_id(str(inquiry_id))
        now = datetime.now(UTC)
        async with self.service.pool.acquire() as conn:
            await conn.execute(
                "INSERT INTO inquiries (id, tracking_code, workflow_id, channel, category, content,"
                " submitted_by, status, received_at, closed_at, workflow_version)"
                " VALUES ($1, $2, $3, 'web', 'outage', '停水', 'test', $4, $5, $6, $7)",
                inquiry_id,
                f"WQT{inquiry_id.hex[:12].upper()}",
                workflow_id,
                "closed" if closed else "dispatched",
                now,
                now if closed else None,
                version,
            )
        self.ids.append(inquiry_id)
        handle = self.client.get_workflow_handle(workflow_id)
        if start:
            handle = await self.client.start_workflow(
                CalendarProbe.run, id=workflow_id, task_queue=self.task_queue
            )
            self.handles.append(handle)
        return handle

    async def remove(self) -> None:
        async with self.service.pool.acquire() as conn:
            await conn.execute("DELETE FROM inquiries WHERE id = ANY($1::uuid[])", self.ids)
        for handle in self.handles:
            await handle.terminate("test over")


@pytest.fixture
async def cases(service: Service) -> AsyncIterator[_Cases]:
    task_queue = f"probe-{uuid.uuid4().hex[:8]}"
    async with Worker(
        service.client,
        task_queue=task_queue,
        workflows=[CalendarProbe],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        made = _Cases(service, service.client, task_queue)
        try:
            yield made
        finally:
            await made.remove()


async def _received(handle: WorkflowHandle, *, at_least: int = 0) -> list[list[str]]:
    """What a probe was told, once it has taken at least that many signals in."""
    for _ in range(100):
        got = await handle.query(CalendarProbe.received)
        if len(got) >= at_least:
            return got
        await asyncio.sleep(0.05)
    return got


async def test_a_calendar_change_is_told_to_open_v2_cases_only(
    service: Service, cases: _Cases
) -> None:
    admin = await service.staff("admin")
    open_case = await cases.add(version=2, closed=False)
    closed_case = await cases.add(version=2, closed=True)
    v1_case = await cases.add(version=1, closed=False)
    await cases.add(version=2, closed=False, start=False)  # its workflow is gone: skipped
    reason = f"State Council 2092 notice {uuid.uuid4().hex[:6]}"

    response = await _put(
        service,
        admin,
        {
            "days": [
                {"day": "2092-10-08", "working": False, "note": "国庆"},
                {"day": "2092-10-01", "working": False, "note": "国庆"},
                {"day": "2092-09-27", "working": True, "note": "调休上班"},
            ],
            "reason": reason,
        },
    )
    assert response.status_code == 200, response.text
    told = response.json()["cases_notified"]
    assert told >= 1  # other tests' open v2 cases, if any, are told as well
    assert response.json()["cases_unreached"] == 0

    assert await _received(open_case, at_least=1) == [["2092-09-27", "2092-10-01", "2092-10-08"]]
    assert await _received(closed_case) == []
    assert await _received(v1_case) == []
    async with service.pool.acquire() as conn:
        record = await conn.fetchrow(
            "SELECT days, cases_notified FROM calendar_changes WHERE reason = $1", reason
        )
    assert record["days"] == ["2092-09-27", "2092-10-01", "2092-10-08"]
    assert record["cases_notified"] == told

    # Removing overrides is a change too.
    removed = await _delete(service, admin, {"days": ["2092-10-08"], "reason": f"undo {reason}"})
    assert removed.status_code == 200 and removed.json()["cases_notified"] >= 1
    assert (await _received(open_case, at_least=2))[1] == ["2092-10-08"]
    await _delete(service, admin, {"days": ["2092-09-27", "2092-10-01"], "reason": "cleanup"})


async def test_the_change_is_stored_when_temporal_does_not_answer(
    service: Service, cases: _Cases
) -> None:
    admin = await service.staff("admin")
    await cases.add(version=2, closed=False)
    dead = await Client.connect("127.0.0.1:1", lazy=True)
    app = create_app(service.settings, pool=service.pool, temporal=dead)
    reason = f"while Temporal is down {uuid.uuid4().hex[:6]}"
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            response = await http.put(
                CALENDAR,
                json={"days": [{"day": "2093-05-01", "working": False}], "reason": reason},
                headers=admin,
                timeout=120,
            )
    assert response.status_code == 200, response.text
    assert response.json()["changed"] == 1
    assert response.json()["cases_notified"] == 0
    assert response.json()["cases_unreached"] >= 1
    async with service.pool.acquire() as conn:
        stored = await conn.fetchval("SELECT working FROM calendar_days WHERE day = '2093-05-01'")
        notified = await conn.fetchval(
            "SELECT cases_notified FROM calendar_changes WHERE reason = $1", reason
        )
        await conn.execute("DELETE FROM calendar_days WHERE day = '2093-05-01'")
    assert stored is False and notified == 0
