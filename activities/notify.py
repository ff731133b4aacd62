"""The outbox as the case activities see it: notices and webhook deliveries are queued in the
transition's own transaction and never sent there. The dispatcher (activities/dispatcher.py)
sends them apart from the case, so a slow gateway never holds a case up."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit
from uuid import UUID

from temporalio.exceptions import ApplicationError

from domain.notices import Audience, Notice, citizen_channel, compose, staff_recipient
from domain.privacy import mask_contact
from repository import Conn
from repository import inquiries as inquiry_repo
from repository import notifications as notification_repo
from repository import webhooks as webhook_repo


def _nothing() -> None:
    return None


class Outbox:
    """Built once in worker.py: where links point, and how to wake the dispatcher."""

    def __init__(self, *, public_base_url: str, wake: Callable[[], None] = _nothing) -> None:
        self._base_url = public_base_url
        self.wake = wake

    async def queue(
        self, conn: Conn, *, inquiry_id: str, key: str, notice: Notice, at: datetime
    ) -> None:
        """A notice to its recipient, once per key: citizens by SMS (their phone) or email, in
        the template's text with the tracking link; a unit head by email when the head has an
        address (`inquiry user email`); other staff on the internal channel."""
        urgent = False
        if notice.audience == Audience.CITIZEN:
            row = await notification_repo.citizen_contact(conn, inquiry_id=inquiry_id)
            if row is None:
                raise ApplicationError(f"no inquiry {inquiry_id}", non_retryable=True)
            channel, recipient = citizen_channel(row["citizen_phone"], row["citizen_email"])
            code, urgent = row["tracking_code"], row["urgent"]
        else:
            channel = "internal"
            recipient = staff_recipient(notice.audience, notice.unit_code)
            if notice.audience == Audience.UNIT_HEAD and notice.unit_code:
                # 催办 and other head notices go by email once the head has an address.
                address = await notification_repo.unit_head_email(conn, unit_code=notice.unit_code)
                if address:
                    channel, recipient = "email", address
            code = await inquiry_repo.tracking_code(conn, inquiry_id=inquiry_id) or ""
        text = compose(notice, channel=channel, code=code, base_url=self._base_url)
        await inquiry_repo.insert_notification(
            conn,
            inquiry_id=inquiry_id,
            dedupe_key=f"{inquiry_id}:{key}",
            kind=notice.kind,
            audience=notice.audience,
            channel=channel,
            recipient=recipient,
            recipient_masked=mask_contact(recipient) or "",
            body=text.body,
            subject=text.subject,
            urgent=urgent,
            created_at=at,
        )

    async def publish(
        self, conn: Conn, *, inquiry_id: str, event_key: str, kind: str, at: datetime
    ) -> None:
        """A case event to every webhook that wants its kind, once per (webhook, event). The
        payload names the case and its state, never the citizen."""
        hooks = await webhook_repo.subscribed(conn, event=kind)
        if not hooks:
            return
        case = await inquiry_repo.get_inquiry(conn, inquiry_id=UUID(inquiry_id))
        for hook in hooks:
            delivery = f"wh{hook['id']}:{inquiry_id}:{event_key}"
            payload = {
                "id": delivery,
                "type": kind,
                "created": at.isoformat(),
                "data": {
                    "inquiry_id": inquiry_id,
                    "tracking_code": case["tracking_code"] if case else None,
                    "status": case["status"] if case else None,
                    "unit": case["unit_code"] if case else None,
                    "category": case["category"] if case else None,
                    "priority": case["priority"] if case else None,
                },
            }
            await inquiry_repo.insert_notification(
                conn,
                inquiry_id=inquiry_id,
                dedupe_key=delivery,
                kind=kind,
                audience="integration",
                channel="webhook",
                recipient=hook["url"],
                recipient_masked=urlsplit(hook["url"]).netloc,
                body=json.dumps(payload, ensure_ascii=False),
                subject=kind,
                created_at=at,
                webhook_id=hook["id"],
            )
