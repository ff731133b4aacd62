"""退单/改派, 转办, 延期 and 补正 through the HTTP API, on virtual time where clocks matter."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.cases import act, citizen_messages, events, file_case, handle, open_tasks, row
from tests.conftest import Service
from workflows.case import CaseWorkflow


async def test_return_redispatch_refusal_and_the_supervisor_after_n_returns(
    service: Service,
) -> None:
    category = await service.category(max_returns=2)
    inquiry_id, _ = await file_case(service, category)  # no rule: open_affairs first
    office = await service.staff("handler", "open_affairs")
    pipe = await service.staff("handler", "pipe_repair")
    window = await service.staff("handler", "business_window")
    supervisor = await service.staff("supervisor")
    before = await row(service, inquiry_id)

    bad = await act(service, inquiry_id, "return", office, reason_code="because")
    assert bad.status_code == 422
    foreign = await act(service, inquiry_id, "return", pipe, reason_code="not_our_unit")
    assert foreign.status_code == 403 and foreign.json()["code"] == "wrong_unit"

    returned = await act(
        service, inquiry_id, "return", office, reason_code="not_our_unit", note="管网问题"
    )
    assert returned.status_code == 200, returned.text
    assert returned.json()["status"] == "returned"
    assert await open_tasks(service, inquiry_id) == [("open_affairs", "decision")]
    # Units do not decide returns; the office does, to another unit than the one that returned it.
    refused = await act(
        service, inquiry_id, "return-decision", pipe, accept=True, new_unit="pipe_repair"
    )
    assert refused.status_code == 403
    same = await act(
        service, inquiry_id, "return-decision", office, accept=True, new_unit="open_affairs"
    )
    assert same.status_code == 422
    unknown = await act(
        service, inquiry_id, "return-decision", office, accept=True, new_unit="nope"
    )
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_unit"
    moved = await act(
        service, inquiry_id, "return-decision", office, accept=True, new_unit="pipe_repair"
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["unit"] == "pipe_repair" and moved.json()["status"] == "dispatched"
    assert await open_tasks(service, inquiry_id) == [("pipe_repair", "reply")]

    # The reply clock does not restart on re-dispatch.
    after = await row(service, inquiry_id)
    assert after["reply_due_at"] == before["reply_due_at"]

    # The second return reaches the limit: only a supervisor decides now.
    again = await act(service, inquiry_id, "return", pipe, reason_code="wrong_area")
    assert again.status_code == 200 and again.json()["status"] == "awaiting_decision"
    by_office = await act(
        service, inquiry_id, "return-decision", office, accept=True, new_unit="business_window"
    )
    assert by_office.status_code == 403
    kept = await act(
        service, inquiry_id, "return-decision", supervisor, accept=False, note="属于管网职责"
    )
    assert kept.status_code == 200 and kept.json()["unit"] == "pipe_repair"
    assert (await row(service, inquiry_id))["returns"] == 2
    assert (await act(service, inquiry_id, "acknowledge", window)).status_code == 403
    assert (await act(service, inquiry_id, "acknowledge", pipe)).status_code == 200
    assert events_contain(
        await events(service, inquiry_id),
        ["returned", "redispatched", "returned", "return_refused", "acknowledged"],
    )


async def test_returns_close_after_the_window(service: Service) -> None:
    category = await service.category(return_window_days=1)
    inquiry_id, _ = await file_case(service, category)
    office = await service.staff("handler", "open_affairs")
    assert (await act(service, inquiry_id, "acknowledge", office)).status_code == 200
    assert await service.env.fast_forward(handle(service, inquiry_id), timedelta(days=4))
    late = await act(service, inquiry_id, "return", office, reason_code="not_our_unit")
    assert late.status_code == 409 and late.json()["code"] == "too_late"


async def test_transfer_by_the_office_keeps_the_reply_clock(service: Service) -> None:
    category = await service.category()
    inquiry_id, _ = await file_case(service, category)
    handler = await service.staff("handler", "open_affairs")
    supervisor = await service.staff("supervisor")
    due = (await row(service, inquiry_id))["reply_due_at"]
    no_reason = await act(
        service, inquiry_id, "transfer", supervisor, new_unit="drainage", reason=" "
    )
    assert no_reason.status_code == 422
    drainage = await service.staff("handler", "drainage")
    by_unit = await act(service, inquiry_id, "transfer", drainage, new_unit="drainage", reason="x")
    assert by_unit.status_code == 403
    moved = await act(
        service, inquiry_id, "transfer", supervisor, new_unit="drainage", reason="排水问题"
    )
    assert moved.status_code == 200 and moved.json()["unit"] == "drainage"
    assert (await row(service, inquiry_id))["reply_due_at"] == due
    assert (await act(service, inquiry_id, "acknowledge", handler)).status_code == 403
    assert (await act(service, inquiry_id, "acknowledge", drainage)).status_code == 200


async def test_extension_request_approval_cap_and_deadline(service: Service) -> None:
    # 20 working days, one extension of at most 20 WD, asked at least 1 WD before the deadline.
    category = await service.category(
        clock="working_days", reply_within=20, max_extensions=1, max_extension=20,
        supervision_after=5, notice_after=5,
    )  # fmt: skip
    inquiry_id, _ = await file_case(service, category)
    handler = await service.staff("handler", "open_affairs")
    supervisor = await service.staff("supervisor")
    due = (await row(service, inquiry_id))["reply_due_at"]

    too_much = await act(
        service,
        inquiry_id,
        "extension",
        handler,
        amount=25,
        reason="需现场勘查",
        legal_basis="《条例》第三十条",
    )
    assert too_much.status_code == 409 and too_much.json()["code"] == "over_cap"
    asked = await act(
        service,
        inquiry_id,
        "extension",
        handler,
        amount=10,
        reason="需现场勘查",
        legal_basis="《条例》第三十条",
    )
    assert asked.status_code == 200, asked.text
    twice = await act(
        service, inquiry_id, "extension", handler, amount=5, reason="x", legal_basis="y"
    )
    assert twice.status_code == 409
    not_yours = await act(service, inquiry_id, "extension-decision", handler, approve=True)
    assert not_yours.status_code == 403
    approved = await act(
        service, inquiry_id, "extension-decision", supervisor, approve=True, note="同意"
    )
    assert approved.status_code == 200, approved.text
    new_due = (await row(service, inquiry_id))["reply_due_at"]
    assert new_due > due + timedelta(days=13)  # 10 working days are at least two weeks
    sla = (await service.http.get(f"/api/v1/inquiries/{inquiry_id}/sla", headers=supervisor)).json()
    reply = next(t for t in sla["targets"] if t["target"] == "reply")
    assert reply["budget"] == 20 and reply["extended"] == 10 and reply["total"] == 30
    assert [s["kind"] for s in reply["segments"]] == ["extended"]
    assert datetime.fromisoformat(reply["due_at"]) == new_due
    messages = await citizen_messages(service, inquiry_id)
    assert any(kind == "extension" and "延长" in body for kind, body in messages)
    # The cap is one extension.
    more = await act(
        service, inquiry_id, "extension", handler, amount=1, reason="x", legal_basis="y"
    )
    assert more.status_code == 409 and more.json()["code"] == "over_cap"


async def test_extension_must_be_asked_a_working_day_before_the_deadline(service: Service) -> None:
    category = await service.category(
        clock="natural_hours", reply_within=48, max_extension=24, extension_notice_days=1
    )
    inquiry_id, _ = await file_case(service, category)
    handler = await service.staff("handler", "open_affairs")
    assert (await act(service, inquiry_id, "acknowledge", handler)).status_code == 200
    assert await service.env.fast_forward(handle(service, inquiry_id), timedelta(hours=30))
    late = await act(
        service, inquiry_id, "extension", handler, amount=12, reason="x", legal_basis="y"
    )
    assert late.status_code == 409 and late.json()["code"] == "too_late"


async def test_pause_for_the_citizen_shifts_the_deadline_by_its_length(service: Service) -> None:
    category = await service.category(clock="natural_hours", reply_within=24, pause_limit_days=15)
    inquiry_id, code = await file_case(service, category)
    handler = await service.staff("handler", "open_affairs")
    due = (await row(service, inquiry_id))["reply_due_at"]
    h = handle(service, inquiry_id)

    assert await service.env.fast_forward(h, timedelta(hours=2))
    asked = await act(service, inquiry_id, "info-request", handler, question="请提供水费单照片")
    assert asked.status_code == 200 and asked.json()["status"] == "paused"
    public = (await service.http.get(f"/api/v1/public/inquiries/{code}")).json()
    assert public["status"] == "paused" and public["awaiting"] == "supplement"
    assert any(
        kind == "info_request" and "水费单" in body
        for kind, body in await citizen_messages(service, inquiry_id)
    )
    reply_now = await act(service, inquiry_id, "reply", handler, content="x")
    assert reply_now.status_code == 409

    assert await service.env.fast_forward(h, timedelta(hours=30))  # the clock is stopped
    steps = await _steps(service, inquiry_id)
    assert not any(s.startswith("reminder") for s in steps)  # no breach while paused
    answered = await service.http.post(
        f"/api/v1/public/inquiries/{code}/supplement", json={"content": "照片已上传"}
    )
    assert answered.status_code == 200 and answered.json()["status"] == "handling"
    new_due = (await row(service, inquiry_id))["reply_due_at"]
    shift = new_due - due
    assert timedelta(hours=30) <= shift <= timedelta(hours=30, minutes=2)
    sla = (await service.http.get(f"/api/v1/inquiries/{inquiry_id}/sla", headers=handler)).json()
    reply = next(t for t in sla["targets"] if t["target"] == "reply")
    assert [s["kind"] for s in reply["segments"]] == ["paused"]
    assert reply["segments"][0]["end"] is not None and reply["paused"] is False


async def test_an_unanswered_pause_withdraws_the_case(service: Service) -> None:
    category = await service.category(pause_limit_days=2)
    inquiry_id, code = await file_case(service, category)
    handler = await service.staff("handler", "open_affairs")
    assert (
        await act(service, inquiry_id, "info-request", handler, question="请补充地址")
    ).status_code == 200
    # The case ends (withdrawn) before the six days are up, so the skip reports False.
    assert not await service.env.fast_forward(handle(service, inquiry_id), timedelta(days=6))
    await service.wait_for(
        "SELECT 1 FROM inquiries WHERE id = $1::uuid AND status = 'withdrawn'", inquiry_id
    )
    record = await row(service, inquiry_id)
    assert record["close_reason"] == "withdrawn" and record["closed_at"] is not None
    assert any(kind == "withdrawn" for kind, _ in await citizen_messages(service, inquiry_id))
    late = await service.http.post(
        f"/api/v1/public/inquiries/{code}/supplement", json={"content": "晚了"}
    )
    assert late.status_code == 409


async def test_information_disclosure_restarts_its_clock_on_correction(service: Service) -> None:
    category = await service.category(
        clock="working_days", reply_within=20, restart_on_supplement=True
    )
    inquiry_id, code = await file_case(service, category)
    handler = await service.staff("handler", "open_affairs")
    h = handle(service, inquiry_id)
    assert (await act(service, inquiry_id, "acknowledge", handler)).status_code == 200
    assert await service.env.fast_forward(h, timedelta(days=5))
    assert (
        await act(service, inquiry_id, "info-request", handler, question="请明确申请公开的信息")
    ).status_code == 200
    assert await service.env.fast_forward(h, timedelta(days=3))
    resumed = await service.http.post(
        f"/api/v1/public/inquiries/{code}/supplement", json={"content": "2025年水质检测报告"}
    )
    assert resumed.status_code == 200
    sla = (await service.http.get(f"/api/v1/inquiries/{inquiry_id}/sla", headers=handler)).json()
    reply = next(t for t in sla["targets"] if t["target"] == "reply")
    state = await h.query(CaseWorkflow.state)
    assert reply["segments"] == []  # a fresh clock from the correction
    assert datetime.fromisoformat(reply["started_at"]) > datetime.fromisoformat(
        str(state.dispatched_at)
    )
    assert reply["consumed"] < 1


async def _steps(service: Service, inquiry_id: str) -> list[str]:
    async with service.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT step_key FROM escalations WHERE inquiry_id = $1::uuid", inquiry_id
        )
    return [r["step_key"] for r in rows]


def events_contain(kinds: list[str], expected: list[str]) -> bool:
    """The expected kinds appear in this order (others may come between)."""
    position = 0
    for kind in kinds:
        if position < len(expected) and kind == expected[position]:
            position += 1
    return position == len(expected)
