"""The case of the full closed loop: its state, the staff actions on it, and the rules that admit
or refuse each action. Pure: the workflow applies these, the API shows their refusals."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from domain.clock import ClockLedger
from domain.models import ReplySubmission, Role
from domain.policy import CasePolicy, Review


class CaseStatus(StrEnum):
    """Where a case stands; the Chinese term is what the office calls it."""

    RECEIVED = "received"  # 受理
    DISPATCHED = "dispatched"  # 已派单, 待签收
    HANDLING = "handling"  # 已签收, 办理中
    RETURNED = "returned"  # 退单, waiting for the office to re-dispatch (改派) or refuse
    PAUSED = "paused"  # 补正/挂起, waiting on the citizen; the reply clock stops
    IN_REVIEW = "in_review"  # 审核, the draft reply waits for its reviewer
    FOLLOW_UP = "follow_up"  # 回访, feedback sent, waiting for the citizen's rating
    AWAITING_DECISION = "awaiting_decision"  # a supervisor decides (returns, 2nd 不满意)
    MERGED = "merged"  # 并单, follows its main case
    CLOSED = "closed"  # 办结
    WITHDRAWN = "withdrawn"  # 撤回: 补正 never answered


# Open: with a unit, waiting for its reply. The reply clock runs, the ladder climbs, and the
# case can be overdue (paused cases wait on the citizen instead). The one home of this set.
OPEN_STATUSES = frozenset(
    {CaseStatus.DISPATCHED, CaseStatus.HANDLING, CaseStatus.RETURNED, CaseStatus.IN_REVIEW}
)
FINISHED = frozenset({CaseStatus.CLOSED, CaseStatus.WITHDRAWN})

RETURN_REASONS = {
    "not_our_unit": "不属于本单位职责",
    "wrong_area": "不在本单位服务范围",
    "duplicate": "重复件",
    "insufficient_info": "信息不全，无法办理",
    "other": "其他",
}
RATINGS = ("satisfied", "basically_satisfied", "unsatisfied")  # 满意 / 基本满意 / 不满意
# The open-affairs office (办事公开办公室): triages what no rule claims, reviews, supervises.
OFFICE_UNIT = "open_affairs"


class Refusal(Exception):
    """An action the case refuses; `code` maps to an HTTP status in the API."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


# Refusal codes and what the API answers with them.
WRONG_STATE, FORBIDDEN, WRONG_UNIT, TOO_LATE, OVER_CAP, INVALID, EXPIRED = (
    "WrongState", "Forbidden", "WrongUnit", "TooLate", "OverCap", "Invalid", "Expired",
)  # fmt: skip


@dataclass
class Sent:
    """When the API sent a staff action, and until when the case may take it.

    The API waits that long for a worker to take the action, then answers 503 no_worker and
    "nothing was changed"; a delivery after `valid_until` must therefore be refused. Both are
    keyword fields with defaults, so actions in histories recorded before them still decode.
    """

    sent_at: datetime | None = field(default=None, kw_only=True)
    valid_until: datetime | None = field(default=None, kw_only=True)


class Timed(Protocol):
    """Anything that says until when it may be taken (a Sent action, a ReplySubmission)."""

    @property
    def valid_until(self) -> datetime | None: ...


@dataclass
class Actor:
    username: str
    role: str
    unit_code: str | None = None

    @property
    def office(self) -> bool:
        """The open-affairs office: its own staff, or supervisors and admins above it."""
        return self.role in (Role.SUPERVISOR, Role.ADMIN) or self.unit_code == OFFICE_UNIT


@dataclass
class Acknowledge(Sent):
    actor: Actor


@dataclass
class ReturnCase(Sent):
    actor: Actor
    reason_code: str
    note: str = ""


@dataclass
class ReturnDecision(Sent):
    actor: Actor
    accept: bool
    new_unit: str | None = None
    note: str = ""


@dataclass
class Transfer(Sent):
    actor: Actor
    new_unit: str
    reason: str


