"""A small period built through the API, in categories of the test's own: cases filed through
intake and walked through 签收, reply, rating, 现场解答, 退单, 延期, 重办 and an overdue one;
every figure of their groups, the cases behind figures, and who may read the reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from domain.calendar import CHINA_TZ
from tests.cases import act, file_case, row
from tests.conftest import Service, inquiry_body


def _period() -> dict[str, str]:
    today = datetime.now(UTC).astimezone(CHINA_TZ).date()
    return {"from": str(today - timedelta(days=1)), "to": str(today + timedelta(days=1))}


async def _rate(service: Service, code: str, rating: str) -> Any:
    rated = await service.http.post(
        f"/api/v1/public/inquiries/{code}/rating", json={"rating": rating}
    )
    assert rated.status_code == 200, rated.text
    return rated.json()


async def _ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_period_built_through_the_api(service: Service) -> None:
    category = await service.category(
        clock="natural_hours", reply_within=48, max_extension=24, extension_notice_days=1
    )
    late_category = await service.category(reply_within=0.0005)  # due after 1.8 seconds
    office = await service.staff("handler", "open_affairs")
    pipe = await service.staff("handler", "pipe_repair")
    operator = await service.staff("operator")
    supervisor = await service.staff("supervisor")

    # A: signed for, answered, 满意.
    a_id, a_code = await file_case(service, category)
    await _ok(await act(service, a_id, "acknowledge", office))
    await _ok(await act(service, a_id, "reply", office, content="已处理"))
    await _rate(service, a_code, "satisfied")

    # B: answered on the spot by the operator, 基本满意.
    filed = await service.http.post(
        "/api/v1/inquiries",
        json=inquiry_body(category, channel="onsite", answered_on_site="现场已解答"),
        headers=operator,
    )
    assert filed.status_code == 201, filed.text
    b_id, b_code = filed.json()["id"], filed.json()["tracking_code"]
    await service.wait_for(
        "SELECT 1 FROM inquiries WHERE id = $1::uuid AND status = 'follow_up'", b_id
    )
    await _rate(service, b_code, "basically_satisfied")

    # C: returned, re-dispatched to pipe repair, answered, 不满意 → 重办, answered again, 满意.
    c_id, c_code = await file_case(service, category)
    await _ok(await act(service, c_id, "return", office, reason_code="not_our_unit"))
    await _ok(await act(service, c_id, "return-decision", office, accept=True,
                        new_unit="pipe_repair"))  # fmt: skip
    await _ok(await act(service, c_id, "acknowledge", pipe))
    await _ok(await act(service, c_id, "reply", pipe, content="已维修"))
    assert (await _rate(service, c_code, "unsatisfied"))["status"] == "handling"
    await _ok(await act(service, c_id, "reply", pipe, content="已重新维修"))
    await _rate(service, c_code, "satisfied")

    # D: an extension approved, still being handled.
    d_id, _ = await file_case(service, category)
    await _ok(await act(service, d_id, "extension", office, amount=12, reason="需现场勘查",
                        legal_basis="服务承诺"))  # fmt: skip
    await _ok(await act(service, d_id, "extension-decision", supervisor, approve=True))

    # E: in the other category, past its reply deadline now.
    e_id, _ = await file_case(service, late_category)
    await service.wait_for(
        "SELECT 1 FROM inquiries WHERE id = $1::uuid AND reply_due_at < now()", e_id
    )

    # The events carry the facts the figures need.
    async with service.pool.acquire() as conn:
        closing = await conn.fetchval(
            "SELECT detail FROM inquiry_events WHERE inquiry_id = $1::uuid AND kind = 'closed'",
            a_id,
        )
    assert closing["columns"]["on_time"] is True and closing["columns"]["rating"] == "satisfied"

    summary = await _ok(
        await service.http.get(
            "/api/v1/reports/summary",
            params={**_period(), "group_by": "category"},
            headers=supervisor,
        )
    )
    groups = {g["group"]: g for g in summary["groups"]}
    handled = [(await row(service, i))["handling_seconds"] for i in (a_id, c_id)]
    expected = {
        **_EXPECTED,
        "handling_median_seconds": (sum(handled) + 1) // 2,
        "handling_p90_seconds": max(handled),
    }
    assert {k: groups[category][k] for k in expected} == expected
    late = groups[late_category]
    assert (late["received"], late["dispatched"], late["overdue_now"], late["closed"]) == (
        1, 1, 1, 0,
    )  # fmt: skip
    assert late["completion_rate"] == 0.0 and late["on_time_rate"] is None
    for figure in ("received", "closed", "overdue_now", "returned"):
        assert summary["total"][figure] == sum(g[figure] for g in summary["groups"])

    async def behind(figure: str, group: str = category) -> list[str]:
        answer = await _ok(
            await service.http.get(
                "/api/v1/reports/cases",
                params={**_period(), "figure": figure, "group_by": "category", "group": group},
                headers=supervisor,
            )
        )
        return [item["id"] for item in answer["items"]]

    assert await behind("reopened") == [c_id]
    assert await behind("returned") == [c_id]
    assert await behind("extended") == [d_id]
    assert await behind("answered_on_site") == [b_id]
    assert await behind("closed") == [a_id, b_id, c_id]
    assert await behind("satisfaction_rate") == [a_id, b_id, c_id]
    assert await behind("overdue_now", late_category) == [e_id]
    link = summary["cases_link"]
    assert link.startswith("/api/v1/reports/cases?figure={figure}&from=") and "{group}" in link


_EXPECTED = {
    "received": 4, "answered_on_site": 1, "dispatched": 3, "transferred_in": 0, "answered": 3,
    "closed": 3, "closed_on_time": 3, "rated": 3, "satisfied": 2, "basically_satisfied": 1,
    "unsatisfied": 0, "returned": 1, "extended": 1, "reopened": 1, "overdue_now": 0,
    "completion_rate": 0.75, "on_time_rate": 1.0, "satisfaction_rate": 1.0,
    "return_rate": 0.3333, "extension_rate": 0.3333, "reopen_rate": 0.3333,
}  # fmt: skip


async def test_only_supervisors_and_admins_read_reports_and_only_admins_import(
    service: Service,
) -> None:
    period = {"from": "2019-01-01", "to": "2019-01-31"}
    handler = await service.staff("handler", "open_affairs")
    operator = await service.staff("operator")
    supervisor = await service.staff("supervisor")
    admin = await service.staff("admin")
    for path in ("summary", "summary.csv", "summary.xlsx", "annual/2019"):
        for who in (handler, operator):
            answer = await service.http.get(f"/api/v1/reports/{path}", params=period, headers=who)
            assert answer.status_code == 403, (path, answer.text)
        assert (await service.http.get(f"/api/v1/reports/{path}", params=period)).status_code == 401
    for who in (supervisor, admin):
        answer = await service.http.get("/api/v1/reports/summary", params=period, headers=who)
        assert answer.status_code == 200
    refused = await service.http.post(
        "/api/v1/admin/import/closed-cases",
        files={"file": ("x.csv", b"channel\n", "text/csv")},
        headers=supervisor,
    )
    assert refused.status_code == 403

    backwards = await service.http.get(
        "/api/v1/reports/summary", params={"from": "2019-02-01", "to": "2019-01-01"},
        headers=supervisor,
    )  # fmt: skip
    assert backwards.status_code == 422 and backwards.json()["code"] == "invalid_period"
    unknown = await service.http.get(
        "/api/v1/reports/cases", params={**period, "figure": "happiness"}, headers=supervisor
    )
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_figure"
    bad_group = await service.http.get(
        "/api/v1/reports/summary", params={**period, "group_by": "colour"}, headers=supervisor
    )
    assert bad_group.status_code == 422
    no_header = await service.http.post(
        "/api/v1/admin/import/closed-cases",
        files={"file": ("x.csv", b"channel,category\nweb,billing\n", "text/csv")},
        headers=admin,
    )
    assert no_header.status_code == 422 and no_header.json()["code"] == "missing_columns"
    too_early = await service.http.get("/api/v1/reports/annual/1999", headers=supervisor)
    assert too_early.status_code == 422 and too_early.json()["code"] == "invalid_year"
