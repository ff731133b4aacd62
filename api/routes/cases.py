"""The closed loop through HTTP: each staff action, the SLA explanation and the timeline."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
from fastapi import APIRouter

from api.actions import case_action, run_update
from api.case_schemas import (
    CoHandlersIn,
    CoInputIn,
    DecisionIn,
    Empty,
    ExtensionIn,
    InfoRequestIn,
    MergeIn,
    RatingIn,
    ReopenIn,
    ReturnDecisionIn,
    ReturnIn,
    ReviewIn,
    SupplementIn,
    TransferIn,
)
from api.deps import CurrentStaff, Pool, Staff, Temporal
from api.errors import ApiError
from domain import case as c
from domain.calendar import OfficeHours
from domain.clock import ClockLedger, Segment, WorkCalendar, project
from domain.ids import cohandling_workflow_id
from domain.models import Role
from domain.transition import CoHandlingAnswer
from repository import calendar as calendar_repo
from repository import cases as case_repo
from repository import inquiries as repo

router = APIRouter(prefix="/api/v1/inquiries", tags=["cases"])


def actor(staff: Staff) -> c.Actor:
    return c.Actor(username=staff.username, role=staff.role.value, unit_code=staff.unit_code)


async def _open_case(
    pool: asyncpg.Pool, inquiry_id: UUID, staff: Staff | None = None
) -> asyncpg.Record:
    async with pool.acquire() as conn:
        row = await repo.get_inquiry(conn, inquiry_id=inquiry_id)
    if row is None:
        raise ApiError(404, "not_found", "no such inquiry")
    if row["workflow_version"] < 2:
        raise ApiError(409, "first_version_case", "this case runs the first version: reply only")
    return row


async def _unit_exists(pool: asyncpg.Pool, code: str) -> None:
    async with pool.acquire() as conn:
        if not await conn.fetchval("SELECT 1 FROM units WHERE code = $1 AND active", code):
            raise ApiError(422, "unknown_unit", f"there is no active unit {code!r}")


async def _act(
    pool: Pool, temporal: Temporal, inquiry_id: UUID, update: str, arg: Any
) -> dict[str, Any]:
    await _open_case(pool, inquiry_id)
    return await case_action(temporal, str(inquiry_id), update, arg)


@router.post("/{inquiry_id}/acknowledge")
async def acknowledge(
    inquiry_id: UUID, _: Empty, pool: Pool, temporal: Temporal, staff: CurrentStaff
) -> dict[str, Any]:
    """签收: the unit signs for the case (its clock started at dispatch)."""
    return await _act(pool, temporal, inquiry_id, "acknowledge", c.Acknowledge(actor(staff)))


@router.post("/{inquiry_id}/return")
async def return_case(
    inquiry_id: UUID, body: ReturnIn, pool: Pool, temporal: Temporal, staff: CurrentStaff
) -> dict[str, Any]:
    """退单: a mis-dispatched case goes back to the office with a reason code."""
    return await _act(
        pool,
        temporal,
        inquiry_id,
        "return_case",
        c.ReturnCase(actor(staff), body.reason_code, body.note),
    )


@router.post("/{inquiry_id}/return-decision")
async def decide_return(
    inquiry_id: UUID, body: ReturnDecisionIn, pool: Pool, temporal: Temporal, staff: CurrentStaff
) -> dict[str, Any]:
    """改派 to another unit (accept) or send back to the unit that returned it (refuse)."""
    if body.accept and body.new_unit:
        await _unit_exists(pool, body.new_unit)
    return await _act(
        pool,
        temporal,
        inquiry_id,
        "decide_return",
        c.ReturnDecision(actor(staff), body.accept, body.new_unit, body.note),
    )


@router.post("/{inquiry_id}/transfer")
async def transfer(
    inquiry_id: UUID, body: TransferIn, pool: Pool, temporal: Temporal, staff: CurrentStaff
) -> dict[str, Any]:
    """转办: the office or a supervisor moves the case; the reply clock keeps running."""
    await _unit_exists(pool, body.new_unit)
    return await _act(
        pool, temporal, inquiry_id, "transfer", c.Transfer(actor(staff), body.new_unit, body.reason)
    )


@router.post("/{inquiry_id}/extension")
async def request_extension(
    inquiry_id: UUID, body: ExtensionIn, pool: Pool, temporal: Temporal, staff: CurrentStaff
) -> dict[str, Any]:
    """延期: asked with reason and legal basis before the policy's notice period."""
    return await _act(
        pool,
        temporal,
        inquiry_id,
        "request_extension",
        c.ExtensionRequest(actor(staff), body.amount, body.reason, body.legal_basis),
    )