@dataclass
class ExtensionRequest(Sent):
    actor: Actor
    amount: float
    reason: str
    legal_basis: str


@dataclass
class ExtensionDecision(Sent):
    actor: Actor
    approve: bool
    note: str = ""


@dataclass
class InfoRequest(Sent):
    actor: Actor
    question: str


@dataclass
class Supplement(Sent):
    content: str
    by: str  # "citizen", or the operator who took the call


@dataclass
class ReviewDecision(Sent):
    actor: Actor
    approve: bool
    comment: str = ""


@dataclass
class Rating(Sent):
    rating: str
    by: str  # "citizen", or the operator who made the follow-up call
    comment: str = ""


@dataclass
class ReopenDecision(Sent):
    actor: Actor
    reopen: bool
    note: str = ""


@dataclass
class MergeRequest(Sent):
    actor: Actor
    main_inquiry_id: str


@dataclass
class AttachMerged(Sent):
    actor: Actor
    inquiry_id: str


@dataclass
class CoHandlerAssignment(Sent):
    actor: Actor
    units: list[str]
    within: float  # in the reply clock's unit


@dataclass
class CoHandlerResult:
    unit_code: str
    outcome: str  # "answered" | "escalated"
    content: str = ""
    answered_by: str = ""


@dataclass
class MainReply:
    main_inquiry_id: str
    content: str


@dataclass
class AgendaItem:
    key: str  # unique within the case: a step fires once
    step: str  # a domain.policy.Step value
    target: str
    at: datetime
    due_at: datetime | None = None


@dataclass
class Deadlines:
    """The due times of the last projection, and the limits the rules check against."""

    ack_due: datetime | None = None
    reply_due: datetime | None = None
    follow_up_due: datetime | None = None
    extension_until: datetime | None = None
    return_until: datetime | None = None
    pause_until: datetime | None = None
    provisional: bool = False


@dataclass
class CaseState:
    """Everything the case workflow knows; carried over continue-as-new."""

    status: str = CaseStatus.RECEIVED.value
    unit: str | None = None
    rule: str | None = None
    dispatches: int = 0
    dispatched_at: datetime | None = None  # the latest dispatch (acknowledgement clock)
    first_dispatched_at: datetime | None = None  # the reply clock's start
    acknowledged_at: datetime | None = None
    returns: int = 0
    returned_by: str | None = None
    ack: ClockLedger | None = None
    reply: ClockLedger | None = None
    follow_up: ClockLedger | None = None
    cycle: int = 1
    extensions: int = 0
    extension_pending: ExtensionRequest | None = None
    pauses: int = 0
    question: str | None = None
    draft: ReplySubmission | None = None
    review_comment: str | None = None
    answer: ReplySubmission | None = None
    replied_at: datetime | None = None
    reopened: int = 0
    rating: str | None = None
    merged_into: str | None = None
    merged: list[str] = field(default_factory=list)
    cohandlers: dict[str, CoHandlerResult] = field(default_factory=dict)
    fired: list[str] = field(default_factory=list)
    level: int = 0
    overdue: bool = False
    seq: int = 0
    deadlines: Deadlines = field(default_factory=Deadlines)
    agenda: list[AgendaItem] = field(default_factory=list)
    on_time: bool | None = None
    close_reason: str | None = None
    awaiting: str | None = None  # in awaiting_decision: "return" or "reopen"


def _state(state: CaseState, *allowed: CaseStatus) -> None:
    if state.status not in {s.value for s in allowed}:
        names = ", ".join(s.value for s in allowed)
        raise Refusal(WRONG_STATE, f"the case is {state.status}; this needs it {names}")


def _unit_staff(state: CaseState, actor: Actor) -> None:
    if actor.role not in (Role.HANDLER, Role.UNIT_HEAD):
        raise Refusal(FORBIDDEN, "only the responsible unit's handlers do this")
    if actor.unit_code != state.unit:
        raise Refusal(WRONG_UNIT, f"the case is with {state.unit}, not {actor.unit_code}")


