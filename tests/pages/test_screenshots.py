"""The main pages, walked through once with a case, each saved as a PNG.

`make screenshots` writes them to docs/screenshots/ (SCREENSHOT_DIR); in the normal run they go
to a temporary folder, so the walk itself is tested everywhere.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.cases import act, file_case, row
from tests.conftest import Service
from tests.pages.conftest import new_browser_page, sign_in

PHONE = {"width": 414, "height": 860}
DESK = {"width": 1200, "height": 900}

pytestmark = pytest.mark.timeout(120)


async def _shot(page: Page, folder: Path, name: str, size: dict[str, int]) -> None:
    await page.set_viewport_size(size)
    await page.screenshot(path=folder / f"{name}.png", full_page=True)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """docs/screenshots under `make screenshots`, else this test's temporary folder."""
    chosen = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    chosen.mkdir(parents=True, exist_ok=True)
    return chosen


def _sizes(folder: Path, names: list[str]) -> dict[str, int]:
    return {name: (folder / f"{name}.png").stat().st_size for name in names}


async def test_screenshots_of_the_main_pages(
    page: Page, browser: Browser, service: Service, folder: Path
) -> None:
    citizen = await new_browser_page(browser, service)
    try:
        await citizen.goto("/")
        await citizen.fill("textarea[name=content]", "幸福路口爆管，水漫到路面")
        await citizen.fill("input[name=address]", "幸福路12号")
        await citizen.fill("input[name=district]", "和平区")
        await citizen.fill("input[name=name]", "李四")
        await citizen.fill("input[name=phone]", "13912345678")
        await _shot(citizen, folder, "intake", PHONE)
        await citizen.click("#intake button[type=submit]")
        await expect(citizen.locator("#tracking-code")).to_be_visible()
        await _shot(citizen, folder, "filed", PHONE)

        inquiry_id, code = await file_case(service, "outage")
        unit = (await row(service, inquiry_id))["unit_code"]
        await sign_in(page, service, "handler", unit)
        await _shot(page, folder, "inbox", DESK)
        handler = await service.staff("handler", unit)
        await act(service, inquiry_id, "acknowledge", handler)
        await act(service, inquiry_id, "info-request", handler, question="请提供漏水点的门牌号")
        await page.goto(f"/console/cases/{inquiry_id}")
        await _shot(page, folder, "case", DESK)

        await citizen.goto(f"/track/{code}")
        await expect(citizen.locator("#question")).to_be_visible()
        await _shot(citizen, folder, "track-question", PHONE)
        answered = await service.http.post(
            f"/api/v1/public/inquiries/{code}/supplement", json={"content": "12号"}
        )
        assert answered.status_code == 200, answered.text
        await service.wait_for(
            "SELECT 1 FROM inquiries WHERE id = $1::uuid AND status = 'handling'", inquiry_id
        )
        await act(service, inquiry_id, "reply", handler, content="已修复，恢复供水。")
        await citizen.goto(f"/track/{code}")
        await expect(citizen.locator("#rating")).to_be_visible()
        await _shot(citizen, folder, "track-rating", PHONE)
    finally:
        await citizen.context.close()
    names = ["intake", "filed", "inbox", "case", "track-question", "track-rating"]
    sizes = _sizes(folder, names)
    assert all(size > 5_000 for size in sizes.values()), sizes


async def test_screenshots_of_the_office_pages(page: Page, service: Service, folder: Path) -> None:
    """Phone intake, the supervision dashboard, a calendar change's preview, the reports and
    the annual report, with a few cases on the stack (one overdue, one returned)."""
    category = await service.category(reply_within=0.001, name_zh="测试类别")
    await file_case(service, category)
    returned_id, _ = await file_case(service, "billing", address="幸福路12号")
    handler = await service.staff("handler", (await row(service, returned_id))["unit_code"])
    await act(service, returned_id, "return", handler, reason_code="not_our_unit", note="属排水")

    await sign_in(page, service, "operator")
    await page.goto("/console/intake?q=幸福路")
    await page.fill("#phone-intake textarea[name=content]", "幸福路12号门口冒水")
    await page.fill("#phone-intake input[name=address]", "幸福路12号")
    await page.fill("#phone-intake input[name=phone]", "13912345678")
    await _shot(page, folder, "phone-intake", DESK)

    await page.context.clear_cookies()
    await sign_in(page, service, "admin")
    await page.goto("/console/supervision")
    await expect(page.locator("#sup-overdue tr[data-code]").first).to_be_visible(timeout=20_000)
    await _shot(page, folder, "supervision", DESK)
    await page.goto("/console/admin/calendar/preview?first=2026-12-31&kind=holiday&note=示例")
    await _shot(page, folder, "admin-preview", DESK)
    await page.goto("/console/reports?group_by=channel")
    await _shot(page, folder, "reports", DESK)
    await page.goto("/console/reports/annual/2026")
    await _shot(page, folder, "annual", DESK)
    names = ["phone-intake", "supervision", "admin-preview", "reports", "annual"]
    sizes = _sizes(folder, names)
    assert all(size > 5_000 for size in sizes.values()), sizes
