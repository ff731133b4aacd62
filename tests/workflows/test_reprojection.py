"""Calendar and policy changes re-project open cases: recorded, explained, never a storm."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

from domain.calendar import CHINA_TZ, day_kind
from domain.clock import BudgetUnit, WorkCalendar
from tests.cases import act, events, file_case, row
from tests.conftest import Service


async def test_a_new_holiday_moves_open_deadlines_and_is_recorded(service: Service) -> None:
    category = await service.category(clock="working_days", reply_within=3, ack_within=48)
    inquiry_id, _ = await file_case(service, category)
    admin = await service.staff("admin")
    supervisor = await service.staff("supervisor")
    before = await row(service, inquiry_id)
    holiday = _first_working_day_after(before["dispatched_at"])
    assert holiday < before["reply_due_at"].astimezone(CHINA_TZ).date()
    try:
        changed = await service.http.put(
            "/api/v1/admin/calendar",
            json={"days": [{"day": holiday.isoformat(), "working": False, "note": "临时休假"}],
                  "reason": "test holiday"},
            headers=admin,
        )  # fmt: skip
        assert changed.status_code == 200, changed.text
        assert changed.json()["cases_notified"] >= 1
        await service.wait_for(
            "SELECT 1 FROM inquiry_events WHERE inquiry_id = $1::uuid AND kind = 'reprojected'",
            inquiry_id,
        )
        after = await row(service, inquiry_id)
        expected = WorkCalendar(extra={holiday: False}).add(
            BudgetUnit.WORKING_DAYS, before["dispatched_at"], 3
        )
        assert after["reply_due_at"] == expected.due_at
        assert after["reply_due_at"] > before["reply_due_at"]
        sla = (
            await service.http.get(f"/api/v1/inquiries/{inquiry_id}/sla", headers=supervisor)
        ).json()
        reply = next(t for t in sla["targets"] if t["target"] == "reply")
        assert datetime.fromisoformat(reply["due_at"]) == after["reply_due_at"]
        timeline = (
            await service.http.get(f"/api/v1/inquiries/{inquiry_id}/timeline", headers=supervisor)
        ).json()
        moved = next(e for e in timeline["events"] if e["kind"] == "reprojected")
        assert moved["detail"]["reply_due_before"] == before["reply_due_at"].isoformat()
        assert moved["detail"]["clock"]["reply_due"] == after["reply_due_at"].isoformat()
    finally:
        await service.http.request(
            "DELETE", "/api/v1/admin/calendar",
            json={"days": [holiday.isoformat()], "reason": "test cleanup"}, headers=admin,
        )  # fmt: skip


async def test_a_shorter_policy_fires_past_steps_once_in_one_notice(service: Service) -> None:
    category = await service.category(reply_within=24, supervision_after=1, notice_after=100)
    inquiry_id, _ = await file_case(service, category)
    handler = await service.staff("handler", "open_affairs")
    admin = await service.staff("admin")
    assert (await act(service, inquiry_id, "acknowledge", handler)).status_code == 200
    await asyncio.sleep(1)  # so the new 督办 time (due + 0.36 s) is already past as well
    changed = await service.http.patch(
        f"/api/v1/admin/categories/{category}",
        json={"reply_within": 0.0001, "supervision_after": 0.0001},
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["cases_notified"] == 1
    await service.wait_for(
        "SELECT count(*) = 4 FROM escalations WHERE inquiry_id = $1::uuid", inquiry_id
    )
    async with service.pool.acquire() as conn:
        notices = await conn.fetch(
            "SELECT audience, body FROM notifications WHERE inquiry_id = $1::uuid AND kind = 'ladder'",
            inquiry_id,
        )
    assert len(notices) == 1  # warnings, 催办 and 督办 together, not four messages
    assert "催办" in notices[0]["body"] and "督办" in notices[0]["body"]
    assert "policy_changed" in await events(service, inquiry_id)
    assert (await row(service, inquiry_id))["escalation_level"] == 2


async def test_sla_explains_each_target(service: Service) -> None:
    category = await service.category(
        clock="working_days", reply_within=5, ack_unit="working_hours", ack_within=4
    )
    inquiry_id, _ = await file_case(service, category)
    supervisor = await service.staff("supervisor")
    handler = await service.staff("handler", "open_affairs")
    other = await service.staff("handler", "drainage")
    assert (
        await service.http.get(f"/api/v1/inquiries/{inquiry_id}/sla", headers=other)
    ).status_code == 403
    sla = (await service.http.get(f"/api/v1/inquiries/{inquiry_id}/sla", headers=supervisor)).json()
    targets = {t["target"]: t for t in sla["targets"]}
    assert set(targets) == {"acknowledge", "reply"}
    reply = targets["reply"]
    assert reply["unit"] == "working_days" and reply["budget"] == 5 and reply["total"] == 5
    assert reply["segments"] == [] and reply["overdue"] is False
    assert 0 <= reply["consumed"] < 5 and abs(reply["consumed"] + reply["remaining"] - 5) < 1e-6
    due = datetime.fromisoformat(reply["due_at"])
    kind, _known = day_kind((due - timedelta(microseconds=1)).astimezone(CHINA_TZ).date())
    assert kind  # the budget runs out inside a working day
    assert targets["acknowledge"]["unit"] == "working_hours"
    assert (await act(service, inquiry_id, "acknowledge", handler)).status_code == 200
    signed = (
        await service.http.get(f"/api/v1/inquiries/{inquiry_id}/sla", headers=supervisor)
    ).json()
    ack = next(t for t in signed["targets"] if t["target"] == "acknowledge")
    assert ack["stopped_at"] is not None  # no longer counting once signed for


def _first_working_day_after(moment: datetime) -> date:
    day = moment.astimezone(CHINA_TZ).date() + timedelta(days=1)
    while not day_kind(day)[0]:
        day += timedelta(days=1)
    return day
