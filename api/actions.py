"""Staff and citizen actions on a case: Temporal updates whose refusals become 4xx answers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio.client import (
    Client,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import ApiError
from domain.ids import case_workflow_id

# Refusal types raised by the workflows' validators, and the HTTP answer for each.
REFUSALS = {
    "NotAwaitingReply": (409, "not_awaiting_reply"),
    "WrongState": (409, "wrong_state"),
    "TooLate": (409, "too_late"),
    "OverCap": (409, "over_cap"),
    "WrongUnit": (403, "wrong_unit"),
    "Forbidden": (403, "forbidden"),
    "Invalid": (422, "invalid"),
    "EmptyReply": (422, "invalid"),
}


def refusal(failed: WorkflowUpdateFailedError) -> ApiError | None:
    cause = failed.cause
    if isinstance(cause, ApplicationError) and cause.type in REFUSALS:
        status, code = REFUSALS[cause.type]
        return ApiError(status, code, cause.message)
    return None


async def run_update(
    temporal: Client,
    *,
    workflow_id: str,
    update: str,
    arg: Any,
    wait: timedelta = timedelta(seconds=30),
    result_type: type = dict,
) -> Any:
    """Send an update and return what it answers with (the case state, as JSON-like data)."""
    handle = temporal.get_workflow_handle(workflow_id)
    try:
        return await handle.execute_update(update, arg, result_type=result_type, rpc_timeout=wait)
    except WorkflowUpdateFailedError as failed:
        mapped = refusal(failed)
        if mapped is not None:
            raise mapped from failed
        raise
    except WorkflowUpdateRPCTimeoutOrCancelledError as slow:
        raise ApiError(
            503, "no_worker", "no worker answered in time; nothing was changed, try again"
        ) from slow
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise ApiError(409, "case_finished", "the case is no longer open") from exc
        raise


async def case_action(temporal: Client, inquiry_id: str, update: str, arg: Any) -> dict[str, Any]:
    state = await run_update(
        temporal, workflow_id=case_workflow_id(inquiry_id), update=update, arg=arg
    )
    return {
        "id": inquiry_id,
        "status": state.get("status"),
        "unit": state.get("unit"),
        "deadlines": state.get("deadlines"),
    }
