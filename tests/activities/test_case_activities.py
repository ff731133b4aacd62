"""The case workflow's activities on real PostgreSQL, run as Temporal runs them (an activity
context), each twice: Temporal retries an activity whose result it did not receive, so a second
run must change nothing and queue nothing again. The activities only queue notices: the outbox
dispatcher sends them (tests/integrations/)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import asyncpg
from temporalio.testing import ActivityEnvironment

from activities.cases import CaseActivities
from activities.notify import Outbox
from domain.agenda import Plan
from domain.case import AgendaItem, CaseState
from domain.change import counted, dispatch
from domain.models import Citizen, InquiryInput
from domain.transition import (
    CaseColumns,
    CaseRoute,
    FiredAndPlanned,
    FiredSteps,
    FirstDispatch,
    FirstDispatchRequest,
    Notice,
    PlanRequest,
    PolicyRequest,
    ProjectedTransition,
    TaskChange,
    Transition,
)
from domain.transitions import first_dispatch
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


async def dispatched(
    activities: CaseActivities, inquiry: InquiryInput
) -> tuple[PlanRequest, Transition]:
    """The first dispatch of a received case, as the workflow asks it to be recorded: the
    projection's request and the event before its clock is known."""
    policy = await ActivityEnvironment().run(activities.load_case_policy, PolicyRequest("billing"))
    change = dispatch(
        CaseState(),
        unit="business_window",
        actor="system",
        kind="dispatched",
        reason="billing rule",
        policy=policy,
        now=AT,
        code=inquiry.tracking_code,
    )
    state = change.state
    state.seq = 1
    draft = Transition(
        inquiry_id=inquiry.inquiry_id,
        seq=1,
        kind=change.kind,
        actor=change.actor,
        at=AT,
        status=state.status,
        unit_code=state.unit,
        reason=change.reason,
        columns=change.columns,
        task=change.task,
        notices=change.notices,
    )
    return PlanRequest(inquiry.inquiry_id, state, policy, AT), draft


async def written(pool: asyncpg.Pool, inquiry_id: str) -> dict[str, object]:
    """What a transition leaves in PostgreSQL, without the rows' own ids and times."""
    async with pool.acquire() as conn:
        case = await conn.fetchrow(
            "SELECT status, unit_code, ack_due_at, reply_due_at, followup_due_at, due_provisional,"
            " dispatched_at, routing_rule FROM inquiries WHERE id = $1::uuid",
            inquiry_id,
        )
        events = await conn.fetch(
            "SELECT event_key, kind, actor, occurred_at, detail FROM inquiry_events"
            " WHERE inquiry_id = $1::uuid ORDER BY event_key",
            inquiry_id,
        )
        clocks = await conn.fetch(
            "SELECT target, cycle, ledger, due_at, provisional FROM sla_clocks"
            " WHERE inquiry_id = $1::uuid ORDER BY target",
            inquiry_id,
        )
        tasks = await conn.fetch(
            "SELECT unit_code, kind, status, due_at FROM tasks WHERE inquiry_id = $1::uuid",
            inquiry_id,
        )
    return {
        "case": dict(case),
        "events": [dict(e) for e in events],
        "clocks": [dict(c) for c in clocks],
        "tasks": [dict(t) for t in tasks],
        "notices": [
            (n["audience"], n["kind"], n["status"]) for n in await notices(pool, inquiry_id)
        ],
    }


async def test_a_change_recorded_with_its_projection_writes_what_plan_then_record_write(
    pool: asyncpg.Pool,
) -> None:
    """`record_projected` (one activity since issue 10) against `plan`, then `record` with the
    clock it gave (the path of cases started before): the same rows, and twice is once."""
    woken = Woken()
    activities = CaseActivities(pool, an_outbox(woken))
    env = ActivityEnvironment()

    before = an_inquiry()
    await twice(activities.record_case, before)
    request, draft = await dispatched(activities, before)
    planned: Plan = await env.run(activities.plan, request)
    await env.run(activities.record, draft.projected(planned.deadlines))

    after = an_inquiry()
    await twice(activities.record_case, after)
    request, draft = await dispatched(activities, after)
    projected = await env.run(activities.record_projected, ProjectedTransition(request, draft))
    again = await env.run(activities.record_projected, ProjectedTransition(request, draft))

    assert projected == again == planned, (projected, again, planned)
    due = projected.deadlines
    assert due.ack_due is not None and due.reply_due is not None, due
    one, two = await written(pool, after.inquiry_id), await written(pool, before.inquiry_id)
    assert one == two, f"one activity wrote {one}, plan + record wrote {two}"
    assert_fields(
        one["case"],
        "the case",
        status="dispatched",
        ack_due_at=due.ack_due,
        reply_due_at=due.reply_due,
    )
    events = cast(list[dict[str, Any]], one["events"])
    detail = next(e["detail"] for e in events if e["kind"] == "dispatched")
    assert detail["clock"]["reply_due"] == due.reply_due.isoformat(), detail
    # The unit's task is due when the reply is (the acknowledgement's due time is the case's).
    assert one["tasks"] == [
        {"unit_code": "business_window", "kind": "reply", "status": "open", "due_at": due.reply_due}
    ], one["tasks"]
    clocks = cast(list[dict[str, Any]], one["clocks"])
    assert [(c["target"], c["due_at"]) for c in clocks] == [
        ("acknowledge", due.ack_due),
        ("reply", due.reply_due),
    ], clocks
    assert woken.times == 2 + 1 + 2 + 2, f"each recording wakes the dispatcher: {woken.times}"


