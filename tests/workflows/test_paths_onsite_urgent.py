"""现场解答 (answered on the spot), urgent acknowledgement reminders, the return to the office of
a case never signed for, and continue-as-new of a long case, through the HTTP API.

Each test files its cases in a category of its own with no routing rule, so they go to the
open-affairs office (open_affairs) and its handlers answer them.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.service import RPCError

from domain.case import CaseState
from domain.ids import case_workflow_id, new_tracking_code
from domain.models import Citizen, InquiryInput
from tests.cases import file_inquiry as _file
from tests.cases import patches_asked, started_with
from tests.cases import row as _row
from tests.conftest import Service, inquiry_body
from workflows import revision
from workflows import search_attributes as sa
from workflows.case import CaseInput, CaseWorkflow


async def _steps(service: Service, inquiry_id: str) -> dict[str, tuple[int, datetime]]:
    async with service.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT step_key, level, fired_at FROM escalations WHERE inquiry_id = $1::uuid",
            inquiry_id,
        )
    return {r["step_key"]: (r["level"], r["fired_at"]) for r in rows}


async def _notices(service: Service, inquiry_id: str, audience: str) -> list[Any]:
    async with service.pool.acquire() as conn:
        return await conn.fetch(
            "SELECT kind, body, status, recipient FROM notifications"
            " WHERE inquiry_id = $1::uuid AND audience = $2 ORDER BY created_at, id",
            inquiry_id,
            audience,
        )


async def _ladder(service: Service, inquiry_id: str) -> list[Any]:
    """The ladder notices sent for a case, in order."""
    async with service.pool.acquire() as conn:
        return await conn.fetch(
            "SELECT audience, body, recipient FROM notifications"
            " WHERE inquiry_id = $1::uuid AND kind = 'ladder' ORDER BY created_at, id",
            inquiry_id,
        )


async def _query_state(handle: Any) -> CaseState:
    """The workflow's state; a run that just continued as new answers after its first task."""
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        try:
            return await handle.query(CaseWorkflow.state)
        except RPCError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)


def _near(actual: timedelta, expected: timedelta) -> bool:
    """Virtual timers fire at their time; allow the few real seconds the activities take."""
    return expected <= actual <= expected + timedelta(minutes=1)


def _ack_steps(steps: dict[str, Any]) -> set[str]:
    return {k for k in steps if k.startswith("ack_")}


# ---- 现场解答 ----


async def test_an_answer_given_on_the_spot_goes_straight_to_follow_up(service: Service) -> None:
    category = await service.category()
    operator = await service.staff("operator")
    answer = "已现场告知：阶梯水价按年度累计用水量计算，本户未超第一阶梯。"
    created = await service.http.post(
        "/api/v1/inquiries",
        json=inquiry_body(
            category, content="咨询阶梯水价怎么算", channel="onsite", answered_on_site=answer
        ),
        headers=operator,
    )
    assert created.status_code == 201, created.text
    inquiry = created.json()
    await service.wait_for(
        "SELECT 1 FROM inquiries WHERE id = $1::uuid AND status = 'follow_up'", inquiry["id"]
    )
    # The outbox dispatcher delivers the answer apart from the case (README: Notifications).
    await service.wait_for(
        "SELECT 1 FROM notifications WHERE inquiry_id = $1::uuid AND audience = 'citizen'"
        " AND kind = 'feedback' AND status = 'sent'",
        inquiry["id"],
    )

    row = await _row(service, inquiry["id"])
    assert row["channel"] == "onsite"
    assert row["answered_on_site"] is True
    assert row["on_time"] is True
    assert row["reply_content"] == answer
    assert row["replied_at"] == row["received_at"]
    assert row["handling_seconds"] == 0
    async with service.pool.acquire() as conn:
        tasks = await conn.fetchval(
            "SELECT count(*) FROM tasks WHERE inquiry_id = $1::uuid", inquiry["id"]
        )
        unit_notices = await conn.fetchval(
            "SELECT count(*) FROM notifications WHERE inquiry_id = $1::uuid"
            " AND audience <> 'citizen'",
            inquiry["id"],
        )
    assert tasks == 0  # no unit ever had it in its list
    assert unit_notices == 0  # and nobody was asked to sign for it
    citizen = await _notices(service, inquiry["id"], "citizen")
    assert [n["kind"] for n in citizen] == ["feedback"]
    assert answer in citizen[0]["body"] and inquiry["tracking_code"] in citizen[0]["body"]
    assert citizen[0]["status"] == "sent"

    detail = (await service.http.get(f"/api/v1/inquiries/{inquiry['id']}", headers=operator)).json()
    assert [e["kind"] for e in detail["timeline"]] == ["received", "answered_on_site"]
    assert detail["reply"]["content"] == answer
    assert detail["feedback_sent"] is True

    view = (await service.http.get(f"/api/v1/public/inquiries/{inquiry['tracking_code']}")).json()
    assert view["status"] == "follow_up" and view["awaiting"] == "rating"
    assert view["reply"] == answer

    rated = await service.http.post(
        f"/api/v1/public/inquiries/{inquiry['tracking_code']}/rating",
        json={"rating": "satisfied"},
    )
    assert rated.status_code == 200, rated.text
    assert rated.json()["status"] == "closed"
    row = await _row(service, inquiry["id"])
    assert row["rating"] == "satisfied" and row["close_reason"] == "rated"


