"""Exactly once per notice when the dispatcher dies mid-delivery, and quiet hours: the notices
are queued by the case activities (as a transition queues them) and delivered by dispatchers."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import asyncpg
import httpx
from temporalio.testing import ActivityEnvironment

from activities.cases import CaseActivities
from activities.dispatcher import DeliveryPolicy, OutboxDispatcher, QuietHours
from activities.notify import Outbox
from activities.transports import Transports
from activities.transports.http import SmsGatewayTransport
from activities.transports.log import LogTransport
from domain import notices
from domain.calendar import CHINA_TZ
from domain.models import Citizen, InquiryInput
from domain.transition import Transition
from tests.integrations.conftest import PUBLIC_URL
from tests.integrations.receivers import SMS_SECRET, SmsGateway

ROOT = Path(__file__).resolve().parents[2]
ANSWER = "水表已更换，请核对下月账单。"


async def queued_feedback(pool: asyncpg.Pool, category: str, phone: str) -> asyncpg.Record:
    """A case answered on the spot: its feedback SMS queued as the record activity queues it."""
    inquiry = InquiryInput(
        inquiry_id=str(uuid.uuid4()),
        tracking_code=f"WQ{uuid.uuid4().hex[:10].upper()}",
        channel="web",
        category=category,
        content="水表读数异常",
        citizen=Citizen(name="孙七", phone=phone),
        submitted_by="key:web-form",
        received_at=datetime.now(UTC),
    )
    activities = CaseActivities(pool, Outbox(public_base_url=PUBLIC_URL))
    env = ActivityEnvironment()
    await env.run(activities.record_case, inquiry)
    await env.run(
        activities.record,
        Transition(
            inquiry_id=inquiry.inquiry_id,
            seq=1,
            kind="answered_on_site",
            actor="operator",
            at=datetime.now(UTC),
            status="follow_up",
            unit_code="business_window",
            notices=[notices.feedback(inquiry.tracking_code, ANSWER)],
        ),
    )
    return await notice_row(pool, inquiry.inquiry_id)


async def notice_row(pool: asyncpg.Pool, inquiry_id: str) -> asyncpg.Record:
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT * FROM notifications WHERE inquiry_id = $1::uuid AND kind = 'feedback'",
            inquiry_id,
        )
    assert row is not None
    return row


def sms_only(http: httpx.AsyncClient, gateway: SmsGateway) -> Transports:
    return Transports(
        {"sms": SmsGatewayTransport(http, url=gateway.url, secret=SMS_SECRET)}, LogTransport()
    )


async def until(condition: object, within: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not condition():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_a_dispatcher_killed_between_send_and_mark_sends_once(
    pool: asyncpg.Pool, database_url: str, gateway: SmsGateway
) -> None:
    notice = await queued_feedback(pool, "billing", "13600002222")
    key = notice["dedupe_key"]
    gateway.hang_once.add(key)  # the phone gets it; the answer never reaches the dispatcher
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SMS_GATEWAY_URL": gateway.url,
        "SMS_GATEWAY_SECRET": SMS_SECRET,
        "NOTIFY_ATTEMPT_TIMEOUT": "30",
        "LEASE_MARGIN": "0",
    }
    process = subprocess.Popen(  # noqa: ASYNC220 - killed below, never waited on in the loop
        [sys.executable, "-m", "tests.integrations.dispatcher_process"], cwd=ROOT, env=env
    )
    try:
        await until(lambda: key in gateway.phone, within=30)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    gateway.release.set()
    # Killed mid-delivery: claimed by attempt 1, never marked.
    claimed = await notice_row(pool, notice["inquiry_id"])
    assert (claimed["status"], claimed["attempts"]) == ("queued", 1), dict(claimed)
    assert claimed["claimed_until"] is not None

    # Another dispatcher (another worker) takes it once the lease has run out.
    async with httpx.AsyncClient() as http:
        policy = DeliveryPolicy(attempt_timeout=2, backoff=0.1, lease_margin=0)
        survivor = OutboxDispatcher(pool, sms_only(http, gateway), policy)
        async with pool.acquire() as conn:
            await conn.execute(  # the 30 s lease, run out
                "UPDATE notifications SET claimed_until = now() - interval '1 second'"
                " WHERE id = $1",
                notice["id"],
            )
        while (await notice_row(pool, notice["inquiry_id"]))["status"] != "sent":
            await survivor.dispatch_once()
        # Marked: no dispatcher sends it again.
        await survivor.dispatch_once()

    sent = await notice_row(pool, notice["inquiry_id"])
    assert (sent["status"], sent["attempts"]) == ("sent", 2), dict(sent)
    assert gateway.requests.count(key) == 2, "sent again with the same id after the kill"
    assert len(gateway.sent_to_phone(ANSWER)) == 1, "the phone got it once"


def quiet_around_now() -> QuietHours:
    """Quiet hours that hold now, China time (an hour each side)."""
    now = datetime.now(CHINA_TZ)
    start = (now - timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (now + timedelta(hours=1)).time().replace(second=0, microsecond=0)
    return QuietHours(start, end)


async def test_quiet_hours_hold_a_citizen_sms_but_not_an_urgent_one(
    pool: asyncpg.Pool, gateway: SmsGateway
) -> None:
    quiet = quiet_around_now()
    held = await queued_feedback(pool, "billing", "13600003333")
    urgent = await queued_feedback(pool, "outage", "13600004444")  # 停水/爆管 is urgent
    async with httpx.AsyncClient() as http:
        dispatcher = OutboxDispatcher(
            pool, sms_only(http, gateway), DeliveryPolicy(attempt_timeout=2, quiet=quiet)
        )
        for _ in range(3):
            await dispatcher.dispatch_once()

    waiting = await notice_row(pool, held["inquiry_id"])
    assert (waiting["status"], waiting["attempts"]) == ("queued", 0), dict(waiting)
    until_local = waiting["not_before"].astimezone(CHINA_TZ)
    assert until_local.time() == quiet.end and until_local > datetime.now(CHINA_TZ)
    assert held["dedupe_key"] not in gateway.requests
    assert (await notice_row(pool, urgent["inquiry_id"]))["status"] == "sent"
    assert urgent["dedupe_key"] in gateway.phone


def test_quiet_hours_span_midnight() -> None:
    night = QuietHours(time(21, 0), time(8, 0))
    late = datetime(2026, 11, 2, 22, 30, tzinfo=CHINA_TZ)
    early = datetime(2026, 11, 3, 7, 0, tzinfo=CHINA_TZ)
    day = datetime(2026, 11, 3, 12, 0, tzinfo=CHINA_TZ)
    morning = datetime(2026, 11, 3, 8, 0, tzinfo=CHINA_TZ)
    assert notices.quiet_until(late, night.start, night.end) == morning
    assert notices.quiet_until(early, night.start, night.end) == morning
    assert notices.quiet_until(day, night.start, night.end) is None
