"""Each path's rule as a pure function: the next state, the event, tasks and notices (no Temporal).

The workflow records exactly what these return, so a path's behaviour is tested here; the path
tests in tests/workflows prove the recording and the histories prove the command sequence.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain import answers, notices, steps, transitions
from domain.case import (
    OFFICE_UNIT,
    OVER_CAP,
    Actor,
    AgendaItem,
    AttachMerged,
    CaseState,
    CaseStatus,
    Deadlines,
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
    check_extension_request,
)
from domain.clock import ClockLedger, SegmentKind
from domain.models import Citizen, InquiryInput, ReplySubmission
from domain.policy import CasePolicy, Review, Step
from domain.transition import CaseRoute

T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
NOW = T0 + timedelta(hours=5)
INQUIRY = InquiryInput(
    inquiry_id="00000000-0000-0000-0000-000000000001",
    tracking_code="WQ1",
    channel="web",
    category="t",
    content="停水",
    citizen=Citizen(phone="13812345678"),
    submitted_by="operator-1",
    received_at=T0 - timedelta(minutes=10),
)
HANDLER = Actor("h", "handler", "pipe_repair")
SUPERVISOR = Actor("s", "supervisor")


def _policy(**fields: object) -> CasePolicy:
    base: dict[str, object] = {"category": "t", "reply_unit": "natural_hours", "reply_within": 24.0}
    base.update(fields)
    return CasePolicy(**base)  # type: ignore[arg-type]


def _dispatched(policy: CasePolicy) -> CaseState:
    route = CaseRoute(unit_code="pipe_repair", policy=policy, rule_name="burst")
    return transitions.first_dispatch(CaseState(), route, policy, T0, INQUIRY.tracking_code).state


def _reply(content: str = "已修复") -> ReplySubmission:
    return ReplySubmission("r1", content, "h", "pipe_repair")


def test_the_first_dispatch_starts_both_clocks_and_opens_the_unit_task() -> None:
    policy = _policy()
    route = CaseRoute(unit_code="pipe_repair", policy=policy, rule_name="burst")
    before = CaseState()
    change = transitions.first_dispatch(before, route, policy, T0, "WQ1")
    assert change.state.status == CaseStatus.DISPATCHED
    assert change.state.reply is not None and change.state.reply.started_at == T0
    assert change.state.ack is not None and change.state.first_dispatched_at == T0
    assert (change.kind, change.reason) == ("dispatched", "burst")
    assert change.columns.dispatched_at == T0 and change.columns.routing_rule == "burst"
    assert change.task is not None and change.task.open_unit == "pipe_repair"
    assert [(n.audience, n.unit_code) for n in change.notices] == [("unit", "pipe_repair")]
    assert before == CaseState(), "a transition never changes the state it is given"


def test_a_redispatch_keeps_the_reply_clock_and_does_not_touch_dispatched_at() -> None:
    policy = _policy(max_returns=3)
    state = _dispatched(policy)
    returned = transitions.return_case(
        state, ReturnCase(HANDLER, "not_our_unit", "管网"), policy, "WQ1"
    )
    assert returned.state.status == CaseStatus.RETURNED
    assert returned.reason == "not_our_unit: 不属于本单位职责 (管网)"
    assert returned.task is not None and returned.task.open_unit == OFFICE_UNIT
    assert [n.audience for n in returned.notices] == ["office"]
    office = Actor("o", "handler", OFFICE_UNIT)
    moved = transitions.decide_return(
        returned.state, ReturnDecision(office, True, "drainage"), policy, NOW, "WQ1"
    )
    assert moved.state.unit == "drainage" and moved.kind == "redispatched"
    assert moved.state.reply == state.reply  # the clock does not restart
    assert moved.columns.dispatched_at is None
    assert moved.state.dispatches == 2 and moved.state.returned_by is None


def test_the_return_that_reaches_the_limit_goes_to_the_supervisors() -> None:
    policy = _policy(max_returns=1)
    change = transitions.return_case(
        _dispatched(policy), ReturnCase(HANDLER, "wrong_area"), policy, "WQ1"
    )
    assert change.state.status == CaseStatus.AWAITING_DECISION
    assert change.state.awaiting == "return"
    assert [n.audience for n in change.notices] == ["supervisors"]


def test_an_approved_extension_adds_to_the_budget_and_tells_the_citizen_the_new_due_time() -> None:
    policy = _policy(max_extension=10.0)
    state = _dispatched(policy)
    asked = transitions.request_extension(
        state, ExtensionRequest(HANDLER, 10, "勘查", "条例"), "WQ1"
    )
    assert asked.reason == "勘查 (依据: 条例)" and asked.detail == {"amount": "10"}
    approved = transitions.decide_extension(
        asked.state, ExtensionDecision(SUPERVISOR, True), NOW, "WQ1"
    )
    assert approved.state.extensions == 1 and approved.state.extension_pending is None
    assert approved.state.reply is not None and len(approved.state.reply.segments) == 1
    due = T0 + timedelta(hours=34)
    sent = approved.all_notices(Deadlines(reply_due=due))
    assert [n.audience for n in sent] == ["citizen", "unit"]
    assert due.isoformat() in sent[0].body and "延长" in sent[0].body


def test_a_refused_extension_leaves_the_clock_and_tells_the_unit() -> None:
    policy = _policy(max_extension=10.0)
    asked = transitions.request_extension(
        _dispatched(policy), ExtensionRequest(HANDLER, 5, "x", "y"), "WQ1"
    )
    refused = transitions.decide_extension(
        asked.state, ExtensionDecision(SUPERVISOR, False, "不予延期"), NOW, "WQ1"
    )
    assert refused.kind == "extension_refused" and refused.state.extensions == 0
    assert refused.state.reply == asked.state.reply
    assert [n.body for n in refused.notices] == ["延期 refused for case WQ1"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"max_extensions": 1, "max_extension": 0.0}, "this category allows no extension"),
        ({"max_extensions": 0, "max_extension": 20.0}, "this category allows no extension"),
    ],
)
def test_an_extension_in_a_category_without_extensions_says_so(
    fields: dict[str, object], message: str
) -> None:
    policy = _policy(**fields)
    with pytest.raises(Refusal) as refused:
        check_extension_request(
            _dispatched(policy), ExtensionRequest(HANDLER, 1, "x", "y"), policy, NOW
        )
    assert (refused.value.code, refused.value.message) == (OVER_CAP, message)


def test_an_extension_past_the_cap_names_the_cap() -> None:
    policy = _policy(max_extensions=1, max_extension=20.0)
    state = _dispatched(policy)
    state.extensions = 1
    with pytest.raises(Refusal) as refused:
        check_extension_request(state, ExtensionRequest(HANDLER, 1, "x", "y"), policy, NOW)
    assert refused.value.code == OVER_CAP
    assert refused.value.message == "this category allows 1 extension(s)"


@pytest.mark.parametrize("restart", [False, True])
def test_a_pause_stops_the_clock_and_the_supplement_resumes_or_restarts_it(restart: bool) -> None:
    policy = _policy(restart_on_supplement=restart)
    paused = transitions.request_info(
        _dispatched(policy), InfoRequest(HANDLER, "请提供水费单"), NOW, "WQ1"
    )
    assert paused.state.status == CaseStatus.PAUSED and paused.state.pauses == 1
    assert paused.state.acknowledged_at == NOW  # asking the citizen counts as signing for it
    assert paused.state.reply is not None
    assert paused.state.reply.segments[-1].kind == SegmentKind.PAUSED
    assert [(n.audience, n.kind) for n in paused.notices] == [("citizen", "info_request")]
    later = NOW + timedelta(hours=2)
    resumed = transitions.supplement(
        paused.state, Supplement("水费单已上传", "citizen"), policy, later, "WQ1"
    )
    assert resumed.state.status == CaseStatus.HANDLING and resumed.state.question is None
    reply = resumed.state.reply
    assert reply is not None
    assert (reply.started_at == later) is restart


def test_a_reviewed_category_sends_the_draft_to_the_unit_head_then_answers() -> None:
    policy = _policy(review=Review.UNIT_HEAD.value)
    state = _dispatched(policy)
    drafted = answers.reply(state, _reply(), policy, NOW, INQUIRY)
    assert drafted is not None and drafted.state.status == CaseStatus.IN_REVIEW
    assert drafted.task is not None and drafted.task.open_kind == "review"
    assert [n.audience for n in drafted.notices] == ["unit_head"]
    assert answers.reply(drafted.state, _reply(), policy, NOW, INQUIRY) is None  # same again
    head = Actor("head", "unit_head", "pipe_repair")
    refused = answers.review(
        drafted.state, ReviewDecision(head, False, "补充原因"), policy, NOW, INQUIRY
    )
    assert refused.state.status == CaseStatus.HANDLING and refused.state.draft is None
    approved = answers.review(drafted.state, ReviewDecision(head, True), policy, NOW, INQUIRY)
    assert approved.kind == "review_approved" and approved.actor == "head"
    assert approved.state.status == CaseStatus.FOLLOW_UP


def test_an_answer_in_time_is_on_time_and_asks_the_citizen_to_rate() -> None:
    policy = _policy()
    state = _dispatched(policy)
    state.deadlines = Deadlines(reply_due=T0 + timedelta(hours=24))
    change = answers.reply(state, _reply("抢修完毕"), policy, NOW, INQUIRY)
    assert change is not None and change.kind == "replied"
    assert change.state.on_time is True and change.columns.handling_seconds == 5 * 3600
    assert change.state.follow_up is not None
    assert change.notices == [notices.feedback("WQ1", "抢修完毕")]
    assert change.main_reply == MainReply(INQUIRY.inquiry_id, "抢修完毕")


def test_an_answer_on_the_spot_counts_from_intake_and_is_on_time() -> None:
    policy = _policy()
    route = CaseRoute(unit_code=OFFICE_UNIT, policy=policy)
    change = answers.answer_on_site(CaseState(), route, "已当场解答", policy, NOW, INQUIRY)
    assert change.state.status == CaseStatus.FOLLOW_UP and change.state.unit == OFFICE_UNIT
    assert change.state.replied_at == INQUIRY.received_at and change.state.on_time is True
    assert change.columns.answered_on_site is True and change.actor == "operator-1"


def test_unsatisfied_reopens_once_then_goes_to_a_supervisor_who_may_close() -> None:
    policy = _policy()
    answered = answers.reply(_dispatched(policy), _reply(), policy, NOW, INQUIRY)
    assert answered is not None
    first = answers.rate(
        answered.state, Rating("unsatisfied", "citizen", "没修好"), policy, NOW, INQUIRY
    )
    assert first.kind == "reopened" and first.state.cycle == 2 and first.state.reopened == 1
    assert first.state.reply is not None and first.state.reply.started_at == NOW
    again = answers.reply(first.state, _reply(), policy, NOW, INQUIRY)
    assert again is not None
    second = answers.rate(again.state, Rating("unsatisfied", "citizen"), policy, NOW, INQUIRY)
    assert second.state.status == CaseStatus.AWAITING_DECISION
    assert second.state.awaiting == "reopen" and second.task is not None
    closed = answers.decide_reopen(
        second.state, ReopenDecision(SUPERVISOR, reopen=False), policy, NOW, INQUIRY
    )
    assert closed.state.status == CaseStatus.CLOSED and closed.kind == "closed"
    assert closed.columns.close_reason == "supervisor_closed"
    assert closed.columns.rating == "unsatisfied"


def test_a_satisfied_rating_closes_with_the_total_time() -> None:
    policy = _policy()
    answered = answers.reply(_dispatched(policy), _reply(), policy, NOW, INQUIRY)
    assert answered is not None
    closed = answers.rate(answered.state, Rating("satisfied", "citizen"), policy, NOW, INQUIRY)
    assert closed.state.status == CaseStatus.CLOSED and closed.columns.rating == "satisfied"
    assert closed.columns.total_seconds == int((NOW - INQUIRY.received_at).total_seconds())


def test_a_merged_case_closes_with_its_main_case_answer_only() -> None:
    policy = _policy()
    follower = answers.merge_into(_dispatched(policy), MergeRequest(Actor("op", "operator"), "M"))
    assert follower.state.status == CaseStatus.MERGED and follower.columns.merged_into == "M"
    assert [n.kind for n in follower.notices] == ["merged"]
    assert answers.main_replied(follower.state, MainReply("other", "x"), NOW, INQUIRY) is None
    closed = answers.main_replied(follower.state, MainReply("M", "已修复"), NOW, INQUIRY)
    assert closed is not None and closed.columns.close_reason == "merged"
    assert closed.notices == [notices.merged_feedback("WQ1", "已修复")]
    main = _dispatched(policy)
    attached = answers.attach_merged(main, AttachMerged(Actor("op", "operator"), "F"))
    assert attached is not None and attached.state.merged == ["F"] and main.merged == []
    assert answers.attach_merged(attached.state, AttachMerged(Actor("op", "operator"), "F")) is None


def _item(step: Step, key: str) -> AgendaItem:
    return AgendaItem(key, step.value, "reply", NOW, T0 + timedelta(hours=4))


def test_fired_steps_raise_the_level_and_a_reminder_makes_the_case_overdue() -> None:
    state = _dispatched(_policy())
    due = [_item(Step.WARNING, "warning50:1"), _item(Step.REMINDER, "reminder:1")]
    after, record = steps.fire(state, due, INQUIRY.inquiry_id, NOW)
    assert after.fired == ["warning50:1", "reminder:1"] and after.level == 1 and after.overdue
    assert record.seq == state.seq + 1 and record.level == 1 and record.steps == due
    assert steps.outcome(after, due, NOW, INQUIRY) is None  # only the ladder climbs


def test_a_never_signed_case_goes_back_to_the_office() -> None:
    state = _dispatched(_policy())
    change = steps.outcome(state, [_item(Step.ACK_RETURN, "ack_return:1")], NOW, INQUIRY)
    assert change is not None and change.kind == "not_acknowledged"
    assert change.state.status == CaseStatus.RETURNED and change.state.returned_by == "pipe_repair"
    assert change.task is not None and change.task.open_unit == OFFICE_UNIT


def test_an_unanswered_pause_withdraws_and_an_unrated_answer_closes_as_not_rated() -> None:
    policy = _policy()
    paused = transitions.request_info(_dispatched(policy), InfoRequest(HANDLER, "?"), NOW, "WQ1")
    gone = steps.outcome(paused.state, [_item(Step.PAUSE_EXPIRED, "pause_expired:1")], NOW, INQUIRY)
    assert gone is not None and gone.state.status == CaseStatus.WITHDRAWN
    assert gone.kind == "withdrawn" and [n.kind for n in gone.notices] == ["withdrawn"]
    answered = answers.reply(_dispatched(policy), _reply(), policy, NOW, INQUIRY)
    assert answered is not None
    unrated = steps.outcome(
        answered.state, [_item(Step.FOLLOWUP_EXPIRED, "followup_expired:1")], NOW, INQUIRY
    )
    assert unrated is not None and unrated.columns.rating == "not_rated"


def test_a_policy_change_keeps_the_clock_start_and_takes_the_new_budget() -> None:
    state = _dispatched(_policy())
    change = transitions.policy_changed(state, _policy(reply_within=4.0))
    assert change.state.reply == ClockLedger("reply", "natural_hours", 4.0, T0)
    other_unit = transitions.policy_changed(state, _policy(reply_unit="working_days"))
    assert other_unit.state.reply == state.reply


def test_the_ladder_notice_goes_to_the_highest_audience_concerned() -> None:
    due = [_item(Step.WARNING, "w"), _item(Step.SUPERVISION, "s"), _item(Step.REMINDER, "r")]
    notice = notices.ladder("WQ1", due, "pipe_repair")
    assert notice.audience == "office"
    assert notice.body.splitlines()[1].startswith("督办")


def test_citizens_get_sms_when_they_gave_a_phone_else_email() -> None:
    assert notices.citizen_channel("138", "a@b.c") == ("sms", "138")
    assert notices.citizen_channel(None, "a@b.c") == ("email", "a@b.c")
    assert notices.staff_recipient("unit_head", "pipe_repair") == "pipe_repair:head"
    assert notices.staff_recipient("office", "pipe_repair") == OFFICE_UNIT
