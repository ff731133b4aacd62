"""Legacy v1: the activities of the first workflow version (LegacyInquiryWorkflow), each safe to
retry. Their type names (the method names) are recorded in histories: keep them. Registered only
by worker.py; delete with the other legacy_v1 modules (README.md)."""

from __future__ import annotations

from dataclasses import asdict

import asyncpg
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.notify import Outbox
from domain.ids import case_workflow_id
from domain.legacy_v1 import (
    ESCALATION_LEVEL,
    ClockKind,
    ClockPlan,
    CloseInput,
    DispatchInput,
    EscalationInput,
    EscalationStep,
    FeedbackInput,
    FeedbackResult,
    ReplyRecord,
    RouteInput,
    RouteResult,
    SlaPolicy,
    plan_reply_clock,
)
from domain.models import InquiryInput
from domain.privacy import mask_contact
from domain.routing import choose_unit
from repository import Conn, directory
from repository import inquiries as repo
from repository import legacy_v1 as legacy_repo

log = structlog.get_logger(__name__)

SYSTEM = "system"

_NOTICES = {
    EscalationStep.REMINDER: ("unit", "催办 reminder: inquiry {code} is due at {due}."),
    EscalationStep.LEVEL1: (
        "unit",
        "督办 to the unit head: inquiry {code} passed its deadline {due}.",
    ),
    EscalationStep.LEVEL2: (
        "supervisors",
        "通报 to supervisors: inquiry {code} is overdue since {due}.",
    ),
}


