"""Repository writes against real PostgreSQL: each is idempotent, because activities retry."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from domain.ids import case_workflow_id
from domain.models import Citizen, InquiryInput
from domain.transition import CaseColumns, TaskChange
from repository import cases as case_repo
from repository import inquiries as repo
from tests.assertions import assert_fields, assert_once_each, assert_same_items

AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
RACES = 200  # pairs of writers; before the fix 1–3 of their 400 writes failed, every run
# A reply clock of 36 natural hours from AT, as a plan stores it.
REPLY_LEDGER = {"target": "reply", "unit": "natural_hours", "budget": 36.0,
                "started_at": AT.isoformat(), "segments": []}  # fmt: skip


def an_inquiry() -> InquiryInput:
    inquiry_id = str(uuid.uuid4())
    return InquiryInput(
        inquiry_id=inquiry_id,
        tracking_code=f"WQ{uuid.uuid4().hex[:10].upper()}",
        channel="hotline",
        category="billing",
        content="水费账单金额异常",
        citizen=Citizen(name="李四", phone="13912345678"),
        submitted_by="user:operator",
        received_at=AT,
    )


async def received(conn: asyncpg.Connection, inquiry: InquiryInput) -> str | None:
    return await repo.record_received(
        conn, inquiry=inquiry, workflow_id=case_workflow_id(inquiry.inquiry_id), version=2
    )


async def test_recording_a_received_inquiry_twice_keeps_one_row_and_one_event(
    pool: asyncpg.Pool,
) -> None:
    inquiry = an_inquiry()
    async with pool.acquire() as conn:
        await received(conn, inquiry)
        await received(conn, inquiry)
        rows = await conn.fetch(
            "SELECT * FROM inquiries WHERE id = $1", uuid.UUID(inquiry.inquiry_id)
        )
        kinds = await conn.fetch(
            "SELECT kind FROM inquiry_events WHERE inquiry_id = $1", uuid.UUID(inquiry.inquiry_id)
        )
    assert len(rows) == 1, f"expected one inquiry row, found {len(rows)}"
    assert_fields(
        rows[0],
        "the received inquiry",
        status="received",
        channel="hotline",
        received_at=AT,
        workflow_id=case_workflow_id(inquiry.inquiry_id),
        workflow_version=2,
    )
    assert_same_items([r["kind"] for r in kinds], ["received"], "timeline")


async def test_recording_received_answers_the_status_the_inquiry_has_and_moves_its_version(
    pool: asyncpg.Pool,
) -> None:
    inquiry = an_inquiry()
    inquiry_id = uuid.UUID(inquiry.inquiry_id)
    workflow_id = case_workflow_id(inquiry.inquiry_id)
    async with pool.acquire() as conn:
        first = await repo.record_received(
            conn, inquiry=inquiry, workflow_id=workflow_id, version=2
        )
        await conn.execute("UPDATE inquiries SET status = 'dispatched' WHERE id = $1", inquiry_id)
        again = await repo.record_received(
            conn, inquiry=inquiry, workflow_id=workflow_id, version=2
        )
        moved = await repo.record_received(
            conn, inquiry=inquiry, workflow_id=workflow_id, version=3
        )
        row = await conn.fetchrow(
            "SELECT status, workflow_version FROM inquiries WHERE id = $1", inquiry_id
        )
        events = await conn.fetchval(
            "SELECT count(*) FROM inquiry_events WHERE inquiry_id = $1", inquiry_id
        )
    assert (first, again, moved) == ("received", "dispatched", "dispatched")
    assert_fields(row, "the inquiry recorded three times", status="dispatched", workflow_version=3)
    assert events == 1, f"expected one received event, found {events}"


async def test_the_api_and_the_worker_recording_one_inquiry_at_once_both_succeed(
    pool: asyncpg.Pool,
) -> None:
    """Intake writes the received row twice at nearly the same instant: the API after it started
    the workflow (no transaction), and the workflow's receive_and_route in a transaction with
    its notice. Whichever comes second must find the row, not fail on the tracking code's or the
    workflow id's unique index (the API answered 500, the activity failed for good)."""

    async def as_the_api(inquiry: InquiryInput) -> str | None:
        async with pool.acquire() as conn:
            return await received(conn, inquiry)

    async def as_the_worker(inquiry: InquiryInput) -> str | None:
        async with pool.acquire() as conn, conn.transaction():
            status = await received(conn, inquiry)
            await conn.execute("SELECT pg_sleep(0.002)")  # the notice, written before COMMIT
            return status

    inquiries = [an_inquiry() for _ in range(RACES)]
    # All pairs at once over the pool's ten connections: the two writers of an inquiry take
    # connections next to each other, and the load widens the window between check and insert.
    outcomes = await asyncio.gather(
        *(write(inquiry) for inquiry in inquiries for write in (as_the_api, as_the_worker)),
        return_exceptions=True,
    )
    failures = [repr(outcome)[:160] for outcome in outcomes if isinstance(outcome, BaseException)]
    assert not failures, f"{len(failures)} of {2 * RACES} writes failed: {failures[:3]}"
    assert set(outcomes) == {"received"}, f"statuses answered: {set(outcomes)}"
    ids = [uuid.UUID(inquiry.inquiry_id) for inquiry in inquiries]
    async with pool.acquire() as conn:
        rows = await conn.fetchval("SELECT count(*) FROM inquiries WHERE id = ANY($1)", ids)
        events = await conn.fetchval(
            "SELECT count(*) FROM inquiry_events WHERE inquiry_id = ANY($1)", ids
        )
    assert (rows, events) == (RACES, RACES), f"{rows} rows and {events} events for {RACES}"


