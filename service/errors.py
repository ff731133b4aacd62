"""The one mapping from what a case refuses (domain/case.py refusal codes) to an HTTP answer."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from domain import case as c


class ServiceError(Exception):
    """An answer the client can act on: an HTTP status, a stable code and a human message."""

    def __init__(
        self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers


REFUSALS: dict[str, tuple[int, str]] = {
    c.WRONG_STATE: (409, "wrong_state"),
    c.TOO_LATE: (409, "too_late"),
    c.OVER_CAP: (409, "over_cap"),
    c.WRONG_UNIT: (403, "wrong_unit"),
    c.FORBIDDEN: (403, "forbidden"),
    c.INVALID: (422, "invalid"),
    # Raised only by the first version (legacy v1) on a reply, kept while its cases run.
    "NotAwaitingReply": (409, "not_awaiting_reply"),
    "EmptyReply": (422, "invalid"),
}

NO_WORKER = "no_worker"


def refused(code: str, message: str) -> ServiceError:
    """The answer to a refusal; an unknown code is the service's fault, not the client's."""
    status, answer = REFUSALS.get(code, (500, "internal_error"))
    return ServiceError(status, answer, message)


def no_such_case() -> ServiceError:
    return ServiceError(404, "not_found", "no such inquiry")


@contextmanager
def workflow_answers() -> Iterator[None]:
    """Turn what Temporal answers for a case (refusal, no worker, finished) into ServiceError."""
    try:
        yield
    except WorkflowUpdateFailedError as failed:
        cause = failed.cause
        if isinstance(cause, ApplicationError) and cause.type in REFUSALS:
            raise refused(cause.type, cause.message) from failed
        raise
    except WorkflowUpdateRPCTimeoutOrCancelledError as slow:
        raise ServiceError(
            503, NO_WORKER, "no worker answered in time; nothing was changed, try again"
        ) from slow
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise ServiceError(409, "case_finished", "the case is no longer open") from exc
        if exc.status == RPCStatusCode.DEADLINE_EXCEEDED:  # a query no worker took
            raise ServiceError(503, NO_WORKER, "no worker answered in time; try again") from exc
        raise
