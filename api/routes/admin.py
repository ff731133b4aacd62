"""The directory for admins: units, categories with SLA policies, routing rules."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal, TypeVar

import asyncpg
from fastapi import APIRouter, Depends
from pydantic import BaseModel

from api.deps import IntakeChecks, Pool, Staff, Temporal, require_role
from api.errors import ApiError, error_responses
from api.paging import RowId
from api.schemas import (
    CategoryChanged,
    CategoryIn,
    CategoryOut,
    CategoryPatch,
    PriorityTargetsChanged,
    PriorityTargetsIn,
    PriorityTargetsOut,
    RuleIn,
    RuleOut,
    RulePatch,
    UnitIn,
    UnitOut,
    UnitPatch,
)
from domain.models import Role
from repository import audit, directory
from repository import cases as case_repo
from service.reproject import notify_policy_change

router = APIRouter(prefix="/api/v1/admin", tags=["admin"], responses=error_responses(401, 403))
Admin = Annotated[Staff, Depends(require_role(Role.ADMIN))]
Out = TypeVar("Out", bound=BaseModel)
# Writes refuse duplicates (409) and unknown references or out-of-range values (422).
WRITE_REFUSALS = error_responses(409, 422)


def _out(row: asyncpg.Record) -> dict[str, Any]:
    return {k: _plain(k, v) for k, v in dict(row).items()}


_NUMERIC = {
    "reply_within", "level2_grace", "reminder_ratio", "ack_within", "ack_grace",
    "ack_repeat_minutes", "supervision_after", "notice_after", "return_window_days",
    "max_extension", "extension_notice_days", "pause_limit_days", "followup_days",
}  # fmt: skip


def _plain(key: str, value: Any) -> Any:
    if key in _NUMERIC and value is not None:
        return float(value)
    if key == "warnings" and value is not None:
        return [float(v) for v in value]
    if key in ("office_start", "office_end") and value is not None:
        return value.strftime("%H:%M")
    return value


@asynccontextmanager
async def _write(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.pool.PoolConnectionProxy]:
    """A transaction whose constraint violations become 409/422 answers."""
    try:
        async with pool.acquire() as conn, conn.transaction():
            yield conn
    except asyncpg.UniqueViolationError as exc:
        raise ApiError(409, "already_exists", "a row with this key already exists") from exc
    except asyncpg.ForeignKeyViolationError as exc:
        raise ApiError(
            422, "unknown_reference", "it names a unit or category that does not exist"
        ) from exc
    except asyncpg.CheckViolationError as exc:
        raise ApiError(422, "invalid_value", "a value is out of range") from exc
    except asyncpg.NotNullViolationError as exc:
        raise ApiError(422, "validation_error", "a required value may not be null") from exc


async def _list(pool: asyncpg.Pool, table: str, model: type[Out]) -> list[Out]:
    async with pool.acquire() as conn:
        return [model.model_validate(_out(r)) for r in await directory.list_rows(conn, table)]


async def _create(
    pool: asyncpg.Pool, table: str, body: BaseModel, model: type[Out], staff: Staff
) -> Out:
    async with _write(pool) as conn:
        row = await directory.insert_row(conn, table, body.model_dump(exclude_none=True))
        assert row is not None
        key, _ = directory.EDITABLE[table]
        await audit.record(
            conn, actor=staff.username, action=f"{table}.create", target_type=table,
            target=str(row[key]), before=None, after=row,
        )  # fmt: skip
    return model.model_validate(_out(row))


async def _patch(
    pool: asyncpg.Pool, table: str, key: Any, body: BaseModel, model: type[Out], staff: Staff
) -> Out:
    async with _write(pool) as conn:
        before = await directory.get_row(conn, table, key)
        if before is None:
            raise ApiError(404, "not_found", f"no such row in {table}")
        row = await directory.update_row(conn, table, key, body.model_dump(exclude_unset=True))
        await audit.record(
            conn, actor=staff.username, action=f"{table}.change", target_type=table,
            target=str(key), before=before, after=row,
        )  # fmt: skip
    assert row is not None
    return model.model_validate(_out(row))


@router.get("/units")
async def list_units(pool: Pool, _: Admin) -> list[UnitOut]:
    return await _list(pool, "units", UnitOut)


@router.post("/units", status_code=201, responses=WRITE_REFUSALS)
async def create_unit(body: UnitIn, pool: Pool, staff: Admin) -> UnitOut:
    return await _create(pool, "units", body, UnitOut, staff)


@router.patch("/units/{code}", responses={**WRITE_REFUSALS, **error_responses(404)})
async def change_unit(code: str, body: UnitPatch, pool: Pool, staff: Admin) -> UnitOut:
    return await _patch(pool, "units", code, body, UnitOut, staff)


@router.get("/categories")
async def list_categories(pool: Pool, _: Admin) -> list[CategoryOut]:
    return await _list(pool, "categories", CategoryOut)


@router.post("/categories", status_code=201, responses=WRITE_REFUSALS)
async def create_category(
    body: CategoryIn, pool: Pool, checks: IntakeChecks, staff: Admin
) -> CategoryOut:
    created = await _create(pool, "categories", body, CategoryOut, staff)
    await checks.refresh()  # intake may file under it at once, also while PostgreSQL is down
    return created


@router.patch("/categories/{code}", responses={**WRITE_REFUSALS, **error_responses(404)})
async def change_category(
    code: str,
    body: CategoryPatch,
    pool: Pool,
    temporal: Temporal,
    checks: IntakeChecks,
    staff: Admin,
) -> CategoryChanged:
    """A changed policy applies to new cases, and open cases re-project their due times."""
    row = await _patch(pool, "categories", code, body, CategoryOut, staff)
    await checks.refresh()
    told = await notify_policy_change(pool, temporal, category=code)
    return CategoryChanged(**row.model_dump(), cases_notified=told)


@router.get("/routing-rules")
async def list_rules(pool: Pool, _: Admin) -> list[RuleOut]:
    return await _list(pool, "routing_rules", RuleOut)


@router.post("/routing-rules", status_code=201, responses=WRITE_REFUSALS)
async def create_rule(body: RuleIn, pool: Pool, staff: Admin) -> RuleOut:
    return await _create(pool, "routing_rules", body, RuleOut, staff)


@router.patch("/routing-rules/{rule_id}", responses={**WRITE_REFUSALS, **error_responses(404)})
async def change_rule(rule_id: RowId, body: RulePatch, pool: Pool, staff: Admin) -> RuleOut:
    return await _patch(pool, "routing_rules", rule_id, body, RuleOut, staff)


@router.get("/categories/{code}/priorities")
async def list_priority_targets(code: str, pool: Pool, _: Admin) -> list[PriorityTargetsOut]:
    async with pool.acquire() as conn:
        rows = await case_repo.priority_overrides(conn, category=code)
    return [PriorityTargetsOut.model_validate(_out(r)) for r in rows]


@router.put(
    "/categories/{code}/priorities/{priority}", responses={**WRITE_REFUSALS, **error_responses(404)}
)
async def set_priority_targets(
    code: str,
    priority: Literal["normal", "urgent"],
    body: PriorityTargetsIn,
    pool: Pool,
    temporal: Temporal,
    staff: Admin,
) -> PriorityTargetsChanged:
    """Targets for inquiries of this category and priority; open cases re-project."""
    async with _write(pool) as conn:
        if await directory.get_category(conn, code=code) is None:
            raise ApiError(404, "not_found", f"there is no category {code!r}")
        before = await case_repo.priority_override(conn, category=code, priority=priority)
        row = await case_repo.set_priority_override(
            conn, category=code, priority=priority, fields=body.model_dump()
        )
        await audit.record(
            conn, actor=staff.username, action="priority_targets.set",
            target_type="priority_targets", target=f"{code}/{priority}", before=before, after=row,
        )  # fmt: skip
    told = await notify_policy_change(pool, temporal, category=code)
    return PriorityTargetsChanged(**_out(row), cases_notified=told)
