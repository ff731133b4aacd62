"""A poison input never retries silently for ever: a permanent fault fails the activity at once,
and a case whose activity keeps failing is listed for supervisors until it recovers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus

from domain.ids import case_workflow_id
from tests.conftest import Service, inquiry_body


async def _filed_while_no_worker_runs(service: Service) -> str:
    await service.stop_worker()
    key = await service.intake_key("web")
    filed = await service.http.post("/api/v1/inquiries", json=inquiry_body(), headers=key)
    assert filed.status_code == 201, filed.text
    inquiry_id: str = filed.json()["id"]
    return inquiry_id


@asynccontextmanager
async def _dispatch_refused(service: Service, inquiry_id: str, sql: str) -> AsyncIterator[None]:
    """Install what makes PostgreSQL refuse this case's `dispatched` event; removed after."""
    name = f"test_refuse_{uuid.uuid4().hex[:8]}"
    async with service.pool.acquire() as conn:
        await conn.execute(sql.format(name=name, id=inquiry_id))
    try:
        yield
    finally:
        async with service.pool.acquire() as conn:
            await conn.execute(f"ALTER TABLE inquiry_events DROP CONSTRAINT IF EXISTS {name}")
            await conn.execute(f"DROP TRIGGER IF EXISTS {name} ON inquiry_events")
            await conn.execute(f"DROP FUNCTION IF EXISTS {name}()")


# Not a data error: PostgreSQL may answer otherwise later (a trigger, a permission), so retried.
RAISING_TRIGGER = """
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.inquiry_id = '{id}'::uuid AND NEW.kind = 'dispatched' THEN
    RAISE EXCEPTION 'the test refuses this event for now';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER {name} BEFORE INSERT ON inquiry_events FOR EACH ROW EXECUTE FUNCTION {name}();
"""
# A constraint the data violates: it will never be accepted, so it is not retried.
CHECK_CONSTRAINT = """
ALTER TABLE inquiry_events ADD CONSTRAINT {name}
  CHECK (inquiry_id <> '{id}'::uuid OR kind <> 'dispatched') NOT VALID
"""


async def _stuck(service: Service, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = await service.http.get("/api/v1/supervision/stuck", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return {item["inquiry_id"]: item for item in response.json()["items"]}


async def test_a_case_whose_activity_keeps_failing_is_listed_until_it_recovers(
    service: Service,
) -> None:
    supervisor = await service.staff("supervisor")
    handler = await service.staff("handler", "pipe_repair")
    inquiry_id = await _filed_while_no_worker_runs(service)
    async with _dispatch_refused(service, inquiry_id, RAISING_TRIGGER):
        service.start_worker()
        for _ in range(100):
            listed = await _stuck(service, supervisor, min_attempts=3)
            if inquiry_id in listed:
                break
            await asyncio.sleep(0.3)
        else:
            raise AssertionError("the failing case was never listed")
        item = listed[inquiry_id]
        assert item["state"] == "failing"
        # The dispatch's projection and event, one activity since workflows/recorder.py ONE_PATCH.
        # A case of revision 3 tries it with its receipt and route first; once those local tries
        # failed, it records them apart, as revision 2 did (workflows/case.py).
        assert item["activity"] == "record_projected"
        assert item["attempt"] >= 3
        assert "refuses this event" in item["failure"]
        forbidden = await service.http.get("/api/v1/supervision/stuck", headers=handler)
        assert forbidden.status_code == 403

    # The cause is gone: the next attempt succeeds, and the case leaves the list.
    await service.wait_for(
        "SELECT 1 FROM inquiries WHERE id = $1::uuid AND status = 'dispatched'",
        inquiry_id,
        within=30,
    )
    await asyncio.sleep(0.5)
    assert inquiry_id not in await _stuck(service, supervisor, min_attempts=2)


async def test_data_postgresql_refuses_fails_once_and_is_not_retried(service: Service) -> None:
    supervisor = await service.staff("supervisor")
    inquiry_id = await _filed_while_no_worker_runs(service)
    handle = service.client.get_workflow_handle(case_workflow_id(inquiry_id))
    async with _dispatch_refused(service, inquiry_id, CHECK_CONSTRAINT):
        service.start_worker()
        for _ in range(100):
            if (await handle.describe()).status == WorkflowExecutionStatus.FAILED:
                break
            await asyncio.sleep(0.2)
        else:
            raise AssertionError("the case's workflow did not fail")

    history = await handle.fetch_history()
    record_tries = [
        e
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED
        and e.activity_task_failed_event_attributes.failure.application_failure_info.type
        == "PermanentDataError"
    ]
    # One try as an activity, not retried (cases after the local-activity patch tried it once
    # locally before: workflows/options.py execute_short).
    assert len(record_tries) == 1
    failure = record_tries[0].activity_task_failed_event_attributes.failure
    assert failure.application_failure_info.non_retryable
    assert "13812345678" not in failure.message  # the failure names the fault, not the data

    item = (await _stuck(service, supervisor))[inquiry_id]
    assert item["state"] == "failed"
    assert item["activity"] == "record_projected"
    assert "CheckViolationError" in item["failure"]