async def test_a_tracking_code_taken_by_another_inquiry_is_refused(pool: asyncpg.Pool) -> None:
    """Never silently: a row not written is an inquiry lost."""
    first, second = an_inquiry(), an_inquiry()
    second.tracking_code = first.tracking_code
    async with pool.acquire() as conn:
        await received(conn, first)
        with pytest.raises(asyncpg.IntegrityConstraintViolationError):
            await received(conn, second)
        found = await conn.fetchval(
            "SELECT count(*) FROM inquiries WHERE id = $1", uuid.UUID(second.inquiry_id)
        )
    assert found == 0, "the second inquiry has a row under a code that is not its own"


async def test_a_case_is_found_by_id_and_by_tracking_code_with_its_workflow_version(
    pool: asyncpg.Pool,
) -> None:
    """The reads a staff or citizen action makes before it goes to the case."""
    inquiry = an_inquiry()
    inquiry_id = uuid.UUID(inquiry.inquiry_id)
    async with pool.acquire() as conn:
        before = await repo.workflow_version(conn, inquiry_id=inquiry_id)
        unknown = await repo.case_of_tracking_code(conn, code=inquiry.tracking_code)
        await repo.record_received(
            conn, inquiry=inquiry, workflow_id=case_workflow_id(inquiry.inquiry_id), version=1
        )
        version = await repo.workflow_version(conn, inquiry_id=inquiry_id)
        by_code = await repo.case_of_tracking_code(conn, code=inquiry.tracking_code)
    assert (before, unknown) == (None, None), "an unrecorded case is not found"
    assert version == 1, f"expected workflow version 1, read {version}"
    assert by_code == (inquiry_id, 1), f"expected {(inquiry_id, 1)}, read {by_code}"


async def test_events_notices_and_steps_are_written_once_per_key(pool: asyncpg.Pool) -> None:
    inquiry = an_inquiry()
    async with pool.acquire() as conn:
        await received(conn, inquiry)
        for _ in range(2):  # a retried activity writes everything again
            await repo.add_event(
                conn,
                inquiry_id=inquiry.inquiry_id,
                event_key="1:dispatched",
                kind="dispatched",
                actor="system",
                occurred_at=AT,
            )
            await repo.record_step(
                conn,
                inquiry_id=inquiry.inquiry_id,
                key="reply:1:reminder",
                step="reminder",
                target="reply",
                level=1,
                fired_at=AT,
                due_at=None,
            )
            await repo.insert_notification(
                conn,
                inquiry_id=inquiry.inquiry_id,
                dedupe_key=f"{inquiry.inquiry_id}:1:0",
                kind="dispatch",
                audience="unit",
                channel="internal",
                recipient="billing",
                recipient_masked="billing",
                body="派单",
                created_at=AT,
            )
            notice = await conn.fetchrow(
                "SELECT id FROM notifications WHERE dedupe_key = $1", f"{inquiry.inquiry_id}:1:0"
            )
        await repo.mark_notification_sent(conn, notification_id=notice["id"])
        await repo.mark_notification_sent(conn, notification_id=notice["id"])
        id_ = uuid.UUID(inquiry.inquiry_id)
        events = await conn.fetch("SELECT event_key FROM inquiry_events WHERE inquiry_id = $1", id_)
        steps = await conn.fetch("SELECT step_key FROM escalations WHERE inquiry_id = $1", id_)
        notices = await conn.fetch("SELECT * FROM notifications WHERE inquiry_id = $1", id_)
    assert_once_each([r["event_key"] for r in events], "timeline events")
    assert_same_items([r["event_key"] for r in events], ["received", "1:dispatched"], "timeline")
    assert_same_items([r["step_key"] for r in steps], ["reply:1:reminder"], "ladder steps")
    assert len(notices) == 1, f"expected one queued notice, found {len(notices)}"
    assert_fields(notices[0], "the notice", status="sent", attempts=1)


