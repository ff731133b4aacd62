"""The citizen on the website: files on `/`, answers a 补正 question and rates on `/track/…`."""

from __future__ import annotations

import re

from playwright.async_api import Browser, Page, expect

from tests.cases import file_case, row
from tests.conftest import Service
from tests.pages.conftest import new_browser_page, sign_in


async def test_a_citizen_files_on_the_site_and_gets_a_tracking_code(
    page: Page, service: Service
) -> None:
    response = await page.goto("/")
    assert response is not None
    headers = response.headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-store"

    await page.select_option("select[name=category]", "outage")
    await page.fill("textarea[name=content]", "幸福路口漏水，路面积水很深")
    await page.fill("input[name=address]", "幸福路12号")
    await page.fill("input[name=phone]", "13812345678")
    await page.click("#intake button[type=submit]")

    code = (await page.inner_text("#tracking-code")).strip()
    assert re.fullmatch(r"[A-Z0-9]{6,32}", code), code
    async with service.pool.acquire() as conn:
        filed = await conn.fetchrow(
            "SELECT channel, submitted_by, content FROM inquiries WHERE tracking_code = $1", code
        )
    assert filed is not None
    assert (filed["channel"], filed["submitted_by"]) == ("web", "key:web-form")

    await page.click(f"a[href='/track/{code}']")
    await expect(page.locator("#status")).to_have_text(re.compile("已受理|已派给|正在"))
    await expect(page.locator("body")).not_to_contain_text("pipe_repair")  # nothing staff-only


async def test_a_missing_contact_shows_the_form_again(page: Page, service: Service) -> None:
    await page.goto("/")
    await page.fill("textarea[name=content]", "没有留联系方式")
    await page.click("#intake button[type=submit]")
    await expect(page.locator(".flash-error")).to_contain_text("contact")
    await expect(page.locator("textarea[name=content]")).to_have_value("没有留联系方式")


async def test_the_citizen_answers_a_question_and_rates_the_answer(
    page: Page, browser: Browser, service: Service
) -> None:
    inquiry_id, code = await file_case(service, "outage")
    unit = (await row(service, inquiry_id))["unit_code"]
    await sign_in(page, service, "handler", unit)
    task = page.locator(f"li.task[data-code='{code}']")
    await task.locator("button", has_text="签收").click()
    await expect(page.locator(".flash-ok")).to_contain_text("已签收")

    # The handler asks the citizen from the inbox (补正).
    task = page.locator(f"li.task[data-code='{code}']")
    await task.locator("summary", has_text="请群众补正").click()
    await task.locator("textarea[name=question]").fill("请提供漏水点的门牌号")
    await task.locator("button", has_text="请群众补正").click()
    await expect(page.locator(".flash-ok")).to_contain_text("已请群众补正")
    assert (await row(service, inquiry_id))["status"] == "paused"

    citizen = await new_browser_page(browser, service)
    try:
        await citizen.goto(f"/track/{code}")
        await expect(citizen.locator("#question")).to_have_text("请提供漏水点的门牌号")
        await citizen.fill("#supplement textarea[name=content]", "幸福路12号东侧")
        await citizen.click("#supplement button[type=submit]")
        await expect(citizen.locator(".flash-ok")).to_contain_text("补充材料已提交")
        await service.wait_for(
            "SELECT 1 FROM inquiries WHERE id = $1::uuid AND status = 'handling'", inquiry_id
        )

        # The handler answers in the inbox; the citizen sees the answer and rates it.
        await page.goto("/console")
        task = page.locator(f"li.task[data-code='{code}']")
        await task.locator("summary", has_text="答复").click()
        await task.locator("textarea[name=content]").fill("已派人修复，今晚恢复供水。")
        await task.locator("button", has_text="答复").click()
        await expect(page.locator(".flash-ok")).to_contain_text("已答复")

        await citizen.goto(f"/track/{code}")
        await expect(citizen.locator("#reply")).to_have_text("已派人修复，今晚恢复供水。")
        await citizen.check("input[value=basically_satisfied]")
        await citizen.fill("#rating textarea[name=comment]", "修得挺快")
        await citizen.click("#rating button[type=submit]")
        await expect(citizen.locator(".flash-ok")).to_contain_text("感谢您的评价")
    finally:
        await citizen.context.close()
    closed = await row(service, inquiry_id)
    assert (closed["status"], closed["rating"]) == ("closed", "basically_satisfied")


async def test_the_english_toggle_keeps_the_page(page: Page, service: Service) -> None:
    await page.goto("/")
    await page.click("a.lang")
    await expect(page.locator("h1")).to_have_text("Tell us about a problem")
    await page.click("a.lang")
    await expect(page.locator("h1")).to_have_text("反映问题")
