"""审核, 回访 with 满意/不满意, 重办, the supervisor's decision, and unrated cases."""

from __future__ import annotations

from datetime import timedelta

from tests.cases import act, citizen_messages, events, file_case, handle, open_tasks, row
from tests.conftest import Service


async def test_review_by_the_unit_head_refuses_then_approves(service: Service) -> None:
    category = await service.category(review="unit_head")
    inquiry_id, code = await file_case(service, category)
    handler = await service.staff("handler", "open_affairs")
    head = await service.staff("unit_head", "open_affairs")
    other_head = await service.staff("unit_head", "pipe_repair")

    drafted = await act(service, inquiry_id, "reply", handler, content="初稿答复")
    assert drafted.status_code == 200 and drafted.json()["status"] == "in_review"
    assert await open_tasks(service, inquiry_id) == [("open_affairs", "review")]
    public = (await service.http.get(f"/api/v1/public/inquiries/{code}")).json()
    assert public["reply"] is None  # nothing reaches the citizen before review

    assert (await act(service, inquiry_id, "review", handler, approve=True)).status_code == 403
    assert (await act(service, inquiry_id, "review", other_head, approve=True)).status_code == 403
    no_comment = await act(service, inquiry_id, "review", head, approve=False)
    assert no_comment.status_code == 422
    back = await act(service, inquiry_id, "review", head, approve=False, comment="请补充维修时间")
    assert back.status_code == 200 and back.json()["status"] == "handling"

    final = await act(service, inquiry_id, "reply", handler, content="定稿：周五前完成维修")
    assert final.status_code == 200 and final.json()["status"] == "in_review"
    approved = await act(service, inquiry_id, "review", head, approve=True)
    assert approved.status_code == 200 and approved.json()["status"] == "follow_up"
    record = await row(service, inquiry_id)
    assert record["reply_content"] == "定稿：周五前完成维修"
    feedback = [
        body for kind, body in await citizen_messages(service, inquiry_id) if kind == "feedback"
    ]
    assert len(feedback) == 1 and "定稿" in feedback[0]
    kinds = await events(service, inquiry_id)
    assert kinds.count("submitted_for_review") == 2
    assert "review_refused" in kinds and "review_approved" in kinds


async def test_review_time_counts_against_the_reply_clock(service: Service) -> None:
    category = await service.category(review="office", reply_within=24)
    inquiry_id, _ = await file_case(service, category)
    pipe_head = await service.staff("unit_head", "pipe_repair")
    supervisor = await service.staff("supervisor")
    office = await service.staff("handler", "open_affairs")
    assert (
        await act(
            service, inquiry_id, "transfer", supervisor, new_unit="pipe_repair", reason="管网"
        )
    ).status_code == 200
    assert (await act(service, inquiry_id, "reply", pipe_head, content="已修复")).status_code == 200
    assert await service.env.fast_forward(handle(service, inquiry_id), timedelta(hours=30))
    steps = await _steps(service, inquiry_id)
    assert "reminder:1" in steps  # the deadline passed while the draft waited for review
    approved = await act(service, inquiry_id, "review", office, approve=True)
    assert approved.status_code == 200
    assert (await row(service, inquiry_id))["on_time"] is False


async def test_unsatisfied_reopens_once_then_a_supervisor_decides(service: Service) -> None:
    category = await service.category(reply_within=24)
    inquiry_id, code = await file_case(service, category)
    handler = await service.staff("handler", "open_affairs")
    operator = await service.staff("operator")
    supervisor = await service.staff("supervisor")
    assert (await act(service, inquiry_id, "reply", handler, content="已处理")).status_code == 200

    first = await service.http.post(
        f"/api/v1/public/inquiries/{code}/rating",
        json={"rating": "unsatisfied", "comment": "没修好"},
    )
    assert first.status_code == 200 and first.json()["status"] == "handling"  # 重办
    record = await row(service, inquiry_id)
    assert record["reopened"] == 1
    sla = (await service.http.get(f"/api/v1/inquiries/{inquiry_id}/sla", headers=supervisor)).json()
    cycles = {(t["target"], t["cycle"], t["active"]) for t in sla["targets"]}
    assert ("reply", 2, True) in cycles and ("reply", 1, False) in cycles  # a new reply clock
    not_now = await service.http.post(
        f"/api/v1/public/inquiries/{code}/rating", json={"rating": "satisfied"}
    )
    assert not_now.status_code == 409  # no answer to rate yet

    assert (
        await act(service, inquiry_id, "reply", handler, content="已重新维修")
    ).status_code == 200
    second = await act(
        service, inquiry_id, "rating", operator, rating="unsatisfied", comment="电话回访仍不满意"
    )
    assert second.status_code == 200 and second.json()["status"] == "awaiting_decision"
    assert (
        await act(service, inquiry_id, "reopen-decision", handler, reopen=False)
    ).status_code == 403
    closed = await act(
        service, inquiry_id, "reopen-decision", supervisor, reopen=False, note="已两次处理，按办结"
    )
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    record = await row(service, inquiry_id)
    assert record["close_reason"] == "supervisor_closed" and record["rating"] == "unsatisfied"


async def test_satisfied_rating_closes_and_no_rating_closes_as_not_rated(service: Service) -> None:
    category = await service.category(followup_days=2)
    rated_id, rated_code = await file_case(service, category)
    silent_id, _ = await file_case(service, category)
    handler = await service.staff("handler", "open_affairs")
    for inquiry_id in (rated_id, silent_id):
        assert (
            await act(service, inquiry_id, "reply", handler, content="已处理")
        ).status_code == 200

    bad = await service.http.post(
        f"/api/v1/public/inquiries/{rated_code}/rating", json={"rating": "great"}
    )
    assert bad.status_code == 422
    ok = await service.http.post(
        f"/api/v1/public/inquiries/{rated_code}/rating", json={"rating": "basically_satisfied"}
    )
    assert ok.status_code == 200 and ok.json()["status"] == "closed"
    assert (await row(service, rated_id))["rating"] == "basically_satisfied"

    assert not await service.env.fast_forward(handle(service, silent_id), timedelta(days=7))
    await service.wait_for(
        "SELECT 1 FROM inquiries WHERE id = $1::uuid AND status = 'closed'", silent_id
    )
    record = await row(service, silent_id)
    assert record["rating"] == "not_rated" and record["close_reason"] == "not_rated"


async def _steps(service: Service, inquiry_id: str) -> list[str]:
    async with service.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT step_key FROM escalations WHERE inquiry_id = $1::uuid", inquiry_id
        )
    return [r["step_key"] for r in rows]
