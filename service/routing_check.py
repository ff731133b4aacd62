"""Which unit would this inquiry go to? The live routing rules asked as intake's routing
activity asks them (domain.routing.choose_unit), without filing anything."""

from __future__ import annotations

import asyncpg

from domain.routing import RouteDecision, choose_unit
from repository import directory


async def which_unit(
    pool: asyncpg.Pool, *, category: str, district: str | None, content: str
) -> RouteDecision:
    async with pool.acquire() as conn:
        rules = await directory.active_rules(conn)
    return choose_unit(rules, category=category, district=district, content=content)
