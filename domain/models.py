"""The inquiry's vocabulary: channels, roles, priorities and the messages passed through Temporal.

Temporal payloads are plain dataclasses so new optional fields can be added without breaking
the histories of running workflows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Channel(StrEnum):
    """Where an inquiry came from (DOMAIN.md, "Where inquiries come from")."""

    HOTLINE = "hotline"  # 114 公民政务咨询热线
    MINXIN = "minxin"  # 省“民心网”
    TRANSFER = "transfer"  # 转办件 from the city open-affairs office
    WEB = "web"  # government website and intake forms
    ONSITE = "onsite"  # “5.15” open-affairs day
    COUNTER = "counter"  # 营业窗口 / city service hall


class Role(StrEnum):
    OPERATOR = "operator"
    HANDLER = "handler"
    UNIT_HEAD = "unit_head"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


UNIT_BOUND_ROLES = frozenset({Role.HANDLER, Role.UNIT_HEAD})


@dataclass
class Citizen:
    name: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass
class InquiryInput:
    """Everything intake knows; the workflow's single input."""

    inquiry_id: str
    tracking_code: str
    channel: str
    category: str
    content: str
    citizen: Citizen
    submitted_by: str
    received_at: datetime
    address: str | None = None
    district: str | None = None
    external_ref: str | None = None
    priority: str = "normal"  # a Priority value; added with default so old histories decode
    # Where the citizen put it on a map (WGS 84 degrees, both or neither; Open311's lat/long).
    lat: float | None = None
    long: float | None = None


class Priority(StrEnum):
    """How pressing an inquiry is; a category may set shorter targets for urgent ones."""

    NORMAL = "normal"
    URGENT = "urgent"


@dataclass
class ReplySubmission:
    """A unit's reply as a handler submits it (update or, when no worker answers, signal)."""

    reply_id: str
    content: str
    replied_by: str
    unit_code: str
    submitted_at: datetime | None = None  # when the handler sent it: a queued reply's time
    # Until when the update may be taken; the same reply then goes as the reply_queued signal.
    valid_until: datetime | None = None


@dataclass
class CalendarChange:
    """Signal `calendar_changed`: operator calendar days changed; open cases re-project."""

    changed_days: list[str]  # ISO dates
    changed_at: datetime
    reason: str = ""
