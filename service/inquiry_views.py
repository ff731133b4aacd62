"""Shapes of inquiry records for staff and for the citizen."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg

from domain.case import OPEN_STATUSES, CaseStatus
from domain.explain import no_clock_reason
from domain.privacy import mask_email, mask_phone, mask_text


def clocks_note(status: str) -> str | None:
    """Why an inquiry shows no SLA targets yet, None when its clocks run."""
    return no_clock_reason(status) if status == CaseStatus.RECEIVED else None


def is_overdue(row: asyncpg.Record, now: datetime | None = None) -> bool:
    """Past the reply deadline while open, or closed late."""
    waiting = row["status"] in OPEN_STATUSES and not row["paused"]
    due = row["reply_due_at"]
    late = waiting and due is not None and due < (now or datetime.now(UTC))
    return bool(row["overdue"]) or late


def summary(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "tracking_code": row["tracking_code"],
        "status": row["status"],
        "category": row["category"],
        "channel": row["channel"],
        "unit": row["unit_code"],
        "received_at": row["received_at"],
        "reply_due_at": row["reply_due_at"],
        "due_provisional": row["due_provisional"],
        "escalation_level": row["escalation_level"],
        "overdue": is_overdue(row),
        "closed_at": row["closed_at"],
        "on_time": row["on_time"],
    }


def detail(
    row: asyncpg.Record,
    *,
    events: list[asyncpg.Record],
    escalations: list[asyncpg.Record],
    feedback: list[asyncpg.Record],
) -> dict[str, Any]:
    sent = [n for n in feedback if n["status"] == "sent" and n["kind"] == "feedback"]
    return {
        **summary(row),
        "content": row["content"],
        "citizen": {
            "name": row["citizen_name"],
            "phone": row["citizen_phone"],
            "email": row["citizen_email"],
        },
        "address": row["address"],
        "district": row["district"],
        "external_ref": row["external_ref"],
        "routing_rule": row["routing_rule"],
        "dispatched_at": row["dispatched_at"],
        "remind_at": row["remind_at"],
        "level2_at": row["level2_at"],
        "reply": None
        if row["replied_at"] is None
        else {
            "content": row["reply_content"],
            "replied_by": row["replied_by"],
            "replied_at": row["replied_at"],
        },
        "feedback_sent": bool(sent),
        "feedback": [
            {
                "channel": n["channel"],
                "recipient": n["recipient_masked"],
                "status": n["status"],
                "sent_at": n["sent_at"],
            }
            for n in feedback
        ],
        "handling_seconds": row["handling_seconds"],
        "total_seconds": row["total_seconds"],
        "escalations": [dict(e) for e in escalations],
        "timeline": [dict(e) for e in events],
        "clocks_note": clocks_note(row["status"]),
    }


def notice(n: asyncpg.Record) -> dict[str, Any]:
    """One notice and how its delivery stands (queued, sent, failed and retried, gave_up)."""
    return {
        "kind": n["kind"],
        "audience": n["audience"],
        "channel": n["channel"],
        "recipient": n["recipient_masked"],
        "status": n["status"],
        "attempts": n["attempts"],
        "provider_id": n["provider_id"],
        "last_error": None if n["last_error"] is None else mask_text(n["last_error"]),
        "created_at": n["created_at"],
        "held_until": n["not_before"],
        "sent_at": n["sent_at"],
        "gave_up_at": n["gave_up_at"],
    }


def public(
    row: asyncpg.Record, *, feedback_sent_at: datetime | None, question: str | None = None
) -> dict[str, Any]:
    return {
        "tracking_code": row["tracking_code"],
        "status": row["status"],
        "category": row["category"],
        "received_at": row["received_at"],
        "reply_due_at": row["reply_due_at"],
        "due_provisional": row["due_provisional"],
        "reply": row["reply_content"],
        "replied_at": row["replied_at"],
        "feedback_sent_at": feedback_sent_at,
        "contact": mask_phone(row["citizen_phone"]) or mask_email(row["citizen_email"]),
        "awaiting": _awaiting.get(row["status"]),
        "question": question,
    }


# What the citizen is asked for, by status (a 补正 question is shown with it, and sent by SMS).
_awaiting = {
    "paused": "supplement",  # 补正: answer the unit's question with the tracking code
    "follow_up": "rating",  # 回访: rate the answer
}
