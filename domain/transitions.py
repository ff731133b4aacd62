"""Each path's rule: what a staff action, a citizen's answer or a message does to a case.

One pure function per path, called by the case workflow after the matching `check_*` in
domain/case.py admitted the action. Each returns a Change (domain/change.py), or None where the
action changes nothing (the same reply or merge again).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from domain import notices
from domain.case import (
    OFFICE_UNIT,
    RETURN_REASONS,
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
    ReopenDecision,
    ReturnCase,
    ReturnDecision,
    ReviewDecision,
    Supplement,
    Transfer,
)
from domain.change import Change, answer, close, dispatch, reopen
from domain.clock import ClockLedger, SegmentKind, close_segment, extend, open_segment, restart
from domain.models import InquiryInput, ReplySubmission
from domain.policy import CasePolicy, Review
from domain.transition import CaseColumns, CaseRoute, TaskChange


def _to_office() -> TaskChange:
    """The case's open task goes to the office, which decides (改派 or a supervisor's call)."""
    return TaskChange(close_open=True, open_unit=OFFICE_UNIT, open_kind="decision")


# ---- 受理 → 派单, or 现场解答 ----


def first_dispatch(
    state: CaseState, route: CaseRoute, policy: CasePolicy, now: datetime, code: str
) -> Change:
    """派单 to the unit the routing rules chose (no rule: the office triages)."""
    return dispatch(
        replace(state, rule=route.rule_name),
        unit=route.unit_code,
        actor="system",
        kind="dispatched",
        reason=route.rule_name or "no rule matched: to the office for triage",
        policy=policy,
        now=now,
        code=code,
    )


def answer_on_site(
    state: CaseState, route: CaseRoute, content: str, policy: CasePolicy, now: datetime,
    inquiry: InquiryInput,
) -> Change:  # fmt: skip
    """现场解答: the operator answered at intake; the case goes straight to 回访."""
    submission = ReplySubmission(
        reply_id="on-site",
        content=content,
        replied_by=inquiry.submitted_by,
        unit_code=route.unit_code,
    )
    return answer(
        replace(state, rule=route.rule_name, unit=route.unit_code),
        submission,
        kind="answered_on_site",
        policy=policy,
        now=now,
        inquiry=inquiry,
        on_site=True,
    )


# ---- 签收, 退单/改派, 转办 ----


def acknowledge(state: CaseState, action: Acknowledge, now: datetime) -> Change:
    nxt = replace(state, status=CaseStatus.HANDLING.value, acknowledged_at=now)
    return Change(
        nxt, "acknowledged", action.actor.username, columns=CaseColumns(acknowledged_at=now)
    )


def return_case(state: CaseState, action: ReturnCase, policy: CasePolicy, code: str) -> Change:
    """退单: back to the office, or to a supervisor once the case reached its limit of returns."""
    returns = state.returns + 1
    supervisor = returns >= policy.max_returns
    nxt = replace(
        state,
        status=(CaseStatus.AWAITING_DECISION if supervisor else CaseStatus.RETURNED).value,
        returns=returns,
        returned_by=state.unit,
        awaiting="return" if supervisor else None,
    )
    note = f" ({action.note})" if action.note else ""
    return Change(
        nxt,
        "returned",
        action.actor.username,
        reason=f"{action.reason_code}: {RETURN_REASONS[action.reason_code]}{note}",
        columns=CaseColumns(returns=returns),
        task=_to_office(),
        notices=[notices.returned(code, state.unit, action.reason_code, supervisor)],
    )


def decide_return(
    state: CaseState, action: ReturnDecision, policy: CasePolicy, now: datetime, code: str
) -> Change:
    """改派 to another unit, or the return refused: the unit that returned it keeps the case."""
    if action.accept:
        assert action.new_unit is not None
        unit, kind, reason = action.new_unit, "redispatched", action.note
    else:
        assert state.returned_by is not None
        unit, kind = state.returned_by, "return_refused"
        reason = action.note or "the return is refused; the unit handles the case"
    return dispatch(
        state,
        unit=unit,
        actor=action.actor.username,
        kind=kind,
        reason=reason,
        policy=policy,
        now=now,
        code=code,
    )


def transfer(
    state: CaseState, action: Transfer, policy: CasePolicy, now: datetime, code: str
) -> Change:
    """转办: the office moves the case; the reply clock keeps running."""
    return dispatch(
        state,
        unit=action.new_unit,
        actor=action.actor.username,
        kind="transferred",
        reason=action.reason,
        policy=policy,
        now=now,
        code=code,
    )


# ---- 延期 ----


def request_extension(state: CaseState, action: ExtensionRequest, code: str) -> Change:
    return Change(
        replace(state, extension_pending=action),
        "extension_requested",
        action.actor.username,
        reason=f"{action.reason} (依据: {action.legal_basis})",
        detail={"amount": str(action.amount)},
        notices=[notices.extension_requested(code)],
    )


def decide_extension(
    state: CaseState, action: ExtensionDecision, now: datetime, code: str
) -> Change:
    """An approved extension adds its amount to the reply clock's budget, as a ledger entry."""
    request = state.extension_pending
    assert request is not None and state.reply is not None
    nxt = replace(state, extension_pending=None)
    actor, unit = action.actor.username, state.unit
    if not action.approve:
        return Change(
            nxt,
            "extension_refused",
            actor,
            reason=action.note,
            notices=[notices.extension_decided(code, unit, approved=False)],
        )
    nxt.extensions = state.extensions + 1
    nxt.reply = extend(state.reply, request.amount, now, request.reason)
    return Change(
        nxt,
        "extension_approved",
        actor,
        reason=action.note,
        detail={"amount": str(request.amount)},
        columns=CaseColumns(extensions=nxt.extensions),
        announce=lambda due: [
            notices.extension_granted(due.reply_due),
            notices.extension_decided(code, unit, approved=True),
        ],
    )


