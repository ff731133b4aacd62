"""The scheduled work on the real dev server: the digest and the summary on virtual time, the
schedules ensured at start-up, and a manual trigger of the digest schedule end to end."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError
from temporalio.client import ScheduleActionStartWorkflow, ScheduleRange, WorkflowHandle
from temporalio.service import RPCError

from core.settings import Settings
from domain.calendar import CHINA_TZ, OfficeHours, day_kind
from domain.digest import (
    NON_WORKING_DAY,
    DigestRequest,
    DigestResult,
    SummaryRequest,
    SummaryResult,
    summary_month,
)
from domain.ids import DIGEST_SCHEDULE_ID, SUMMARY_SCHEDULE_ID
from infra.accounts import add_user
from repository import calendar as calendar_repo
from repository.directory import insert_row
from service.accounts import set_email
from service.schedules import ensure_schedules
from tests.cases import file_case
from tests.conftest import PASSWORD, Service
from workflows.scheduled import DigestWorkflow, SummaryWorkflow


async def _unit_with_heads(service: Service, categories: list[str]) -> tuple[str, str, str]:
    """A unit of this test that gets the categories' cases, with a head who has an email
    address and one who has none; returns (unit, head with address, head without)."""
    unit = f"u_{uuid.uuid4().hex[:8]}"
    with_mail, without = f"head-{uuid.uuid4().hex[:6]}", f"head-{uuid.uuid4().hex[:6]}"
    async with service.pool.acquire() as conn, conn.transaction():
        await insert_row(conn, "units", {"code": unit, "name": unit, "name_zh": "测试单位"})
        for category in categories:
            await insert_row(
                conn,
                "routing_rules",
                {
                    "name": f"r-{category}",
                    "priority": -1000,
                    "category": category,
                    "unit_code": unit,
                },
            )
        for username in (with_mail, without):
            await add_user(
                conn, username=username, role="unit_head", unit_code=unit, password=PASSWORD
            )
        await set_email(conn, username=with_mail, email=f"{with_mail}@example.cn", actor="test")
    return unit, with_mail, without


async def _next_days(service: Service) -> tuple[date, date]:
    """The next working day and the next non-working day after today (China), by the calendar."""
    async with service.pool.acquire() as conn:
        extra = await calendar_repo.overrides(conn)
    day = datetime.now(CHINA_TZ).date()
    working = off = None
    while working is None or off is None:
        day += timedelta(days=1)
        if day_kind(day, extra)[0]:
            working = working or day
        else:
            off = off or day
    return working, off


async def _digests(service: Service, day: date | str, unit: str) -> list[dict[str, object]]:
    async with service.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT * FROM notifications WHERE dedupe_key LIKE $1 ORDER BY recipient",
            f"digest:{day}:{unit}:%",
        )
    return [dict(r) for r in rows]


async def _run(
    service: Service, workflow: object, request: object
) -> WorkflowHandle[object, object]:
    handle = await service.client.start_workflow(
        workflow,  # type: ignore[arg-type]
        request,
        id=f"test-{uuid.uuid4().hex[:8]}",
        task_queue=service.settings.task_queue,
    )
    await service.env.fast_forward(handle, None)  # until it ends, however long it is held
    return handle


async def test_a_working_days_digest_is_one_notice_per_head_with_the_units_counts(
    service: Service,
) -> None:
    day, _ = await _next_days(service)
    opening = OfficeHours().window(day)[0]
    hours = (opening - datetime.now(UTC)).total_seconds() / 3600
    overdue = await service.category(reply_within=1)  # due long before the digest
    soon = await service.category(reply_within=round(hours + 4, 3))  # due 4 h after it
    later = await service.category(reply_within=round(hours + 24 * 40, 3))
    unit, with_mail, without = await _unit_with_heads(service, [overdue, soon, later])
    for category in (overdue, soon, later):
        await file_case(service, category)
    other_unit, *_ = await _unit_with_heads(service, [])

    handle = await _run(service, DigestWorkflow.run, DigestRequest(day=day.isoformat()))
    result: DigestResult = await handle.result()
    assert result.day == day.isoformat() and result.skipped is None and result.queued >= 4

    rows = await _digests(service, day, unit)
    assert [(r["recipient"], r["channel"], r["audience"]) for r in rows] == sorted(
        [(f"{with_mail}@example.cn", "email", "unit_head"), (without, "internal", "unit_head")]
    )
    for row in rows:
        assert row["inquiry_id"] is None and row["kind"] == "daily_digest"
        assert str(row["subject"]).startswith(f"每日待办 {day}")
        body = str(row["body"])
        assert "在办 open: 3\n" in body
        assert "due within a working day: 1\n" in body
        assert body.endswith("overdue: 1")
        # Sent at the opening, the workflow's (virtual) time, not the wall clock's.
        assert abs(row["created_at"] - opening) < timedelta(minutes=1)  # type: ignore[operator]
    assert "在办 open: 0\n" in str((await _digests(service, day, other_unit))[0]["body"])
    # The dispatcher delivers each once.
    await service.wait_for(
        "SELECT count(*) = 2 FROM notifications WHERE dedupe_key LIKE $1"
        " AND status = 'sent' AND attempts = 1",
        f"digest:{day}:{unit}:%",
    )

    again = await _run(service, DigestWorkflow.run, DigestRequest(day=day.isoformat()))
    assert (await again.result()).queued == 0
    assert len(await _digests(service, day, unit)) == 2


async def test_no_digest_on_a_weekend_a_holiday_or_an_operators_day_off(service: Service) -> None:
    unit, *_ = await _unit_with_heads(service, [])
    _, off = await _next_days(service)
    for day in (off.isoformat(), "2026-10-01"):  # the next day off; 国庆 (National Day)
        result = await (await _run(service, DigestWorkflow.run, DigestRequest(day=day))).result()
        assert result.skipped == NON_WORKING_DAY and result.queued == 0
        assert await _digests(service, day, unit) == []

    admin = await service.staff("admin")
    day_off = "2098-06-18"  # a Wednesday, made a day off by the operator
    put = await service.http.put(
        "/api/v1/admin/calendar",
        json={"days": [{"day": day_off, "working": False, "note": "digest test"}]},
        headers=admin,
    )
    assert put.status_code == 200, put.text
    try:
        result = await (
            await _run(service, DigestWorkflow.run, DigestRequest(day=day_off))
        ).result()
        assert result.skipped == NON_WORKING_DAY
        assert await _digests(service, day_off, unit) == []
    finally:
        await service.http.request(
            "DELETE", "/api/v1/admin/calendar", json={"days": [day_off]}, headers=admin
        )


async def test_the_monthly_summary_gives_each_supervisor_the_reports_figures(
    service: Service,
) -> None:
    supervisor = f"sup-{uuid.uuid4().hex[:6]}"
    async with service.pool.acquire() as conn, conn.transaction():
        await add_user(
            conn, username=supervisor, role="supervisor", unit_code=None, password=PASSWORD
        )
        await set_email(conn, username=supervisor, email=f"{supervisor}@example.cn", actor="test")
    await file_case(service, await service.category())
    today = datetime.now(CHINA_TZ).date()
    month = f"{today:%Y-%m}"
    # The whole month, as the summary: time-skipped tests close cases at later dates of it.
    first, last = summary_month(datetime.now(UTC), month)
    supervisor_headers = await service.staff("supervisor")

    async def reported() -> dict[str, int]:
        figures = await service.http.get(
            "/api/v1/reports/summary",
            params={"from": first.isoformat(), "to": last.isoformat()},
            headers=supervisor_headers,
        )
        assert figures.status_code == 200, figures.text
        total: dict[str, int] = figures.json()["total"]
        return total

    # Cases of earlier tests may still close meanwhile: the counts only grow, so the summary's
    # figures lie between the reports' figures read just before and just after it was made.
    before = await reported()
    handle = await _run(service, SummaryWorkflow.run, SummaryRequest(month=month))
    result: SummaryResult = await handle.result()
    after = await reported()
    assert result.month == month and result.queued >= 1
    async with service.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT * FROM notifications WHERE dedupe_key = $1", f"summary:{month}:{supervisor}"
        )
    assert row["channel"] == "email" and row["recipient"] == f"{supervisor}@example.cn"
    assert row["subject"] == f"月度通报 {month}" and row["inquiry_id"] is None
    lines = dict(line.split(": ", 1) for line in row["body"].splitlines()[1:])
    for label, figure in (
        ("受理 received", "received"),
        ("办结 closed", "closed"),
        ("按时办结 closed_on_time", "closed_on_time"),
    ):
        assert before[figure] <= int(lines[label]) <= after[figure], (label, before, after)
    assert "当前超期 overdue_now" in lines and "满意率 satisfaction_rate" in lines
    assert before["received"] >= 1

    again = await _run(service, SummaryWorkflow.run, SummaryRequest(month=month))
    assert (await again.result()).queued == 0


@pytest.fixture
async def schedules(service: Service) -> AsyncIterator[None]:
    """The dev server is shared by the session's tests: the schedules are removed afterwards."""
    yield
    for schedule_id in (DIGEST_SCHEDULE_ID, SUMMARY_SCHEDULE_ID):
        with contextlib.suppress(RPCError):  # not created when the test failed early
            await service.client.get_schedule_handle(schedule_id).delete()


