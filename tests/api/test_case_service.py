"""What the case service answers where no other test looks: reads of a case just filed, and a
merge into a main case that is no longer open."""

from __future__ import annotations

from tests.cases import file_inquiry, row
from tests.conftest import Service, inquiry_body


async def test_sla_and_timeline_answer_from_intake_on_even_without_a_worker(
    service: Service,
) -> None:
    await service.stop_worker()
    key = await service.intake_key("web")
    supervisor = await service.staff("supervisor")
    created = await service.http.post("/api/v1/inquiries", json=inquiry_body(), headers=key)
    assert created.status_code == 201, created.text
    inquiry_id = created.json()["id"]

    sla = await service.http.get(f"/api/v1/inquiries/{inquiry_id}/sla", headers=supervisor)
    assert sla.status_code == 200, sla.text
    assert sla.json()["status"] == "received" and sla.json()["targets"] == []
    assert "dispatched" in sla.json()["note"]  # says why there is no clock yet
    timeline = await service.http.get(
        f"/api/v1/inquiries/{inquiry_id}/timeline", headers=supervisor
    )
    assert timeline.status_code == 200, timeline.text
    assert timeline.json()["status"] == "received"
    unknown = await service.http.get(
        "/api/v1/inquiries/00000000-0000-4000-8000-000000000000/sla", headers=supervisor
    )
    assert unknown.status_code == 404

    service.start_worker()
    await service.wait_for(
        "SELECT 1 FROM inquiries WHERE id = $1::uuid AND status = 'dispatched'", inquiry_id
    )
    sla = await service.http.get(f"/api/v1/inquiries/{inquiry_id}/sla", headers=supervisor)
    assert {t["target"] for t in sla.json()["targets"]} >= {"acknowledge", "reply"}
    assert sla.json()["note"] is None


async def test_a_merge_into_a_main_case_already_answered_changes_neither(
    service: Service,
) -> None:
    category = await service.category()
    key = await service.intake_key("web")
    operator = await service.staff("operator")
    handler = await service.staff("handler", "open_affairs")
    main = await file_inquiry(service, category, key, "解放路水表井盖破损")
    late = await file_inquiry(service, category, key, "解放路有个井盖坏了")
    replied = await service.http.post(
        f"/api/v1/inquiries/{main['id']}/reply", json={"content": "已更换井盖。"}, headers=handler
    )
    assert replied.status_code == 200, replied.text

    refused = await service.http.post(
        f"/api/v1/inquiries/{late['id']}/merge",
        json={"main_inquiry_id": main["id"]},
        headers=operator,
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "wrong_state"
    follower = await row(service, late["id"])
    assert follower["status"] == "dispatched" and follower["merged_into"] is None