def _office(actor: Actor) -> None:
    if not actor.office:
        raise Refusal(FORBIDDEN, "only the open-affairs office or a supervisor does this")


def _supervisor(actor: Actor) -> None:
    if actor.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise Refusal(FORBIDDEN, "only a supervisor decides this")


def _text(value: str, what: str) -> None:
    if not value.strip():
        raise Refusal(INVALID, f"{what} is empty")


def check_in_time(action: Timed, now: datetime) -> None:
    """An action delivered after the API stopped waiting for it (and answered 503) is refused."""
    until = action.valid_until
    if until is not None and now > until:
        raise Refusal(
            EXPIRED, f"the action was valid until {until.isoformat()}; nothing was changed"
        )


def check_acknowledge(state: CaseState, action: Acknowledge) -> None:
    _state(state, CaseStatus.DISPATCHED)
    _unit_staff(state, action.actor)


def check_return(state: CaseState, action: ReturnCase, now: datetime) -> None:
    _state(state, CaseStatus.DISPATCHED, CaseStatus.HANDLING)
    _unit_staff(state, action.actor)
    if action.reason_code not in RETURN_REASONS:
        raise Refusal(INVALID, f"unknown reason code; use one of {sorted(RETURN_REASONS)}")
    until = state.deadlines.return_until
    if until is not None and now > until:
        raise Refusal(TOO_LATE, f"returns were possible until {until.isoformat()}")


def check_return_decision(state: CaseState, action: ReturnDecision, policy: CasePolicy) -> None:
    _state(state, CaseStatus.RETURNED, CaseStatus.AWAITING_DECISION)
    if state.status == CaseStatus.AWAITING_DECISION and state.awaiting != "return":
        raise Refusal(WRONG_STATE, "the supervisor's decision here is about reopening")
    if state.returns >= policy.max_returns or state.status == CaseStatus.AWAITING_DECISION:
        _supervisor(action.actor)
    else:
        _office(action.actor)
    if action.accept:
        if not action.new_unit:
            raise Refusal(INVALID, "name the unit to re-dispatch to")
        if action.new_unit == state.returned_by:
            raise Refusal(INVALID, "that unit returned the case; name another")
    elif state.returned_by is None:
        raise Refusal(INVALID, "no unit to send the case back to; re-dispatch it")


def check_transfer(state: CaseState, action: Transfer) -> None:
    _state(state, CaseStatus.DISPATCHED, CaseStatus.HANDLING, CaseStatus.RETURNED)
    _office(action.actor)
    _text(action.reason, "the reason")
    if action.new_unit == state.unit and state.status != CaseStatus.RETURNED:
        raise Refusal(INVALID, "the case is already with that unit")


def check_extension_request(
    state: CaseState, action: ExtensionRequest, policy: CasePolicy, now: datetime
) -> None:
    _state(state, CaseStatus.DISPATCHED, CaseStatus.HANDLING)
    _unit_staff(state, action.actor)
    _text(action.reason, "the reason")
    _text(action.legal_basis, "the legal basis")
    if state.extension_pending is not None:
        raise Refusal(WRONG_STATE, "an extension request is already waiting for a decision")
    if policy.max_extensions <= 0 or policy.max_extension <= 0:
        raise Refusal(OVER_CAP, "this category allows no extension")
    if state.extensions >= policy.max_extensions:
        raise Refusal(OVER_CAP, f"this category allows {policy.max_extensions} extension(s)")
    if not 0 < action.amount <= policy.max_extension:
        raise Refusal(
            OVER_CAP, f"an extension is at most {policy.max_extension} ({policy.reply_unit})"
        )
    until = state.deadlines.extension_until
    if until is not None and now > until:
        raise Refusal(TOO_LATE, f"extensions had to be asked for by {until.isoformat()}")


def check_extension_decision(state: CaseState, action: ExtensionDecision) -> None:
    _supervisor(action.actor)
    if state.extension_pending is None:
        raise Refusal(WRONG_STATE, "no extension request is waiting")


