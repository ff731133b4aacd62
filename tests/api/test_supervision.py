"""The supervisors' overdue list and the staff list filters."""

from __future__ import annotations

from tests.conftest import Service, inquiry_body


async def test_overdue_list_most_overdue_first_with_level(service: Service) -> None:
    quick = await service.category(
        reply_within=1 / 3600, supervision_after=1 / 3600, notice_after=100
    )
    slow = await service.category(reply_within=24, level2_grace=24)
    key = await service.intake_key("web")
    supervisor = await service.staff("supervisor")
    first = (
        await service.http.post("/api/v1/inquiries", json=inquiry_body(quick), headers=key)
    ).json()
    second = (
        await service.http.post("/api/v1/inquiries", json=inquiry_body(quick), headers=key)
    ).json()
    on_time = (
        await service.http.post("/api/v1/inquiries", json=inquiry_body(slow), headers=key)
    ).json()
    for inquiry in (first, second):
        await service.wait_for(
            "SELECT 1 FROM escalations WHERE inquiry_id = $1::uuid AND step = 'supervision'",
            inquiry["id"],
        )
    response = await service.http.get(
        "/api/v1/supervision/overdue", params={"limit": 200}, headers=supervisor
    )
    assert response.status_code == 200
    items = response.json()["items"]
    ids = [item["id"] for item in items]
    assert first["id"] in ids and second["id"] in ids
    assert on_time["id"] not in ids
    # The case whose deadline passed first is listed first. The two are dispatched in parallel,
    # so which of them that is comes from their due times, not from the order of filing.
    async with service.pool.acquire() as conn:
        due = {
            str(r["id"]): r["reply_due_at"]
            for r in await conn.fetch(
                "SELECT id, reply_due_at FROM inquiries WHERE id = ANY($1::uuid[])",
                [first["id"], second["id"]],
            )
        }
    earlier, later = sorted((first["id"], second["id"]), key=lambda i: due[i])
    assert ids.index(earlier) < ids.index(later)
    entry = next(item for item in items if item["id"] == first["id"])
    assert entry["escalation_level"] == 2
    assert entry["overdue_seconds"] >= 1
    seconds = [item["overdue_seconds"] for item in items]
    assert seconds == sorted(seconds, reverse=True)

    filtered = await service.http.get(
        "/api/v1/inquiries",
        params={"overdue": "true", "category": quick, "limit": 100},
        headers=supervisor,
    )
    assert {item["id"] for item in filtered.json()["items"]} == {first["id"], second["id"]}
    assert filtered.json()["total"] == 2
    paged = await service.http.get(
        "/api/v1/inquiries", params={"category": quick, "limit": 1}, headers=supervisor
    )
    assert paged.json()["total"] == 2 and len(paged.json()["items"]) == 1
