"""The case workflow: the full closed loop of a government inquiry (issue 3).

受理 → 派单 → 签收 → 办理 (退单/改派, 转办, 主办/协办, 延期, 补正) → 审核 → 答复 → 回访 → 办结,
with the reply clock kept as a ledger whose due times come from an activity, so each deadline is
recorded in history and can be explained. Every staff action is an update whose validator
refuses it before anything reaches history; the rules themselves live in domain/case.py.

Temporal needs every handler on the workflow class, so this file holds the run and the handlers;
the transitions they share are in workflows/case_core.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.cases import CaseActivities
    from domain import case as rules

    # The `plan` activity's result type, imported by its module name so the sandbox can resolve
    # its type hints when decoding (a submodule reached only through another import is not).
    from domain.agenda import Plan  # noqa: F401
    from domain.case import (
        FINISHED,
        Acknowledge,
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
    from domain.clock import SegmentKind, close_segment, extend, open_segment, restart
    from domain.ids import cohandling_workflow_id
    from domain.models import CalendarChange, InquiryInput, ReplySubmission
    from domain.policy import CasePolicy
    from domain.transition import (
        CaseColumns,
        CoHandlingInput,
        DueRequest,
        Notice,
        PolicyRequest,
        TaskChange,
    )
    from workflows.case_core import OFFICE_UNIT, CaseCore, with_budget
    from workflows.cohandling import CoHandlingWorkflow


@dataclass
class CaseInput:
    inquiry: InquiryInput
    answered_on_site: str | None = None  # 现场解答: the operator's answer at intake
    state: CaseState | None = None  # carried over continue-as-new
    policy: CasePolicy | None = None
    history_limit: int = 0  # continue-as-new past this many events (0: when the server says)


@dataclass
class CaseOutcome:
    inquiry_id: str
    status: str
    on_time: bool | None
    rating: str | None
    close_reason: str | None


def _refuse(check: Callable[..., None], *args: Any) -> None:
    """Run a domain rule; its refusal becomes an update failure the API maps to 4xx."""
    try:
        check(*args)
    except Refusal as refused:
        raise ApplicationError(refused.message, type=refused.code, non_retryable=True) from None


@workflow.defn
class CaseWorkflow(CaseCore):
    # ---- the run: set up, then wait for the next ladder step or a change ----

    @workflow.run
    async def run(self, start: CaseInput) -> CaseOutcome:
        self.inquiry = start.inquiry
        if start.state is not None and start.policy is not None:
            self.s, self.policy = start.state, start.policy
        else:
            await self._begin(start)
        while self.s.status not in FINISHED:
            if self._history_full(start.history_limit):
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(
                    CaseInput(
                        inquiry=start.inquiry,
                        state=self._pruned(),
                        policy=self.policy,
                        history_limit=start.history_limit,
                    )
                )
            await self._wait_for_next()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return CaseOutcome(
            inquiry_id=self._id,
            status=self.s.status,
            on_time=self.s.on_time,
            rating=self.s.rating,
            close_reason=self.s.close_reason,
        )

    async def _begin(self, start: CaseInput) -> None:
        inquiry = start.inquiry
        await self._act(CaseActivities.record_case, inquiry)
        route = await self._act(CaseActivities.route_case, inquiry)
        self.policy, self.s.rule = route.policy, route.rule_name
        async with self._lock:
            if start.answered_on_site:
                self.s.unit = route.unit_code
                answer = ReplySubmission(
                    reply_id="on-site",
                    content=start.answered_on_site,
                    replied_by=inquiry.submitted_by,
                    unit_code=route.unit_code,
                )
                await self._answer(answer, kind="answered_on_site", on_site=True)
            else:
                await self._dispatch(
                    route.unit_code,
                    actor="system",
                    kind="dispatched",
                    reason=route.rule_name or "no rule matched: to the office for triage",
                )
            for reply in self._queued_replies:
                await self._take_queued(reply)

    async def _wait_for_next(self) -> None:
        seen = self._version
        agenda = self.s.agenda
        timeout = None
        if agenda:
            timeout = max(agenda[0].at - workflow.now(), timedelta(0))
        if timeout is None or timeout > timedelta(0):
            try:
                await workflow.wait_condition(
                    lambda: self._version != seen or self._replan, timeout=timeout
                )
            except TimeoutError:
                pass
        async with self._lock:
            if self._replan:
                self._replan = False
                before = self.s.deadlines.reply_due
                await self._commit(
                    "reprojected",
                    "system",
                    reason="the working calendar changed",
                    detail={"reply_due_before": before.isoformat() if before else ""},
                )
                return
            due = [i for i in self.s.agenda if i.at <= workflow.now()]
            if due and self._version == seen:
                await self._fire(due)

    def _history_full(self, limit: int) -> bool:
        info = workflow.info()
        if limit:
            return info.get_current_history_length() > limit
        return info.is_continue_as_new_suggested()

    def _pruned(self) -> CaseState:
        """Steps of earlier dispatches can never fire again; drop them before carrying over."""
        current = f":{self.s.dispatches}"
        self.s.fired = [k for k in self.s.fired if not k.startswith("ack_") or current in k]
        return self.s

    # ---- staff actions (updates) ----

    @workflow.update
    async def acknowledge(self, action: Acknowledge) -> CaseState:
        async with self._lock:
            _refuse(rules.check_acknowledge, self.s, action)
            self.s.acknowledged_at = workflow.now()
            await self._commit(
                "acknowledged",
                action.actor.username,
                status=CaseStatus.HANDLING,
                columns=CaseColumns(acknowledged_at=self.s.acknowledged_at),
            )
        return self.s

    @acknowledge.validator
    def _v_acknowledge(self, action: Acknowledge) -> None:
        _refuse(rules.check_acknowledge, self.s, action)

    @workflow.update
    async def return_case(self, action: ReturnCase) -> CaseState:
        async with self._lock:
            _refuse(rules.check_return, self.s, action, workflow.now())
            assert self.policy is not None
            self.s.returns += 1
            self.s.returned_by = self.s.unit
            supervisor = self.s.returns >= self.policy.max_returns
            self.s.awaiting = "return" if supervisor else None
            await self._commit(
                "returned",
                action.actor.username,
                status=CaseStatus.AWAITING_DECISION if supervisor else CaseStatus.RETURNED,
                reason=f"{action.reason_code}: {rules.RETURN_REASONS[action.reason_code]}"
                + (f" ({action.note})" if action.note else ""),
                columns=CaseColumns(returns=self.s.returns),
                task=TaskChange(close_open=True, open_unit=OFFICE_UNIT, open_kind="decision"),
                notices=[
                    Notice(
                        "supervisors" if supervisor else "office",
                        "returned",
                        f"退单 case {self._code} returned by {self.s.unit}: {action.reason_code}",
                    )
                ],
            )
        return self.s

    @return_case.validator
    def _v_return(self, action: ReturnCase) -> None:
        _refuse(rules.check_return, self.s, action, workflow.now())

    @workflow.update
    async def decide_return(self, action: ReturnDecision) -> CaseState:
        async with self._lock:
            _refuse(rules.check_return_decision, self.s, action, self.policy)
            if action.accept:
                assert action.new_unit is not None
                await self._dispatch(
                    action.new_unit, action.actor.username, "redispatched", action.note
                )
            else:
                assert self.s.returned_by is not None
                await self._dispatch(
                    self.s.returned_by,
                    action.actor.username,
                    "return_refused",
                    action.note or "the return is refused; the unit handles the case",
                )
        return self.s

    @decide_return.validator
    def _v_decide_return(self, action: ReturnDecision) -> None:
        _refuse(rules.check_return_decision, self.s, action, self.policy)

    @workflow.update
    async def transfer(self, action: Transfer) -> CaseState:
        async with self._lock:
            _refuse(rules.check_transfer, self.s, action)
            await self._dispatch(
                action.new_unit, action.actor.username, "transferred", action.reason
            )
        return self.s

    @transfer.validator
    def _v_transfer(self, action: Transfer) -> None:
        _refuse(rules.check_transfer, self.s, action)

    @workflow.update
    async def request_extension(self, action: ExtensionRequest) -> CaseState:
        async with self._lock:
            _refuse(rules.check_extension_request, self.s, action, self.policy, workflow.now())
            self.s.extension_pending = action
            await self._commit(
                "extension_requested",
                action.actor.username,
                reason=f"{action.reason} (依据: {action.legal_basis})",
                detail={"amount": str(action.amount)},
                notices=[
                    Notice("supervisors", "extension", f"延期 requested for case {self._code}")
                ],
            )
        return self.s

    @request_extension.validator
    def _v_request_extension(self, action: ExtensionRequest) -> None:
        _refuse(rules.check_extension_request, self.s, action, self.policy, workflow.now())

    @workflow.update
    async def decide_extension(self, action: ExtensionDecision) -> CaseState:
        async with self._lock:
            _refuse(rules.check_extension_decision, self.s, action)
            request = self.s.extension_pending
            assert request is not None and self.s.reply is not None
            self.s.extension_pending = None
            if action.approve:
                self.s.extensions += 1
                self.s.reply = extend(self.s.reply, request.amount, workflow.now(), request.reason)
                await self._commit(
                    "extension_approved",
                    action.actor.username,
                    reason=action.note,
                    detail={"amount": str(request.amount)},
                    columns=CaseColumns(extensions=self.s.extensions),
                    notices=lambda: [
                        self._citizen(
                            "extension",
                            f"您的诉求办理期限已依法延长，新的答复期限为 {self._due_text()}。",
                        ),
                        Notice(
                            "unit", "extension", f"延期 approved for case {self._code}", self.s.unit
                        ),
                    ],
                )
            else:
                await self._commit(
                    "extension_refused",
                    action.actor.username,
                    reason=action.note,
                    notices=[
                        Notice(
                            "unit", "extension", f"延期 refused for case {self._code}", self.s.unit
                        )
                    ],
                )
        return self.s

    @decide_extension.validator
    def _v_decide_extension(self, action: ExtensionDecision) -> None:
        _refuse(rules.check_extension_decision, self.s, action)

    @workflow.update
    async def request_info(self, action: InfoRequest) -> CaseState:
        async with self._lock:
            _refuse(rules.check_info_request, self.s, action)
            assert self.s.reply is not None
            now = workflow.now()
            self.s.pauses += 1
            self.s.question = action.question
            self.s.acknowledged_at = self.s.acknowledged_at or now
            self.s.reply = open_segment(self.s.reply, SegmentKind.PAUSED, now, "补正")
            await self._commit(
                "info_requested",
                action.actor.username,
                status=CaseStatus.PAUSED,
                reason=action.question,
                columns=CaseColumns(acknowledged_at=self.s.acknowledged_at),
                notices=[
                    self._citizen(
                        "info_request",
                        f"请补充材料（查询码 {self._code}）：{action.question}",
                    )
                ],
            )
        return self.s

    @request_info.validator
    def _v_request_info(self, action: InfoRequest) -> None:
        _refuse(rules.check_info_request, self.s, action)

    @workflow.update
    async def supplement(self, action: Supplement) -> CaseState:
        async with self._lock:
            _refuse(rules.check_supplement, self.s, action)
            assert self.s.reply is not None and self.policy is not None
            now = workflow.now()
            resumed = close_segment(self.s.reply, now)
            # Information-disclosure requests: the clock restarts when the correction arrives.
            self.s.reply = restart(resumed, now) if self.policy.restart_on_supplement else resumed
            self.s.question = None
            await self._commit(
                "supplemented",
                action.by,
                status=CaseStatus.HANDLING,
                detail={"content": action.content},
                notices=[
                    Notice(
                        "unit", "supplement", f"补正 received for case {self._code}", self.s.unit
                    )
                ],
            )
        return self.s

    @supplement.validator
    def _v_supplement(self, action: Supplement) -> None:
        _refuse(rules.check_supplement, self.s, action)

    @workflow.update
    async def submit_reply(self, reply: ReplySubmission) -> CaseState:
        async with self._lock:
            if self.s.status == CaseStatus.RECEIVED:
                await workflow.wait_condition(lambda: self.s.status != CaseStatus.RECEIVED)
            _refuse(rules.check_reply, self.s, reply)
            await self._reply(reply)
        return self.s

    @submit_reply.validator
    def _v_submit_reply(self, reply: ReplySubmission) -> None:
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
            _refuse(rules.check_review, self.s, action, self.policy)
            draft = self.s.draft
            assert draft is not None
            if action.approve:
                self.s.draft = None
                await self._answer(draft, kind="review_approved", reviewer=action.actor.username)
            else:
                self.s.draft = None
                self.s.review_comment = action.comment
                await self._commit(
                    "review_refused",
                    action.actor.username,
                    status=CaseStatus.HANDLING,
                    reason=action.comment,
                    task=TaskChange(close_open=True, open_unit=self.s.unit),
                    notices=[
                        Notice("unit", "review", f"审核 refused: {action.comment}", self.s.unit)
                    ],
                )
        return self.s

    @review_reply.validator
    def _v_review(self, action: ReviewDecision) -> None:
        _refuse(rules.check_review, self.s, action, self.policy)

    @workflow.update
    async def rate(self, action: Rating) -> CaseState:
        async with self._lock:
            _refuse(rules.check_rating, self.s, action)
            self.s.rating = action.rating
            if action.rating != "unsatisfied":
                await self._close(
                    CaseStatus.CLOSED, "rated", actor=action.by, reason=action.comment
                )
            elif self.s.reopened == 0:
                await self._reopen(action.by, f"不满意: {action.comment}")
            else:
                self.s.awaiting = "reopen"
                await self._commit(
                    "rated_unsatisfied_again",
                    action.by,
                    status=CaseStatus.AWAITING_DECISION,
                    reason=action.comment,
                    columns=CaseColumns(rating=action.rating),
                    task=TaskChange(close_open=True, open_unit=OFFICE_UNIT, open_kind="decision"),
                    notices=[
                        Notice("supervisors", "unsatisfied", f"case {self._code}: 不满意 again")
                    ],
                )
        return self.s

    @rate.validator
    def _v_rate(self, action: Rating) -> None:
        _refuse(rules.check_rating, self.s, action)

    @workflow.update
    async def decide_reopen(self, action: ReopenDecision) -> CaseState:
        async with self._lock:
            _refuse(rules.check_reopen_decision, self.s, action)
            if action.reopen:
                await self._reopen(action.actor.username, action.note or "supervisor reopened")
            else:
                await self._close(
                    CaseStatus.CLOSED, "supervisor_closed", actor=action.actor.username,
                    reason=action.note,
                )  # fmt: skip
        return self.s

    @decide_reopen.validator
    def _v_decide_reopen(self, action: ReopenDecision) -> None:
        _refuse(rules.check_reopen_decision, self.s, action)

    @workflow.update
    async def merge_into(self, action: MergeRequest) -> CaseState:
        async with self._lock:
            _refuse(rules.check_merge, self.s, action, self._id)
            self.s.merged_into = action.main_inquiry_id
            await self._commit(
                "merged",
                action.actor.username,
                status=CaseStatus.MERGED,
                reason=f"follows case {action.main_inquiry_id}",
                columns=CaseColumns(merged_into=action.main_inquiry_id),
                task=TaskChange(close_open=True),
                notices=[
                    self._citizen(
                        "merged", "您反映的问题与同一事件合并办理，办理结果将一并答复您。"
                    )
                ],
            )
        return self.s

    @merge_into.validator
    def _v_merge_into(self, action: MergeRequest) -> None:
        _refuse(rules.check_merge, self.s, action, self._id)

    @workflow.update
    async def attach_merged(self, action: AttachMerged) -> CaseState:
        async with self._lock:
            _refuse(rules.check_attach, self.s, action, self._id)
            if action.inquiry_id not in self.s.merged:
                self.s.merged.append(action.inquiry_id)
                await self._commit(
                    "merge_attached", action.actor.username, detail={"merged": action.inquiry_id}
                )
        return self.s

    @attach_merged.validator
    def _v_attach(self, action: AttachMerged) -> None:
        _refuse(rules.check_attach, self.s, action, self._id)

    @workflow.signal
    async def main_replied(self, reply: MainReply) -> None:
        """The main case answered: a merged case gives its own citizen the same answer."""
        async with self._lock:
            if self.s.status != CaseStatus.MERGED or reply.main_inquiry_id != self.s.merged_into:
                return
            self.s.replied_at = workflow.now()
            await self._close(
                CaseStatus.CLOSED,
                "merged",
                actor="system",
                columns=CaseColumns(
                    replied_at=self.s.replied_at,
                    reply_content=reply.content,
                    replied_by="main case",
                ),
                notices=[
                    self._citizen(
                        "feedback", f"您的诉求（查询码 {self._code}）已答复：{reply.content}"
                    )
                ],
            )

    @workflow.update
    async def assign_cohandlers(self, action: CoHandlerAssignment) -> CaseState:
        async with self._lock:
            _refuse(rules.check_cohandlers, self.s, action)
            assert self.policy is not None and self.s.unit is not None
            now = workflow.now()
            for unit in action.units:
                due = await self._act(
                    CaseActivities.due_time, DueRequest(self.policy.reply_unit, now, action.within)
                )
                self.s.cohandlers[unit] = CoHandlerResult(unit_code=unit, outcome="open")
                await workflow.start_child_workflow(
                    CoHandlingWorkflow.run,
                    CoHandlingInput(
                        inquiry_id=self._id,
                        parent_workflow_id=workflow.info().workflow_id,
                        unit_code=unit,
                        lead_unit=self.s.unit,
                        due_at=due,
                    ),
                    id=cohandling_workflow_id(self._id, unit),
                    parent_close_policy=ParentClosePolicy.ABANDON,
                )
            await self._commit(
                "cohandlers_assigned",
                action.actor.username,
                detail={"units": ",".join(action.units), "within": str(action.within)},
            )
        return self.s

    @assign_cohandlers.validator
    def _v_cohandlers(self, action: CoHandlerAssignment) -> None:
        _refuse(rules.check_cohandlers, self.s, action)

    @workflow.signal
    async def cohandler_done(self, result: CoHandlerResult) -> None:
        if result.unit_code not in self.s.cohandlers:
            return
        # Taken at once, before any await: a reply arriving next must see this unit answered.
        self.s.cohandlers[result.unit_code] = result
        async with self._lock:
            await self._commit(
                f"cohandler_{result.outcome}",
                result.answered_by or "system",
                detail={"unit": result.unit_code, "content": result.content},
            )

    @workflow.signal
    def calendar_changed(self, change: CalendarChange) -> None:
        """Operator calendar changed: re-project every due time on the next turn."""
        self._replan = True

    @workflow.signal
    async def policy_changed(self) -> None:
        """The category's policy changed: take the new budgets, keep starts and segments."""
        async with self._lock:
            assert self.inquiry is not None
            if workflow.patched("policy-by-priority"):
                policy = await self._act(
                    CaseActivities.load_case_policy,
                    PolicyRequest(self.inquiry.category, self.inquiry.priority),
                )
            else:  # cases that took a policy change before priorities existed replay this way
                policy = await self._act(CaseActivities.load_policy, self.inquiry.category)
            self.policy = policy
            if self.s.reply is not None and self.s.reply.unit == policy.reply_unit:
                self.s.reply = with_budget(self.s.reply, policy.reply_within)
            await self._commit("policy_changed", "system", reason="category policy changed")

    @workflow.query
    def state(self) -> CaseState:
        return self.s
