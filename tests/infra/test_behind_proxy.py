"""`inquiry api` behind a reverse proxy (docker-compose.yml's nginx): with FORWARDED_ALLOW_IPS
naming the proxy, the public rate limit counts each citizen named by X-Forwarded-For; a header
from anyone else is ignored, so a client cannot spread its lookups over made-up addresses."""

from __future__ import annotations

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from tests.infra.stack import Stack

pytestmark = pytest.mark.timeout(90)

LOOKUP = "/api/v1/public/inquiries/WQNOSUCHCODE"


async def _api(stack: Stack, temporal_env: WorkflowEnvironment, trusted: str) -> httpx.AsyncClient:
    await stack.serve_api(
        temporal_env.client.service_client.config.target_host,
        {"FORWARDED_ALLOW_IPS": trusted, "PUBLIC_RATE_PER_MINUTE": "1"},
    )
    return httpx.AsyncClient(base_url=f"http://127.0.0.1:{stack.api_port}", timeout=30)


def _from(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


async def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit(
    stack: Stack, temporal_env: WorkflowEnvironment
) -> None:
    # The test connects from 127.0.0.1: here that is the proxy.
    async with await _api(stack, temporal_env, trusted="127.0.0.1") as http:
        first = await http.get(LOOKUP, headers=_from("203.0.113.7"))
        again = await http.get(LOOKUP, headers=_from("203.0.113.7"))
        other = await http.get(LOOKUP, headers=_from("198.51.100.9"))

    assert first.status_code == 404, first.text
    assert again.status_code == 429, again.text
    assert other.status_code == 404, "another citizen behind the same proxy was limited"


async def test_a_forwarded_address_from_an_untrusted_peer_is_ignored(
    stack: Stack, temporal_env: WorkflowEnvironment
) -> None:
    async with await _api(stack, temporal_env, trusted="192.0.2.1") as http:
        first = await http.get(LOOKUP, headers=_from("203.0.113.7"))
        forged = await http.get(LOOKUP, headers=_from("198.51.100.9"))

    assert first.status_code == 404, first.text
    assert forged.status_code == 429, "a made-up X-Forwarded-For escaped the limit"
