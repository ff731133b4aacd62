"""One line of the import of closed cases of past years: checked and read into a case, with
the inquiries row and the events that make the reports count it as if the service had run it.
Pure: whether its category and unit exist is checked by the caller against the directory."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from domain.calendar import CHINA_TZ
from domain.models import Channel

REQUIRED = ("channel", "category", "received_at", "replied_at", "closed_at")
COLUMNS = (
    "external_ref", "channel", "category", "unit", "district", "content", "received_at",
    "dispatched_at", "replied_at", "closed_at", "reply_due_at", "on_time", "reply", "rating",
    "answered_on_site",
)  # fmt: skip
_RATINGS = {
    "satisfied": "satisfied", "满意": "satisfied",
    "basically_satisfied": "basically_satisfied", "基本满意": "basically_satisfied",
    "unsatisfied": "unsatisfied", "不满意": "unsatisfied",
    "not_rated": "not_rated", "未评价": "not_rated", "": "not_rated",
}  # fmt: skip
_YES = {"true", "1", "yes", "y", "是"}
_NO = {"false", "0", "no", "n", "否", ""}
DEFAULT_CONTENT = "历史办结件（导入）"


class LineError(ValueError):
    """Why a line cannot be imported; the report shows it next to the line number."""


@dataclass(frozen=True)
class ImportedCase:
    natural_key: str
    external_ref: str | None
    channel: str
    category: str
    unit: str | None
    district: str | None
    content: str
    received_at: datetime
    dispatched_at: datetime | None
    replied_at: datetime
    closed_at: datetime
    reply: str
    rating: str  # a given rating or not_rated
    answered_on_site: bool
    on_time: bool | None


def _when(record: Mapping[str, str], name: str) -> datetime | None:
    text = record.get(name, "").strip()
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise LineError(
            f"{name}: {text!r} is not a date (YYYY-MM-DD or YYYY-MM-DD HH:MM)"
        ) from None
    if len(text) <= 10:
        value = datetime.combine(value.date(), time())
    # A time without a zone is China time, as the office writes it.
    return value if value.tzinfo else value.replace(tzinfo=CHINA_TZ)


def _flag(record: Mapping[str, str], name: str) -> bool | None:
    text = record.get(name, "").strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return None if not text else False
    raise LineError(f"{name}: {text!r} is not yes or no")


def natural_key(record: Mapping[str, str]) -> str:
    """The external reference when there is one, else a hash of the line's values."""
    ref = record.get("external_ref", "").strip()
    if ref:
        return f"ref:{ref}"
    line = "\x1f".join(record.get(name, "").strip() for name in COLUMNS)
    return "line:" + hashlib.sha256(line.encode()).hexdigest()


def read_line(record: Mapping[str, str]) -> ImportedCase:
    """The case a CSV line describes, or LineError naming the first thing wrong with it."""
    missing = [name for name in REQUIRED if not record.get(name, "").strip()]
    if missing:
        raise LineError(f"missing {', '.join(missing)}")
    channel = record["channel"].strip()
    if channel not in set(Channel):
        raise LineError(f"channel: {channel!r} is none of {', '.join(Channel)}")
    rating_text = record.get("rating", "").strip()
    rating = _RATINGS.get(rating_text.lower())
    if rating is None:
        raise LineError(f"rating: {rating_text!r} is not 满意/基本满意/不满意 or empty")
    on_site = bool(_flag(record, "answered_on_site"))
    received = _when(record, "received_at")
    dispatched = _when(record, "dispatched_at")
    replied = _when(record, "replied_at")
    closed = _when(record, "closed_at")
    due = _when(record, "reply_due_at")
    assert received is not None and replied is not None and closed is not None  # REQUIRED
    unit = record.get("unit", "").strip() or None
    if on_site and dispatched is not None:
        raise LineError("a case answered on the spot was not passed to a unit (dispatched_at)")
    if not on_site and (dispatched is None or unit is None):
        raise LineError("a case not answered on the spot needs its unit and dispatched_at")
    order = [("received_at", received), ("dispatched_at", dispatched),
             ("replied_at", replied), ("closed_at", closed)]  # fmt: skip
    present = [(name, at) for name, at in order if at is not None]
    for (before, a), (after, b) in itertools.pairwise(present):
        if b < a:
            raise LineError(f"{after} is before {before}")
    on_time = _flag(record, "on_time")
    if on_time is None and due is not None:
        on_time = replied <= due
    if on_site:
        on_time = True
    return ImportedCase(
        natural_key=natural_key(record),
        external_ref=record.get("external_ref", "").strip() or None,
        channel=channel,
        category=record["category"].strip(),
        unit=unit,
        district=record.get("district", "").strip() or None,
        content=record.get("content", "").strip() or DEFAULT_CONTENT,
        received_at=received,
        dispatched_at=dispatched,
        replied_at=replied,
        closed_at=closed,
        reply=record.get("reply", "").strip(),
        rating=rating,
        answered_on_site=on_site,
        on_time=on_time,
    )


