"""Notification transports. The log transport stands in for an SMS/email gateway for now."""

from __future__ import annotations

from typing import Protocol

import structlog

from domain.privacy import mask_contact, mask_text

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
