"""One activity per transition (workflows/recorder.py ONE_PATCH, issue 10): a new case records
each change with its re-projection in one local activity, and ladder steps that only climb the
ladder with theirs; a 延期, whose notices name the due time the projection gives, keeps two.
A case filed now starts at revision 3 (workflows/revision.py): it receives, routes and is
dispatched in one activity and asks no patch, so its history holds no patch marker and no
TemporalChangeVersion upsert, and it upserts only the search attributes that changed. The histories of cases started before the patch or the revision replay as they were
(tests/workflows/test_replay.py).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from temporalio.api.enums.v1 import EventType

from tests.api.test_intake_availability import postgresql_down
from tests.cases import (
    act,
    citizen_messages,
    core_markers,
    events,
    file_case,
    handle,
    patches_asked,
    row,
    started_with,
)
from tests.conftest import Service, inquiry_body
from workflows import revision
from workflows.options import LOCAL_PATCH
from workflows.recorder import ONE_PATCH

UPSERT = EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES


async def test_a_closed_loop_records_each_change_with_its_projection_in_one_activity(
    service: Service,
) -> None:
    category = await service.category(followup_days=2)
    inquiry_id, code = await file_case(service, category)
    handler = await service.staff("handler", "open_affairs")
    assert (await act(service, inquiry_id, "acknowledge", handler)).status_code == 200
    assert (await act(service, inquiry_id, "reply", handler, content="已处理")).status_code == 200
    rated = await service.http.post(
        f"/api/v1/public/inquiries/{code}/rating", json={"rating": "satisfied"}
    )
    assert rated.status_code == 200 and rated.json()["status"] == "closed", rated.text

    history = await _history(service, inquiry_id)
    assert (await started_with(service, history)).revision == revision.CURRENT == 3
    assert revision.BUILT_IN[ONE_PATCH] == revision.BUILT_IN[LOCAL_PATCH] == 1
    assert patches_asked(history) == []
    upserted = [
        set(e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields)
        for e in history
        if e.event_type == UPSERT
    ]
    # Revision 2: the overdue view once, at 派单; 签收, 答复 and 办结 change none of it, and
    # no patch's TemporalChangeVersion is upserted.
    assert upserted == [{"ResponsibleUnit", "ReplyDueAt", "EscalationLevel", "Overdue"}], upserted
    # 受理 with routing and 派单 (revision 3), then 签收, 答复 and 回访/办结: one activity each.
    assert _local_activities(history) == ["receive_and_dispatch"] + 3 * ["record_projected"]
    timeline = await events(service, inquiry_id)
    assert [k for k in timeline if k != "received"] == [
        "dispatched",
        "acknowledged",
        "replied",
        "closed",
    ], timeline


async def test_an_extension_keeps_two_activities_and_names_the_new_due_time(
    service: Service,
) -> None:
    category = await service.category(
        clock="working_days", reply_within=20, max_extensions=1, max_extension=20
    )
    inquiry_id, _ = await file_case(service, category)
    handler = await service.staff("handler", "open_affairs")
    supervisor = await service.staff("supervisor")
    assert (await act(service, inquiry_id, "acknowledge", handler)).status_code == 200
    asked = await act(
        service, inquiry_id, "extension", handler, amount=5, reason="需现场勘查", legal_basis="x"
    )
    assert asked.status_code == 200, asked.text
    approved = await act(service, inquiry_id, "extension-decision", supervisor, approve=True)
    assert approved.status_code == 200, approved.text

    kinds = _local_activities(await _history(service, inquiry_id, finished=False))
    # 受理 with 派单, then 签收 and the request: one activity each. The approval's notice names
    # the new reply due time: projected first, then recorded.
    assert kinds == ["receive_and_dispatch"] + 2 * ["record_projected"] + ["plan", "record"], kinds
    due = (await row(service, inquiry_id))["reply_due_at"]
    told = [
        body for kind, body in await citizen_messages(service, inquiry_id) if kind == "extension"
    ]
    assert len(told) == 1 and due.isoformat() in told[0], (due, told)


async def test_a_case_filed_while_postgresql_is_down_is_dispatched_and_dated_once_it_is_back(
    service: Service, database_url: str
) -> None:
    """Revision 3's one first activity fails its local tries while PostgreSQL is away. The case
    then records its receipt and route, and its 派单 apart, as revision 2 did: the 派单, where
    the unit's clocks start, is dated once the receipt is on the record, not when the case was
    filed, so an outage does not count against the unit."""
    key = await service.intake_key("web")
    # The API's copy of the intake keys takes a new key at its first use with PostgreSQL up.
    assert (
        await service.http.post("/api/v1/inquiries", json=inquiry_body(), headers=key)
    ).is_success
    async with postgresql_down(database_url):
        filed = await service.http.post("/api/v1/inquiries", json=inquiry_body(), headers=key)
        assert filed.status_code == 201, filed.text
        # Longer than the local tries of both ways (workflows/options.py LOCAL_RETRY) and the
        # first workflow task, so the receipt's last try is an activity of its own.
        await asyncio.sleep(9)
        restored_from = datetime.now(UTC)
    inquiry_id = filed.json()["id"]
    await service.wait_for(
        "SELECT 1 FROM inquiries WHERE id = $1::uuid AND status = 'dispatched'",
        inquiry_id,
        within=60,
    )
    dispatched_at = (await row(service, inquiry_id))["dispatched_at"]
    assert dispatched_at >= restored_from, (dispatched_at, restored_from)
    history = await _history(service, inquiry_id, finished=False)
    local = _local_activities(history)
    assert local[0] == "receive_and_dispatch" and local[-1] == "record_projected", local
    routed = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    assert routed == ["receive_and_route"], routed


async def _history(service: Service, inquiry_id: str, *, finished: bool = True) -> list[Any]:
    case = handle(service, inquiry_id)
    if finished:
        await case.result()
    return [e async for e in case.fetch_history_events()]


def _local_activities(history: list[Any]) -> list[str]:
    return [m["activity_type"] for m in core_markers(history, "core_local_activity", "data")]
