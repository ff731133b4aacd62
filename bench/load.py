"""Run N cases at concurrency C and keep each step's latency; percentiles of what was kept."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

Record = Callable[[str, float], None]


@dataclass
class Run:
    """One sub-phase: how many cases finished, in how long, and each step's latencies."""

    done: int = 0
    failed: int = 0
    seconds: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def record(self, step: str, seconds: float) -> None:
        self.latencies.setdefault(step, []).append(seconds)

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0


class Timed:
    """`async with Timed(run, "reply"):` records how long the block took under that step."""

    def __init__(self, run: Run, step: str) -> None:
        self.run, self.step = run, step

    async def __aenter__(self) -> None:
        self.started = time.perf_counter()

    async def __aexit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.run.record(self.step, time.perf_counter() - self.started)


async def run_many(n: int, concurrency: int, one: Callable[[int, Run], Awaitable[None]]) -> Run:
    """Cases 0..n-1, at most `concurrency` at a time; a failed case is counted, not retried."""
    run = Run()
    queue = iter(range(n))

    async def lane() -> None:
        for i in queue:
            try:
                await one(i, run)
                run.done += 1
            except Exception as error:
                run.failed += 1
                if len(run.errors) < 5:
                    run.errors.append(repr(error)[:300])

    started = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(concurrency)))
    run.seconds = time.perf_counter() - started
    return run


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile (share in 0..1); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, round(share * len(ordered) + 0.4999))
    return ordered[min(rank, len(ordered)) - 1]


def summary(values: list[float]) -> dict[str, float | int | None]:
    return {
        "count": len(values),
        "p50": percentile(values, 0.5),
        "p95": percentile(values, 0.95),
        "max": max(values) if values else None,
    }
