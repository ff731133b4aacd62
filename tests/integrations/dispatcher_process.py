"""An outbox dispatcher alone in its own process, as a worker runs it, so a test can kill it
with SIGKILL in the middle of a delivery. Settings from the environment (DATABASE_URL,
SMS_GATEWAY_URL, …); LEASE_MARGIN shortens the lease for the test."""

from __future__ import annotations

import asyncio
import dataclasses
import os

import httpx

from activities.dispatcher import OutboxDispatcher
from activities.transports.configure import policy_from_settings, transports_from_settings
from core.db import create_pool
from core.settings import Settings


async def main() -> None:
    settings = Settings()
    assert settings.database_url is not None
    pool = await create_pool(settings.database_url)
    async with httpx.AsyncClient() as http:
        policy = dataclasses.replace(
            policy_from_settings(settings),
            quiet=None,
            lease_margin=float(os.environ["LEASE_MARGIN"]),
            poll=0.1,
        )
        await OutboxDispatcher(pool, transports_from_settings(settings, http), policy).run()


if __name__ == "__main__":
    asyncio.run(main())
