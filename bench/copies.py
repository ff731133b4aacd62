"""The lists at more open cases than a run files: the read model grown by copies (`--copies`).

A `--large` run files 100,000 cases through the service and takes about two and a half hours of
this machine, the worker's CPU being what bounds the fill. The three lists read PostgreSQL only,
so their cost at M can be read in minutes: after the scale steps, the open cases those steps
filed are copied in SQL (repository.benchmarks.copy_open_cases: a new id, tracking code and
workflow id, the same category, unit, due times and open tasks, and no workflow behind a copy)
until M cases are open, and the lists are timed over HTTP as at a real step, the worker idle and
PostgreSQL's autovacuum caught up with the tables, as with a read model that grew over weeks (the
copy vacuums the copies itself; the wait covers what the filed cases' ladders wrote since).
The memory, the fill and the busy timings need the real fill; a copy step has none of them.
"""

from __future__ import annotations

import time
from typing import Any

from bench import scale
from bench.phases import Context
from repository import benchmarks as probes


async def at_copies(
    ctx: Context, m: int, staff: dict[str, dict[str, str]], *, repeats: int
) -> dict[str, Any]:
    """Copy open cases until M are open, then time the lists and their SQL."""
    missing = max(0, m - await scale.open_count(ctx))
    started = time.perf_counter()
    async with ctx.stack.pool.acquire() as conn:
        await probes.copy_open_cases(conn, categories=[scale.LATE, scale.OPEN], n=missing)
    copied_in = time.perf_counter() - started
    vacuumed = await scale.autovacuum_settled(ctx)
    return {
        "m": m,
        "open_cases": await scale.open_count(ctx),
        "copied": missing,
        "copy_seconds": copied_in,
        "autovacuum": vacuumed,
        "lists_idle": await scale.time_lists(ctx, staff, repeats),
        "read_levers": await scale.read_levers(ctx, repeats),
    }
