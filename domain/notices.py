"""Every message the closed loop sends, Chinese first, and who receives it.

Citizens read Chinese only; staff notices start with the office's term (派单, 退单, 催办…) and
explain in English. The case transitions (domain/transitions.py) and the ladder activity take
their texts from here, so a wording changes in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.case import OFFICE_UNIT, AgendaItem
from domain.policy import Step


class Audience(StrEnum):
    """Who a notice is for, lowest rank first (a ladder notice goes to the highest concerned)."""

    CITIZEN = "citizen"
    UNIT = "unit"
    UNIT_HEAD = "unit_head"
    OFFICE = "office"
    SUPERVISORS = "supervisors"


RANK = {Audience.UNIT: 0, Audience.UNIT_HEAD: 1, Audience.OFFICE: 2, Audience.SUPERVISORS: 3}


@dataclass
class Notice:
    """A message to queue in the outbox; `citizen` is resolved to the citizen's contact."""

    audience: str  # an Audience value
    kind: str
    body: str
    unit_code: str | None = None


def citizen(kind: str, body: str) -> Notice:
    return Notice(Audience.CITIZEN.value, kind, body)


def staff_recipient(audience: str, unit_code: str | None) -> str:
    """The internal address of a staff notice: the office, the supervisors, a unit or its head."""
    if audience == Audience.OFFICE:
        return OFFICE_UNIT
    if audience == Audience.SUPERVISORS:
        return "supervisors"
    recipient = unit_code or OFFICE_UNIT
    return f"{recipient}:head" if audience == Audience.UNIT_HEAD else recipient


def citizen_channel(phone: str | None, email: str | None) -> tuple[str, str]:
    """SMS when the citizen gave a phone number, else email: (channel, recipient). Intake
    refuses an inquiry with neither, so every citizen can be answered."""
    if phone:
        return "sms", phone
    if email:
        return "email", email
    raise ValueError("the citizen gave no phone number and no email address")


def _when(moment: datetime | None) -> str:
    return moment.isoformat() if moment else "-"


# ---- to the citizen ----


def feedback(code: str, answer: str) -> Notice:
    """答复: the answer, with the request to rate it (回访)."""
    return citizen(
        "feedback",
        f"您的诉求（查询码 {code}）已答复：{answer}"
        " 请通过查询码对办理结果进行评价（满意/基本满意/不满意）。",
    )


def merged_feedback(code: str, answer: str) -> Notice:
    """并单: the main case's answer, given to a follower's citizen (no rating asked)."""
    return citizen("feedback", f"您的诉求（查询码 {code}）已答复：{answer}")


def extension_granted(due: datetime | None) -> Notice:
    return citizen("extension", f"您的诉求办理期限已依法延长，新的答复期限为 {_when(due)}。")


def info_request(code: str, question: str) -> Notice:
    return citizen("info_request", f"请补充材料（查询码 {code}）：{question}")


def merged() -> Notice:
    return citizen("merged", "您反映的问题与同一事件合并办理，办理结果将一并答复您。")


def withdrawn() -> Notice:
    return citizen("withdrawn", "您未在期限内补充材料，诉求已按撤回办结。")


# ---- to staff ----


def dispatched(code: str, unit: str) -> Notice:
    return Notice(Audience.UNIT, "dispatch", f"派单 case {code} to {unit}", unit)


def returned(code: str, unit: str | None, reason_code: str, to_supervisors: bool) -> Notice:
    audience = Audience.SUPERVISORS if to_supervisors else Audience.OFFICE
    return Notice(audience, "returned", f"退单 case {code} returned by {unit}: {reason_code}")


def not_acknowledged(code: str) -> Notice:
    return Notice(Audience.OFFICE, "redispatch", f"改派 case {code} needs re-dispatch")


def extension_requested(code: str) -> Notice:
    return Notice(Audience.SUPERVISORS, "extension", f"延期 requested for case {code}")


def extension_decided(code: str, unit: str | None, approved: bool) -> Notice:
    verdict = "approved" if approved else "refused"
    return Notice(Audience.UNIT, "extension", f"延期 {verdict} for case {code}", unit)


def supplemented(code: str, unit: str | None) -> Notice:
    return Notice(Audience.UNIT, "supplement", f"补正 received for case {code}", unit)


def review_wanted(code: str, reviewer: str, by_unit_head: bool) -> Notice:
    audience = Audience.UNIT_HEAD if by_unit_head else Audience.OFFICE
    return Notice(audience, "review", f"审核 the reply of case {code}", reviewer)


def review_refused(comment: str, unit: str | None) -> Notice:
    return Notice(Audience.UNIT, "review", f"审核 refused: {comment}", unit)


def unsatisfied_again(code: str) -> Notice:
    return Notice(Audience.SUPERVISORS, "unsatisfied", f"不满意 again: case {code}")


def reopened(code: str, reason: str, unit: str | None) -> Notice:
    return Notice(Audience.UNIT, "reopen", f"重办 case {code}: {reason}", unit)


# ---- the ladder (催办 → 督办 → 通报, and the acknowledgement's steps) ----

STEP_TEXT: dict[Step, tuple[Audience, str]] = {
    Step.WARNING: (Audience.UNIT, "预警 warning: case {code} is due {due}"),
    Step.REMINDER: (Audience.UNIT_HEAD, "催办 reminder: case {code} passed its deadline {due}"),
    Step.SUPERVISION: (Audience.OFFICE, "督办 supervision: case {code} is overdue since {due}"),
    Step.NOTICE: (Audience.SUPERVISORS, "通报 notice: case {code} is still overdue since {due}"),
    Step.ACK_REMINDER: (Audience.UNIT, "签收 reminder: urgent case {code} is not signed for"),
    Step.ACK_BREACH: (
        Audience.UNIT_HEAD,
        "签收 overdue: case {code} was due to be signed for by {due}",
    ),
    Step.ACK_RETURN: (Audience.OFFICE, "改派 case {code} was never signed for; re-dispatch it"),
    Step.PAUSE_EXPIRED: (Audience.UNIT, "补正 unanswered: case {code} is withdrawn"),
    Step.FOLLOWUP_EXPIRED: (Audience.OFFICE, "回访 unrated: case {code} closes as not rated"),
}


def ladder(code: str, steps: Sequence[AgendaItem], unit_code: str | None) -> Notice:
    """Everything due at once in one notice, to the highest audience concerned: a catch-up or a
    re-projection never sends a storm of separate breaches."""
    lines = []
    audience = Audience.UNIT
    for item in steps:
        who, text = STEP_TEXT[Step(item.step)]
        lines.append(text.format(code=code, due=_when(item.due_at)))
        if RANK[who] > RANK[audience]:
            audience = who
    return Notice(audience.value, "ladder", "\n".join(lines), unit_code)
