"""The case workflow's transitions and helpers: how each change of state is planned, recorded
and announced. Plain methods, inherited by CaseWorkflow (workflows/case.py), which holds the
Temporal handlers; the split only keeps each file readable."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.cases import CaseActivities
    from domain import case as rules
    from domain.agenda import Plan  # the `plan` activity's result type, resolved in the sandbox
    from domain.case import (
        CaseState,
        CaseStatus,
        MainReply,
        Refusal,
    )
    from domain.clock import ClockLedger
    from domain.ids import case_workflow_id
    from domain.models import InquiryInput, ReplySubmission
    from domain.policy import STEP_LEVEL, CasePolicy, Review, Step
    from domain.transition import (
        CaseColumns,
        FiredSteps,
        Notice,
        PlanRequest,
        TaskChange,
        Transition,
    )
    from workflows import search_attributes as sa

ACTIVITY_TIMEOUT = timedelta(seconds=30)
ACTIVITY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)
)
OFFICE_UNIT = rules.OFFICE_UNIT


class CaseCore:
    def __init__(self) -> None:
        self.s = CaseState()
        self.policy: CasePolicy | None = None
        self.inquiry: InquiryInput | None = None
        self._lock = asyncio.Lock()
        self._version = 0
        self._replan = False
        self._queued_replies: list[ReplySubmission] = []

    # ---- ladder steps ----

    async def _fire(self, due: Sequence[rules.AgendaItem]) -> None:
        """All steps due now, recorded together with one notice per audience."""
        now = workflow.now()
        for item in due:
            self.s.fired.append(item.key)
            self.s.level = max(self.s.level, STEP_LEVEL.get(Step(item.step), 0))
            if item.step == Step.REMINDER:
                self.s.overdue = True
        self.s.seq += 1
        await self._act(
            CaseActivities.fire_steps,
            FiredSteps(
                inquiry_id=self._id,
                seq=self.s.seq,
                unit_code=self.s.unit,
                at=now,
                steps=list(due),
                level=self.s.level,
                overdue=self.s.overdue,
            ),
        )
        steps = {Step(i.step) for i in due}
        if Step.PAUSE_EXPIRED in steps and self.s.status == CaseStatus.PAUSED:
            await self._close(
                CaseStatus.WITHDRAWN,
                "withdrawn",
                actor="system",
                notices=[self._citizen("withdrawn", "您未在期限内补充材料，诉求已按撤回办结。")],
            )
        elif Step.FOLLOWUP_EXPIRED in steps and self.s.status == CaseStatus.FOLLOW_UP:
            self.s.rating = "not_rated"
            await self._close(CaseStatus.CLOSED, "not_rated", actor="system")
        elif Step.ACK_RETURN in steps and self.s.status == CaseStatus.DISPATCHED:
            self.s.returned_by = self.s.unit
            await self._commit(
                "not_acknowledged",
                "system",
                status=CaseStatus.RETURNED,
                reason="never signed for; back to the office for re-dispatch",
                task=TaskChange(close_open=True, open_unit=OFFICE_UNIT, open_kind="decision"),
                notices=[Notice("office", "redispatch", f"case {self._code} needs re-dispatch")],
            )
        else:
            await self._plan()
            self._upsert()
        self._bump()

    async def _take_queued(self, reply: ReplySubmission) -> None:
        try:
            rules.check_reply(self.s, reply)
        except Refusal as refused:
            workflow.logger.warning("queued reply ignored: %s", refused.message)
            return
        await self._reply(reply)

    async def _reply(self, reply: ReplySubmission) -> None:
        if self.s.answer is not None or self.s.draft is not None:
            return  # the same reply again
        assert self.policy is not None
        self.s.acknowledged_at = self.s.acknowledged_at or workflow.now()
        if self.policy.review == Review.NONE:
            await self._answer(reply, kind="replied")
            return
        reviewer = self.s.unit if self.policy.review == Review.UNIT_HEAD else OFFICE_UNIT
        self.s.draft = reply
        await self._commit(
            "submitted_for_review",
            reply.replied_by,
            status=CaseStatus.IN_REVIEW,
            detail={"draft": reply.content},
            task=TaskChange(close_open=True, open_unit=reviewer, open_kind="review"),
            notices=[Notice("unit_head" if reviewer == self.s.unit else "office", "review",
                            f"审核 the reply of case {self._code}", reviewer)],
        )  # fmt: skip

    # ---- transitions ----

    async def _dispatch(self, unit: str, actor: str, kind: str, reason: str) -> None:
        """派单/改派/转办: a new acknowledgement clock; the reply clock keeps running."""
        assert self.policy is not None
        now = workflow.now()
        self.s.unit = unit
        self.s.dispatches += 1
        self.s.dispatched_at = now
        self.s.acknowledged_at = None
        self.s.returned_by = None
        self.s.awaiting = None
        self.s.ack = ClockLedger("acknowledge", self.policy.ack_unit, self.policy.ack_within, now)
        first = self.s.reply is None
        if first:  # the reply clock starts at the first dispatch, never again
            self.s.first_dispatched_at = now
            self.s.reply = ClockLedger(
                "reply", self.policy.reply_unit, self.policy.reply_within, now
            )
        await self._commit(
            kind,
            actor,
            status=CaseStatus.DISPATCHED,
            reason=reason,
            columns=CaseColumns(routing_rule=self.s.rule, dispatched_at=now if first else None),
            task=TaskChange(close_open=True, open_unit=unit),
            notices=[Notice("unit", "dispatch", f"派单 case {self._code} to {unit}", unit)],
        )

    async def _answer(
        self, reply: ReplySubmission, *, kind: str, on_site: bool = False, reviewer: str = ""
    ) -> None:
        """答复: record the reply, send it to the citizen, start the follow-up clock (回访)."""
        assert self.policy is not None and self.inquiry is not None
        now = workflow.now()
        due = self.s.deadlines.reply_due
        self.s.answer = reply
        self.s.replied_at = self.inquiry.received_at if on_site else now
        self.s.on_time = True if on_site else (due is None or now <= due)
        self.s.follow_up = ClockLedger("follow_up", "working_days", self.policy.followup_days, now)
        start = self.s.first_dispatched_at or self.s.dispatched_at or self.inquiry.received_at
        await self._commit(
            kind,
            reviewer or reply.replied_by,
            status=CaseStatus.FOLLOW_UP,
            detail={"reply_id": reply.reply_id},
            columns=CaseColumns(
                replied_at=self.s.replied_at,
                reply_content=reply.content,
                replied_by=reply.replied_by,
                on_time=self.s.on_time,
                answered_on_site=on_site or None,
                handling_seconds=max(0, int((self.s.replied_at - start).total_seconds())),
            ),
            task=TaskChange(close_open=True),
            notices=[
                self._citizen(
                    "feedback",
                    f"您的诉求（查询码 {self._code}）已答复：{reply.content}"
                    " 请通过查询码对办理结果进行评价（满意/基本满意/不满意）。",
                )
            ],
        )
        for merged in self.s.merged:
            try:
                await workflow.get_external_workflow_handle(case_workflow_id(merged)).signal(
                    "main_replied", MainReply(main_inquiry_id=self._id, content=reply.content)
                )
            except ApplicationError:  # closed already, with an earlier answer of this case
                workflow.logger.info("merged case %s has closed already", merged)

    async def _reopen(self, actor: str, reason: str) -> None:
        """重办: a new reply clock for the same unit; the earlier cycle's steps stay recorded."""
        assert self.policy is not None and self.s.unit is not None
        now = workflow.now()
        self.s.reopened += 1
        self.s.cycle += 1
        self.s.awaiting = None
        self.s.answer = None
        self.s.follow_up = None
        self.s.overdue = False
        self.s.reply = ClockLedger("reply", self.policy.reply_unit, self.policy.reply_within, now)
        await self._commit(
            "reopened",
            actor,
            status=CaseStatus.HANDLING,
            reason=reason,
            columns=CaseColumns(reopened=self.s.reopened, rating="unsatisfied", overdue=False),
            task=TaskChange(close_open=True, open_unit=self.s.unit),
            notices=[Notice("unit", "reopen", f"重办 case {self._code}: {reason}", self.s.unit)],
        )

    async def _close(
        self,
        status: CaseStatus,
        close_reason: str,
        *,
        actor: str,
        reason: str = "",
        columns: CaseColumns | None = None,
        notices: list[Notice] | None = None,
    ) -> None:
        assert self.inquiry is not None
        now = workflow.now()
        self.s.close_reason = close_reason
        cols = columns or CaseColumns()
        cols.closed_at = now
        cols.close_reason = close_reason
        cols.rating = self.s.rating
        cols.on_time = self.s.on_time
        cols.total_seconds = max(0, int((now - self.inquiry.received_at).total_seconds()))
        await self._commit(
            "closed" if status == CaseStatus.CLOSED else status.value,
            actor,
            status=status,
            reason=reason or close_reason,
            columns=cols,
            task=TaskChange(close_open=True),
            notices=notices or [],
        )

    async def _commit(
        self,
        kind: str,
        actor: str,
        *,
        status: CaseStatus | None = None,
        reason: str = "",
        detail: dict[str, str] | None = None,
        columns: CaseColumns | None = None,
        task: TaskChange | None = None,
        notices: list[Notice] | Callable[[], list[Notice]] = (),  # type: ignore[assignment]
    ) -> None:
        """Change state, re-project the clocks, then record the event with the new clock."""
        if status is not None:
            self.s.status = status.value
        await self._plan()
        if task is not None and task.open_unit is not None and task.due_at is None:
            task.due_at = self.s.deadlines.reply_due  # the acknowledgement due is on the case
        self.s.seq += 1
        await self._act(
            CaseActivities.record,
            Transition(
                inquiry_id=self._id,
                seq=self.s.seq,
                kind=kind,
                actor=actor,
                at=workflow.now(),
                status=self.s.status,
                unit_code=self.s.unit,
                reason=reason,
                detail=detail or {},
                clock=self._clock(),
                columns=columns or CaseColumns(),
                task=task,
                notices=list(notices() if callable(notices) else notices),
            ),
        )
        self._upsert()
        self._bump()

    async def _plan(self) -> None:
        assert self.policy is not None
        plan: Plan = await self._act(
            CaseActivities.plan,
            PlanRequest(inquiry_id=self._id, state=self.s, policy=self.policy, now=workflow.now()),
        )
        self.s.deadlines, self.s.agenda = plan.deadlines, plan.agenda

    # ---- small helpers ----

    @property
    def _id(self) -> str:
        assert self.inquiry is not None
        return self.inquiry.inquiry_id

    @property
    def _code(self) -> str:
        assert self.inquiry is not None
        return self.inquiry.tracking_code

    def _citizen(self, kind: str, body: str) -> Notice:
        return Notice("citizen", kind, body)

    def _due_text(self) -> str:
        due = self.s.deadlines.reply_due
        return due.isoformat() if due else "-"

    def _clock(self) -> dict[str, str]:
        d = self.s.deadlines
        out = {"provisional": str(d.provisional).lower()}
        for name, value in (("ack_due", d.ack_due), ("reply_due", d.reply_due),
                            ("follow_up_due", d.follow_up_due)):  # fmt: skip
            if value is not None:
                out[name] = value.isoformat()
        return out

    def _bump(self) -> None:
        self._version += 1

    def _upsert(self) -> None:
        updates = [
            sa.INQUIRY_STATUS.value_set(self.s.status),
            sa.ESCALATION_LEVEL.value_set(self.s.level),
            sa.OVERDUE.value_set(self.s.overdue),
        ]
        if self.s.unit is not None:
            updates.append(sa.RESPONSIBLE_UNIT.value_set(self.s.unit))
        if self.s.deadlines.reply_due is not None:
            updates.append(sa.REPLY_DUE_AT.value_set(self.s.deadlines.reply_due))
        workflow.upsert_search_attributes(updates)

    async def _act(self, activity: Any, arg: Any) -> Any:
        return await workflow.execute_activity_method(
            activity, arg, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=ACTIVITY_RETRY
        )


def with_budget(ledger: ClockLedger, budget: float) -> ClockLedger:
    return ClockLedger(
        target=ledger.target,
        unit=ledger.unit,
        budget=budget,
        started_at=ledger.started_at,
        segments=list(ledger.segments),
    )
