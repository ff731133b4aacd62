"""Every message the closed loop sends, Chinese first, and who receives it.

Citizen notices are templates per kind (CITIZEN_TEMPLATES), in Chinese and English, filled with
documented variables; the SMS carries the Chinese text, an email both. Staff notices start with
the office's term (派单, 退单, 催办…) and explain in English. The case transitions
(domain/transitions.py) and the ladder activity take their texts from here, so a wording changes
in one place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum

from domain.calendar import CHINA_TZ
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
    """A message to queue in the outbox; `citizen` is resolved to the citizen's contact.

    `template` and `variables` name the citizen template the body was rendered from, so the
    outbox can render the English text and add the tracking link (notices recorded before
    templates existed have neither and are sent with their body as is)."""

    audience: str  # an Audience value
    kind: str
    body: str
    unit_code: str | None = None
    template: str = ""
    variables: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Template:
    """One citizen notice in both languages; `link` adds the line with the tracking link."""

    zh: str
    en: str
    variables: tuple[str, ...] = ()
    link: bool = False


# The citizen's notices by template name. Variables: `code` the tracking code, `answer` the
# unit's reply, `question` the unit's 补正 question, `due` the new reply due time (ISO 8601).
# Every template may use `link` (PUBLIC_BASE_URL/track/{code}); those with link=True end with it.
CITIZEN_TEMPLATES: dict[str, Template] = {
    "feedback": Template(
        "您的诉求（查询码 {code}）已答复：{answer}"
        " 请通过查询码对办理结果进行评价（满意/基本满意/不满意）。",
        "Your inquiry {code} has been answered: {answer}"
        " Please rate the answer (satisfied / basically satisfied / unsatisfied).",
        ("code", "answer"),
        link=True,
    ),
    "merged_feedback": Template(
        "您的诉求（查询码 {code}）已答复：{answer}",
        "Your inquiry {code} has been answered: {answer}",
        ("code", "answer"),
        link=True,
    ),
    "extension": Template(
        "您的诉求办理期限已依法延长，新的答复期限为 {due}。",
        "The time limit of your inquiry was lawfully extended; the new reply due time is {due}.",
        ("due",),
    ),
    "info_request": Template(
        "请补充材料（查询码 {code}）：{question}",
        "Please supply more information (tracking code {code}): {question}",
        ("code", "question"),
        link=True,
    ),
    "merged": Template(
        "您反映的问题与同一事件合并办理，办理结果将一并答复您。",
        "Your inquiry is handled together with others about the same event;"
        " you will receive their common answer.",
    ),
    "withdrawn": Template(
        "您未在期限内补充材料，诉求已按撤回办结。",
        "You did not supply the information in time; the inquiry is closed as withdrawn.",
    ),
}
LINK_LINE = {"zh": "查看进度：{link}", "en": "Follow your inquiry: {link}"}


def render(template: str, variables: Mapping[str, str], lang: str = "zh") -> str:
    """The text of a citizen template in one language (`zh` or `en`), with its link line."""
    t = CITIZEN_TEMPLATES[template]
    text = (t.zh if lang == "zh" else t.en).format(**variables)
    if t.link and variables.get("link"):
        text += "\n" + LINK_LINE[lang].format(**variables)
    return text


def citizen(kind: str, template: str, **variables: str) -> Notice:
    body = render(template, variables)
    return Notice(Audience.CITIZEN.value, kind, body, template=template, variables=variables)


@dataclass(frozen=True)
class Outgoing:
    """A notice as the outbox sends it: subject (email) and body for its channel."""

    subject: str
    body: str


def compose(notice: Notice, *, channel: str, code: str, base_url: str) -> Outgoing:
    """The text a channel carries: SMS the Chinese text with the tracking link; email Chinese,
    then English; staff and pre-template notices their body as it was recorded."""
    subject = f"[{code}] {notice.kind}"
    if notice.template not in CITIZEN_TEMPLATES:
        return Outgoing(subject, notice.body)
    variables = {**notice.variables, "link": f"{base_url.rstrip('/')}/track/{code}"}
    zh = render(notice.template, variables, "zh")
    if channel != "email":
        return Outgoing(subject, zh)
    return Outgoing(
        f"您的诉求 {code} / Your inquiry {code}",
        zh + "\n\n" + render(notice.template, variables, "en"),
    )


def quiet_until(now: datetime, start: time, end: time) -> datetime | None:
    """When quiet hours (China time, e.g. 21:00–08:00) hold `now`, the moment they end; else
    None. A window with start > end spans midnight."""
    local = now.astimezone(CHINA_TZ)
    t = local.time()
    inside = (start <= t or t < end) if start > end else (start <= t < end)
    if not inside:
        return None
    day = local.date() if t < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=CHINA_TZ)


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
    return citizen("feedback", "feedback", code=code, answer=answer)


def merged_feedback(code: str, answer: str) -> Notice:
    """并单: the main case's answer, given to a follower's citizen (no rating asked)."""
    return citizen("feedback", "merged_feedback", code=code, answer=answer)


def extension_granted(due: datetime | None) -> Notice:
    return citizen("extension", "extension", due=_when(due))


def info_request(code: str, question: str) -> Notice:
    return citizen("info_request", "info_request", code=code, question=question)


def merged() -> Notice:
    return citizen("merged", "merged")


def withdrawn() -> Notice:
    return citizen("withdrawn", "withdrawn")


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


# ---- scheduled (no case of their own; workflows/scheduled.py) ----


def daily_digest(day: str, unit_name: str, open_: int, due_soon: int, overdue: int) -> Outgoing:
    """每日待办: a unit head's morning view of the unit's open cases."""
    return Outgoing(
        f"每日待办 {day} {unit_name}",
        f"{unit_name} {day} 每日待办 / daily digest\n"
        f"在办 open: {open_}\n"
        f"即将到期（一个工作日内） due within a working day: {due_soon}\n"
        f"已超期 overdue: {overdue}",
    )


def monthly_summary(month: str, figures: Mapping[str, str]) -> Outgoing:
    """月度通报: last month's figures for the supervisors, each line Chinese then English."""
    lines = [f"{name}: {value}" for name, value in figures.items()]
    return Outgoing(f"月度通报 {month}", f"{month} 月度通报 / monthly summary\n" + "\n".join(lines))
