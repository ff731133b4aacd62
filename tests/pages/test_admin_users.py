"""The admin's users page shows each staff email address and edits it."""

from __future__ import annotations

import uuid

from playwright.async_api import Page, expect

from infra.accounts import add_user
from tests.conftest import PASSWORD, Service
from tests.pages.conftest import sign_in


async def test_an_admin_sets_refuses_and_removes_a_heads_email(
    page: Page, service: Service
) -> None:
    head = f"head-{uuid.uuid4().hex[:6]}"
    async with service.pool.acquire() as conn:
        await add_user(
            conn, username=head, role="unit_head", unit_code="drainage", password=PASSWORD
        )
    await sign_in(page, service, "admin")
    await page.goto("/console/admin/users")
    row = page.locator(f"tr[data-user='{head}']")

    await row.locator("input[name=email]").fill(f"{head}@Drainage.Example.CN")
    await row.locator("form.email-form button").click()
    await expect(page.locator(".flash-ok")).to_contain_text("已保存")
    await expect(row.locator("input[name=email]")).to_have_value(f"{head}@drainage.example.cn")

    await row.locator("input[name=email]").fill("head@nodot")  # the browser takes it; we do not
    await row.locator("form.email-form button").click()
    await expect(page.locator(".flash-error")).to_contain_text("not a well-formed email address")
    await expect(row.locator("input[name=email]")).to_have_value(f"{head}@drainage.example.cn")

    await row.locator("input[name=email]").fill("")
    await row.locator("form.email-form button").click()
    await expect(page.locator(".flash-ok")).to_contain_text("已保存")
    async with service.pool.acquire() as conn:
        assert await conn.fetchval("SELECT email FROM users WHERE username = $1", head) is None
