"""Activities of the case workflow: routing with its policy, clock projections, transitions,
ladder steps and co-handling. Each is idempotent, so Temporal may retry any of them."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

import asyncpg
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.faults import classified
from activities.notify import Outbox
from domain.agenda import Plan, office_hours, plan_case
from domain.change import counted
from domain.clock import WorkCalendar, ledger_to_json
from domain.ids import CASE_WORKFLOW_VERSION, case_workflow_id
from domain.models import InquiryInput
from domain.notices import ladder
from domain.policy import STEP_LEVEL, CasePolicy, Step, with_targets
from domain.routing import choose_unit
from domain.transition import (
    CaseColumns,
    CaseRoute,
    CoHandlingRecord,
    DueRequest,
    FiredAndPlanned,
    FiredSteps,
    FirstDispatch,
    FirstDispatchRequest,
    PlanRequest,
    PolicyRequest,
    ProjectedTransition,
    Transition,
)
from domain.transitions import first_dispatch
from repository import Conn, directory
from repository import calendar as calendar_repo
from repository import cases as repo
from repository import inquiries as inquiry_repo

log = structlog.get_logger(__name__)


def _columns_detail(columns: CaseColumns) -> dict[str, Any]:
    """The read-model columns a transition set (its non-null ones), as JSON values."""
    return {
        name: value.isoformat() if isinstance(value, datetime) else value
        for name, value in asdict(columns).items()
        if value is not None
    }


def policy_from_row(row: asyncpg.Record) -> CasePolicy:
    """A category row as the policy snapshot the workflow carries."""
    return CasePolicy(
        category=row["code"],
        reply_unit=row["clock"],
        reply_within=float(row["reply_within"]),
        ack_unit=row["ack_unit"],
        ack_within=float(row["ack_within"]),
        ack_grace=float(row["ack_grace"]),
        ack_repeat_minutes=float(row["ack_repeat_minutes"]),
        warnings=[float(w) for w in row["warnings"]],
        supervision_after=float(row["supervision_after"]),
        notice_after=float(row["notice_after"]),
        hold_notices=row["hold_notices"],
        review=row["review"],
        return_window_days=float(row["return_window_days"]),
        max_returns=row["max_returns"],
        max_extensions=row["max_extensions"],
        max_extension=float(row["max_extension"]),
        extension_notice_days=float(row["extension_notice_days"]),
        pause_limit_days=float(row["pause_limit_days"]),
        restart_on_supplement=row["restart_on_supplement"],
        followup_days=float(row["followup_days"]),
        office_start=row["office_start"].strftime("%H:%M"),
        office_end=row["office_end"].strftime("%H:%M"),
        urgent=row["urgent"],
    )


class CaseActivities:
    """Built once in worker.py with the pool and the outbox (notices are queued, never sent
    here: the dispatcher delivers them apart from the case)."""

    def __init__(self, pool: asyncpg.Pool, outbox: Outbox) -> None:
        self._pool = pool
        self._outbox = outbox

    async def _calendar(self, conn: Conn, policy: CasePolicy) -> WorkCalendar:
        return WorkCalendar(extra=await calendar_repo.overrides(conn), office=office_hours(policy))

    @activity.defn
    @classified
    async def record_case(self, inquiry: InquiryInput) -> None:
        """Store the case as received (受理), marked as run by the case workflow."""
        async with self._pool.acquire() as conn:
            await self._record_received(conn, inquiry)
        self._outbox.wake()

    async def _record_received(self, conn: Conn, inquiry: InquiryInput) -> None:
        async with conn.transaction():
            await inquiry_repo.record_received(
                conn,
                inquiry=inquiry,
                workflow_id=case_workflow_id(inquiry.inquiry_id),
                version=CASE_WORKFLOW_VERSION,
            )
            await self._outbox.publish(
                conn,
                inquiry_id=inquiry.inquiry_id,
                event_key="received",
                kind="received",
                at=inquiry.received_at,
            )

    async def _policy(self, conn: Conn, category: str, priority: str) -> CasePolicy:
        """The category's policy with the targets its priority overrides."""
        row = await repo.policy_row(conn, category=category)
        if row is None:
            raise ApplicationError(f"no category {category!r}", non_retryable=True)
        override = await repo.priority_override(conn, category=category, priority=priority)
        targets = {name: override[name] for name in repo.PRIORITY_FIELDS} if override else {}
        return with_targets(policy_from_row(row), targets)

    @activity.defn
    @classified
    async def route_case(self, inquiry: InquiryInput) -> CaseRoute:
        """The responsible unit by the rules, and the policy for the category and priority."""
        async with self._pool.acquire() as conn:
            return await self._route(conn, inquiry)

    @activity.defn
    @classified
    async def receive_and_route(self, inquiry: InquiryInput) -> CaseRoute:
        """`record_case`, then `route_case`, on one connection: one activity for a case started
        at revision 1 (workflows/revision.py)."""
        async with self._pool.acquire() as conn:
            await self._record_received(conn, inquiry)
            route = await self._route(conn, inquiry)
        self._outbox.wake()
        return route

    @activity.defn
    @classified
    async def receive_and_dispatch(self, request: FirstDispatchRequest) -> FirstDispatch:
        """`receive_and_route`, then the 派单 to that route recorded with its projection as
        `record_projected` records a change: a new case's first workflow task in one activity,
        for a case started at revision 3 (workflows/revision.py). The 派单 is the domain's
        (`first_dispatch`), built from the state and time the workflow sent, which builds the
        same one from the route it gets back. The receipt stays outside the 派单's transaction, as
        in the two activities, so a case whose 派单 fails is still on the record."""
        inquiry = request.inquiry
        async with self._pool.acquire() as conn:
            await self._record_received(conn, inquiry)
            route = await self._route(conn, inquiry)
            change = first_dispatch(
                request.state, route, route.policy, request.now, inquiry.tracking_code
            )
            projected = counted(inquiry.inquiry_id, change, route.policy, request.now)
            async with conn.transaction():
                plan = await self._record_projected(conn, projected)
        self._outbox.wake()
        return FirstDispatch(route=route, plan=plan)

    async def _route(self, conn: Conn, inquiry: InquiryInput) -> CaseRoute:
        policy = await self._policy(conn, inquiry.category, inquiry.priority)
        rules = await directory.active_rules(conn)
        decision = choose_unit(
            rules, category=inquiry.category, district=inquiry.district, content=inquiry.content
        )
        return CaseRoute(unit_code=decision.unit_code, rule_name=decision.rule_name, policy=policy)

    @activity.defn
    @classified
    async def load_policy(self, category: str) -> CasePolicy:
        """The category's policy; kept for cases that called it before priorities existed."""
        async with self._pool.acquire() as conn:
            return await self._policy(conn, category, "normal")

    @activity.defn
    @classified
    async def load_case_policy(self, request: PolicyRequest) -> CasePolicy:
        async with self._pool.acquire() as conn:
            return await self._policy(conn, request.category, request.priority)

    @activity.defn
    @classified
    async def plan(self, request: PlanRequest) -> Plan:
        """Project every clock with the current calendar; store ledgers and due times."""
        async with self._pool.acquire() as conn, conn.transaction():
            return await self._project(conn, request)

    @activity.defn
    @classified
    async def record(self, transition: Transition) -> None:
        """One transition: the timeline event, the read model, tasks, notices and webhook
        deliveries, atomically."""
        async with self._pool.acquire() as conn, conn.transaction():
            await self._record(conn, transition)
        self._outbox.wake()

    @activity.defn
    @classified
    async def record_projected(self, request: ProjectedTransition) -> Plan:
        """`plan`, then `record` with the clock it gave, in one transaction (issue 10)."""
        async with self._pool.acquire() as conn, conn.transaction():
            plan = await self._record_projected(conn, request)
        self._outbox.wake()
        return plan

    async def _record_projected(self, conn: Conn, request: ProjectedTransition) -> Plan:
        plan = await self._project(conn, request.plan)
        await self._record(conn, request.transition.projected(plan.deadlines))
        return plan

    @activity.defn
    @classified
    async def fire_steps(self, fired: FiredSteps) -> None:
        """Record ladder steps once each; all steps due together go out as one notice per
        audience, so a re-projection that makes several due at once causes no storm."""
        async with self._pool.acquire() as conn, conn.transaction():
            await self._fire(conn, fired)
        self._outbox.wake()

    @activity.defn
    @classified
    async def fire_and_plan(self, request: FiredAndPlanned) -> Plan:
        """`fire_steps`, then `plan`, in one transaction (issue 10)."""
        async with self._pool.acquire() as conn, conn.transaction():
            await self._fire(conn, request.fired)
            plan = await self._project(conn, request.plan)
        self._outbox.wake()
        return plan

    @activity.defn
    @classified
    async def due_time(self, request: DueRequest) -> datetime:
        async with self._pool.acquire() as conn:
            extra = await calendar_repo.overrides(conn)
        return WorkCalendar(extra=extra).add(request.unit, request.start, request.amount).due_at

    async def _project(self, conn: Conn, request: PlanRequest) -> Plan:
        state = request.state
        calendar = await self._calendar(conn, request.policy)
        plan = plan_case(state, request.policy, calendar, request.now)
        d = plan.deadlines
        stored = {
            "acknowledge": (state.ack, d.ack_due),
            "reply": (state.reply, d.reply_due),
            "follow_up": (state.follow_up, d.follow_up_due),
        }
        await repo.save_clocks(
            conn,
            inquiry_id=request.inquiry_id,
            cycle=state.cycle,
            clocks={
                target: (ledger_to_json(ledger), due, d.provisional)
                for target, (ledger, due) in stored.items()
                if ledger is not None
            },
            projected_at=request.now,
        )
        await repo.set_due_times(
            conn,
            inquiry_id=request.inquiry_id,
            ack_due=d.ack_due,
            reply_due=d.reply_due,
            follow_up_due=d.follow_up_due,
            provisional=d.provisional,
            paused=state.status == "paused",
        )
        return plan

    async def _record(self, conn: Conn, t: Transition) -> None:
        await inquiry_repo.add_event(
            conn,
            inquiry_id=t.inquiry_id,
            event_key=f"{t.seq}:{t.kind}",
            kind=t.kind,
            actor=t.actor,
            occurred_at=t.at,
            detail={
                **t.detail,
                "status": t.status,
                "unit": t.unit_code,
                "reason": t.reason,
                "clock": t.clock,
                # The facts the transition set (on_time, rating, handling seconds…), so
                # reports recompute any past period from the events alone.
                "columns": _columns_detail(t.columns),
            },
        )
        await repo.set_state(
            conn, inquiry_id=t.inquiry_id, status=t.status, unit_code=t.unit_code, columns=t.columns
        )
        if t.task is not None:
            await repo.change_tasks(
                conn, inquiry_id=t.inquiry_id, seq=t.seq, at=t.at, change=t.task
            )
        for i, notice in enumerate(t.notices):
            await self._outbox.queue(
                conn, inquiry_id=t.inquiry_id, key=f"{t.seq}:{i}", notice=notice, at=t.at
            )
        await self._outbox.publish(
            conn, inquiry_id=t.inquiry_id, event_key=f"{t.seq}:{t.kind}", kind=t.kind, at=t.at
        )

    async def _fire(self, conn: Conn, fired: FiredSteps) -> None:
        for item in fired.steps:
            await inquiry_repo.record_step(
                conn,
                inquiry_id=fired.inquiry_id,
                key=item.key,
                step=item.step,
                target=item.target,
                level=STEP_LEVEL.get(Step(item.step), 0),
                fired_at=fired.at,
                due_at=item.due_at,
            )
            await inquiry_repo.add_event(
                conn,
                inquiry_id=fired.inquiry_id,
                event_key=f"step:{item.key}",
                kind=f"step_{item.step}",
                actor="system",
                occurred_at=fired.at,
                detail={
                    "key": item.key,
                    "target": item.target,
                    "scheduled_for": item.at.isoformat(),
                },
            )
            await self._outbox.publish(
                conn,
                inquiry_id=fired.inquiry_id,
                event_key=f"step:{item.key}",
                kind=f"step_{item.step}",
                at=fired.at,
            )
        await inquiry_repo.raise_escalation(
            conn, inquiry_id=fired.inquiry_id, level=fired.level, overdue=fired.overdue
        )
        code = await inquiry_repo.tracking_code(conn, inquiry_id=fired.inquiry_id)
        if code is None:
            raise ApplicationError(f"no inquiry {fired.inquiry_id}", non_retryable=True)
        await self._outbox.queue(
            conn,
            inquiry_id=fired.inquiry_id,
            key=f"steps:{fired.seq}",
            notice=ladder(code, fired.steps, fired.unit_code),
            at=fired.at,
        )
        log.warning("ladder_steps", steps=[i.key for i in fired.steps], level=fired.level)

    @activity.defn
    @classified
    async def record_cohandling(self, record: CoHandlingRecord) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            await repo.save_cohandling(conn, record=record)
            await inquiry_repo.add_event(
                conn,
                inquiry_id=record.inquiry_id,
                event_key=f"co:{record.unit_code}:{record.status}",
                kind=f"cohandling_{record.status}",
                actor=record.answered_by or "system",
                occurred_at=record.at,
                detail={"unit": record.unit_code, "due_at": record.due_at.isoformat()},
            )
