"""Each path's rule up to the answer: 派单, 签收, 退单/改派, 转办, 延期, 补正, 协办, and changes of
policy or calendar. Answers and what follows them are in domain/answers.py.

One pure function per path, called by the case workflow after the matching `check_*` in
domain/case.py admitted the action. Each returns a Change (domain/change.py).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from domain import notices
from domain.case import (
    RETURN_REASONS,
    Acknowledge,
    CaseState,
    CaseStatus,
    CoHandlerAssignment,
    CoHandlerResult,
    ExtensionDecision,
    ExtensionRequest,
    InfoRequest,
    ReturnCase,
    ReturnDecision,
    Supplement,
    Transfer,
)
from domain.change import Change, dispatch, to_office
from domain.clock import ClockLedger, SegmentKind, close_segment, extend, open_segment, restart
from domain.policy import CasePolicy
from domain.transition import CaseColumns, CaseRoute

# ---- 受理 → 派单 ----


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
        task=to_office(),
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
