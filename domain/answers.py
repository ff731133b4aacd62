"""答复 and what follows it: the answer at intake (现场解答), the reply and its review (审核),
the citizen's rating (回访) with 重办, and 并单, whose follower takes the main case's answer.

Pure functions like domain/transitions.py, called by the case workflow after the matching
`check_*` in domain/case.py admitted the action; None where the action
changes nothing (the same reply or merge again).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from domain import notices
from domain.case import (
    OFFICE_UNIT,
    AttachMerged,
    CaseState,
    CaseStatus,
    MainReply,
    MergeRequest,
    Rating,
    ReopenDecision,
    ReviewDecision,
)
from domain.change import Change, answer, close, reopen, to_office
from domain.models import InquiryInput, ReplySubmission
from domain.policy import CasePolicy, Review
from domain.transition import CaseColumns, CaseRoute, TaskChange

# ---- 现场解答 ----


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


# ---- 答复, 审核, 回访 ----


def reply(
    state: CaseState,
    submission: ReplySubmission,
    policy: CasePolicy,
    now: datetime,
    inquiry: InquiryInput,
    *,
    sent_at: datetime | None = None,
) -> Change | None:
    """答复, or the draft to its reviewer (审核) when the category reviews replies.

    `sent_at` is when the handler sent a queued reply (queued_reply_time): the reply clock
    stopped then, not when a worker took it up."""
    if state.answer is not None or state.draft is not None:
        return None  # the same reply again
    signed = replace(state, acknowledged_at=state.acknowledged_at or now)
    if policy.review == Review.NONE:
        return answer(
            signed,
            submission,
            kind="replied",
            policy=policy,
            now=now,
            inquiry=inquiry,
            answered_at=sent_at,
        )
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


def queued_reply_time(state: CaseState, submission: ReplySubmission, now: datetime) -> datetime:
    """When a reply queued while no worker ran was given: when the handler sent it, but never
    before the case reached the unit nor after now (the API's clock may differ a little)."""
    sent = submission.submitted_at or now
    dispatched = state.first_dispatched_at or state.dispatched_at or sent
    return min(max(sent, dispatched), now)


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
        task=to_office(),
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
