"""Email over SMTP with aiosmtplib. The Message-ID is derived from the notice's id, so a resent
notice carries the same one and mail clients show it once."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Literal

import aiosmtplib

from activities.transports import DeliveryError, Message


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    tls: Literal["none", "starttls", "tls"] = "none"


def message_id(notice_id: str, sender: str) -> str:
    """The Message-ID of a notice: fixed per notice, in the sender's domain."""
    digest = hashlib.sha256(notice_id.encode()).hexdigest()[:32]
    domain = sender.rpartition("@")[2] or "localhost"
    return f"<{digest}@{domain}>"


class SmtpTransport:
    def __init__(self, config: SmtpConfig) -> None:
        self._config = config

    async def send(self, message: Message) -> str | None:
        c = self._config
        email = EmailMessage()
        email["From"] = c.sender
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email["Message-ID"] = message_id(message.id, c.sender)
        email.set_content(message.body)
        try:
            await aiosmtplib.send(
                email,
                hostname=c.host,
                port=c.port,
                username=c.username,
                password=c.password,
                use_tls=c.tls == "tls",
                start_tls=True if c.tls == "starttls" else False,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"recipient refused: {exc}", permanent=True) from exc
        except aiosmtplib.SMTPResponseException as exc:
            # 5xx are final answers of the server; 4xx are "try again later".
            raise DeliveryError(
                f"smtp {exc.code}: {exc.message}", permanent=exc.code >= 500
            ) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"smtp: {exc}") from exc
        return str(email["Message-ID"])
