"""CSRF on every form post, and the per-client rate limit on public lookups and forms."""

from __future__ import annotations

import httpx
from playwright.async_api import Page

from tests.cases import file_case, row
from tests.conftest import Service
from tests.pages.conftest import sign_in


async def test_a_form_post_without_the_csrf_token_is_refused(page: Page, service: Service) -> None:
    inquiry_id, _ = await file_case(service, "outage")
    unit = (await row(service, inquiry_id))["unit_code"]
    await sign_in(page, service, "handler", unit)

    # The signed-in browser, its cookies sent, but no token in the form (as a forged page).
    forged = await page.request.post(
        f"/console/cases/{inquiry_id}/acknowledge", form={"next": "/console"}, max_redirects=0
    )
    assert forged.status == 403
    wrong = await page.request.post(
        f"/console/cases/{inquiry_id}/acknowledge",
        form={"csrf_token": "guessed", "next": "/console"},
        max_redirects=0,
    )
    assert wrong.status == 403
    assert (await row(service, inquiry_id))["status"] == "dispatched"  # nothing happened

    # The citizen's form too: nothing is filed without the token.
    async with service.pool.acquire() as conn:
        before = await conn.fetchval("SELECT count(*) FROM inquiries")
    anonymous = await service.http.post(
        "/", data={"category": "outage", "content": "x", "phone": "13812345678"}
    )
    assert anonymous.status_code == 403
    async with service.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM inquiries") == before


async def test_the_lookup_after_the_limit_answers_429(service: Service) -> None:
    limit = service.settings.public_rate_per_minute
    async with httpx.AsyncClient(base_url=service.base_url) as client:
        for _ in range(limit):
            assert (await client.get("/track/NOSUCHCODE")).status_code == 404
        page = await client.get("/track/NOSUCHCODE")
        assert page.status_code == 429
        assert int(page.headers["Retry-After"]) >= 1
        assert "请求太频繁" in page.text
        # The JSON lookup counts against the same client.
        api = await client.get("/api/v1/public/inquiries/NOSUCHCODE")
        assert api.status_code == 429
        assert api.json()["code"] == "rate_limited"
    # Staff pages are not limited.
    async with httpx.AsyncClient(base_url=service.base_url) as client:
        assert (await client.get("/console/login")).status_code == 200
