"""Legacy v1: the first workflow version (recorded type name "InquiryWorkflow"): record, route,
dispatch, wait for the reply under an escalating clock, feed the reply back and close.

New inquiries start CaseWorkflow; this class stays registered in worker.py only so that runs
started before it still run to their end and their histories replay. Its type, update, signal,
query and activity names are recorded in those histories: keep them. Delete it with the other
legacy_v1 modules once `inquiry legacy status` reports 0 running (README.md).
Deterministic: no I/O, time from workflow.now().
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate
from temporalio.exceptions import ApplicationError

from workflows.options import ACTIVITY_RETRY, ACTIVITY_TIMEOUT

with workflow.unsafe.imports_passed_through():
    from activities.legacy_v1 import LegacyInquiryActivities
    from domain.legacy_v1 import (
        ESCALATION_LEVEL,
        ClockPlan,
        CloseInput,
        DispatchInput,
        EscalationInput,
        EscalationStep,
        FeedbackInput,
        InquiryOutcome,
        InquiryState,
        InquiryStatus,
        ReplyRecord,
        RouteInput,
    )
    from domain.models import InquiryInput, ReplySubmission
    from workflows import search_attributes as sa

NOT_AWAITING_REPLY = "NotAwaitingReply"
WRONG_UNIT = "WrongUnit"

_Arg = TypeVar("_Arg")
_Result = TypeVar("_Result")


@workflow.defn(name="InquiryWorkflow")
class LegacyInquiryWorkflow:
    def __init__(self) -> None:
        self._inquiry_id = ""
        self._status = InquiryStatus.RECEIVED
        self._unit: str | None = None
        self._plan: ClockPlan | None = None
        self._level = 0
        self._overdue = False
        self._fired: list[str] = []
        self._reply: ReplySubmission | None = None
        self._queued: list[ReplySubmission] = []
        self._replied_at: datetime | None = None
        self._on_time: bool | None = None

    @workflow.run
    async def run(self, inquiry: InquiryInput) -> InquiryOutcome:
        self._inquiry_id = inquiry.inquiry_id
        self._upsert()
        await self._call(LegacyInquiryActivities.record_inquiry, inquiry)

        route = await self._call(
            LegacyInquiryActivities.route,
            RouteInput(
                inquiry_id=inquiry.inquiry_id,
                category=inquiry.category,
                content=inquiry.content,
                district=inquiry.district,
                decided_at=workflow.now(),
            ),
        )
        self._unit, self._plan = route.unit_code, route.plan
        await self._call(
            LegacyInquiryActivities.dispatch,
            DispatchInput(
                inquiry_id=inquiry.inquiry_id,
                unit_code=route.unit_code,
                rule_name=route.rule_name,
                plan=route.plan,
            ),
        )
        self._status = InquiryStatus.DISPATCHED
        self._upsert()
        for queued in self._queued:
            self._take_queued(queued)

        reply = await self._await_reply(route.plan)
        replied_at = self._replied_at or workflow.now()
        await self._call(
            LegacyInquiryActivities.record_reply,
            ReplyRecord(
                inquiry_id=inquiry.inquiry_id,
                reply_id=reply.reply_id,
                content=reply.content,
                replied_by=reply.replied_by,
                unit_code=reply.unit_code,
                replied_at=replied_at,
            ),
        )
        self._status = InquiryStatus.REPLIED
        self._upsert()

        feedback = await self._call(
            LegacyInquiryActivities.send_feedback,
            FeedbackInput(
                inquiry_id=inquiry.inquiry_id,
                tracking_code=inquiry.tracking_code,
                reply_content=reply.content,
                sent_at=workflow.now(),
            ),
        )
        on_time = replied_at <= route.plan.due_at
        closed_at = workflow.now()
        await self._call(
            LegacyInquiryActivities.close,
            CloseInput(
                inquiry_id=inquiry.inquiry_id,
                closed_at=closed_at,
                on_time=on_time,
                handling_seconds=_seconds(replied_at - route.plan.dispatched_at),
                total_seconds=_seconds(closed_at - inquiry.received_at),
            ),
        )
        self._on_time = on_time
        self._overdue = not on_time
        self._status = InquiryStatus.CLOSED
        self._upsert()
        # Let the reply update answer its caller before the run completes.
        await workflow.wait_condition(workflow.all_handlers_finished)
        return InquiryOutcome(
            inquiry_id=inquiry.inquiry_id,
            unit_code=route.unit_code,
            on_time=on_time,
            feedback_channel=feedback.channel,
            escalation_level=self._level,
        )

    async def _await_reply(self, plan: ClockPlan) -> ReplySubmission:
        """Wait for the reply; each ladder step fires once at its time and never ends the wait."""
        ladder = (
            (EscalationStep.REMINDER, plan.remind_at),
            (EscalationStep.LEVEL1, plan.due_at),
            (EscalationStep.LEVEL2, plan.level2_at),
        )
        for step, fire_at in ladder:
            if step.value in self._fired:
                continue
            remaining = fire_at - workflow.now()
            if remaining > timedelta(0):
                try:
                    await workflow.wait_condition(
                        lambda: self._reply is not None, timeout=remaining
                    )
                except TimeoutError:
                    pass
            if self._reply is not None:
                return self._reply
            await self._escalate(step, plan)
        await workflow.wait_condition(lambda: self._reply is not None)
        assert self._reply is not None
        return self._reply

    async def _escalate(self, step: EscalationStep, plan: ClockPlan) -> None:
        assert self._unit is not None
        await self._call(
            LegacyInquiryActivities.escalate,
            EscalationInput(
                inquiry_id=self._inquiry_id,
                unit_code=self._unit,
                step=step.value,
                fired_at=workflow.now(),
                due_at=plan.due_at,
            ),
        )
        self._fired.append(step.value)
        self._level = max(self._level, ESCALATION_LEVEL[step])
        self._overdue = self._overdue or ESCALATION_LEVEL[step] >= 1
        self._upsert()

    @workflow.update
    async def submit_reply(self, reply: ReplySubmission) -> InquiryState:
        """A handler's reply; answers once the citizen's feedback is sent and the case closed."""
        # PostgreSQL may show the case dispatched a moment before this workflow has taken the
        # dispatch result; wait for it, then check the unit, which is known only from then on.
        await workflow.wait_condition(lambda: self._status != InquiryStatus.RECEIVED)
        self._check_reply(reply)
        self._accept(reply, workflow.now())
        await workflow.wait_condition(lambda: self._status == InquiryStatus.CLOSED)
        return self.state()

    @submit_reply.validator
    def _validate_reply(self, reply: ReplySubmission) -> None:
        """Refuse before anything reaches history: wrong state, wrong unit, empty reply."""
        if self._status == InquiryStatus.RECEIVED and self._reply is None:
            if not reply.content.strip():
                raise ApplicationError("the reply is empty", type="EmptyReply")
            return  # the unit is checked once the dispatch is taken
        self._check_reply(reply)

    def _check_reply(self, reply: ReplySubmission) -> None:
        if self._reply is not None and self._reply.reply_id == reply.reply_id:
            return  # the same reply again (a retried request) is answered, not refused
        if self._status != InquiryStatus.DISPATCHED or self._reply is not None:
            raise ApplicationError(
                f"the inquiry is {self._status.value}, not waiting for a reply",
                type=NOT_AWAITING_REPLY,
            )
        if reply.unit_code != self._unit:
            raise ApplicationError(
                f"the inquiry is assigned to {self._unit}, not {reply.unit_code}", type=WRONG_UNIT
            )
        if not reply.content.strip():
            raise ApplicationError("the reply is empty", type="EmptyReply")

    @workflow.signal
    def reply_queued(self, reply: ReplySubmission) -> None:
        """The same reply sent while no worker answered; a durable signal so it is not lost."""
        if self._status == InquiryStatus.RECEIVED:
            self._queued.append(reply)  # taken up as soon as the dispatch is
            return
        self._take_queued(reply)

    def _take_queued(self, reply: ReplySubmission) -> None:
        try:
            self._check_reply(reply)
        except ApplicationError as refused:
            workflow.logger.warning("queued reply ignored: %s", refused.message)
            return
        # The handler acted when the API took the request, not when a worker came back.
        now = workflow.now()
        submitted = reply.submitted_at or now
        dispatched = self._plan.dispatched_at if self._plan else submitted
        self._accept(reply, min(max(submitted, dispatched), now))

    def _accept(self, reply: ReplySubmission, at: datetime) -> None:
        if self._reply is None:
            self._reply, self._replied_at = reply, at

    @workflow.query
    def state(self) -> InquiryState:
        return InquiryState(
            inquiry_id=self._inquiry_id,
            status=self._status.value,
            unit_code=self._unit,
            plan=self._plan,
            escalation_level=self._level,
            overdue=self._overdue,
            fired_steps=list(self._fired),
            replied_at=self._replied_at,
            on_time=self._on_time,
        )

    def _upsert(self) -> None:
        updates: list[SearchAttributeUpdate[Any]] = [
            sa.INQUIRY_STATUS.value_set(self._status.value),
            sa.ESCALATION_LEVEL.value_set(self._level),
            sa.OVERDUE.value_set(self._overdue),
        ]
        if self._unit is not None:
            updates.append(sa.RESPONSIBLE_UNIT.value_set(self._unit))
        if self._plan is not None:
            updates.append(sa.REPLY_DUE_AT.value_set(self._plan.due_at))
        workflow.upsert_search_attributes(updates)

    async def _call(
        self, activity: Callable[[Any, _Arg], Awaitable[_Result]], arg: _Arg
    ) -> _Result:
        return await workflow.execute_activity_method(
            activity, arg, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=ACTIVITY_RETRY
        )


def _seconds(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds()))