async def _listed(service: Service) -> list[str]:
    return [s.id async for s in await service.client.list_schedules()]


async def test_start_up_ensures_each_schedule_once_and_a_trigger_runs_the_digest(
    service: Service, schedules: None
) -> None:
    first = await ensure_schedules(service.client, service.settings)
    assert [(e.schedule_id, e.created) for e in first] == [
        (DIGEST_SCHEDULE_ID, True),
        (SUMMARY_SCHEDULE_ID, True),
    ]
    digest = service.client.get_schedule_handle(DIGEST_SCHEDULE_ID)
    await digest.pause(note="paused in the UI")
    later = service.settings.model_copy(update={"digest_time": "09:15"})
    second = await ensure_schedules(service.client, later)
    assert [e.created for e in second] == [False, False]

    for _ in range(100):  # the list is read from visibility, which follows a little behind
        listed = await _listed(service)
        if sorted(listed) == [DIGEST_SCHEDULE_ID, SUMMARY_SCHEDULE_ID]:
            break
        await asyncio.sleep(0.1)
    assert sorted(listed) == [DIGEST_SCHEDULE_ID, SUMMARY_SCHEDULE_ID]

    described = (await digest.describe()).schedule
    assert described.state.paused and described.state.note == "paused in the UI"  # kept
    assert described.spec.time_zone_name == "Asia/Shanghai"
    (calendar,) = described.spec.calendars
    assert (calendar.hour, calendar.minute) == ((ScheduleRange(9),), (ScheduleRange(15),))
    action = described.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert (action.workflow, action.task_queue) == ("DigestWorkflow", service.settings.task_queue)
    summary = (await service.client.get_schedule_handle(SUMMARY_SCHEDULE_ID).describe()).schedule
    assert summary.spec.time_zone_name == "Asia/Shanghai"
    assert summary.spec.calendars[0].day_of_month == (ScheduleRange(1),)
    assert isinstance(summary.action, ScheduleActionStartWorkflow)
    assert summary.action.workflow == "SummaryWorkflow"

    # A manual trigger: whatever the hour, the run goes out at the next office opening (held on
    # virtual time); today is made a working day so that the run is not skipped on a weekend.
    unit, with_mail, _ = await _unit_with_heads(service, [])
    today = datetime.now(CHINA_TZ).date()
    async with service.pool.acquire() as conn:
        had = (await calendar_repo.overrides(conn)).get(today)
        await calendar_repo.set_days(conn, days={today: (True, "trigger test")}, updated_by="test")
    try:
        await digest.unpause()
        await digest.trigger()
        run_id = None
        for _ in range(100):
            info = (await digest.describe()).info
            actions = [*info.running_actions, *(a.action for a in info.recent_actions)]
            if actions:
                run_id = actions[0].workflow_id
                break
            await asyncio.sleep(0.1)
        assert run_id is not None and run_id.startswith("digest-")
        run = service.client.get_workflow_handle(run_id, result_type=DigestResult)
        await service.env.fast_forward(run, None)
        result = await run.result()
    finally:
        async with service.pool.acquire() as conn:
            if had is None:
                await calendar_repo.delete_days(conn, days=[today])
            else:
                await calendar_repo.set_days(conn, days={today: (had, "")}, updated_by="test")
    assert result.skipped is None and result.queued >= 2
    rows = await _digests(service, result.day, unit)
    by_channel = {r["channel"]: r for r in rows}
    assert len(rows) == 2 and set(by_channel) == {"email", "internal"}
    assert by_channel["email"]["recipient"] == f"{with_mail}@example.cn"


async def test_schedules_disabled_creates_none(service: Service, schedules: None) -> None:
    off = service.settings.model_copy(update={"schedules_enabled": False})
    assert await ensure_schedules(service.client, off) == []
    with pytest.raises(RPCError):
        await service.client.get_schedule_handle(DIGEST_SCHEDULE_ID).describe()


@pytest.mark.parametrize("bad", ["7:05", "24:00", "08:30:00", "noon"])
def test_digest_time_is_refused_unless_hh_mm(bad: str) -> None:
    with pytest.raises(ValidationError, match="DIGEST_TIME"):
        Settings(digest_time=bad)
    assert Settings(digest_time="07:05").digest_time == "07:05"
