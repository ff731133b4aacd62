"""Ladder steps that came due: what firing them records, and what they do to the case.

Most steps only raise the escalation level (催办 → 督办 → 通报). Three end a wait: an unanswered
补正 withdraws the case, an unrated 回访 closes it, and a case never signed for goes back to the
office for 改派.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from domain import notices
from domain.case import AgendaItem, CaseState, CaseStatus
from domain.change import Change, close, to_office
from domain.models import InquiryInput
from domain.policy import STEP_LEVEL, Step
from domain.transition import FiredSteps


def fire(
    state: CaseState, due: Sequence[AgendaItem], inquiry_id: str, now: datetime
) -> tuple[CaseState, FiredSteps]:
    """The steps marked fired, the level raised (a 催办 makes the case overdue), and the record
    the ladder activity writes with one notice per audience."""
    level, overdue = state.level, state.overdue
    for item in due:
        level = max(level, STEP_LEVEL.get(Step(item.step), 0))
        overdue = overdue or item.step == Step.REMINDER
    nxt = replace(
        state,
        fired=[*state.fired, *(i.key for i in due)],
        level=level,
        overdue=overdue,
        seq=state.seq + 1,
    )
    record = FiredSteps(
        inquiry_id=inquiry_id,
        seq=nxt.seq,
        unit_code=nxt.unit,
        at=now,
        steps=list(due),
        level=level,
        overdue=overdue,
    )
    return nxt, record


def outcome(
    state: CaseState, due: Sequence[AgendaItem], now: datetime, inquiry: InquiryInput
) -> Change | None:
    """What the fired steps do beyond the ladder; None when the case only climbs it."""
    steps = {Step(i.step) for i in due}
    status = state.status
    if Step.PAUSE_EXPIRED in steps and status == CaseStatus.PAUSED:
        return close(
            state,
            CaseStatus.WITHDRAWN,
            "withdrawn",
            actor="system",
            now=now,
            received_at=inquiry.received_at,
            notes=[notices.withdrawn()],
        )
    if Step.FOLLOWUP_EXPIRED in steps and status == CaseStatus.FOLLOW_UP:
        return close(
            replace(state, rating="not_rated"),
            CaseStatus.CLOSED,
            "not_rated",
            actor="system",
            now=now,
            received_at=inquiry.received_at,
        )
    if Step.ACK_RETURN in steps and status == CaseStatus.DISPATCHED:
        return Change(
            replace(state, status=CaseStatus.RETURNED.value, returned_by=state.unit),
            "not_acknowledged",
            "system",
            reason="never signed for; back to the office for re-dispatch",
            task=to_office(),
            notices=[notices.not_acknowledged(inquiry.tracking_code)],
        )
    return None


def pruned(state: CaseState) -> CaseState:
    """Before continue-as-new: acknowledgement steps of earlier dispatches can never fire again."""
    current = f":{state.dispatches}"
    return replace(
        state, fired=[k for k in state.fired if not k.startswith("ack_") or current in k]
    )