@router.post("/{inquiry_id}/extension-decision")
async def decide_extension(
    inquiry_id: UUID, body: DecisionIn, pool: Pool, temporal: Temporal, staff: CurrentStaff
) -> dict[str, Any]:
    return await _act(
        pool,
        temporal,
        inquiry_id,
        "decide_extension",
        c.ExtensionDecision(actor(staff), body.approve, body.note),
    )


@router.post("/{inquiry_id}/info-request")
async def request_info(
    inquiry_id: UUID, body: InfoRequestIn, pool: Pool, temporal: Temporal, staff: CurrentStaff
) -> dict[str, Any]:
    """补正: ask the citizen for more; the reply clock pauses until the answer."""
    return await _act(
        pool, temporal, inquiry_id, "request_info", c.InfoRequest(actor(staff), body.question)
    )


@router.post("/{inquiry_id}/supplement")
async def supplement(
    inquiry_id: UUID, body: SupplementIn, pool: Pool, temporal: Temporal, staff: CurrentStaff
) -> dict[str, Any]:
    """An operator records the citizen's answer taken by phone."""
    _operator(staff)
    return await _act(
        pool, temporal, inquiry_id, "supplement", c.Supplement(body.content, by=staff.username)
    )


@router.post("/{inquiry_id}/review")
async def review(
    inquiry_id: UUID, body: ReviewIn, pool: Pool, temporal: Temporal, staff: CurrentStaff
) -> dict[str, Any]:
    """审核: approve the draft reply (it goes to the citizen) or return it with a comment."""
    return await _act(
        pool,
        temporal,
        inquiry_id,
        "review_reply",
        c.ReviewDecision(actor(staff), body.approve, body.comment),
    )


@router.post("/{inquiry_id}/rating")
async def rate(
    inquiry_id: UUID, body: RatingIn, pool: Pool, temporal: Temporal, staff: CurrentStaff
) -> dict[str, Any]:
    """回访: an operator records the citizen's rating from the follow-up call."""
    _operator(staff)
    return await _act(
        pool,
        temporal,
        inquiry_id,
        "rate",
        c.Rating(body.rating, by=staff.username, comment=body.comment),
    )


@router.post("/{inquiry_id}/reopen-decision")
async def decide_reopen(
    inquiry_id: UUID, body: ReopenIn, pool: Pool, temporal: Temporal, staff: CurrentStaff
) -> dict[str, Any]:
    """After a second 不满意: a supervisor closes the case or reopens it (重办)."""
    return await _act(
        pool,
        temporal,
        inquiry_id,
        "decide_reopen",
        c.ReopenDecision(actor(staff), body.reopen, body.note),
    )


@router.post("/{inquiry_id}/merge")
async def merge(
    inquiry_id: UUID, body: MergeIn, pool: Pool, temporal: Temporal, staff: CurrentStaff
) -> dict[str, Any]:
    """并单: this case follows an open main case; its citizen gets the main case's answer."""
    main = UUID(body.main_inquiry_id)
    if main == inquiry_id:
        raise ApiError(422, "invalid", "a case cannot be merged into itself")
    await _open_case(pool, main)
    own = await _open_case(pool, inquiry_id)
    me = actor(staff)
    if me.role not in (Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN):
        raise ApiError(403, "forbidden", "operators and supervisors merge cases")
    # Checked before the main case is told, so a refused merge leaves no follower behind.
    if own["status"] not in ("dispatched", "handling", "returned"):
        raise ApiError(409, "wrong_state", f"the case is {own['status']}; only open cases merge")
    async with pool.acquire() as conn:
        if await conn.fetchval("SELECT 1 FROM inquiries WHERE merged_into = $1", inquiry_id):
            raise ApiError(409, "wrong_state", "other cases follow this one; merge them into it")
    await case_action(temporal, str(main), "attach_merged", c.AttachMerged(me, str(inquiry_id)))
    return await case_action(temporal, str(inquiry_id), "merge_into", c.MergeRequest(me, str(main)))


@router.post("/{inquiry_id}/cohandlers")
async def assign_cohandlers(
    inquiry_id: UUID, body: CoHandlersIn, pool: Pool, temporal: Temporal, staff: CurrentStaff
) -> dict[str, Any]:
    """主办/协办: co-handling units, each with its own task and deadline."""
    for unit in body.units:
        await _unit_exists(pool, unit)
    return await _act(
        pool,
        temporal,
        inquiry_id,
        "assign_cohandlers",
        c.CoHandlerAssignment(actor(staff), list(dict.fromkeys(body.units)), body.within),
    )


