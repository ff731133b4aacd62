"""A unit's reply: a validated workflow update, or a durable signal when no worker answers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from temporalio.client import (
    Client,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError

from activities.inquiries import workflow_id_for
from api.deps import Staff
from api.errors import ApiError
from domain.models import InquiryState, ReplySubmission
from workflows.inquiry import NOT_AWAITING_REPLY, WRONG_UNIT, InquiryWorkflow

_REFUSALS = {NOT_AWAITING_REPLY: (409, "not_awaiting_reply"), WRONG_UNIT: (403, "wrong_unit")}


async def submit_reply(
    temporal: Client, *, inquiry_id: str, staff: Staff, content: str, wait: timedelta
) -> InquiryState | None:
    """The closed case's state, or None when the reply was queued for a worker to take up."""
    assert staff.unit_code is not None
    reply = ReplySubmission(
        reply_id=str(uuid.uuid4()),
        content=content,
        replied_by=staff.username,
        unit_code=staff.unit_code,
        submitted_at=datetime.now(UTC),
    )
    handle = temporal.get_workflow_handle(workflow_id_for(inquiry_id))
    try:
        return await handle.execute_update(InquiryWorkflow.submit_reply, reply, rpc_timeout=wait)
    except WorkflowUpdateFailedError as failed:
        cause = failed.cause
        if isinstance(cause, ApplicationError) and cause.type in _REFUSALS:
            status, code = _REFUSALS[cause.type]
            raise ApiError(status, code, cause.message) from failed
        raise
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        # No worker took the update in time. A signal is stored in history at once, so the
        # reply survives until a worker comes back; the workflow validates it again then.
        await handle.signal(InquiryWorkflow.reply_queued, reply)
        return None