# ---- 补正/挂起 ----


def request_info(state: CaseState, action: InfoRequest, now: datetime, code: str) -> Change:
    """补正: the reply clock stops until the citizen answers."""
    assert state.reply is not None
    nxt = replace(
        state,
        status=CaseStatus.PAUSED.value,
        pauses=state.pauses + 1,
        question=action.question,
        acknowledged_at=state.acknowledged_at or now,
        reply=open_segment(state.reply, SegmentKind.PAUSED, now, "补正"),
    )
    return Change(
        nxt,
        "info_requested",
        action.actor.username,
        reason=action.question,
        columns=CaseColumns(acknowledged_at=nxt.acknowledged_at),
        notices=[notices.info_request(code, action.question)],
    )


def supplement(
    state: CaseState, action: Supplement, policy: CasePolicy, now: datetime, code: str
) -> Change:
    """The citizen answered: the clock runs again (information disclosure: it restarts)."""
    assert state.reply is not None
    resumed = close_segment(state.reply, now)
    reply = restart(resumed, now) if policy.restart_on_supplement else resumed
    nxt = replace(state, status=CaseStatus.HANDLING.value, reply=reply, question=None)
    return Change(
        nxt,
        "supplemented",
        action.by,
        detail={"content": action.content},
        notices=[notices.supplemented(code, state.unit)],
    )


# ---- 答复, 审核, 回访 ----


def reply(
    state: CaseState,
    submission: ReplySubmission,
    policy: CasePolicy,
    now: datetime,
    inquiry: InquiryInput,
) -> Change | None:
    """答复, or the draft to its reviewer (审核) when the category reviews replies."""
    if state.answer is not None or state.draft is not None:
        return None  # the same reply again
    signed = replace(state, acknowledged_at=state.acknowledged_at or now)
    if policy.review == Review.NONE:
        return answer(signed, submission, kind="replied", policy=policy, now=now, inquiry=inquiry)
    reviewer = state.unit if policy.review == Review.UNIT_HEAD else OFFICE_UNIT
    assert reviewer is not None
    return Change(
        replace(signed, status=CaseStatus.IN_REVIEW.value, draft=submission),
        "submitted_for_review",
        submission.replied_by,
        detail={"draft": submission.content},
        task=TaskChange(close_open=True, open_unit=reviewer, open_kind="review"),
        notices=[notices.review_wanted(inquiry.tracking_code, reviewer, reviewer == state.unit)],
    )


def review(
    state: CaseState,
    action: ReviewDecision,
    policy: CasePolicy,
    now: datetime,
    inquiry: InquiryInput,
) -> Change:
    draft = state.draft
    assert draft is not None
    cleared = replace(state, draft=None)
    if action.approve:
        return answer(
            cleared,
            draft,
            kind="review_approved",
            policy=policy,
            now=now,
            inquiry=inquiry,
            reviewer=action.actor.username,
        )
    return Change(
        replace(cleared, status=CaseStatus.HANDLING.value, review_comment=action.comment),
        "review_refused",
        action.actor.username,
        reason=action.comment,
        task=TaskChange(close_open=True, open_unit=state.unit),
        notices=[notices.review_refused(action.comment, state.unit)],
    )


