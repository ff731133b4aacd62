"""An admin previews a calendar change (how many open cases would move, which, and how many would
be overdue at once), then applies it, and the open case's due time moves as previewed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.async_api import Page, expect

from domain.calendar import CHINA_TZ
from tests.cases import file_case, row
from tests.conftest import Service
from tests.pages.conftest import sign_in

pytestmark = pytest.mark.timeout(120)


def _next_weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


async def test_an_admin_previews_and_applies_a_holiday(page: Page, service: Service) -> None:
    category = await service.category(clock="working_days", reply_within=3)
    inquiry_id, code = await file_case(service, category)
    case = await row(service, inquiry_id)
    holiday = _next_weekday(case["dispatched_at"].astimezone(CHINA_TZ).date() + timedelta(days=1))
    admin = await service.staff("admin")
    try:
        await sign_in(page, service, "admin")
        await page.goto(f"/console/admin/calendar?year={holiday.year}")
        form = page.locator("#calendar-change")
        await form.locator("input[name=first]").fill(holiday.isoformat())
        await form.locator("select[name=kind]").select_option("holiday")
        await form.locator("input[name=note]").fill("临时停工")
        await form.locator("button[type=submit]").click()

        await expect(page.locator("#preview")).to_be_visible()
        changed = int(await page.locator("#changed").inner_text())
        open_cases = int(await page.locator("#open-cases").inner_text())
        assert 1 <= changed <= open_cases
        assert await page.locator("#overdue-at-once").inner_text() == "0"  # a holiday only adds
        await expect(page.locator(f"#shifts tr[data-code='{code}']")).to_have_count(1)
        # The preview changed nothing.
        assert (await row(service, inquiry_id))["reply_due_at"] == case["reply_due_at"]
        async with service.pool.acquire() as conn:
            assert not await conn.fetchval("SELECT 1 FROM calendar_days WHERE day = $1", holiday)

        await page.locator("#apply button[type=submit]").click()
        await expect(page.locator(".flash-ok")).to_contain_text("已变更")
        await expect(page.locator(f"tr[data-day='{holiday.isoformat()}']")).to_contain_text(
            "临时停工"
        )
        await service.wait_for(
            "SELECT 1 FROM inquiries WHERE id = $1::uuid AND reply_due_at > $2",
            inquiry_id,
            case["reply_due_at"],
        )
    finally:  # other tests count working days: the override goes again
        removed = await service.http.request(
            "DELETE", "/api/v1/admin/calendar", json={"days": [holiday.isoformat()]}, headers=admin
        )
        assert removed.status_code in (200, 404), removed.text
