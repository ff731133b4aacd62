"""Intake reads from Temporal's answer to the start whether it started the workflow, so the first
request with an Idempotency-Key is not followed by a describe; a repeat is still described."""

from __future__ import annotations

import uuid

from temporalio.testing import WorkflowEnvironment

from service.intake import _Memo, _start, _started_now
from tests.repository.test_writes import AT, an_inquiry


async def test_only_the_call_that_started_the_workflow_counts_as_started(
    temporal_env: WorkflowEnvironment,
) -> None:
    inquiry = an_inquiry()
    memo = _Memo(inquiry.tracking_code, "hash", AT)
    queue = f"no-worker-{uuid.uuid4().hex}"  # nothing runs the workflow
    first = await _start(temporal_env.client, queue, inquiry, None, memo)
    again = await _start(temporal_env.client, queue, inquiry, None, memo)
    try:
        assert _started_now(first), "the first start did not count as started"
        assert not _started_now(again), "a repeat counted as started"
        assert again.id == first.id
    finally:
        await first.terminate("test over")