async def test_only_an_operator_answers_on_the_spot(service: Service) -> None:
    category = await service.category()
    key = await service.intake_key("web")
    refused = await service.http.post(
        "/api/v1/inquiries",
        json=inquiry_body(category, content="咨询水费", answered_on_site="已答复"),
        headers=key,
    )
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "forbidden"
    async with service.pool.acquire() as conn:
        filed = await conn.fetchval("SELECT count(*) FROM inquiries WHERE category = $1", category)
    assert filed == 0


# ---- urgent categories: 签收 reminders, breach, and the return to the office ----


async def test_urgent_reminders_every_ten_minutes_stop_once_signed_for(service: Service) -> None:
    category = await service.category(
        urgent=True, ack_repeat_minutes=10, ack_within=0.5, ack_grace=0.5
    )
    key = await service.intake_key("hotline")
    handler = await service.staff("handler", "open_affairs")
    case = await _file(service, category, key, "小区主管道断水，老人孩子没水喝")
    inquiry_id = case["id"]
    handle = service.client.get_workflow_handle(case_workflow_id(inquiry_id))
    dispatched_at = (await _row(service, inquiry_id))["dispatched_at"]
    assert (await _row(service, inquiry_id))["ack_due_at"] == dispatched_at + timedelta(minutes=30)

    assert await service.env.fast_forward(handle, timedelta(minutes=35))
    steps = await _steps(service, inquiry_id)
    assert set(steps) == {
        "ack_reminder:1:1",
        "ack_reminder:1:2",
        "ack_reminder:1:3",
        "ack_breach:1",
    }
    for k in (1, 2, 3):
        level, at = steps[f"ack_reminder:1:{k}"]
        assert level == 0
        assert _near(at - dispatched_at, timedelta(minutes=10 * k)), (k, at - dispatched_at)
    level, at = steps["ack_breach:1"]
    assert level == 1
    assert _near(at - dispatched_at, timedelta(minutes=30))
    # The unit was reminded three times; its head heard of the breach once.
    # One reminder each time, and the breach reached the unit head once.
    ladder = await _ladder(service, inquiry_id)
    assert sum("签收 reminder" in n["body"] for n in ladder) == 3
    breach = [n for n in ladder if "签收 overdue" in n["body"]]
    assert len(breach) == 1 and breach[0]["audience"] == "unit_head"
    row = await _row(service, inquiry_id)
    assert row["status"] == "dispatched" and row["escalation_level"] == 1

    signed = await service.http.post(
        f"/api/v1/inquiries/{inquiry_id}/acknowledge", json={}, headers=handler
    )
    assert signed.status_code == 200, signed.text
    assert signed.json()["status"] == "handling"

    assert await service.env.fast_forward(handle, timedelta(hours=1))
    after = await _steps(service, inquiry_id)
    assert _ack_steps(after) == _ack_steps(steps)  # no reminder, no return after signing
    assert (await _row(service, inquiry_id))["status"] == "handling"
    assert len(await _ladder(service, inquiry_id)) == len(ladder)


