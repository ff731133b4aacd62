"""The service with real transports: its worker delivers to a local SMTP server, SMS gateway
and webhook receiver, with a short timeout, backoff and retry limit so a test sees them act."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from activities.dispatcher import DeliveryPolicy
from core.settings import Settings
from tests.conftest import Service
from tests.integrations.receivers import (
    SMS_SECRET,
    SmsGateway,
    SmtpServer,
    WebhookReceiver,
    gateway_app,
    receiver_app,
    serve,
    start_smtp,
)
from worker import build_worker

FAST = DeliveryPolicy(attempt_timeout=2.0, max_attempts=3, backoff=0.1, poll=0.1, lease_margin=0.5)
PUBLIC_URL = "https://wq.example.cn"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = start_smtp()
    yield server
    server.controller.stop()


@pytest.fixture
async def gateway() -> AsyncIterator[SmsGateway]:
    gw = SmsGateway()
    server, task, base = await serve(gateway_app(gw))
    gw.url = f"{base}/sms"
    yield gw
    gw.release.set()
    server.should_exit = True
    await task


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    rx = WebhookReceiver(secret="hook-secret-" + uuid.uuid4().hex)
    server, task, base = await serve(receiver_app(rx))
    rx.url = f"{base}/hook"
    yield rx
    server.should_exit = True
    await task


def delivery_settings(service: Service, gateway: SmsGateway, smtp: SmtpServer) -> Settings:
    return service.settings.model_copy(
        update={
            "public_base_url": PUBLIC_URL,
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "smtp_from": "notices@wq.example.cn",
            "sms_gateway_url": gateway.url,
            "sms_gateway_secret": SMS_SECRET,
        }
    )


@pytest.fixture
async def delivering(
    service: Service, gateway: SmsGateway, smtp: SmtpServer, receiver: WebhookReceiver
) -> AsyncIterator[Service]:
    """The test's service, its worker rebuilt on the real transports (stopped by the service
    fixture as usual)."""
    await service.stop_worker()
    settings = delivery_settings(service, gateway, smtp)
    service.worker = build_worker(
        service.client, service.pool, task_queue=settings.task_queue, settings=settings, policy=FAST
    )
    service._worker_task = asyncio.create_task(service.worker.run())
    yield service