def _seconds(a: datetime, b: datetime) -> int:
    return max(0, int((b - a).total_seconds()))


def handling_seconds(case: ImportedCase) -> int:
    """From the dispatch to the answer, as the case workflow counts it (0 on the spot)."""
    return _seconds(case.dispatched_at or case.received_at, case.replied_at)


def row_values(case: ImportedCase) -> dict[str, Any]:
    """The inquiries columns of the closed case (id, ids and version are the caller's)."""
    return {
        "channel": case.channel,
        "category": case.category,
        "content": case.content,
        "district": case.district,
        "external_ref": case.external_ref,
        "status": "closed",
        "unit_code": case.unit,
        "received_at": case.received_at,
        "dispatched_at": case.dispatched_at,
        "replied_at": case.replied_at,
        "reply_content": case.reply,
        "closed_at": case.closed_at,
        "on_time": case.on_time,
        "rating": case.rating,
        "close_reason": "rated" if case.rating != "not_rated" else "not_rated",
        "answered_on_site": case.answered_on_site,
        "handling_seconds": handling_seconds(case),
        "total_seconds": _seconds(case.received_at, case.closed_at),
    }


def events(case: ImportedCase) -> list[tuple[str, datetime, dict[str, Any]]]:
    """(kind, time, detail) as the case workflow records them: the transition's columns in
    `columns`, so the reports read an imported case exactly like one the service ran."""

    def detail(status: str, columns: dict[str, Any]) -> dict[str, Any]:
        cols = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in columns.items()}
        return {"status": status, "unit": case.unit, "imported": True, "columns": cols}

    answer = {
        "replied_at": case.replied_at,
        "on_time": case.on_time,
        "handling_seconds": handling_seconds(case),
        "answered_on_site": case.answered_on_site or None,
    }
    answer = {k: v for k, v in answer.items() if v is not None}
    timeline: list[tuple[str, datetime, dict[str, Any]]] = [
        ("received", case.received_at, {"channel": case.channel, "category": case.category}),
    ]
    if case.answered_on_site:
        timeline.append(("answered_on_site", case.received_at, detail("follow_up", answer)))
    else:
        assert case.dispatched_at is not None
        timeline.append(
            ("dispatched", case.dispatched_at,
             detail("dispatched", {"dispatched_at": case.dispatched_at}))
        )  # fmt: skip
        timeline.append(("replied", case.replied_at, detail("follow_up", answer)))
    row = row_values(case)
    closing = {
        "closed_at": case.closed_at,
        "on_time": case.on_time,
        "rating": case.rating,
        "close_reason": row["close_reason"],
        "total_seconds": row["total_seconds"],
    }
    closing = {k: v for k, v in closing.items() if v is not None}
    timeline.append(("closed", case.closed_at, detail("closed", closing)))
    return timeline
