"""并单 (merge) and 主办/协办 (co-handling) through the HTTP API, on the case workflow.

Each test files its cases in a category of its own with no routing rule, so they go to the
open-affairs office (open_affairs) and its handlers answer them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from domain.ids import cohandling_workflow_id
from tests.cases import file_inquiry as _file
from tests.cases import row as _row
from tests.conftest import Service


async def _citizen_notices(service: Service, inquiry_id: str) -> list[Any]:
    async with service.pool.acquire() as conn:
        return await conn.fetch(
            "SELECT kind, body, status FROM notifications"
            " WHERE inquiry_id = $1::uuid AND audience = 'citizen' ORDER BY created_at, id",
            inquiry_id,
        )


async def _open_tasks(service: Service, inquiry_id: str) -> list[Any]:
    async with service.pool.acquire() as conn:
        return await conn.fetch(
            "SELECT unit_code, kind FROM tasks WHERE inquiry_id = $1::uuid AND status = 'open'",
            inquiry_id,
        )


# ---- 并单 merge ----


async def test_a_merged_case_gets_the_main_case_answer_and_closes(service: Service) -> None:
    category = await service.category()
    key = await service.intake_key("web")
    operator = await service.staff("operator")
    handler = await service.staff("handler", "open_affairs")
    main = await _file(service, category, key, "幸福小区3号楼从早上开始停水")
    duplicate = await _file(service, category, key, "幸福小区停水了，什么时候恢复？")
    assert [t["unit_code"] for t in await _open_tasks(service, duplicate["id"])] == ["open_affairs"]

    # Only operators and supervisors merge; a handler is refused and nothing changes.
    refused = await service.http.post(
        f"/api/v1/inquiries/{duplicate['id']}/merge",
        json={"main_inquiry_id": main["id"]},
        headers=handler,
    )
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "forbidden"
    assert (await _row(service, duplicate["id"]))["status"] == "dispatched"

    itself = await service.http.post(
        f"/api/v1/inquiries/{main['id']}/merge",
        json={"main_inquiry_id": main["id"]},
        headers=operator,
    )
    assert itself.status_code == 422, itself.text
    assert (await _row(service, main["id"]))["status"] == "dispatched"

    merged = await service.http.post(
        f"/api/v1/inquiries/{duplicate['id']}/merge",
        json={"main_inquiry_id": main["id"]},
        headers=operator,
    )
    assert merged.status_code == 200, merged.text
    assert merged.json()["status"] == "merged"
    row = await _row(service, duplicate["id"])
    assert row["status"] == "merged"
    assert str(row["merged_into"]) == main["id"]
    assert await _open_tasks(service, duplicate["id"]) == []  # gone from the unit's list
    assert [n["kind"] for n in await _citizen_notices(service, duplicate["id"])] == ["merged"]
    tasks = (await service.http.get("/api/v1/tasks", headers=handler)).json()
    listed = {t["inquiry_id"] for t in tasks["items"]}
    assert main["id"] in listed and duplicate["id"] not in listed

    # The unit answers the main case without signing for it first.
    answer = "供水管网抢修完毕，3号楼已于今天18点恢复供水。"
    replied = await service.http.post(
        f"/api/v1/inquiries/{main['id']}/reply", json={"content": answer}, headers=handler
    )
    assert replied.status_code == 200, replied.text
    assert replied.json()["status"] == "follow_up"
    assert replied.json()["on_time"] is True

    await service.wait_for(
        "SELECT 1 FROM inquiries WHERE id = $1::uuid AND status = 'closed'", duplicate["id"]
    )
    # The outbox dispatcher delivers the answer apart from the case (README: Notifications).
    await service.wait_for(
        "SELECT 1 FROM notifications WHERE inquiry_id = $1::uuid AND audience = 'citizen'"
        " AND kind = 'feedback' AND status = 'sent'",
        duplicate["id"],
    )
    row = await _row(service, duplicate["id"])
    assert row["close_reason"] == "merged"
    assert row["reply_content"] == answer
    assert row["replied_at"] is not None and row["closed_at"] is not None
    notices = await _citizen_notices(service, duplicate["id"])
    feedback = [n for n in notices if n["kind"] == "feedback"]
    assert len(feedback) == 1
    assert answer in feedback[0]["body"]
    assert duplicate["tracking_code"] in feedback[0]["body"]
    assert feedback[0]["status"] == "sent"
    # The main case's own citizen got the answer once too.
    main_feedback = [
        n for n in await _citizen_notices(service, main["id"]) if n["kind"] == "feedback"
    ]
    assert len(main_feedback) == 1 and answer in main_feedback[0]["body"]
    assert (await _row(service, main["id"]))["status"] == "follow_up"

    public = await service.http.get(f"/api/v1/public/inquiries/{duplicate['tracking_code']}")
    assert public.status_code == 200, public.text
    view = public.json()
    assert view["status"] == "closed"
    assert view["reply"] == answer
    assert view["replied_at"] is not None

    timeline = (
        await service.http.get(f"/api/v1/inquiries/{duplicate['id']}/timeline", headers=operator)
    ).json()
    kinds = [e["kind"] for e in timeline["events"]]
    assert kinds == ["received", "dispatched", "merged", "closed"]


async def test_the_public_view_shows_no_feedback_before_the_answer(service: Service) -> None:
    category = await service.category()
    key = await service.intake_key("web")
    operator = await service.staff("operator")
    handler = await service.staff("handler", "open_affairs")
    main = await _file(service, category, key, "和平区自来水有异味")
    duplicate = await _file(service, category, key, "和平区自来水有股味道")
    merged = await service.http.post(
        f"/api/v1/inquiries/{duplicate['id']}/merge",
        json={"main_inquiry_id": main["id"]},
        headers=operator,
    )
    assert merged.status_code == 200, merged.text

    before = await service.http.get(f"/api/v1/public/inquiries/{duplicate['tracking_code']}")
    view = before.json()
    assert view["status"] == "merged" and view["reply"] is None
    # Told "your case was merged", not answered yet: no feedback has been sent.
    assert view["feedback_sent_at"] is None

    answer = "已冲洗管网，水质检测合格。"
    replied = await service.http.post(
        f"/api/v1/inquiries/{main['id']}/reply", json={"content": answer}, headers=handler
    )
    assert replied.status_code == 200, replied.text
    await service.wait_for(
        "SELECT 1 FROM inquiries WHERE id = $1::uuid AND status = 'closed'", duplicate["id"]
    )
    # The outbox dispatcher delivers the answer apart from the case (README: Notifications).
    await service.wait_for(
        "SELECT 1 FROM notifications WHERE inquiry_id = $1::uuid AND audience = 'citizen'"
        " AND kind = 'feedback' AND status = 'sent'",
        duplicate["id"],
    )
    view = (await service.http.get(f"/api/v1/public/inquiries/{duplicate['tracking_code']}")).json()
    assert view["reply"] == answer
    assert view["feedback_sent_at"] >= view["replied_at"]


async def test_a_reopened_main_case_answers_again_after_its_follower_closed(
    service: Service,
) -> None:
    """不满意 → 重办 on the main case: its second answer reaches its own citizen, although the
    merged case closed with the first answer already."""
    category = await service.category()
    key = await service.intake_key("web")
    operator = await service.staff("operator")
    handler = await service.staff("handler", "open_affairs")
    main = await _file(service, category, key, "胜利街水表井盖丢失")
    duplicate = await _file(service, category, key, "胜利街有个井盖没了很危险")
    merged = await service.http.post(
        f"/api/v1/inquiries/{duplicate['id']}/merge",
        json={"main_inquiry_id": main["id"]},
        headers=operator,
    )
    assert merged.status_code == 200, merged.text
    first = await service.http.post(
        f"/api/v1/inquiries/{main['id']}/reply",
        json={"content": "已设置警示标志。"},
        headers=handler,
    )
    assert first.status_code == 200, first.text
    await service.wait_for(
        "SELECT 1 FROM inquiries WHERE id = $1::uuid AND status = 'closed'", duplicate["id"]
    )

    unhappy = await service.http.post(
        f"/api/v1/public/inquiries/{main['tracking_code']}/rating",
        json={"rating": "unsatisfied", "comment": "井盖还是没装"},
    )
    assert unhappy.status_code == 200, unhappy.text
    assert unhappy.json()["status"] == "handling"  # 重办
    # Meanwhile another neighbour calls about the same manhole; it follows the main case too.
    late = await _file(service, category, key, "胜利街井盖还没修好")
    merged = await service.http.post(
        f"/api/v1/inquiries/{late['id']}/merge",
        json={"main_inquiry_id": main["id"]},
        headers=operator,
    )
    assert merged.status_code == 200, merged.text

    second = "已更换新井盖并加装防盗链。"
    again = await service.http.post(
        f"/api/v1/inquiries/{main['id']}/reply", json={"content": second}, headers=handler
    )
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "follow_up"
    await service.wait_for(
        "SELECT 1 FROM inquiries WHERE id = $1::uuid AND status = 'closed'", late["id"]
    )
    assert (await _row(service, late["id"]))["reply_content"] == second
    rated = await service.http.post(
        f"/api/v1/public/inquiries/{main['tracking_code']}/rating",
        json={"rating": "satisfied"},
    )
    assert rated.status_code == 200, rated.text
    assert rated.json()["status"] == "closed"
    row = await _row(service, duplicate["id"])
    assert row["status"] == "closed" and row["reply_content"] == "已设置警示标志。"


async def test_a_refused_merge_leaves_the_main_case_free(service: Service) -> None:
    """A merge the duplicate refuses (it is answered already) must not half-happen: the main
    case must not record a follower it does not have, and stays free to be merged itself."""
    category = await service.category()
    key = await service.intake_key("web")
    operator = await service.staff("operator")
    handler = await service.staff("handler", "open_affairs")
    main = await _file(service, category, key, "建设路消火栓漏水")
    answered = await _file(service, category, key, "建设路有个消火栓一直在冒水")
    other = await _file(service, category, key, "建设路消火栓坏了，水流到马路上")
    replied = await service.http.post(
        f"/api/v1/inquiries/{answered['id']}/reply",
        json={"content": "已关闭阀门并安排更换消火栓。"},
        headers=handler,
    )
    assert replied.status_code == 200, replied.text

    refused = await service.http.post(
        f"/api/v1/inquiries/{answered['id']}/merge",
        json={"main_inquiry_id": main["id"]},
        headers=operator,
    )
    assert refused.status_code == 409, refused.text
    assert (await _row(service, answered["id"]))["status"] == "follow_up"
    timeline = (
        await service.http.get(f"/api/v1/inquiries/{main['id']}/timeline", headers=operator)
    ).json()
    assert "merge_attached" not in [e["kind"] for e in timeline["events"]]

    # The operator now merges the main case into a third report of the same burst hydrant.
    merged = await service.http.post(
        f"/api/v1/inquiries/{main['id']}/merge",
        json={"main_inquiry_id": other["id"]},
        headers=operator,
    )
    assert merged.status_code == 200, merged.text
    assert merged.json()["status"] == "merged"


# ---- 主办/协办 co-handling ----


async def _cohandling(service: Service, inquiry_id: str) -> list[Any]:
    async with service.pool.acquire() as conn:
        return await conn.fetch(
            "SELECT unit_code, status, due_at, content, answered_by, answered_at"
            " FROM cohandling WHERE inquiry_id = $1::uuid",
            inquiry_id,
        )


async def _assign(service: Service, inquiry_id: str, headers: dict[str, str]) -> None:
    assigned = await service.http.post(
        f"/api/v1/inquiries/{inquiry_id}/cohandlers",
        json={"units": ["water_quality"], "within": 2},
        headers=headers,
    )
    assert assigned.status_code == 200, assigned.text


async def test_co_handling_is_refused_to_the_wrong_people(service: Service) -> None:
    category = await service.category()
    key = await service.intake_key("hotline")
    office = await service.staff("handler", "open_affairs")
    pump = await service.staff("handler", "pump_station")
    operator = await service.staff("operator")
    case = await _file(service, category, key, "自来水发黄，烧开后有沉淀")
    inquiry_id = case["id"]

    # Only the office, a supervisor or the lead unit's head assigns co-handlers.
    by_other_unit = await service.http.post(
        f"/api/v1/inquiries/{inquiry_id}/cohandlers",
        json={"units": ["water_quality"], "within": 2},
        headers=pump,
    )
    assert by_other_unit.status_code == 403, by_other_unit.text
    own_unit = await service.http.post(
        f"/api/v1/inquiries/{inquiry_id}/cohandlers",
        json={"units": ["open_affairs"], "within": 2},
        headers=office,
    )
    assert own_unit.status_code == 422, own_unit.text

    await _assign(service, inquiry_id, office)
    twice = await service.http.post(
        f"/api/v1/inquiries/{inquiry_id}/cohandlers",
        json={"units": ["water_quality"], "within": 2},
        headers=office,
    )
    assert twice.status_code == 422, twice.text

    # The lead cannot answer the citizen while the co-handler has not answered.
    early = await service.http.post(
        f"/api/v1/inquiries/{inquiry_id}/reply", json={"content": "已安排处理。"}, headers=office
    )
    assert early.status_code == 409, early.text
    assert early.json()["code"] == "wrong_state"
    assert (await _row(service, inquiry_id))["status"] == "dispatched"

    # Nobody but water quality's own staff answers its part.
    for headers in (pump, office, operator):
        other = await service.http.post(
            f"/api/v1/inquiries/{inquiry_id}/cohandlers/water_quality/input",
            json={"content": "我们看过了"},
            headers=headers,
        )
        assert other.status_code == 403, other.text
    assert all(r["status"] == "open" for r in await _cohandling(service, inquiry_id))


async def test_a_co_handler_gets_its_part_as_a_task_with_its_deadline(service: Service) -> None:
    category = await service.category()
    key = await service.intake_key("hotline")
    office = await service.staff("handler", "open_affairs")
    quality = await service.staff("handler", "water_quality")
    case = await _file(service, category, key, "水龙头出黄水，水压也很低")
    inquiry_id = case["id"]
    await _assign(service, inquiry_id, office)

    await service.wait_for(
        "SELECT 1 FROM cohandling WHERE inquiry_id = $1::uuid AND status = 'open'",
        inquiry_id,
        within=10,
    )
    (part,) = await _cohandling(service, inquiry_id)
    dispatched_at = (await _row(service, inquiry_id))["dispatched_at"]
    # 2 natural hours from the assignment, made right after dispatch.
    assert timedelta(hours=2) <= part["due_at"] - dispatched_at <= timedelta(hours=2, minutes=1)
    tasks = (await service.http.get("/api/v1/tasks", headers=quality)).json()
    mine = [t for t in tasks["items"] if t["inquiry_id"] == inquiry_id]
    assert len(mine) == 1, tasks
    assert mine[0]["kind"] == "cohandling"


async def test_a_co_handler_answer_is_taken_once(service: Service) -> None:
    category = await service.category()
    key = await service.intake_key("hotline")
    office = await service.staff("handler", "open_affairs")
    quality = await service.staff("handler", "water_quality")
    case = await _file(service, category, key, "管网水有消毒水味")
    inquiry_id = case["id"]
    await _assign(service, inquiry_id, office)

    given = await service.http.post(
        f"/api/v1/inquiries/{inquiry_id}/cohandlers/water_quality/input",
        json={"content": "余氯在标准范围内，已解释。"},
        headers=quality,
    )
    assert given.status_code == 200, given.text
    assert given.json()["status"] == "answered"
    again = await service.http.post(
        f"/api/v1/inquiries/{inquiry_id}/cohandlers/water_quality/input",
        json={"content": "补充一句"},
        headers=quality,
    )
    assert again.status_code == 409, again.text


async def test_the_lead_replies_once_the_co_handler_answered(service: Service) -> None:
    category = await service.category()
    key = await service.intake_key("hotline")
    office = await service.staff("handler", "open_affairs")
    quality = await service.staff("handler", "water_quality")
    case = await _file(service, category, key, "水龙头出黄水，水压也很低")
    inquiry_id = case["id"]
    await _assign(service, inquiry_id, office)
    await service.wait_for(
        "SELECT 1 FROM cohandling WHERE inquiry_id = $1::uuid AND status = 'open'",
        inquiry_id,
        within=10,
    )

    finding = "取样检测：铁含量偏高，系管道锈蚀，已冲洗。"
    given = await service.http.post(
        f"/api/v1/inquiries/{inquiry_id}/cohandlers/water_quality/input",
        json={"content": finding},
        headers=quality,
    )
    assert given.status_code == 200, given.text
    assert given.json()["status"] == "answered"

    # Told "answered", the lead answers the citizen at once.
    answer = "经水质检测与管网冲洗，水质已恢复正常。"
    replied = await service.http.post(
        f"/api/v1/inquiries/{inquiry_id}/reply", json={"content": answer}, headers=office
    )
    assert replied.status_code == 200, replied.text
    assert replied.json()["status"] == "follow_up"

    (part,) = await _cohandling(service, inquiry_id)
    assert part["status"] == "answered"
    assert part["content"] == finding
    detail = await service.http.get(f"/api/v1/inquiries/{inquiry_id}", headers=office)
    assert [(c["unit_code"], c["content"]) for c in detail.json()["cohandling"]] == [
        ("water_quality", finding)
    ]
    assert part["answered_by"].startswith("handler-")
    assert part["answered_at"] is not None
    async with service.pool.acquire() as conn:
        open_tasks = await conn.fetchval(
            "SELECT count(*) FROM tasks WHERE inquiry_id = $1::uuid AND status = 'open'",
            inquiry_id,
        )
    assert open_tasks == 0
    timeline = (
        await service.http.get(f"/api/v1/inquiries/{inquiry_id}/timeline", headers=office)
    ).json()
    answered = [e for e in timeline["events"] if e["kind"] == "cohandler_answered"]
    assert len(answered) == 1 and answered[0]["detail"]["content"] == finding


async def test_a_silent_co_handler_is_escalated_at_its_deadline(service: Service) -> None:
    category = await service.category()
    key = await service.intake_key("hotline")
    supervisor = await service.staff("supervisor")
    office = await service.staff("handler", "open_affairs")
    case = await _file(service, category, key, "小区水箱清洗后水浑浊")
    inquiry_id = case["id"]
    await _assign(service, inquiry_id, supervisor)
    await service.wait_for(
        "SELECT 1 FROM cohandling WHERE inquiry_id = $1::uuid AND status = 'open'",
        inquiry_id,
        within=10,
    )
    child = service.client.get_workflow_handle(cohandling_workflow_id(inquiry_id, "water_quality"))

    assert await service.env.fast_forward(child, timedelta(hours=1))
    assert (await _cohandling(service, inquiry_id))[0]["status"] == "open"
    blocked = await service.http.post(
        f"/api/v1/inquiries/{inquiry_id}/reply", json={"content": "处理中"}, headers=office
    )
    assert blocked.status_code == 409, blocked.text

    await service.env.fast_forward(child, timedelta(hours=1, minutes=5))
    await service.wait_for(
        "SELECT 1 FROM inquiry_events WHERE inquiry_id = $1::uuid AND kind = 'cohandler_escalated'",
        inquiry_id,
    )
    (part,) = await _cohandling(service, inquiry_id)
    assert part["status"] == "escalated"
    assert part["content"] is None and part["answered_by"] is None

    answer = "水箱已重新冲洗消毒，检测合格。"
    replied = await service.http.post(
        f"/api/v1/inquiries/{inquiry_id}/reply", json={"content": answer}, headers=office
    )
    assert replied.status_code == 200, replied.text
    assert replied.json()["status"] == "follow_up"
    assert replied.json()["on_time"] is True
