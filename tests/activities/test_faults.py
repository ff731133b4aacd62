"""Poison data fails an activity for good; the fault is named, the data is not."""

from __future__ import annotations

from dataclasses import replace

import asyncpg
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.cases import CaseActivities
from activities.faults import PERMANENT_FAULT
from tests.activities.test_case_activities import an_inquiry, an_outbox


async def test_a_nul_byte_postgresql_refuses_fails_the_activity_without_retry(
    pool: asyncpg.Pool,
) -> None:
    activities = CaseActivities(pool, an_outbox())
    poison = replace(an_inquiry(), content="停水\x00了")
    with pytest.raises(ApplicationError) as failed:
        await ActivityEnvironment().run(activities.record_case, poison)
    assert failed.value.non_retryable
    assert failed.value.type == PERMANENT_FAULT
    assert failed.value.__cause__ is None  # PostgreSQL's text may quote the data
    assert "停水" not in failed.value.message
    async with pool.acquire() as conn:
        rows = await conn.fetchval(
            "SELECT count(*) FROM inquiries WHERE id = $1::uuid", poison.inquiry_id
        )
    assert rows == 0