async def test_receipt_route_and_dispatch_in_one_activity_write_what_the_two_activities_write(
    pool: asyncpg.Pool,
) -> None:
    """`receive_and_dispatch` (revision 3) against `receive_and_route`, then the 派单 the
    workflow builds from that route recorded by `record_projected` (revision 2): the same route,
    projection and rows, and twice is once."""
    env = ActivityEnvironment()
    before = an_inquiry()
    route: CaseRoute = await env.run(activities_of(pool).receive_and_route, before)
    change = first_dispatch(CaseState(), route, route.policy, AT, before.tracking_code)
    planned: Plan = await env.run(
        activities_of(pool).record_projected,
        counted(before.inquiry_id, change, route.policy, AT),
    )

    woken = Woken()
    activities = CaseActivities(pool, an_outbox(woken))
    after = an_inquiry()
    request = FirstDispatchRequest(inquiry=after, state=CaseState(), now=AT)
    first: FirstDispatch = await env.run(activities.receive_and_dispatch, request)
    again: FirstDispatch = await env.run(activities.receive_and_dispatch, request)

    assert first == again == FirstDispatch(route=route, plan=planned), (first, again, planned)
    assert request.state == CaseState(), "a run leaves its request as it was (Temporal retries it)"
    one, two = await written(pool, after.inquiry_id), await written(pool, before.inquiry_id)
    assert one == two, f"one activity wrote {one}, two activities wrote {two}"
    assert_fields(one["case"], "the case", status="dispatched", unit_code=route.unit_code)
    kinds = [e["kind"] for e in cast(list[dict[str, Any]], one["events"])]
    assert sorted(kinds) == ["dispatched", "received"], kinds
    assert woken.times == 2, f"each run wakes the dispatcher once: {woken.times}"


def activities_of(pool: asyncpg.Pool) -> CaseActivities:
    return CaseActivities(pool, an_outbox())


async def test_steps_fired_with_the_projection_are_recorded_once_and_store_the_due_times(
    pool: asyncpg.Pool,
) -> None:
    activities = CaseActivities(pool, an_outbox())
    inquiry = an_inquiry()
    await twice(activities.record_case, inquiry)
    request, draft = await dispatched(activities, inquiry)
    dispatched_plan = await ActivityEnvironment().run(
        activities.record_projected, ProjectedTransition(request, draft)
    )
    breach = next(i for i in dispatched_plan.agenda if i.step == "ack_breach")
    state = request.state
    state.fired = [breach.key]
    state.level, state.seq = 1, 2
    fired = FiredSteps(
        inquiry_id=inquiry.inquiry_id,
        seq=2,
        unit_code="business_window",
        at=breach.at,
        steps=[breach],
        level=1,
        overdue=False,
    )
    queued = len(await notices(pool, inquiry.inquiry_id))
    env = ActivityEnvironment()
    plan_after = PlanRequest(inquiry.inquiry_id, state, request.policy, breach.at)
    first = await env.run(activities.fire_and_plan, FiredAndPlanned(fired, plan_after))
    second = await env.run(activities.fire_and_plan, FiredAndPlanned(fired, plan_after))
    assert first == second, (first, second)
    assert breach.key not in [i.key for i in first.agenda], "the fired step is off the agenda"
    async with pool.acquire() as conn:
        steps = await conn.fetch(
            "SELECT step_key, level FROM escalations WHERE inquiry_id = $1::uuid",
            inquiry.inquiry_id,
        )
        row = await conn.fetchrow("SELECT * FROM inquiries WHERE id = $1::uuid", inquiry.inquiry_id)
    assert [(s["step_key"], s["level"]) for s in steps] == [(breach.key, 1)], steps
    assert_fields(
        row,
        "the case",
        escalation_level=1,
        ack_due_at=first.deadlines.ack_due,
        reply_due_at=first.deadlines.reply_due,
    )
    assert len(await notices(pool, inquiry.inquiry_id)) == queued + 1, "one notice, queued once"
