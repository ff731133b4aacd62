"""A unit's reply: a validated workflow update, or a durable signal when no worker answers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.client import (
    Client,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)

from api.actions import refusal
from api.deps import Staff
from domain.ids import case_workflow_id
from domain.models import ReplySubmission


async def submit_reply(
    temporal: Client, *, inquiry_id: str, staff: Staff, content: str, wait: timedelta
) -> dict[str, Any] | None:
    """The case state after the reply, or None when it was queued for a worker to take up.

    Both workflow versions answer the `submit_reply` update and the `reply_queued` signal.
    """
    assert staff.unit_code is not None
    reply = ReplySubmission(
        reply_id=str(uuid.uuid4()),
        content=content,
        replied_by=staff.username,
        unit_code=staff.unit_code,
        submitted_at=datetime.now(UTC),
    )
    handle = temporal.get_workflow_handle(case_workflow_id(inquiry_id))
    try:
        return await handle.execute_update(
            "submit_reply", reply, result_type=dict, rpc_timeout=wait
        )
    except WorkflowUpdateFailedError as failed:
        mapped = refusal(failed)
        if mapped is not None:
            raise mapped from failed
        raise
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        # No worker took the update in time. A signal is stored in history at once, so the
        # reply survives until a worker comes back; the workflow checks it again then.
        await handle.signal("reply_queued", reply)
        return None
