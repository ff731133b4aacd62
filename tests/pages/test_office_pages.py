"""The office's console pages in a real browser: phone intake with 现场解答 and 并单, the
supervisors' dashboard updating itself, decisions taken there, and every admin and report page."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from tests.cases import file_case, row
from tests.conftest import Service
from tests.pages.conftest import sign_in


async def test_an_operator_files_a_call_and_merges_it_into_the_open_case(
    page: Page, service: Service
) -> None:
    main_id, main_code = await file_case(service, "outage", address="解放路88号")
    await sign_in(page, service, "operator")
    await page.goto("/console/intake")
    form = page.locator("#phone-intake")
    await form.locator("select[name=channel]").select_option("hotline")
    await form.locator("select[name=category]").select_option("outage")
    await form.locator("textarea[name=content]").fill("解放路88号门口又在冒水")
    await form.locator("input[name=address]").fill("解放路88号")
    await form.locator("input[name=phone]").fill("13900001111")
    await form.locator("input[name=urgent]").check()
    await form.locator("button[type=submit]").click()

    await expect(page.locator(".flash-ok")).to_contain_text("已受理")
    code = (await page.locator("#filed-code").inner_text()).strip()
    async with service.pool.acquire() as conn:
        filed = await conn.fetchrow("SELECT * FROM inquiries WHERE tracking_code = $1", code)
    assert (filed["channel"], filed["priority"], filed["submitted_by"][:5]) == (
        "hotline",
        "urgent",
        "user:",
    )
    # The open case at the same address is offered; merging waits for the new case's dispatch.
    await service.wait_for(
        "SELECT 1 FROM inquiries WHERE id = $1 AND status = 'dispatched'", filed["id"]
    )
    offered = page.locator(f"#found li[data-code='{main_code}']")
    await expect(offered).to_have_count(1)
    await offered.locator("button", has_text="并入此案件").click()
    await expect(page.locator(".flash-ok")).to_contain_text("已并单")
    merged = await row(service, str(filed["id"]))
    assert (merged["status"], str(merged["merged_into"])) == ("merged", main_id)


async def test_an_operator_answers_on_the_spot(page: Page, service: Service) -> None:
    await sign_in(page, service, "operator")
    await page.goto("/console/intake")
    form = page.locator("#phone-intake")
    await form.locator("select[name=channel]").select_option("onsite")
    await form.locator("select[name=category]").select_option("billing")
    await form.locator("textarea[name=content]").fill("水费怎么交？")
    await form.locator("input[name=name]").fill("王五")
    await form.locator("input[name=phone]").fill("13900002222")
    await form.locator("summary", has_text="现场解答").click()
    await form.locator("textarea[name=answered_on_site]").fill("可在营业窗口或网上缴费。")
    await form.locator("button[type=submit]").click()
    await expect(page.locator(".flash-ok")).to_contain_text("已受理")
    code = (await page.locator("#filed-code").inner_text()).strip()
    await service.wait_for(
        "SELECT 1 FROM inquiries i JOIN inquiry_events e ON e.inquiry_id = i.id"
        " WHERE i.tracking_code = $1 AND e.kind = 'answered_on_site'",
        code,
    )


async def test_a_refused_filing_shows_the_form_again_with_the_reason(
    page: Page, service: Service
) -> None:
    await sign_in(page, service, "operator")
    await page.goto("/console/intake")
    form = page.locator("#phone-intake")
    await form.locator("textarea[name=content]").fill("没有留联系方式")
    await form.locator("button[type=submit]").click()
    await expect(page.locator(".flash-error")).to_be_visible()
    await expect(page.locator("#phone-intake textarea[name=content]")).to_have_value(
        "没有留联系方式"
    )


async def test_the_admin_and_report_pages_answer(page: Page, service: Service) -> None:
    await sign_in(page, service, "admin")
    for url, marker in [
        ("/console/admin/units", "#units"),
        ("/console/admin/categories", "#category-outage"),
        ("/console/admin/rules", "#rules"),
        ("/console/admin/calendar?year=2026", "#calendar-change"),
        ("/console/admin/users", "#users"),
        ("/console/admin/keys", "#keys"),
        ("/console/reports", "#summary"),
        ("/console/reports?group_by=channel", "#summary tr[data-group='total']"),
        ("/console/reports/annual/2026", "#annual h1"),
        ("/console/supervision", "#sup-overdue"),
    ]:
        answer = await page.goto(url)
        assert answer is not None and answer.status == 200, url
        await expect(page.locator(marker).first).to_be_visible()


async def test_the_routing_tester_names_the_unit(page: Page, service: Service) -> None:
    await sign_in(page, service, "admin")
    await page.goto("/console/admin/rules")
    tester = page.locator("#route-test")
    await tester.locator("select[name=category]").select_option("outage")
    await tester.locator("textarea[name=content]").fill("路口爆管")
    await tester.locator("button[type=submit]").click()
    await expect(page.locator("#route-answer")).to_contain_text(re.compile(r"\w+"))
    async with service.pool.acquire() as conn:
        rules = await conn.fetch("SELECT name, unit_code FROM routing_rules WHERE active")
    shown = await page.locator("#route-answer .code").inner_text()
    assert shown in {r["unit_code"] for r in rules} | {"open_affairs"}


async def test_an_intake_key_is_shown_once(page: Page, service: Service) -> None:
    await sign_in(page, service, "admin")
    await page.goto("/console/admin/keys")
    await page.locator("summary", has_text="新增接入密钥").click()
    form = page.locator("#add-key")
    await form.locator("input[name=name]").fill("kiosk-hall")
    await form.locator("select[name=channel]").select_option("counter")
    await form.locator("button[type=submit]").click()
    key = (await page.locator("#new-key").inner_text()).strip()
    assert key.startswith("ik_")
    filed = await service.http.post(
        "/api/v1/inquiries",
        json={"category": "billing", "content": "窗口来访", "citizen": {"phone": "13900003333"}},
        headers={"X-API-Key": key},
    )
    assert filed.status_code == 201, filed.text
    await page.goto("/console/admin/keys")
    await expect(page.locator("tr[data-key='kiosk-hall']")).to_contain_text(key[:8])
    await expect(page.locator("body")).not_to_contain_text(key)


async def test_reports_link_each_figure_to_its_cases(page: Page, service: Service) -> None:
    _, code = await file_case(service, "billing")
    await sign_in(page, service, "supervisor")
    await page.goto("/console/reports?group_by=channel")
    cell = page.locator("tr[data-group='web'] a[data-figure='received']")
    received = int(await cell.inner_text())
    assert received >= 1
    await cell.click()
    await expect(page.locator("h1 .tag")).to_have_text(str(received))
    await expect(page.locator(f"#cases tr[data-code='{code}']")).to_have_count(1)
    download = await page.request.get("/console/reports/summary.csv?group_by=channel")
    assert download.status == 200 and "受理 received" in (await download.text())
