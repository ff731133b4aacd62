"""What one transition of a case changes, and the moves several paths share.

A transition is a pure function: given the case's state, the action, the policy and the time, it
returns a Change (the next state, with its status and clock ledgers, plus the event that records
it: kind, actor, reason, read-model columns, tasks and notices). The workflow applies the Change
and records it through its activities; it decides nothing itself.

The shared moves: 派单/改派/转办 (`dispatch`), 答复 (`answer`), 重办 (`reopen`), 办结 (`close`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from domain import notices
from domain.case import OFFICE_UNIT, CaseState, CaseStatus, Deadlines, MainReply
from domain.clock import ClockLedger
from domain.models import InquiryInput, ReplySubmission
from domain.notices import Notice
from domain.policy import CasePolicy
from domain.transition import (
    CaseColumns,
    PlanRequest,
    ProjectedTransition,
    TaskChange,
    Transition,
)


@dataclass
class Change:
    """The next state of the case and the event that records the step to it."""

    state: CaseState  # the next state; the state a transition is given is never modified
    kind: str
    actor: str
    reason: str = ""
    detail: dict[str, str] = field(default_factory=dict)
    columns: CaseColumns = field(default_factory=CaseColumns)
    task: TaskChange | None = None
    notices: list[Notice] = field(default_factory=list)
    # Notices that name a due time known only once the clocks are projected (延期).
    announce: Callable[[Deadlines], list[Notice]] | None = None
    # 答复 of a main case: what each merged case's citizen receives as well.
    main_reply: MainReply | None = None

    def all_notices(self, deadlines: Deadlines) -> list[Notice]:
        later = self.announce(deadlines) if self.announce is not None else []
        return [*self.notices, *later]

    def transition(self, inquiry_id: str, at: datetime) -> Transition:
        """The change as its event, before the clock of its re-projection is known."""
        state = self.state
        return Transition(
            inquiry_id=inquiry_id,
            seq=state.seq,
            kind=self.kind,
            actor=self.actor,
            at=at,
            status=state.status,
            unit_code=state.unit,
            reason=self.reason,
            detail=self.detail,
            columns=self.columns,
            task=self.task,
            notices=self.all_notices(state.deadlines),
        )


def counted(
    inquiry_id: str, change: Change, policy: CasePolicy, at: datetime
) -> ProjectedTransition:
    """The change counted in its state's `seq` (the state is the case's from now on), as one
    activity records it with its re-projection: the workflow for every change of a case, and a
    revision-3 case's first activity for its 派单 (activities/cases.py `receive_and_dispatch`)."""
    change.state.seq += 1
    return ProjectedTransition(
        plan=PlanRequest(inquiry_id=inquiry_id, state=change.state, policy=policy, now=at),
        transition=change.transition(inquiry_id, at),
    )


def to_office() -> TaskChange:
    """The case's open task goes to the office, which decides (改派 or a supervisor's call)."""
    return TaskChange(close_open=True, open_unit=OFFICE_UNIT, open_kind="decision")


def dispatch(
    state: CaseState,
    *,
    unit: str,
    actor: str,
    kind: str,
    reason: str,
    policy: CasePolicy,
    now: datetime,
    code: str,
) -> Change:
    """派单/改派/转办: a new acknowledgement clock; the reply clock starts at the first dispatch
    only, so a unit never gains time by returning or transferring a case."""
    first = state.reply is None
    nxt = replace(
        state,
        status=CaseStatus.DISPATCHED.value,
        unit=unit,
        dispatches=state.dispatches + 1,
        dispatched_at=now,
        acknowledged_at=None,
        returned_by=None,
        awaiting=None,
        ack=ClockLedger("acknowledge", policy.ack_unit, policy.ack_within, now),
    )
    if first:
        nxt.first_dispatched_at = now
        nxt.reply = ClockLedger("reply", policy.reply_unit, policy.reply_within, now)
    return Change(
        nxt,
        kind,
        actor,
        reason=reason,
        columns=CaseColumns(routing_rule=state.rule, dispatched_at=now if first else None),
        task=TaskChange(close_open=True, open_unit=unit),
        notices=[notices.dispatched(code, unit)],
    )


def answer(
    state: CaseState,
    reply: ReplySubmission,
    *,
    kind: str,
    policy: CasePolicy,
    now: datetime,
    inquiry: InquiryInput,
    on_site: bool = False,
    reviewer: str = "",
    answered_at: datetime | None = None,
) -> Change:
    """答复: record the reply, send it to the citizen, start the follow-up clock (回访).

    The reply clock stops at `answered_at` (a queued reply: when the handler sent it), else now.
    """
    due = state.deadlines.reply_due
    stopped = answered_at or now
    replied_at = inquiry.received_at if on_site else stopped
    on_time = True if on_site else (due is None or stopped <= due)
    start = state.first_dispatched_at or state.dispatched_at or inquiry.received_at
    nxt = replace(
        state,
        status=CaseStatus.FOLLOW_UP.value,
        answer=reply,
        replied_at=replied_at,
        on_time=on_time,
        follow_up=ClockLedger("follow_up", "working_days", policy.followup_days, now),
    )
    return Change(
        nxt,
        kind,
        reviewer or reply.replied_by,
        detail={"reply_id": reply.reply_id},
        columns=CaseColumns(
            replied_at=replied_at,
            reply_content=reply.content,
            replied_by=reply.replied_by,
            on_time=on_time,
            answered_on_site=on_site or None,
            handling_seconds=max(0, int((replied_at - start).total_seconds())),
        ),
        task=TaskChange(close_open=True),
        notices=[notices.feedback(inquiry.tracking_code, reply.content)],
        main_reply=MainReply(main_inquiry_id=inquiry.inquiry_id, content=reply.content),
    )


def reopen(
    state: CaseState, *, actor: str, reason: str, policy: CasePolicy, now: datetime, code: str
) -> Change:
    """重办: a new reply clock for the same unit; the earlier cycle's steps stay recorded."""
    nxt = replace(
        state,
        status=CaseStatus.HANDLING.value,
        reopened=state.reopened + 1,
        cycle=state.cycle + 1,
        awaiting=None,
        answer=None,
        follow_up=None,
        overdue=False,
        reply=ClockLedger("reply", policy.reply_unit, policy.reply_within, now),
    )
    return Change(
        nxt,
        "reopened",
        actor,
        reason=reason,
        columns=CaseColumns(reopened=nxt.reopened, rating="unsatisfied", overdue=False),
        task=TaskChange(close_open=True, open_unit=state.unit),
        notices=[notices.reopened(code, reason, state.unit)],
    )


def close(
    state: CaseState,
    status: CaseStatus,
    close_reason: str,
    *,
    actor: str,
    now: datetime,
    received_at: datetime,
    reason: str = "",
    columns: CaseColumns | None = None,
    notes: list[Notice] | None = None,
) -> Change:
    """办结 (or 撤回): the closing columns, every open task done."""
    nxt = replace(state, status=status.value, close_reason=close_reason)
    cols = replace(columns) if columns is not None else CaseColumns()
    cols.closed_at = now
    cols.close_reason = close_reason
    cols.rating = nxt.rating
    cols.on_time = nxt.on_time
    cols.total_seconds = max(0, int((now - received_at).total_seconds()))
    return Change(
        nxt,
        "closed" if status == CaseStatus.CLOSED else status.value,
        actor,
        reason=reason or close_reason,
        columns=cols,
        task=TaskChange(close_open=True),
        notices=notes or [],
    )
