"""How long the running event loop went without a turn, while a block of a test ran."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


@asynccontextmanager
async def loop_stalls(every: float = 0.005) -> AsyncIterator[list[float]]:
    """Yields a list that fills with the gaps between a heartbeat's turns (one due every
    `every` s): a gap much longer than `every` is work that held the loop."""
    stalls: list[float] = []
    done = asyncio.Event()

    async def heartbeat() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(every)
            now = time.perf_counter()
            stalls.append(now - last)
            last = now

    beating = asyncio.create_task(heartbeat())
    try:
        yield stalls
    finally:
        done.set()
        await beating
