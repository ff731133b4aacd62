"""A preview of a calendar or policy change: how many open cases would change due time and how
many would become overdue at once. Reads only; the maths is domain.reprojection's."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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
        cases = _open_cases(await projections.open_case_clocks(conn, category=None))
        policies = await _policies(conn, {(cat, prio) for _, cat, prio in cases})
        extra = await calendar_repo.overrides(conn)
    proposed = {d: w for d, w in extra.items() if d not in set(remove_days)} | dict(set_days)
    chosen = [
        (case, Setting(policies[(cat, prio)], extra), Setting(policies[(cat, prio)], proposed))
        for case, cat, prio in cases
        if (cat, prio) in policies
    ]
    return preview(chosen, now or datetime.now(UTC), new_policy=False)


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
        cases = _open_cases(await projections.open_case_clocks(conn, category=category))
        targets = {p: await _targets(conn, category, p) for p in {p for _, _, p in cases}}
        extra = await calendar_repo.overrides(conn)
    changed_row = {**dict(row), **fields} if priority is None else dict(row)
    chosen = []
    for case, _, prio in cases:
        current = _policy(row, targets[prio])
        new_targets = fields if priority == prio else targets[prio]
        proposed = _policy(changed_row, new_targets)
        chosen.append((case, Setting(current, extra), Setting(proposed, extra)))
    return preview(chosen, now or datetime.now(UTC), new_policy=True)