@router.post("/{inquiry_id}/cohandlers/{unit}/input")
async def cohandler_input(
    inquiry_id: UUID,
    unit: str,
    body: CoInputIn,
    pool: Pool,
    temporal: Temporal,
    staff: CurrentStaff,
) -> dict[str, Any]:
    """A co-handling unit's answer; the lead replies once every co-handler answered or was escalated."""
    await _open_case(pool, inquiry_id)
    await run_update(
        temporal,
        workflow_id=cohandling_workflow_id(str(inquiry_id), unit),
        update="submit_input",
        arg=CoHandlingAnswer(actor(staff), body.content),
        result_type=str,
    )
    return {"id": str(inquiry_id), "unit": unit, "status": "answered"}


@router.get("/{inquiry_id}/timeline")
async def timeline(inquiry_id: UUID, pool: Pool, staff: CurrentStaff) -> dict[str, Any]:
    """Every transition, append-only: what happened, who did it, when, why, and the clock then."""
    async with pool.acquire() as conn:
        row = await repo.get_inquiry(conn, inquiry_id=inquiry_id)
        if row is None:
            raise ApiError(404, "not_found", "no such inquiry")
        if not staff.may_see_unit(row["unit_code"]):
            raise ApiError(403, "forbidden", "this inquiry belongs to another unit")
        events = await repo.list_events(conn, inquiry_id=inquiry_id)
    return {"id": str(inquiry_id), "status": row["status"], "events": [dict(e) for e in events]}


@router.get("/{inquiry_id}/sla")
async def sla(inquiry_id: UUID, pool: Pool, staff: CurrentStaff) -> dict[str, Any]:
    """Each target explained: budget, start, segments, due time, remaining or overdue."""
    now = datetime.now(UTC)
    async with pool.acquire() as conn:
        row = await repo.get_inquiry(conn, inquiry_id=inquiry_id)
        if row is None:
            raise ApiError(404, "not_found", "no such inquiry")
        if not staff.may_see_unit(row["unit_code"]):
            raise ApiError(403, "forbidden", "this inquiry belongs to another unit")
        clocks = await case_repo.clocks(conn, inquiry_id=inquiry_id)
        category = await case_repo.policy_row(conn, category=row["category"])
        extra = await calendar_repo.overrides(conn)
    office = (
        OfficeHours(category["office_start"], category["office_end"]) if category else OfficeHours()
    )
    calendar = WorkCalendar(extra=extra, office=office)
    targets = []
    for clock in clocks:
        ledger = _ledger(clock["ledger"])
        # A target stops counting once its step is done; explain it as of that moment.
        stopped = _stopped_at(row, clock["target"], clock["active"])
        at = min(now, stopped) if stopped else now
        p = project(ledger, calendar, at)
        targets.append(
            {
                "target": clock["target"],
                "cycle": clock["cycle"],
                "active": clock["active"],
                "unit": ledger.unit,
                "budget": ledger.budget,
                "extended": p.extended,
                "total": p.total,
                "started_at": ledger.started_at,
                "segments": [
                    {
                        "kind": s.kind,
                        "start": s.start,
                        "end": s.end,
                        "amount": s.amount,
                        "reason": s.reason,
                    }
                    for s in ledger.segments
                ],
                "due_at": p.due_at,
                "consumed": round(p.consumed, 4),
                "remaining": round(p.remaining, 4),
                "paused": p.paused,
                "overdue": p.overdue,
                "stopped_at": stopped,
                "provisional": p.provisional,
            }
        )
    return {"id": str(inquiry_id), "status": row["status"], "as_of": now, "targets": targets}


def _stopped_at(row: asyncpg.Record, target: str, active: bool) -> datetime | None:
    if target == "acknowledge":
        return row["acknowledged_at"] or (
            None if row["status"] == "dispatched" else row["updated_at"]
        )
    if target == "reply" and active:
        return row["replied_at"] if row["status"] in ("follow_up", "closed") else None
    if target == "follow_up":
        return row["closed_at"]
    return None if active else row["updated_at"]


def _ledger(data: dict[str, Any]) -> ClockLedger:
    return ClockLedger(
        target=data["target"],
        unit=data["unit"],
        budget=float(data["budget"]),
        started_at=datetime.fromisoformat(data["started_at"]),
        segments=[
            Segment(
                kind=s["kind"],
                start=datetime.fromisoformat(s["start"]),
                end=datetime.fromisoformat(s["end"]) if s.get("end") else None,
                amount=float(s.get("amount", 0)),
                reason=s.get("reason", ""),
            )
            for s in data.get("segments", [])
        ],
    )


def _operator(staff: Staff) -> None:
    if staff.role not in (Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN):
        raise ApiError(403, "forbidden", "operators record what citizens say by phone")
