"""SMS through a generic JSON gateway, and webhook deliveries: signed JSON POSTs over httpx."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from activities.transports import DeliveryError, Message
from activities.transports.signing import (
    SMS_SIGNATURE_HEADER,
    WEBHOOK_SIGNATURE_HEADER,
    sms_signature,
    webhook_signature,
)


async def _post(
    client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str]
) -> httpx.Response:
    """POST; 2xx is accepted, 408/429/5xx and network faults are retried, other 4xx are final."""
    try:
        response = await client.post(
            url, content=body, headers={"Content-Type": "application/json", **headers}
        )
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
    if response.is_success:
        return response
    status = response.status_code
    permanent = 400 <= status < 500 and status not in (408, 425, 429)
    raise DeliveryError(f"http {status}: {response.text[:200]}", permanent=permanent)


def _json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


class SmsGatewayTransport:
    """`POST {"to", "text", "id"}` signed with the gateway's secret; the gateway drops a repeated
    `id`, so a notice resent after a crash reaches the phone once. Another provider fits by
    another class with the same `send` (a provider adapter)."""

    def __init__(self, client: httpx.AsyncClient, *, url: str, secret: str) -> None:
        self._client = client
        self._url = url
        self._secret = secret

    async def send(self, message: Message) -> str | None:
        body = _json({"to": _e164(message.recipient), "text": message.body, "id": message.id})
        response = await _post(
            self._client,
            self._url,
            body,
            {
                SMS_SIGNATURE_HEADER: sms_signature(self._secret, body),
                "Idempotency-Key": message.id,
            },
        )
        try:
            answer = response.json()
        except ValueError:
            return None
        if not isinstance(answer, dict):
            return None
        provider_id = answer.get("message_id") or answer.get("id")
        return None if provider_id is None else str(provider_id)


def _e164(phone: str) -> str:
    """Chinese numbers as +86…; numbers already in international form stay as they are."""
    digits = phone.replace(" ", "").replace("-", "")
    return digits if digits.startswith("+") else "+86" + digits


class WebhookTransport:
    """The delivery's JSON (already in Message.body) with `Inquiry-Signature: t=…,v1=…`."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def send(self, message: Message) -> str | None:
        if not message.secret:
            raise DeliveryError("the webhook is gone", permanent=True)
        body = message.body.encode()
        headers = {
            WEBHOOK_SIGNATURE_HEADER: webhook_signature(message.secret, body, int(time.time())),
            "Inquiry-Event": message.kind,
            "Inquiry-Delivery": message.id,
        }
        response = await _post(self._client, message.recipient, body, headers)
        request_id = response.headers.get("X-Request-ID")
        return None if request_id is None else str(request_id)
