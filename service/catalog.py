"""What the forms offer: the active categories and units with their names."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from repository import directory


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    name_zh: str
    urgent: bool

    def label(self, lang: str) -> str:
        return (self.name_zh if lang == "zh" else self.name) or self.name or self.code


async def active_categories(pool: asyncpg.Pool) -> list[Category]:
    async with pool.acquire() as conn:
        rows = await directory.active_categories(conn)
    return [Category(r["code"], r["name"], r["name_zh"], r["urgent"]) for r in rows]


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    name_zh: str

    def label(self, lang: str) -> str:
        return (self.name_zh if lang == "zh" else self.name) or self.name or self.code


async def active_units(pool: asyncpg.Pool) -> list[Unit]:
    """The units a case may be sent to (改派), for the decision forms."""
    async with pool.acquire() as conn:
        rows = await directory.list_rows(conn, "units")
    return [Unit(r["code"], r["name"], r["name_zh"]) for r in rows if r["active"]]
