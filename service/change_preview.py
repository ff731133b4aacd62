"""A preview of a calendar or policy change: how many open cases would change due time and how
many would become overdue at once. Reads only; the maths is domain.reprojection's.

The re-projection is pure CPU: two plans per open case, about half a millisecond for a case on
working days, so seconds at many thousands of open cases. It runs in a thread, not in the API's
event loop, so every other request on the process goes on being answered meanwhile (the thread
shares the interpreter's lock, which it yields every few milliseconds)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, cast

import asyncpg

from activities.cases import policy_from_row
from domain.clock import ledger_from_json
from domain.policy import CasePolicy, with_targets
from domain.reprojection import OpenCase, Preview, Setting, preview
from repository import Conn, projections
from repository import calendar as calendar_repo
from repository import cases as case_repo
from service.errors import ServiceError


def _open_cases(rows: Iterable[asyncpg.Record]) -> list[tuple[OpenCase, str, str]]:
    """(case, category, priority) for each case, its ledgers gathered from a row per ledger."""
    cases: dict[str, tuple[OpenCase, str, str]] = {}
    for r in rows:
        key = str(r["inquiry_id"])
        if key not in cases:
            case = OpenCase(key, r["tracking_code"], r["status"], r["cycle"], {})
            cases[key] = (case, r["category"], r["priority"])
        ledgers = cases[key][0].ledgers
        assert isinstance(ledgers, dict)
        ledgers[r["target"]] = ledger_from_json(r["ledger"])
    return list(cases.values())


# (category, priority) -> its setting as things stand and under the proposal
SettingPairs = Mapping[tuple[str, str], tuple[Setting, Setting]]


def _compare(
    rows: Sequence[asyncpg.Record], settings: SettingPairs, now: datetime, *, new_policy: bool
) -> Preview:
    """Each open case (its clock rows) under its (category, priority)'s current and proposed
    settings; cases whose category has no policy row are left out."""
    chosen = [
        (case, *settings[(category, priority)])
        for case, category, priority in _open_cases(rows)
        if (category, priority) in settings
    ]
    return preview(chosen, now, new_policy=new_policy)


async def _compare_off_the_loop(
    rows: Sequence[asyncpg.Record],
    settings: SettingPairs,
    now: datetime | None,
    *,
    new_policy: bool,
) -> Preview:
    """_compare in a worker thread (see the module's note)."""
    at = now or datetime.now(UTC)
    return await asyncio.to_thread(_compare, rows, settings, at, new_policy=new_policy)


def _policy(row: asyncpg.Record | Mapping[str, Any], targets: Mapping[str, Any]) -> CasePolicy:
    """A category row (asyncpg record or a dict of it) with a priority's own targets, as the
    activity loads the policy of a case (activities.cases.policy_from_row + with_targets)."""
    return with_targets(policy_from_row(cast(asyncpg.Record, row)), targets)


async def _targets(conn: Conn, category: str, priority: str) -> dict[str, Any]:
    override = await case_repo.priority_override(conn, category=category, priority=priority)
    return {n: override[n] for n in case_repo.PRIORITY_FIELDS} if override else {}


async def _policies(conn: Conn, keys: set[tuple[str, str]]) -> dict[tuple[str, str], CasePolicy]:
    """Each (category, priority)'s policy as it stands."""
    found = {}
    for category, priority in keys:
        row = await case_repo.policy_row(conn, category=category)
        if row is not None:
            found[(category, priority)] = _policy(row, await _targets(conn, category, priority))
    return found


async def calendar_change(
    pool: asyncpg.Pool,
    *,
    set_days: Mapping[date, bool],
    remove_days: Iterable[date] = (),
    now: datetime | None = None,
) -> Preview:
    """Days to set (day -> working?) and overrides to remove, against every open case."""
    async with pool.acquire() as conn:
        rows = await projections.open_case_clocks(conn, category=None)
        policies = await _policies(conn, {(r["category"], r["priority"]) for r in rows})
        extra = await calendar_repo.overrides(conn)
    proposed = {d: w for d, w in extra.items() if d not in set(remove_days)} | dict(set_days)
    settings = {key: (Setting(p, extra), Setting(p, proposed)) for key, p in policies.items()}
    return await _compare_off_the_loop(rows, settings, now, new_policy=False)


async def policy_change(
    pool: asyncpg.Pool,
    *,
    category: str,
    fields: Mapping[str, Any],
    priority: str | None = None,
    now: datetime | None = None,
) -> Preview:
    """A category's changed policy fields (as PATCH …/categories/{code} takes them, parsed), or
    with `priority` that priority's new targets (as PUT …/priorities/{priority}: every target,
    None for the category's own), against the category's open cases."""
    async with pool.acquire() as conn:
        row = await case_repo.policy_row(conn, category=category)
        if row is None:
            raise ServiceError(404, "not_found", f"there is no category {category!r}")
        rows = await projections.open_case_clocks(conn, category=category)
        targets = {p: await _targets(conn, category, p) for p in {r["priority"] for r in rows}}
        extra = await calendar_repo.overrides(conn)
    changed_row = {**dict(row), **fields} if priority is None else dict(row)
    settings = {
        (category, prio): (
            Setting(_policy(row, own), extra),
            Setting(_policy(changed_row, fields if priority == prio else own), extra),
        )
        for prio, own in targets.items()
    }
    return await _compare_off_the_loop(rows, settings, now, new_policy=True)