def rate(
    state: CaseState, action: Rating, policy: CasePolicy, now: datetime, inquiry: InquiryInput
) -> Change:
    """满意/基本满意 close; the first 不满意 reopens (重办), a second goes to a supervisor."""
    rated = replace(state, rating=action.rating)
    if action.rating != "unsatisfied":
        return close(
            rated,
            CaseStatus.CLOSED,
            "rated",
            actor=action.by,
            now=now,
            received_at=inquiry.received_at,
            reason=action.comment,
        )
    if rated.reopened == 0:
        return reopen(
            rated,
            actor=action.by,
            reason=f"不满意: {action.comment}",
            policy=policy,
            now=now,
            code=inquiry.tracking_code,
        )
    return Change(
        replace(rated, status=CaseStatus.AWAITING_DECISION.value, awaiting="reopen"),
        "rated_unsatisfied_again",
        action.by,
        reason=action.comment,
        columns=CaseColumns(rating=action.rating),
        task=_to_office(),
        notices=[notices.unsatisfied_again(inquiry.tracking_code)],
    )


def decide_reopen(
    state: CaseState,
    action: ReopenDecision,
    policy: CasePolicy,
    now: datetime,
    inquiry: InquiryInput,
) -> Change:
    actor = action.actor.username
    if action.reopen:
        return reopen(
            state,
            actor=actor,
            reason=action.note or "supervisor reopened",
            policy=policy,
            now=now,
            code=inquiry.tracking_code,
        )
    return close(
        state,
        CaseStatus.CLOSED,
        "supervisor_closed",
        actor=actor,
        now=now,
        received_at=inquiry.received_at,
        reason=action.note,
    )


# ---- 并单 ----


def merge_into(state: CaseState, action: MergeRequest) -> Change:
    """并单: this case follows a main case; its citizen gets the main case's answer."""
    main = action.main_inquiry_id
    return Change(
        replace(state, status=CaseStatus.MERGED.value, merged_into=main),
        "merged",
        action.actor.username,
        reason=f"follows case {main}",
        columns=CaseColumns(merged_into=main),
        task=TaskChange(close_open=True),
        notices=[notices.merged()],
    )


def attach_merged(state: CaseState, action: AttachMerged) -> Change | None:
    """The main case's side of 并单: it will pass its answer on to the follower."""
    if action.inquiry_id in state.merged:
        return None
    return Change(
        replace(state, merged=[*state.merged, action.inquiry_id]),
        "merge_attached",
        action.actor.username,
        detail={"merged": action.inquiry_id},
    )


def main_replied(
    state: CaseState, message: MainReply, now: datetime, inquiry: InquiryInput
) -> Change | None:
    """The main case answered: a merged case gives its own citizen the same answer, and closes."""
    if state.status != CaseStatus.MERGED or message.main_inquiry_id != state.merged_into:
        return None
    return close(
        replace(state, replied_at=now),
        CaseStatus.CLOSED,
        "merged",
        actor="system",
        now=now,
        received_at=inquiry.received_at,
        columns=CaseColumns(replied_at=now, reply_content=message.content, replied_by="main case"),
        notes=[notices.merged_feedback(inquiry.tracking_code, message.content)],
    )


# ---- 主办/协办 ----


def cohandler_opened(state: CaseState, unit: str) -> CaseState:
    return with_cohandler(state, CoHandlerResult(unit_code=unit, outcome="open"))


def with_cohandler(state: CaseState, result: CoHandlerResult) -> CaseState:
    """A co-handling unit's part, as it stands; the lead replies once none is open."""
    return replace(state, cohandlers={**state.cohandlers, result.unit_code: result})


def cohandlers_assigned(state: CaseState, action: CoHandlerAssignment) -> Change:
    return Change(
        state,
        "cohandlers_assigned",
        action.actor.username,
        detail={"units": ",".join(action.units), "within": str(action.within)},
    )


def cohandler_reported(state: CaseState, result: CoHandlerResult) -> Change:
    return Change(
        state,
        f"cohandler_{result.outcome}",
        result.answered_by or "system",
        detail={"unit": result.unit_code, "content": result.content},
    )


# ---- changes from outside: policy, calendar ----


def policy_changed(state: CaseState, policy: CasePolicy) -> Change:
    """The category's policy changed: the new budget, the same start and segments."""
    nxt = state
    if state.reply is not None and state.reply.unit == policy.reply_unit:
        nxt = replace(state, reply=with_budget(state.reply, policy.reply_within))
    return Change(nxt, "policy_changed", "system", reason="category policy changed")


def with_budget(ledger: ClockLedger, budget: float) -> ClockLedger:
    return replace(ledger, budget=budget, segments=list(ledger.segments))


def reprojected(state: CaseState) -> Change:
    """The working calendar changed: the due times move; the event keeps the old one."""
    before = state.deadlines.reply_due
    return Change(
        state,
        "reprojected",
        "system",
        reason="the working calendar changed",
        detail={"reply_due_before": before.isoformat() if before else ""},
    )
