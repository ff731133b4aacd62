"""The one mapping from what a case refuses (domain/case.py refusal codes), and from a dependency
that cannot be reached (Temporal, PostgreSQL), to an HTTP answer."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from core.db import UNREACHABLE
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
    # Sent longer ago than the API waited for it: the client was told no worker answered.
    c.EXPIRED: (503, "no_worker"),
    # Raised only by the first version (legacy v1) on a reply, kept while its cases run.
    "NotAwaitingReply": (409, "not_awaiting_reply"),
    "EmptyReply": (422, "invalid"),
}

NO_WORKER = "no_worker"
# Seconds a client is asked to wait before it tries again: an embedded part restarts within 30 s
# (infra/processes.py backs off up to 30 s), and a worker takes up the work where it stopped.
RETRY_AFTER_SECONDS = 30
_RETRY = {"Retry-After": str(RETRY_AFTER_SECONDS)}


def refused(code: str, message: str) -> ServiceError:
    """The answer to a refusal; an unknown code is the service's fault, not the client's."""
    status, answer = REFUSALS.get(code, (500, "internal_error"))
    return ServiceError(status, answer, message, headers=_RETRY if status == 503 else None)


def no_worker(
    message: str = "no worker answered in time; nothing was changed, try again",
) -> ServiceError:
    return ServiceError(503, NO_WORKER, message, headers=_RETRY)


def temporal_unavailable() -> ServiceError:
    return ServiceError(
        503,
        "temporal_unavailable",
        "the workflow service is unavailable; nothing was changed, try again",
        headers=_RETRY,
    )


def database_unavailable() -> ServiceError:
    return ServiceError(
        503,
        "database_unavailable",
        "the database is unavailable; nothing was changed, try again",
        headers=_RETRY,
    )


def unavailable(exc: BaseException) -> ServiceError | None:
    """The 503 naming the dependency an exception says is unreachable; None for any other fault.

    Temporal: an RPC the client gave up on (UNAVAILABLE after its own retries, or past its
    deadline), or a lazy client that never reached the server. PostgreSQL: core.db.UNREACHABLE,
    where an OSError or TimeoutError counts only when asyncpg raised it (a socket to PostgreSQL),
    not when any other code did.
    """
    if isinstance(exc, RPCError):
        if exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
            return temporal_unavailable()
        return None
    if isinstance(exc, RuntimeError) and str(exc).startswith("Failed client connect"):
        return temporal_unavailable()  # what temporalio raises before a lazy client connected
    if isinstance(exc, ValueError):
        return None  # asyncpg's refusal of an argument (its DataError is an InterfaceError)
    if isinstance(exc, UNREACHABLE) and (
        not isinstance(exc, OSError | TimeoutError) or _raised_in_asyncpg(exc)
    ):
        return database_unavailable()
    return None


def _raised_in_asyncpg(exc: BaseException) -> bool:
    tb = exc.__traceback__
    while tb is not None:
        if str(tb.tb_frame.f_globals.get("__name__", "")).startswith(asyncpg.__name__):
            return True
        tb = tb.tb_next
    return False


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
        raise no_worker() from slow
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise ServiceError(409, "case_finished", "the case is no longer open") from exc
        if exc.status == RPCStatusCode.DEADLINE_EXCEEDED:  # a query no worker took
            raise no_worker("no worker answered in time; try again") from exc
        raise
