"""The case workflow: the full closed loop of a government inquiry (issue 3).

受理 → 派单 → 签收 → 办理 (退单/改派, 转办, 主办/协办, 延期, 补正) → 审核 → 答复 → 回访 → 办结.
Every handler does the same four things: take the lock, validate (domain/case.py `check_*`; the
update's validator runs the same check before anything reaches history), apply the path's
change (domain/transitions.py), and record it through the activities (workflows/recorder.py).
The agenda timer (workflows/timer.py) wakes the run for the next ladder step or a change.

Temporal needs every handler and its validator on the workflow class, so this module is longer
than the others; each handler is only those four lines, and the rules are all in domain/.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ParamSpec

from temporalio import workflow
from temporalio.exceptions import ApplicationError, FailureError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.cases import CaseActivities
    from domain import answers, steps
    from domain import case as rules
    from domain import transitions as paths
    from domain.agenda import Plan
    from domain.case import (
        FINISHED,
        Acknowledge,
        AgendaItem,
        AttachMerged,
        CaseState,
        CaseStatus,
        CoHandlerAssignment,
        CoHandlerResult,
        ExtensionDecision,
        ExtensionRequest,
        InfoRequest,
        MainReply,
        MergeRequest,
        Rating,
        Refusal,
        ReopenDecision,
        ReturnCase,
        ReturnDecision,
        ReviewDecision,
        Supplement,
        Transfer,
    )
    from domain.change import Change

    # Every module whose dataclasses travel in this workflow's payloads is imported by its full
    # name (`from domain.clock import …`, not `from domain import clock`): the sandbox resolves a
    # payload's type hints through the modules registered in it, and a module reached any other
    # way is not. CaseState carries domain.clock's ledgers over continue-as-new.
    from domain.clock import ClockLedger, Segment  # noqa: F401
    from domain.ids import case_workflow_id, cohandling_workflow_id
    from domain.models import CalendarChange, InquiryInput, ReplySubmission
    from domain.policy import CasePolicy
    from domain.transition import (
        CoHandlingInput,
        DueRequest,
        FirstDispatchRequest,
        PolicyRequest,
    )

# Workflow code of this package runs in the sandbox too (not passed through), so the domain
# modules it imports are registered there and payload type hints resolve when decoding.
from workflows import recorder, revision
from workflows.cohandling import CoHandlingWorkflow
from workflows.options import cancelled, execute, execute_local, execute_short
from workflows.timer import AgendaTimer


@dataclass
class CaseInput:
    inquiry: InquiryInput
    answered_on_site: str | None = None  # 现场解答: the operator's answer at intake
    state: CaseState | None = None  # carried over continue-as-new
    policy: CasePolicy | None = None
    history_limit: int = 0  # continue-as-new past this many events (0: when the server says)
    # workflows/revision.py: 0 for cases started before revisions, which ask `patched`.
    revision: int = 0


@dataclass
class CaseOutcome:
    inquiry_id: str
    status: str
    on_time: bool | None
    rating: str | None
    close_reason: str | None


P = ParamSpec("P")


def _refuse(check: Callable[P, None], *args: P.args, **kwargs: P.kwargs) -> None:
    """Run a domain rule; its refusal becomes an update failure the API maps to 4xx."""
    try:
        check(*args, **kwargs)
    except Refusal as refused:
        raise ApplicationError(refused.message, type=refused.code, non_retryable=True) from None


def in_time(action: rules.Timed) -> None:
    """Refuse an action delivered after the API stopped waiting for it (it answered 503).

    Compared with the wall clock, not workflow.now(): the deadline is the API's real time, and a
    workflow's clock may run ahead of it (time skipping in tests). This is deterministic where it
    matters: validators run only when an update is first delivered, never on replay, and they
    add no command, so histories replay the same.
    """
    with workflow.unsafe.sandbox_unrestricted():
        now = datetime.now(UTC)
    _refuse(rules.check_in_time, action, now)


@workflow.defn
class CaseWorkflow:
    def __init__(self) -> None:
        # Set by the run, not by __init__: a message in the first workflow task finds the case
        # received (as every running case's history recorded it) and waits for the run.
        self.s = CaseState()
        self._inquiry_or_none: InquiryInput | None = None
        self._policy_or_none: CasePolicy | None = None
        self._lock = asyncio.Lock()
        self._timer = AgendaTimer(lambda: self.s.agenda)
        self._queued_replies: list[ReplySubmission] = []
        self.revision = 0  # the start input's, read by workflows/revision.py

    # ---- the run: set up, then wait for the next ladder step or a change ----

    @workflow.run
    async def run(self, start: CaseInput) -> CaseOutcome:
        self.revision = start.revision
        self._inquiry_or_none = start.inquiry
        if start.state is not None and start.policy is not None:
            self.s, self._policy_or_none = start.state, start.policy
        else:
            await self._begin(start)
        while self.s.status not in FINISHED:
            if self._history_full(start.history_limit):
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(
                    CaseInput(
                        inquiry=start.inquiry,
                        state=steps.pruned(self.s),
                        policy=self._policy,
                        history_limit=start.history_limit,
                        revision=start.revision,
                    )
                )
            await self._next_turn()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return CaseOutcome(
            inquiry_id=self._id,
            status=self.s.status,
            on_time=self.s.on_time,
            rating=self.s.rating,
            close_reason=self.s.close_reason,
        )

    async def _begin(self, start: CaseInput) -> None:
        first_in_one = self.revision >= revision.DISPATCH_IN_FIRST_ACTIVITY
        if first_in_one and not start.answered_on_site and await self._received_and_dispatched():
            return
        if self.revision >= 1:
            route = await execute_short(CaseActivities.receive_and_route, self._inquiry)
        else:
            await execute_short(CaseActivities.record_case, self._inquiry)
            route = await execute_short(CaseActivities.route_case, self._inquiry)
        self._policy_or_none = route.policy
        async with self._lock:
            now = workflow.now()
            if start.answered_on_site:
                await self._apply(
                    answers.answer_on_site(
                        self.s, route, start.answered_on_site, self._policy, now, self._inquiry
                    )
                )
            else:
                await self._apply(
                    paths.first_dispatch(self.s, route, self._policy, now, self._code)
                )
            for reply in self._queued_replies:
                await self._take_queued(reply)

    async def _received_and_dispatched(self) -> bool:
        """Revision 3: one local activity records the receipt and the 派单 it routed, built
        from this state and time; the same 派单 is built here from the route it returns. The lock
        is held throughout, so no change comes between the state the activity saw and this one.

        False when its local tries fail (PostgreSQL away, a refused 派单): the case then takes
        the two activities of revision 2, whose 派单 is built and dated once the receipt and the
        route are on the record, so a long outage does not count against the unit's clocks.
        """
        async with self._lock:
            now = workflow.now()
            try:
                first = await execute_local(
                    CaseActivities.receive_and_dispatch,
                    FirstDispatchRequest(inquiry=self._inquiry, state=self.s, now=now),
                )
            except FailureError as failed:
                if cancelled(failed):
                    raise
                workflow.logger.warning("receipt and 派单 failed together, now apart: %s", failed)
                return False
            self._policy_or_none = first.route.policy
            dispatch = paths.first_dispatch(self.s, first.route, self._policy, now, self._code)
            await self._apply(dispatch, recorded=first.plan)
            for reply in self._queued_replies:
                await self._take_queued(reply)
        return True

    async def _next_turn(self) -> None:
        await self._timer.sleep()
        async with self._lock:
            if self._timer.take_calendar_change():
                await self._apply(paths.reprojected(self.s))
                return
            due = self._timer.due()
            if due:
                await self._fire(due)

    async def _fire(self, due: list[AgendaItem]) -> None:
        """All steps due now, recorded together with one notice per audience."""
        self.s, fired = steps.fire(self.s, due, self._id, workflow.now())
        # Whether the steps do more than climb the ladder rests on the status, which changes only
        # under the lock this turn holds.
        if steps.outcome(self.s, due, workflow.now(), self._inquiry) is None:
            await recorder.fire_and_replan(fired, self._id, self.s, self._policy)
        else:
            await recorder.fire(fired)
            # Built after the activity: a co-handler's answer may have changed the state meanwhile.
            await self._apply(steps.outcome(self.s, due, workflow.now(), self._inquiry))
        self._timer.changed()

    def _history_full(self, limit: int) -> bool:
        info = workflow.info()
        if limit:
            return info.get_current_history_length() > limit
        return info.is_continue_as_new_suggested()

    async def _apply(self, change: Change | None, recorded: Plan | None = None) -> None:
        """The change's state becomes the case's; recorded, then passed on to merged cases.
        `recorded`: the projection of a change an activity has recorded already."""
        if change is None:
            return
        self.s = change.state
        if recorded is None:
            await recorder.record(self._id, self._policy, change)
        else:
            recorder.recorded(change, recorded)
        self._timer.changed()
        if change.main_reply is not None:
            for merged in self.s.merged:
                try:
                    await workflow.get_external_workflow_handle_for(
                        CaseWorkflow.run, case_workflow_id(merged)
                    ).signal(CaseWorkflow.main_replied, change.main_reply)
                except ApplicationError:  # closed already, with an earlier answer of this case
                    workflow.logger.info("merged case %s has closed already", merged)

    async def _take_queued(self, reply: ReplySubmission) -> None:
        try:
            rules.check_reply(self.s, reply)
        except Refusal as refused:
            workflow.logger.warning("queued reply ignored: %s", refused.message)
            return
        now = workflow.now()
        # The reply clock stops when the handler sent the reply, not when a worker took it up;
        # replies queued before this was so keep the time their history recorded.
        sent = None
        if revision.taken("queued-reply-at-sent-time"):
            sent = answers.queued_reply_time(self.s, reply, now)
        await self._apply(
            answers.reply(self.s, reply, self._policy, now, self._inquiry, sent_at=sent)
        )

    @property
    def _policy(self) -> CasePolicy:
        """The category's policy, known once the case is routed; before that, every action that
        needs it is refused as the domain refuses actions on a case not yet dispatched."""
        if self._policy_or_none is None:
            raise ApplicationError(
                f"the case is {self.s.status}; it is not dispatched yet",
                type=rules.WRONG_STATE,
                non_retryable=True,
            )
        return self._policy_or_none

    @property
    def _inquiry(self) -> InquiryInput:
        assert self._inquiry_or_none is not None, "the run sets the inquiry first"
        return self._inquiry_or_none

    @property
    def _id(self) -> str:
        return self._inquiry.inquiry_id

    @property
    def _code(self) -> str:
        return self._inquiry.tracking_code

    # ---- staff actions (updates) ----

    @workflow.update
    async def acknowledge(self, action: Acknowledge) -> CaseState:
        async with self._lock:
            _refuse(rules.check_acknowledge, self.s, action)
            await self._apply(paths.acknowledge(self.s, action, workflow.now()))
        return self.s

    @acknowledge.validator
    def _v_acknowledge(self, action: Acknowledge) -> None:
        in_time(action)
        _refuse(rules.check_acknowledge, self.s, action)

    @workflow.update
    async def return_case(self, action: ReturnCase) -> CaseState:
        async with self._lock:
            _refuse(rules.check_return, self.s, action, workflow.now())
            await self._apply(paths.return_case(self.s, action, self._policy, self._code))
        return self.s

    @return_case.validator
    def _v_return(self, action: ReturnCase) -> None:
        in_time(action)
        _refuse(rules.check_return, self.s, action, workflow.now())

    @workflow.update
    async def decide_return(self, action: ReturnDecision) -> CaseState:
        async with self._lock:
            _refuse(rules.check_return_decision, self.s, action, self._policy)
            change = paths.decide_return(self.s, action, self._policy, workflow.now(), self._code)
            await self._apply(change)
        return self.s

    @decide_return.validator
    def _v_decide_return(self, action: ReturnDecision) -> None:
        in_time(action)
        _refuse(rules.check_return_decision, self.s, action, self._policy)

    @workflow.update
    async def transfer(self, action: Transfer) -> CaseState:
        async with self._lock:
            _refuse(rules.check_transfer, self.s, action)
            change = paths.transfer(self.s, action, self._policy, workflow.now(), self._code)
            await self._apply(change)
        return self.s

    @transfer.validator
    def _v_transfer(self, action: Transfer) -> None:
        in_time(action)
        _refuse(rules.check_transfer, self.s, action)

    @workflow.update
    async def request_extension(self, action: ExtensionRequest) -> CaseState:
        async with self._lock:
            _refuse(rules.check_extension_request, self.s, action, self._policy, workflow.now())
            await self._apply(paths.request_extension(self.s, action, self._code))
        return self.s

    @request_extension.validator
    def _v_request_extension(self, action: ExtensionRequest) -> None:
        in_time(action)
        _refuse(rules.check_extension_request, self.s, action, self._policy, workflow.now())

    @workflow.update
    async def decide_extension(self, action: ExtensionDecision) -> CaseState:
        async with self._lock:
            _refuse(rules.check_extension_decision, self.s, action)
            await self._apply(paths.decide_extension(self.s, action, workflow.now(), self._code))
        return self.s

    @decide_extension.validator
    def _v_decide_extension(self, action: ExtensionDecision) -> None:
        in_time(action)
        _refuse(rules.check_extension_decision, self.s, action)

    @workflow.update
    async def request_info(self, action: InfoRequest) -> CaseState:
        async with self._lock:
            _refuse(rules.check_info_request, self.s, action)
            await self._apply(paths.request_info(self.s, action, workflow.now(), self._code))
        return self.s

    @request_info.validator
    def _v_request_info(self, action: InfoRequest) -> None:
        in_time(action)
        _refuse(rules.check_info_request, self.s, action)

    @workflow.update
    async def supplement(self, action: Supplement) -> CaseState:
        async with self._lock:
            _refuse(rules.check_supplement, self.s, action)
            change = paths.supplement(self.s, action, self._policy, workflow.now(), self._code)
            await self._apply(change)
        return self.s

    @supplement.validator
    def _v_supplement(self, action: Supplement) -> None:
        in_time(action)
        _refuse(rules.check_supplement, self.s, action)

    @workflow.update
    async def submit_reply(self, reply: ReplySubmission) -> CaseState:
        async with self._lock:
            if self.s.status == CaseStatus.RECEIVED:
                await workflow.wait_condition(lambda: self.s.status != CaseStatus.RECEIVED)
            _refuse(rules.check_reply, self.s, reply)
            await self._apply(
                answers.reply(self.s, reply, self._policy, workflow.now(), self._inquiry)
            )
        return self.s

    @submit_reply.validator
    def _v_submit_reply(self, reply: ReplySubmission) -> None:
        in_time(reply)
        if self.s.status == CaseStatus.RECEIVED:
            return  # checked once dispatched
        _refuse(rules.check_reply, self.s, reply)

    @workflow.signal
    async def reply_queued(self, reply: ReplySubmission) -> None:
        """A reply the API took while no worker answered; checked and applied now."""
        if self.s.status == CaseStatus.RECEIVED:
            self._queued_replies.append(reply)
            return
        async with self._lock:
            await self._take_queued(reply)

    @workflow.update
    async def review_reply(self, action: ReviewDecision) -> CaseState:
        async with self._lock:
            _refuse(rules.check_review, self.s, action, self._policy)
            await self._apply(
                answers.review(self.s, action, self._policy, workflow.now(), self._inquiry)
            )
        return self.s

    @review_reply.validator
    def _v_review(self, action: ReviewDecision) -> None:
        in_time(action)
        _refuse(rules.check_review, self.s, action, self._policy)

    @workflow.update
    async def rate(self, action: Rating) -> CaseState:
        async with self._lock:
            _refuse(rules.check_rating, self.s, action)
            await self._apply(
                answers.rate(self.s, action, self._policy, workflow.now(), self._inquiry)
            )
        return self.s

    @rate.validator
    def _v_rate(self, action: Rating) -> None:
        in_time(action)
        _refuse(rules.check_rating, self.s, action)

    @workflow.update
    async def decide_reopen(self, action: ReopenDecision) -> CaseState:
        async with self._lock:
            _refuse(rules.check_reopen_decision, self.s, action)
            await self._apply(
                answers.decide_reopen(self.s, action, self._policy, workflow.now(), self._inquiry)
            )
        return self.s

    @decide_reopen.validator
    def _v_decide_reopen(self, action: ReopenDecision) -> None:
        in_time(action)
        _refuse(rules.check_reopen_decision, self.s, action)

    @workflow.update
    async def merge_into(self, action: MergeRequest) -> CaseState:
        async with self._lock:
            _refuse(rules.check_merge, self.s, action, self._id)
            await self._apply(answers.merge_into(self.s, action))
        return self.s

    @merge_into.validator
    def _v_merge_into(self, action: MergeRequest) -> None:
        in_time(action)
        _refuse(rules.check_merge, self.s, action, self._id)

    @workflow.update
    async def attach_merged(self, action: AttachMerged) -> CaseState:
        async with self._lock:
            _refuse(rules.check_attach, self.s, action, self._id)
            await self._apply(answers.attach_merged(self.s, action))
        return self.s

    @attach_merged.validator
    def _v_attach(self, action: AttachMerged) -> None:
        in_time(action)
        _refuse(rules.check_attach, self.s, action, self._id)

    @workflow.signal
    async def main_replied(self, reply: MainReply) -> None:
        """The main case answered: a merged case gives its own citizen the same answer."""
        if self._inquiry_or_none is None:
            return  # before the run began, the case is received: nothing follows a main case
        async with self._lock:
            await self._apply(answers.main_replied(self.s, reply, workflow.now(), self._inquiry))

    @workflow.update
    async def assign_cohandlers(self, action: CoHandlerAssignment) -> CaseState:
        async with self._lock:
            _refuse(rules.check_cohandlers, self.s, action)
            lead = self.s.unit
            assert lead is not None
            now = workflow.now()
            for unit in action.units:
                due = await execute(
                    CaseActivities.due_time, DueRequest(self._policy.reply_unit, now, action.within)
                )
                self.s = paths.cohandler_opened(self.s, unit)
                await workflow.start_child_workflow(
                    CoHandlingWorkflow.run,
                    CoHandlingInput(
                        inquiry_id=self._id,
                        parent_workflow_id=workflow.info().workflow_id,
                        unit_code=unit,
                        lead_unit=lead,
                        due_at=due,
                    ),
                    id=cohandling_workflow_id(self._id, unit),
                    parent_close_policy=ParentClosePolicy.ABANDON,
                )
            await self._apply(paths.cohandlers_assigned(self.s, action))
        return self.s

    @assign_cohandlers.validator
    def _v_cohandlers(self, action: CoHandlerAssignment) -> None:
        in_time(action)
        _refuse(rules.check_cohandlers, self.s, action)

    @workflow.signal
    async def cohandler_done(self, result: CoHandlerResult) -> None:
        if result.unit_code not in self.s.cohandlers:
            return
        # Taken at once, before any await: a reply arriving next must see this unit answered.
        self.s = paths.with_cohandler(self.s, result)
        async with self._lock:
            await self._apply(paths.cohandler_reported(self.s, result))

    @workflow.signal
    def calendar_changed(self, change: CalendarChange) -> None:
        """Operator calendar changed: re-project every due time on the next turn."""
        self._timer.calendar_changed()

    @workflow.signal
    async def policy_changed(self) -> None:
        """The category's policy changed: take the new budgets, keep starts and segments."""
        async with self._lock:
            if revision.taken("policy-by-priority"):
                policy = await execute(
                    CaseActivities.load_case_policy,
                    PolicyRequest(self._inquiry.category, self._inquiry.priority),
                )
            else:  # cases that took a policy change before priorities existed replay this way
                policy = await execute(CaseActivities.load_policy, self._inquiry.category)
            self._policy_or_none = policy
            await self._apply(paths.policy_changed(self.s, policy))

    @workflow.query
    def state(self) -> CaseState:
        return self.s