async def test_an_unsigned_urgent_case_returns_to_the_office_and_is_redispatched(
    service: Service,
) -> None:
    category = await service.category(
        urgent=True, ack_repeat_minutes=10, ack_within=0.5, ack_grace=0.5
    )
    key = await service.intake_key("hotline")
    office = await service.staff("handler", "open_affairs")
    pump = await service.staff("handler", "pump_station")
    supervisor = await service.staff("supervisor")
    case = await _file(service, category, key, "高层住户水压不足，楼上完全没水")
    inquiry_id = case["id"]
    handle = service.client.get_workflow_handle(case_workflow_id(inquiry_id))
    dispatched_at = (await _row(service, inquiry_id))["dispatched_at"]

    async def sla() -> dict[str, Any]:
        response = await service.http.get(f"/api/v1/inquiries/{inquiry_id}/sla", headers=supervisor)
        assert response.status_code == 200, response.text
        return {t["target"]: t for t in response.json()["targets"]}

    reply_started = (await sla())["reply"]["started_at"]

    assert await service.env.fast_forward(handle, timedelta(minutes=65))
    await service.wait_for(
        "SELECT 1 FROM inquiries WHERE id = $1::uuid AND status = 'returned'", inquiry_id
    )
    steps = await _steps(service, inquiry_id)
    assert _ack_steps(steps) == {
        *(f"ack_reminder:1:{k}" for k in range(1, 6)),
        "ack_breach:1",
        "ack_return:1",
    }
    assert _near(steps["ack_return:1"][1] - dispatched_at, timedelta(hours=1))
    timeline = (
        await service.http.get(f"/api/v1/inquiries/{inquiry_id}/timeline", headers=supervisor)
    ).json()
    returned = [e for e in timeline["events"] if e["kind"] == "not_acknowledged"]
    assert len(returned) == 1 and returned[0]["actor"] == "system"
    assert timeline["status"] == "returned"
    office_tasks = (await service.http.get("/api/v1/tasks", headers=office)).json()["items"]
    decisions = [t for t in office_tasks if t["inquiry_id"] == inquiry_id]
    assert [t["kind"] for t in decisions] == ["decision"]
    office_notices = await _notices(service, inquiry_id, "office")
    assert any(n["kind"] == "redispatch" for n in office_notices)

    decided = await service.http.post(
        f"/api/v1/inquiries/{inquiry_id}/return-decision",
        json={"accept": True, "new_unit": "pump_station", "note": "属加压泵站职责"},
        headers=office,
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "dispatched"
    assert decided.json()["unit"] == "pump_station"
    row = await _row(service, inquiry_id)
    assert row["unit_code"] == "pump_station" and row["status"] == "dispatched"
    assert row["dispatched_at"] == dispatched_at  # first dispatch stays the reply clock's start

    clocks = await sla()
    assert clocks["reply"]["started_at"] == reply_started  # the reply clock kept running
    ack_started = datetime.fromisoformat(clocks["acknowledge"]["started_at"])
    assert _near(ack_started - dispatched_at, timedelta(minutes=65))  # a fresh 签收 clock
    assert datetime.fromisoformat(clocks["acknowledge"]["due_at"]) == ack_started + timedelta(
        minutes=30
    )
    assert row["ack_due_at"] == ack_started + timedelta(minutes=30)
    pump_tasks = (await service.http.get("/api/v1/tasks", headers=pump)).json()["items"]
    assert [t["inquiry_id"] for t in pump_tasks].count(inquiry_id) == 1
    office_tasks = (await service.http.get("/api/v1/tasks", headers=office)).json()["items"]
    assert inquiry_id not in {t["inquiry_id"] for t in office_tasks}

    # The new unit gets its own reminders, counted from the re-dispatch.
    assert await service.env.fast_forward(handle, timedelta(minutes=12))
    steps = await _steps(service, inquiry_id)
    assert "ack_reminder:2:1" in steps
    assert _near(steps["ack_reminder:2:1"][1] - ack_started, timedelta(minutes=10))
    reminders = [n for n in await _ladder(service, inquiry_id) if "签收 reminder" in n["body"]]
    assert len(reminders) == 6
    assert reminders[-1]["recipient"] == "pump_station"

    signed = await service.http.post(
        f"/api/v1/inquiries/{inquiry_id}/acknowledge", json={}, headers=pump
    )
    assert signed.status_code == 200, signed.text
    assert signed.json()["status"] == "handling"


async def test_handling_time_of_a_redispatched_case_counts_from_the_first_dispatch(
    service: Service,
) -> None:
    category = await service.category(
        urgent=True, ack_repeat_minutes=10, ack_within=0.5, ack_grace=0.5
    )
    key = await service.intake_key("hotline")
    office = await service.staff("handler", "open_affairs")
    pump = await service.staff("handler", "pump_station")
    case = await _file(service, category, key, "二次供水泵房噪音大，整夜不停")
    inquiry_id = case["id"]
    handle = service.client.get_workflow_handle(case_workflow_id(inquiry_id))
    assert await service.env.fast_forward(handle, timedelta(minutes=65))
    await service.wait_for(
        "SELECT 1 FROM inquiries WHERE id = $1::uuid AND status = 'returned'", inquiry_id
    )
    decided = await service.http.post(
        f"/api/v1/inquiries/{inquiry_id}/return-decision",
        json={"accept": True, "new_unit": "pump_station"},
        headers=office,
    )
    assert decided.status_code == 200, decided.text

    replied = await service.http.post(
        f"/api/v1/inquiries/{inquiry_id}/reply",
        json={"content": "已为水泵加装减振垫，噪音已消除。"},
        headers=pump,
    )
    assert replied.status_code == 200, replied.text
    assert replied.json()["on_time"] is True
    row = await _row(service, inquiry_id)
    # The record's own figures agree: handled from dispatch (65 min ago) to the reply.
    elapsed = (row["replied_at"] - row["dispatched_at"]).total_seconds()
    assert elapsed >= 65 * 60
    assert abs(row["handling_seconds"] - elapsed) <= 1


# ---- continue-as-new ----


async def test_a_long_urgent_case_continues_as_new_and_keeps_its_state(service: Service) -> None:
    category = await service.category(urgent=True, ack_repeat_minutes=1, ack_within=3)
    handler = await service.staff("handler", "open_affairs")
    inquiry_id = str(uuid.uuid4())
    tracking_code = new_tracking_code()
    started = await service.client.start_workflow(
        CaseWorkflow.run,
        CaseInput(
            inquiry=InquiryInput(
                inquiry_id=inquiry_id,
                tracking_code=tracking_code,
                channel="hotline",
                category=category,
                content="整栋楼停水，请尽快处理",
                citizen=Citizen(name="李四", phone="+8613812345678"),
                submitted_by="user:operator-test",
                received_at=datetime.now(UTC),
            ),
            history_limit=40,
            revision=revision.CURRENT,
        ),
        id=case_workflow_id(inquiry_id),
        task_queue=service.settings.task_queue,
    )
    first_run = started.first_execution_run_id or started.result_run_id
    assert first_run is not None
    await service.wait_for(
        "SELECT 1 FROM inquiries WHERE id = $1::uuid AND status = 'dispatched'", inquiry_id
    )
    dispatched_at = (await _row(service, inquiry_id))["dispatched_at"]
    handle = service.client.get_workflow_handle(case_workflow_id(inquiry_id))

    assert await service.env.fast_forward(handle, timedelta(hours=2))
    # The dev server jumps a fresh run's clock ahead at each continue-as-new, so the case may
    # be behind its agenda when the fast-forward ends; it catches up on steps due in the past
    # (all due ones together, as after a worker restart). Wait until it has.
    await service.wait_for(
        "SELECT count(*) >= 120 FROM escalations WHERE inquiry_id = $1::uuid"
        " AND step_key LIKE 'ack_reminder:%'",
        inquiry_id,
        within=60,
    )

    description = await handle.describe()
    assert description.run_id != first_run
    first = service.client.get_workflow_handle(case_workflow_id(inquiry_id), run_id=first_run)
    events = [e async for e in first.fetch_history_events()]
    assert events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
    assert len(events) < 80  # each run stays small
    # The run it continued as carries the case's revision: it asks no patch either.
    carried = list((await handle.fetch_history()).events)
    assert (await started_with(service, carried)).revision == revision.CURRENT
    assert patches_asked(events) == patches_asked(carried) == []
    # It upserts only what changed from what it started with (revision 2), and still shows
    # the overdue view: the unit the first run set.
    assert description.typed_search_attributes.get(sa.RESPONSIBLE_UNIT) == "open_affairs"

    state = await _query_state(handle)
    assert state.status == "dispatched"
    assert state.unit == "open_affairs"
    assert state.dispatches == 1
    assert state.acknowledged_at is None
    assert len(state.fired) == len(set(state.fired))

    steps = await _steps(service, inquiry_id)
    assert set(steps) == _ack_steps(steps)  # nothing of the reply ladder yet
    reminders = sorted((int(k.rsplit(":", 1)[1]), at) for k, (_, at) in steps.items())
    numbers = [n for n, _ in reminders]
    # One reminder a minute for two hours: none lost, none twice, none early.
    assert numbers == list(range(1, len(numbers) + 1)), numbers
    assert 120 <= len(numbers) <= 121
    assert {f"ack_reminder:1:{n}" for n in numbers} >= set(state.fired)
    for n, at in reminders:
        assert at - dispatched_at >= timedelta(minutes=n), (n, at - dispatched_at)
    assert [at for _, at in reminders] == sorted(at for _, at in reminders)
    # The first run fired on time (no continue-as-new yet).
    assert _near(reminders[0][1] - dispatched_at, timedelta(minutes=1))
    ladder = await _ladder(service, inquiry_id)
    assert sum(n["body"].count("签收 reminder") for n in ladder) == len(numbers)  # each once
    row = await _row(service, inquiry_id)
    assert row["status"] == "dispatched" and row["escalation_level"] == 0

    signed = await service.http.post(
        f"/api/v1/inquiries/{inquiry_id}/acknowledge", json={}, headers=handler
    )
    assert signed.status_code == 200, signed.text
    assert signed.json()["status"] == "handling"
    assert (await _row(service, inquiry_id))["status"] == "handling"

    assert await service.env.fast_forward(handle, timedelta(minutes=10))
    assert len(_ack_steps(await _steps(service, inquiry_id))) == len(numbers)

    replied = await service.http.post(
        f"/api/v1/inquiries/{inquiry_id}/reply",
        json={"content": "供水已恢复。"},
        headers=handler,
    )
    assert replied.status_code == 200, replied.text
    assert replied.json()["status"] == "follow_up"
    assert replied.json()["on_time"] is True
