"""Targets per category and priority: urgent inquiries follow the category's urgent targets."""

from __future__ import annotations

from datetime import timedelta

from tests.cases import file_case, row
from tests.conftest import Service, inquiry_body


async def test_urgent_inquiries_get_the_urgent_targets_and_changes_reproject(
    service: Service,
) -> None:
    category = await service.category(reply_within=36, ack_within=8)
    admin = await service.staff("admin")
    set_urgent = await service.http.put(
        f"/api/v1/admin/categories/{category}/priorities/urgent",
        json={"reply_within": 12, "ack_within": 1},
        headers=admin,
    )
    assert set_urgent.status_code == 200, set_urgent.text
    assert set_urgent.json()["reply_within"] == 12.0

    urgent_id, _ = await file_case(service, category, priority="urgent")
    normal_id, _ = await file_case(service, category)
    urgent, normal = await row(service, urgent_id), await row(service, normal_id)
    assert urgent["priority"] == "urgent" and normal["priority"] == "normal"
    assert urgent["reply_due_at"] - urgent["dispatched_at"] == timedelta(hours=12)
    assert urgent["ack_due_at"] - urgent["dispatched_at"] == timedelta(hours=1)
    assert normal["reply_due_at"] - normal["dispatched_at"] == timedelta(hours=36)

    tighter = await service.http.put(
        f"/api/v1/admin/categories/{category}/priorities/urgent",
        json={"reply_within": 6, "ack_within": 1},
        headers=admin,
    )
    assert tighter.status_code == 200 and tighter.json()["cases_notified"] == 2
    # The new due time is stored by `plan`, before `record` writes the event: wait for both.
    for inquiry_id in (normal_id, urgent_id):
        await service.wait_for(
            "SELECT 1 FROM inquiry_events WHERE inquiry_id = $1::uuid AND kind = 'policy_changed'",
            inquiry_id,
        )
    await service.wait_for(
        "SELECT 1 FROM inquiries WHERE id = $1::uuid AND reply_due_at = dispatched_at + interval '6 hours'",
        urgent_id,
    )
    # The normal case keeps its category's own 36 hours.
    assert (await row(service, normal_id))["reply_due_at"] == normal["reply_due_at"]

    listed = await service.http.get(
        f"/api/v1/admin/categories/{category}/priorities", headers=admin
    )
    assert [(p["priority"], p["reply_within"]) for p in listed.json()] == [("urgent", 6.0)]


async def test_priority_targets_are_validated(service: Service) -> None:
    admin = await service.staff("admin")
    category = await service.category()
    zero = await service.http.put(
        f"/api/v1/admin/categories/{category}/priorities/urgent",
        json={"reply_within": 0},
        headers=admin,
    )
    assert zero.status_code == 422
    unknown = await service.http.put(
        "/api/v1/admin/categories/no_such/priorities/urgent", json={}, headers=admin
    )
    assert unknown.status_code == 404
    vip = await service.http.put(
        f"/api/v1/admin/categories/{category}/priorities/vip", json={}, headers=admin
    )
    assert vip.status_code == 422
    key = await service.intake_key("web")
    bad = await service.http.post(
        "/api/v1/inquiries", json=inquiry_body(category, priority="vip"), headers=key
    )
    assert bad.status_code == 422
