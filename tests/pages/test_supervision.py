"""The supervisors' dashboard in a real browser: it updates itself (no reload) when a case
becomes overdue or waits for a decision, and the decisions are taken right there."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.cases import act, events, file_case, row
from tests.conftest import Service
from tests.pages.conftest import sign_in

pytestmark = pytest.mark.timeout(120)
LIVE = 20_000  # the page polls every 5 s


async def _open_dashboard(page: Page, service: Service) -> None:
    await sign_in(page, service, "supervisor")
    await page.goto("/console/supervision")
    await page.evaluate("window.notReloaded = true")  # gone if the page were loaded again


async def _still_the_same_page(page: Page) -> None:
    assert await page.evaluate("window.notReloaded === true")


async def test_a_case_that_becomes_overdue_appears_without_a_reload(
    page: Page, service: Service
) -> None:
    await _open_dashboard(page, service)
    category = await service.category(reply_within=0.002)  # 7.2 seconds
    inquiry_id, code = await file_case(service, category)
    line = page.locator(f"#sup-overdue tr[data-code='{code}']")
    await expect(line).to_have_count(1, timeout=LIVE)
    await expect(line.locator(".badge-over")).to_be_visible()
    await expect(line).to_contain_text((await row(service, inquiry_id))["unit_code"])
    await _still_the_same_page(page)


async def test_a_returned_case_is_redispatched_from_the_dashboard(
    page: Page, service: Service
) -> None:
    await _open_dashboard(page, service)
    inquiry_id, code = await file_case(service, "billing")
    unit = (await row(service, inquiry_id))["unit_code"]
    handler = await service.staff("handler", unit)
    returned = await act(service, inquiry_id, "return", handler, reason_code="not_our_unit")
    assert returned.status_code == 200, returned.text

    item = page.locator(f"#sup-decisions li[data-code='{code}'][data-kind='return']")
    await expect(item).to_have_count(1, timeout=LIVE)
    await _still_the_same_page(page)
    await item.locator("summary").click()
    other = await item.locator("select[name=new_unit] option:not([value=''])").first.get_attribute(
        "value"
    )
    assert other and other != unit
    await item.locator("select[name=new_unit]").select_option(other)
    await item.locator("button", has_text="改派").click()
    await expect(page.locator(".flash-ok")).to_contain_text("已处理退单")
    again = await row(service, inquiry_id)
    assert (again["status"], again["unit_code"]) == ("dispatched", other)


async def test_an_extension_request_is_approved_from_the_dashboard(
    page: Page, service: Service
) -> None:
    category = await service.category(reply_within=24, max_extension=24, extension_notice_days=0)
    inquiry_id, code = await file_case(service, category)
    handler = await service.staff("handler", (await row(service, inquiry_id))["unit_code"])
    await act(service, inquiry_id, "acknowledge", handler)
    asked = await act(
        service, inquiry_id, "extension", handler, amount=12, reason="需要更换管段",
        legal_basis="抢修规程",
    )  # fmt: skip
    assert asked.status_code == 200, asked.text
    await _open_dashboard(page, service)
    item = page.locator(f"#sup-decisions li[data-code='{code}'][data-kind='extension']")
    await expect(item).to_contain_text("需要更换管段")
    await item.locator("summary").click()
    await item.locator("button[name=approve][value=true]").click()
    await expect(page.locator(".flash-ok")).to_contain_text("已审批延期")
    assert "extension_approved" in await events(service, inquiry_id)
    await expect(page.locator(f"#sup-decisions li[data-code='{code}']")).to_have_count(0)
