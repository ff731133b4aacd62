"""Transports: one small interface, one module per way a notice leaves the service.

A transport sends one Message and returns the provider's id for it, or raises DeliveryError
(`permanent` when retrying cannot help). The dispatcher (activities/dispatcher.py) owns retries,
timeouts and the outbox; a transport only sends, with `Message.id` as its idempotency key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Message:
    """One notice as it leaves: `id` stays the same on every attempt (the idempotency key)."""

    id: str
    channel: str  # sms | email | internal | webhook
    recipient: str  # a phone, an email address, an internal address, or a webhook's URL
    subject: str
    body: str
    kind: str = ""
    secret: str | None = None  # a webhook's signing secret


class DeliveryError(Exception):
    """The transport did not deliver; `permanent` when the same message will never go through."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Transport(Protocol):
    async def send(self, message: Message) -> str | None:
        """Deliver or raise DeliveryError; returns the provider's id when it gives one."""
        ...


@dataclass(frozen=True)
class Transports:
    """The transport of each channel; a channel without one goes to `fallback` (the log)."""

    by_channel: Mapping[str, Transport]
    fallback: Transport

    def for_channel(self, channel: str) -> Transport:
        return self.by_channel.get(channel, self.fallback)

    def describe(self) -> dict[str, str]:
        """Channel → transport class, for the start-up line."""
        return {
            channel: type(self.for_channel(channel)).__name__
            for channel in ("sms", "email", "webhook", "internal")
        }