async def test_escalation_level_only_rises(pool: asyncpg.Pool) -> None:
    inquiry = an_inquiry()
    async with pool.acquire() as conn:
        await received(conn, inquiry)
        await repo.raise_escalation(conn, inquiry_id=inquiry.inquiry_id, level=2, overdue=True)
        await repo.raise_escalation(conn, inquiry_id=inquiry.inquiry_id, level=1, overdue=False)
        row = await repo.get_inquiry(conn, inquiry_id=uuid.UUID(inquiry.inquiry_id))
    assert_fields(row, "after a late, lower step", escalation_level=2, overdue=True)


async def test_state_tasks_and_clocks_replayed_leave_the_same_rows(pool: asyncpg.Pool) -> None:
    inquiry = an_inquiry()
    id_ = uuid.UUID(inquiry.inquiry_id)
    ledger = REPLY_LEDGER
    async with pool.acquire() as conn:
        await received(conn, inquiry)
        for _ in range(2):
            await case_repo.set_state(
                conn,
                inquiry_id=inquiry.inquiry_id,
                status="dispatched",
                unit_code="business_window",
                columns=CaseColumns(dispatched_at=AT, routing_rule="billing-rule"),
            )
            await case_repo.change_tasks(
                conn,
                inquiry_id=inquiry.inquiry_id,
                seq=1,
                at=AT,
                change=TaskChange(close_open=True, open_unit="business_window", due_at=AT),
            )
            await case_repo.save_clocks(
                conn,
                inquiry_id=inquiry.inquiry_id,
                cycle=1,
                clocks={"reply": (ledger, AT + timedelta(hours=36), False)},
                projected_at=AT,
            )
        # The unit acknowledges (seq 2): the open task closes, nothing else is duplicated.
        await case_repo.set_state(
            conn,
            inquiry_id=inquiry.inquiry_id,
            status="handling",
            unit_code=None,
            columns=CaseColumns(acknowledged_at=AT + timedelta(hours=1)),
        )
        row = await repo.get_inquiry(conn, inquiry_id=id_)
        tasks = await conn.fetch(
            "SELECT unit_code, kind, status FROM tasks WHERE inquiry_id = $1", id_
        )
        clocks = await case_repo.clocks(conn, inquiry_id=id_)
    assert_fields(
        row,
        "the case row",
        status="handling",
        unit_code="business_window",  # None leaves the unit as it was
        dispatched_at=AT,
        acknowledged_at=AT + timedelta(hours=1),
        routing_rule="billing-rule",
    )
    assert_same_items(
        [(t["unit_code"], t["kind"], t["status"]) for t in tasks],
        [("business_window", "reply", "open")],
        "tasks",
    )
    assert_same_items([(c["target"], c["cycle"]) for c in clocks], [("reply", 1)], "clocks")
    assert clocks[0]["due_at"] == AT + timedelta(hours=36)


async def test_a_new_cycle_retires_the_earlier_clocks(pool: asyncpg.Pool) -> None:
    inquiry = an_inquiry()
    ledger = REPLY_LEDGER
    async with pool.acquire() as conn:
        await received(conn, inquiry)
        for cycle in (1, 2):
            await case_repo.save_clocks(
                conn,
                inquiry_id=inquiry.inquiry_id,
                cycle=cycle,
                clocks={"reply": (ledger, AT, False)},
                projected_at=AT,
            )
        clocks = await case_repo.clocks(conn, inquiry_id=uuid.UUID(inquiry.inquiry_id))
    assert_same_items(
        [(c["cycle"], c["active"]) for c in clocks], [(1, False), (2, True)], "clock cycles"
    )


async def test_every_target_of_a_plan_is_stored_and_stored_again(pool: asyncpg.Pool) -> None:
    inquiry = an_inquiry()
    ledger = REPLY_LEDGER
    async with pool.acquire() as conn:
        await received(conn, inquiry)
        for due in (AT, AT + timedelta(hours=2)):
            await case_repo.save_clocks(
                conn,
                inquiry_id=inquiry.inquiry_id,
                cycle=1,
                clocks={
                    "acknowledge": ({**ledger, "target": "acknowledge"}, None, True),
                    "reply": (ledger, due, False),
                },
                projected_at=due,
            )
        clocks = await case_repo.clocks(conn, inquiry_id=uuid.UUID(inquiry.inquiry_id))
    # ordered by cycle, then target
    assert [
        (c["target"], c["ledger"], c["due_at"], c["provisional"], c["active"]) for c in clocks
    ] == [
        ("acknowledge", {**ledger, "target": "acknowledge"}, None, True, True),
        ("reply", ledger, AT + timedelta(hours=2), False, True),
    ]
