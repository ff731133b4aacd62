"""The log transport: writes each message to the log, masked, and treats it as delivered. It
stands in for every channel that has no real transport configured."""

from __future__ import annotations

import structlog

from activities.transports import Message
from domain.privacy import mask_contact, mask_text

log = structlog.get_logger(__name__)


class LogTransport:
    async def send(self, message: Message) -> str | None:
        log.info(
            "notification_sent",
            channel=message.channel,
            notice=message.id,
            recipient_masked=mask_contact(message.recipient),
            body=mask_text(message.body),
        )
        return None
