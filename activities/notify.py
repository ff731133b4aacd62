"""Notification transports. The log transport stands in for an SMS/email gateway for now."""

from __future__ import annotations

from typing import Protocol

import asyncpg
import structlog

from domain.privacy import mask_contact, mask_text
from repository import Conn
from repository import inquiries as repo

log = structlog.get_logger(__name__)


class Transport(Protocol):
    async def send(self, *, channel: str, recipient: str, body: str) -> None: ...


class LogTransport:
    """Writes each message to the log, recipient and body masked, and treats it as delivered."""

    async def send(self, *, channel: str, recipient: str, body: str) -> None:
        log.info(
            "notification_sent",
            channel=channel,
            recipient_masked=mask_contact(recipient),
            body=mask_text(body),
        )


async def deliver(conn: Conn, transport: Transport, notice: asyncpg.Record) -> None:
    """Hand a queued message to the transport and mark it sent. A crash between the two sends
    it again on retry (at least once); a message is never lost."""
    if notice["status"] == "sent":
        return
    await transport.send(
        channel=notice["channel"], recipient=notice["recipient"], body=notice["body"]
    )
    await repo.mark_notification_sent(conn, notification_id=notice["id"])
