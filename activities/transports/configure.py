"""The transports the settings ask for; every channel left unset stays on the log."""

from __future__ import annotations

from datetime import time, timedelta

import httpx

from activities.dispatcher import DeliveryPolicy, QuietHours
from activities.transports import Transport, Transports
from activities.transports.http import SmsGatewayTransport, WebhookTransport
from activities.transports.log import LogTransport
from activities.transports.smtp import SmtpConfig, SmtpTransport
from core.settings import Settings


def transports_from_settings(settings: Settings, client: httpx.AsyncClient) -> Transports:
    """SMTP when SMTP_HOST is set, the SMS gateway when SMS_GATEWAY_URL is; webhooks always go
    over HTTP (they exist only once an admin registers one)."""
    chosen: dict[str, Transport] = {"webhook": WebhookTransport(client)}
    if settings.smtp_host:
        chosen["email"] = SmtpTransport(
            SmtpConfig(
                host=settings.smtp_host,
                port=settings.smtp_port,
                sender=settings.smtp_from,
                username=settings.smtp_username,
                password=settings.smtp_password,
                tls=settings.smtp_tls,
            )
        )
    if settings.sms_gateway_url:
        chosen["sms"] = SmsGatewayTransport(
            client, url=settings.sms_gateway_url, secret=settings.sms_gateway_secret
        )
    return Transports(chosen, LogTransport())


def policy_from_settings(settings: Settings) -> DeliveryPolicy:
    """Retries and timeouts from the settings; quiet hours only where an SMS reaches a phone
    (the log transport disturbs nobody)."""
    quiet = None
    if settings.sms_gateway_url:
        quiet = QuietHours(
            time.fromisoformat(settings.quiet_hours_start),
            time.fromisoformat(settings.quiet_hours_end),
        )
    return DeliveryPolicy(
        attempt_timeout=settings.notify_attempt_timeout,
        max_attempts=settings.notify_max_attempts,
        give_up_after=timedelta(hours=settings.notify_give_up_hours),
        backoff=settings.notify_backoff_seconds,
        backoff_max=settings.notify_backoff_max_seconds,
        poll=settings.notify_poll_seconds,
        quiet=quiet,
    )
