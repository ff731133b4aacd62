"""HMAC-SHA256 signatures of outgoing HTTP bodies: the SMS gateway's and the webhooks'."""

from __future__ import annotations

import hashlib
import hmac

SMS_SIGNATURE_HEADER = "X-Signature"
WEBHOOK_SIGNATURE_HEADER = "Inquiry-Signature"


def sms_signature(secret: str, body: bytes) -> str:
    """`sha256=<hex>` of the raw body, as GitHub signs its webhooks."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_signature(secret: str, body: bytes, timestamp: int) -> str:
    """`t=<unix seconds>,v1=<hex>` of `"{t}.{body}"`, as Stripe signs its webhooks; the
    timestamp lets a receiver refuse old replays."""
    signed = f"{timestamp}.".encode() + body
    return f"t={timestamp},v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