def check_info_request(state: CaseState, action: InfoRequest) -> None:
    _state(state, CaseStatus.DISPATCHED, CaseStatus.HANDLING)
    _unit_staff(state, action.actor)
    _text(action.question, "the question to the citizen")


def check_supplement(state: CaseState, action: Supplement) -> None:
    _state(state, CaseStatus.PAUSED)
    _text(action.content, "the answer")


def check_reply(state: CaseState, reply: ReplySubmission) -> None:
    if state.answer is not None and state.answer.reply_id == reply.reply_id:
        return
    if state.draft is not None and state.draft.reply_id == reply.reply_id:
        return
    _state(state, CaseStatus.DISPATCHED, CaseStatus.HANDLING)
    if reply.unit_code != state.unit:
        raise Refusal(WRONG_UNIT, f"the case is with {state.unit}, not {reply.unit_code}")
    _text(reply.content, "the reply")
    waiting = [u for u, r in state.cohandlers.items() if r.outcome == "open"]
    if waiting:
        raise Refusal(WRONG_STATE, f"co-handling units have not answered: {', '.join(waiting)}")


def check_review(state: CaseState, action: ReviewDecision, policy: CasePolicy) -> None:
    _state(state, CaseStatus.IN_REVIEW)
    if policy.review == Review.UNIT_HEAD:
        if action.actor.role != Role.UNIT_HEAD or action.actor.unit_code != state.unit:
            raise Refusal(FORBIDDEN, "the head of the responsible unit reviews this reply")
    else:
        _office(action.actor)
    if not action.approve:
        _text(action.comment, "a refusal's comment")


def check_rating(state: CaseState, action: Rating) -> None:
    _state(state, CaseStatus.FOLLOW_UP)
    if action.rating not in RATINGS:
        raise Refusal(INVALID, f"rate with one of {', '.join(RATINGS)}")


def check_reopen_decision(state: CaseState, action: ReopenDecision) -> None:
    _state(state, CaseStatus.AWAITING_DECISION)
    _supervisor(action.actor)
    if state.awaiting != "reopen":
        raise Refusal(WRONG_STATE, "this decision follows a second 不满意 rating")


def check_merge(state: CaseState, action: MergeRequest, own_id: str) -> None:
    _state(state, CaseStatus.DISPATCHED, CaseStatus.HANDLING, CaseStatus.RETURNED)
    if action.actor.role not in (Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN):
        raise Refusal(FORBIDDEN, "operators and supervisors merge cases")
    if action.main_inquiry_id == own_id:
        raise Refusal(INVALID, "a case cannot be merged into itself")
    if state.merged:
        raise Refusal(WRONG_STATE, "other cases follow this one; merge them into it instead")


def check_attach(state: CaseState, action: AttachMerged, own_id: str) -> None:
    _state(state, CaseStatus.DISPATCHED, CaseStatus.HANDLING, CaseStatus.RETURNED)
    if action.inquiry_id == own_id:
        raise Refusal(INVALID, "a case cannot be merged into itself")


def check_cohandlers(state: CaseState, action: CoHandlerAssignment) -> None:
    _state(state, CaseStatus.DISPATCHED, CaseStatus.HANDLING)
    if not (action.actor.office or (
        action.actor.role == Role.UNIT_HEAD and action.actor.unit_code == state.unit
    )):  # fmt: skip
        raise Refusal(FORBIDDEN, "the office or the lead unit's head assigns co-handlers")
    if not action.units:
        raise Refusal(INVALID, "name at least one co-handling unit")
    if state.unit in action.units:
        raise Refusal(INVALID, "the lead unit cannot co-handle its own case")
    already = sorted(set(action.units) & set(state.cohandlers))
    if already:
        raise Refusal(INVALID, f"already co-handling: {', '.join(already)}")
    if action.within <= 0:
        raise Refusal(INVALID, "give the co-handlers some time")
