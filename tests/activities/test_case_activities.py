"""The case workflow's activities on real PostgreSQL, run as Temporal runs them (an activity
context), each twice: Temporal retries an activity whose result it did not receive, so a second
run must change nothing and queue nothing again. The activities only queue notices: the outbox
dispatcher sends them (tests/integrations/)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
from temporalio.testing import ActivityEnvironment

from activities.cases import CaseActivities
from activities.notify import Outbox
from domain.case import AgendaItem
from domain.models import Citizen, InquiryInput
from domain.transition import CaseColumns, FiredSteps, Notice, TaskChange, Transition
from tests.assertions import assert_fields, assert_same_items

AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def an_inquiry(phone: str | None = "13912345678", email: str | None = None) -> InquiryInput:
    return InquiryInput(
        inquiry_id=str(uuid.uuid4()),
        tracking_code=f"WQ{uuid.uuid4().hex[:10].upper()}",
        channel="web",
        category="billing",
        content="水费账单金额异常",
        citizen=Citizen(name="李四", phone=phone, email=email),
        submitted_by="key:web-form",
        received_at=AT,
    )


class Woken:
    """Counts how often the activities woke the dispatcher."""

    def __init__(self) -> None:
        self.times = 0

    def __call__(self) -> None:
        self.times += 1


def an_outbox(wake: Woken | None = None) -> Outbox:
    return Outbox(public_base_url="https://wq.example.cn", wake=wake or Woken())


async def twice(activity: object, arg: object) -> None:
    env = ActivityEnvironment()
    await env.run(activity, arg)  # type: ignore[arg-type]
    await env.run(activity, arg)  # type: ignore[arg-type]


async def notices(pool: asyncpg.Pool, inquiry_id: str) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        return await conn.fetch(
            "SELECT * FROM notifications WHERE inquiry_id = $1::uuid ORDER BY id", inquiry_id
        )


async def test_a_transition_recorded_twice_is_recorded_once(pool: asyncpg.Pool) -> None:
    woken = Woken()
    activities = CaseActivities(pool, an_outbox(woken))
    inquiry = an_inquiry()
    await twice(activities.record_case, inquiry)
    transition = Transition(
        inquiry_id=inquiry.inquiry_id,
        seq=1,
        kind="dispatched",
        actor="system",
        at=AT,
        status="dispatched",
        unit_code="business_window",
        reason="billing rule",
        columns=CaseColumns(dispatched_at=AT),
        task=TaskChange(close_open=True, open_unit="business_window", due_at=AT),
        notices=[
            Notice("unit", "dispatch", "派单", "business_window"),
            Notice("citizen", "received", "您的诉求已受理"),
        ],
    )
    await twice(activities.record, transition)
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM inquiries WHERE id = $1::uuid", inquiry.inquiry_id)
        kinds = await conn.fetch(
            "SELECT kind FROM inquiry_events WHERE inquiry_id = $1::uuid", inquiry.inquiry_id
        )
        tasks = await conn.fetch(
            "SELECT unit_code, status FROM tasks WHERE inquiry_id = $1::uuid", inquiry.inquiry_id
        )
    assert_fields(row, "the case", status="dispatched", unit_code="business_window")
    assert_same_items([k["kind"] for k in kinds], ["received", "dispatched"], "timeline")
    assert_same_items(
        [(t["unit_code"], t["status"]) for t in tasks], [("business_window", "open")], "tasks"
    )
    sent = await notices(pool, inquiry.inquiry_id)
    # Queued once each and not attempted: delivery is the dispatcher's, after the commit.
    assert_same_items(
        [(n["audience"], n["channel"], n["status"], n["attempts"]) for n in sent],
        [("unit", "internal", "queued", 0), ("citizen", "sms", "queued", 0)],
        "notices",
    )
    assert woken.times == 4, f"each run wakes the dispatcher after its commit: {woken.times}"
    citizen = next(n for n in sent if n["audience"] == "citizen")
    assert "13912345678" not in citizen["recipient_masked"], citizen["recipient_masked"]


async def test_a_citizen_without_phone_is_written_to_by_email(pool: asyncpg.Pool) -> None:
    activities = CaseActivities(pool, an_outbox())
    inquiry = an_inquiry(phone=None, email="li.si@example.com")
    await twice(activities.record_case, inquiry)
    await twice(
        activities.record,
        Transition(
            inquiry_id=inquiry.inquiry_id,
            seq=1,
            kind="answered_on_site",
            actor="operator",
            at=AT,
            status="follow_up",
            unit_code="business_window",
            notices=[Notice("citizen", "feedback", "已答复")],
        ),
    )
    sent = await notices(pool, inquiry.inquiry_id)
    assert [(n["channel"], n["recipient"]) for n in sent] == [("email", "li.si@example.com")]


async def test_steps_due_together_fire_once_in_one_notice(pool: asyncpg.Pool) -> None:
    activities = CaseActivities(pool, an_outbox())
    inquiry = an_inquiry()
    await twice(activities.record_case, inquiry)
    due = AT + timedelta(hours=36)
    fired = FiredSteps(
        inquiry_id=inquiry.inquiry_id,
        seq=3,
        unit_code="business_window",
        at=due + timedelta(hours=30),
        steps=[
            AgendaItem(key="reply:1:reminder", step="reminder", target="reply", at=due, due_at=due),
            AgendaItem(
                key="reply:1:supervision",
                step="supervision",
                target="reply",
                at=due + timedelta(hours=24),
                due_at=due,
            ),
        ],
        level=2,
        overdue=True,
    )
    await twice(activities.fire_steps, fired)
    async with pool.acquire() as conn:
        steps = await conn.fetch(
            "SELECT step_key, level FROM escalations WHERE inquiry_id = $1::uuid",
            inquiry.inquiry_id,
        )
        row = await conn.fetchrow("SELECT * FROM inquiries WHERE id = $1::uuid", inquiry.inquiry_id)
    assert_same_items(
        [(s["step_key"], s["level"]) for s in steps],
        [("reply:1:reminder", 1), ("reply:1:supervision", 2)],
        "ladder steps",
    )
    assert_fields(row, "the case", escalation_level=2, overdue=True)
    sent = await notices(pool, inquiry.inquiry_id)
    assert len(sent) == 1, f"one notice for steps due together, found {len(sent)}"
    # The highest audience concerned receives it, and it names every step.
    assert sent[0]["audience"] == "office", sent[0]["audience"]
    assert "催办" in sent[0]["body"] and "督办" in sent[0]["body"], sent[0]["body"]