class LegacyInquiryActivities:
    """Built once in worker.py with the pool and the outbox, whose dispatcher sends the notices
    these activities queue."""

    def __init__(self, pool: asyncpg.Pool, outbox: Outbox) -> None:
        self._pool = pool
        self._outbox = outbox

    @activity.defn
    async def record_inquiry(self, inquiry: InquiryInput) -> None:
        """Store the inquiry as received (受理)."""
        async with self._pool.acquire() as conn, conn.transaction():
            await repo.record_received(
                conn, inquiry=inquiry, workflow_id=case_workflow_id(inquiry.inquiry_id), version=1
            )
        log.info("inquiry_recorded", channel=inquiry.channel, category=inquiry.category)

    @activity.defn
    async def route(self, request: RouteInput) -> RouteResult:
        """Pick the responsible unit by the rules and plan the reply clock from the category."""
        async with self._pool.acquire() as conn:
            category = await directory.get_category(conn, code=request.category)
            if category is None:
                raise ApplicationError(
                    f"category {request.category!r} does not exist", non_retryable=True
                )
            rules = await directory.active_rules(conn)
        decision = choose_unit(
            rules, category=request.category, district=request.district, content=request.content
        )
        policy = SlaPolicy(
            clock=ClockKind(category["clock"]),
            reply_within=float(category["reply_within"]),
            level2_grace=float(category["level2_grace"]),
            reminder_ratio=float(category["reminder_ratio"]),
        )
        plan = plan_reply_clock(policy, request.decided_at)
        return RouteResult(
            unit_code=decision.unit_code,
            rule_name=decision.rule_name,
            plan=ClockPlan(
                dispatched_at=plan.dispatched_at,
                remind_at=plan.remind_at,
                due_at=plan.due_at,
                level2_at=plan.level2_at,
                provisional=plan.provisional,
            ),
        )

    @activity.defn
    async def dispatch(self, request: DispatchInput) -> None:
        """Open the unit's task, start the clock (派单) and queue a notice to the unit."""
        plan = request.plan
        async with self._pool.acquire() as conn, conn.transaction():
            await legacy_repo.mark_dispatched(
                conn,
                inquiry_id=request.inquiry_id,
                unit_code=request.unit_code,
                rule_name=request.rule_name,
                plan=plan,
            )
            await repo.add_event(
                conn,
                inquiry_id=request.inquiry_id,
                event_key="dispatched",
                kind="dispatched",
                actor=SYSTEM,
                occurred_at=plan.dispatched_at,
                detail={
                    "unit": request.unit_code,
                    "rule": request.rule_name,
                    "reply_due_at": plan.due_at.isoformat(),
                    "provisional": plan.provisional,
                },
            )
            code = await self._tracking_code(conn, request.inquiry_id)
            await repo.insert_notification(
                conn,
                inquiry_id=request.inquiry_id,
                dedupe_key=f"{request.inquiry_id}:dispatch:{request.unit_code}",
                kind="dispatch",
                audience="unit",
                channel="internal",
                recipient=request.unit_code,
                recipient_masked=request.unit_code,
                body=f"派单 new inquiry {code}: reply due {plan.due_at.isoformat()}.",
                created_at=plan.dispatched_at,
            )
        self._outbox.wake()

    @activity.defn
    async def escalate(self, request: EscalationInput) -> None:
        """Record one ladder step (催办, 督办, 通报) exactly once and notify whom it concerns."""
        step = EscalationStep(request.step)
        level = ESCALATION_LEVEL[step]
        audience, template = _NOTICES[step]
        async with self._pool.acquire() as conn, conn.transaction():
            await repo.record_step(
                conn,
                inquiry_id=request.inquiry_id,
                key=step.value,
                step=step.value,
                target="reply",
                level=level,
                fired_at=request.fired_at,
                due_at=request.due_at,
            )
            await repo.raise_escalation(
                conn, inquiry_id=request.inquiry_id, level=level, overdue=level >= 1
            )
            await repo.add_event(
                conn,
                inquiry_id=request.inquiry_id,
                event_key=f"escalation:{step.value}",
                kind=f"escalation_{step.value}",
                actor=SYSTEM,
                occurred_at=request.fired_at,
                detail={"level": level, "unit": request.unit_code},
            )
            code = await self._tracking_code(conn, request.inquiry_id)
            await repo.insert_notification(
                conn,
                inquiry_id=request.inquiry_id,
                dedupe_key=f"{request.inquiry_id}:escalation:{step.value}",
                kind=f"escalation_{step.value}",
                audience=audience,
                channel="internal",
                recipient=request.unit_code if audience == "unit" else "supervisors",
                recipient_masked=request.unit_code if audience == "unit" else "supervisors",
                body=template.format(code=code, due=request.due_at.isoformat()),
                created_at=request.fired_at,
            )
        log.warning("inquiry_escalated", step=step.value, level=level, unit=request.unit_code)
        self._outbox.wake()

    @activity.defn
    async def record_reply(self, reply: ReplyRecord) -> None:
        """Store the unit's reply (答复) and close its task."""
        async with self._pool.acquire() as conn, conn.transaction():
            await legacy_repo.record_reply(
                conn,
                inquiry_id=reply.inquiry_id,
                content=reply.content,
                replied_by=reply.replied_by,
                replied_at=reply.replied_at,
            )
            await repo.add_event(
                conn,
                inquiry_id=reply.inquiry_id,
                event_key="replied",
                kind="replied",
                actor=reply.replied_by,
                occurred_at=reply.replied_at,
                detail={"unit": reply.unit_code, "reply_id": reply.reply_id},
            )

    @activity.defn
    async def send_feedback(self, request: FeedbackInput) -> FeedbackResult:
        """Send the reply to the citizen through the outbox: SMS when there is a phone, else email."""
        async with self._pool.acquire() as conn, conn.transaction():
            contact = await legacy_repo.citizen_contact(conn, inquiry_id=request.inquiry_id)
            if contact is None:
                raise ApplicationError("inquiry is not recorded", non_retryable=True)
            phone, email = contact
            channel, recipient = ("sms", phone) if phone else ("email", email)
            if not recipient:
                raise ApplicationError("the citizen left no contact", non_retryable=True)
            masked = mask_contact(recipient) or ""
            await repo.insert_notification(
                conn,
                inquiry_id=request.inquiry_id,
                dedupe_key=f"{request.inquiry_id}:feedback",
                kind="feedback",
                audience="citizen",
                channel=channel,
                recipient=recipient,
                recipient_masked=masked,
                body=f"您的诉求（查询码 {request.tracking_code}）已答复：{request.reply_content}",
                created_at=request.sent_at,
            )
            await repo.add_event(
                conn,
                inquiry_id=request.inquiry_id,
                event_key="feedback",
                kind="feedback_sent",
                actor=SYSTEM,
                occurred_at=request.sent_at,
                detail={"channel": channel, "recipient": masked},
            )
        self._outbox.wake()
        return FeedbackResult(channel=channel, recipient_masked=masked)

    @activity.defn
    async def close(self, request: CloseInput) -> None:
        """Mark the inquiry closed (办结) with its on-time flag and durations."""
        async with self._pool.acquire() as conn, conn.transaction():
            await legacy_repo.mark_closed(conn, **asdict(request))
            await repo.add_event(
                conn,
                inquiry_id=request.inquiry_id,
                event_key="closed",
                kind="closed",
                actor=SYSTEM,
                occurred_at=request.closed_at,
                detail={"on_time": request.on_time, "total_seconds": request.total_seconds},
            )
        log.info("inquiry_closed", on_time=request.on_time)

    @staticmethod
    async def _tracking_code(conn: Conn, inquiry_id: str) -> str:
        return await legacy_repo.tracking_code(conn, inquiry_id=inquiry_id) or inquiry_id
