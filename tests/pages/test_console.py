"""Staff in the browser: sign in, the inbox, 签收 and the reply there, and the case page."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from tests.cases import file_case, row
from tests.conftest import Service
from tests.pages.conftest import sign_in


async def test_a_handler_signs_for_and_answers_a_case_in_the_inbox(
    page: Page, service: Service
) -> None:
    inquiry_id, code = await file_case(service, "outage")
    unit = (await row(service, inquiry_id))["unit_code"]
    await sign_in(page, service, "handler", unit)

    task = page.locator(f"li.task[data-code='{code}']")
    await expect(task.locator(".badge")).to_contain_text(re.compile("剩余|超时"))
    await task.locator("button", has_text="签收").click()
    await expect(page.locator(".flash-ok")).to_contain_text("已签收")
    assert (await row(service, inquiry_id))["status"] == "handling"

    task = page.locator(f"li.task[data-code='{code}']")
    await task.locator("summary", has_text="答复").click()
    await task.locator("textarea[name=content]").fill("抢修队已到场，今晚22点前恢复供水。")
    await task.locator("button", has_text="答复").click()
    await expect(page.locator(".flash-ok")).to_contain_text("已答复")
    await expect(page.locator(f"li.task[data-code='{code}']")).to_have_count(0)
    replied = await row(service, inquiry_id)
    assert (replied["status"], replied["reply_content"]) == (
        "follow_up",
        "抢修队已到场，今晚22点前恢复供水。",
    )


async def test_a_refused_action_shows_the_reason(page: Page, service: Service) -> None:
    inquiry_id, code = await file_case(service, "outage")
    unit = (await row(service, inquiry_id))["unit_code"]
    await sign_in(page, service, "handler", unit)
    task = page.locator(f"li.task[data-code='{code}']")
    await task.locator("button", has_text="签收").click()
    await expect(page.locator(".flash-ok")).to_contain_text("已签收")
    # A second 签收 from a page left open: the workflow refuses, the page says why.
    await page.goto(f"/console/cases/{inquiry_id}")
    csrf = await page.locator("input[name=csrf_token]").first.get_attribute("value")
    answer = await page.request.post(
        f"/console/cases/{inquiry_id}/acknowledge",
        form={"csrf_token": csrf or "", "next": "/console"},
        max_redirects=0,
    )
    assert (answer.status, answer.headers["location"]) == (303, "/console")
    await page.goto("/console")
    await expect(page.locator(".flash-error")).to_contain_text("当前状态下不能这样办理")


async def test_the_case_page_masks_the_contact_and_draws_the_sla(
    page: Page, service: Service
) -> None:
    inquiry_id, code = await file_case(service, "outage")
    unit = (await row(service, inquiry_id))["unit_code"]
    await sign_in(page, service, "unit_head", unit)
    await page.goto(f"/console/cases/{inquiry_id}")
    await expect(page.locator("h1")).to_contain_text(code)
    contact = page.locator("#contact")
    await expect(contact).to_contain_text("138****5678")
    await expect(contact).not_to_contain_text("13812345678")
    bars = page.locator("#sla svg.sla-bar")
    await expect(bars).to_have_count(2)  # 签收 and 答复 run from dispatch
    await expect(bars.first.locator("rect.sla-budget")).to_have_count(1)
    await expect(page.locator(".timeline li").first).to_contain_text("received")

    # The responsible unit's handler calls the citizen back: the full number.
    await page.context.clear_cookies()
    await sign_in(page, service, "handler", unit)
    await page.goto(f"/console/cases/{inquiry_id}")
    await expect(page.locator("#contact")).to_contain_text("+8613812345678")


async def test_supervisors_see_every_units_open_tasks(page: Page, service: Service) -> None:
    _, code = await file_case(service, "outage")
    await sign_in(page, service, "supervisor")
    await expect(page.locator(f"li.task[data-code='{code}']")).to_have_count(1)


async def test_the_console_needs_a_session(page: Page, service: Service) -> None:
    await page.goto("/console")
    await expect(page).to_have_url(re.compile(r"/console/login\?next=/console$"))
    await page.fill("input[name=username]", "nobody")
    await page.fill("input[name=password]", "wrong")
    await page.click("button[type=submit].primary")
    await expect(page.locator(".flash-error")).to_contain_text("用户名或密码错误")
    cookies = {c["name"]: c for c in await page.context.cookies()}
    assert "session" not in cookies
    assert cookies["csrf"]["httpOnly"] and cookies["csrf"]["sameSite"] == "Lax"
