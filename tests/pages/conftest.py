"""A real headless Chromium (Debian's package, driven by Playwright) against the service."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

from infra.accounts import add_user
from tests.conftest import PASSWORD, Service

CHROMIUM = Path("/usr/bin/chromium")


def _chromium_installed() -> bool:
    return CHROMIUM.exists()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not _chromium_installed():
        pytest.fail(
            f"{CHROMIUM} is missing: `make test` installs Debian's chromium"
            " (or: apt-get install -y chromium)",
            pytrace=False,
        )
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield chromium
        await chromium.close()


@pytest.fixture
async def page(browser: Browser, service: Service) -> AsyncIterator[Page]:
    """A fresh browser (own cookies) on the service, as a phone-sized screen."""
    context = await browser.new_context(
        base_url=service.base_url, locale="zh-CN", viewport={"width": 414, "height": 860}
    )
    context.set_default_timeout(15_000)
    yield await context.new_page()
    await context.close()


async def new_browser_page(browser: Browser, service: Service) -> Page:
    """A second, separate browser (e.g. the citizen beside the handler); closed with the test."""
    context = await browser.new_context(base_url=service.base_url, locale="zh-CN")
    context.set_default_timeout(15_000)
    return await context.new_page()


async def sign_in(page: Page, service: Service, role: str, unit: str | None = None) -> str:
    """A new account of the role, signed in on the console's login page; returns its name."""
    username = f"{role}-{uuid.uuid4().hex[:8]}"
    async with service.pool.acquire() as conn:
        await add_user(conn, username=username, role=role, unit_code=unit, password=PASSWORD)
    await page.goto("/console/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit].primary")
    await page.wait_for_url("**/console")
    return username
