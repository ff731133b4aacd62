"""Which faults of an activity are permanent, and which ones keep failing.

Temporal retries a failed activity for as long as the retry policy lets it (workflows/options.py:
without end, for a database that restarts). That is right for transient faults and wrong for data
PostgreSQL refuses: retrying cannot change the answer. `classified` makes the difference once, for
every activity it wraps: data errors become non-retryable, everything else propagates and is
retried, and logged from STUCK_AFTER_ATTEMPTS on so a loop never stays silent (the same threshold
lists the case under GET /api/v1/supervision/stuck).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

import asyncpg
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

log = structlog.get_logger(__name__)

# Data PostgreSQL refuses for good. DataError (class 22): invalid text for a type, a NUL byte or
# other character the encoding cannot hold, a value out of range, and asyncpg's own refusal of
# an argument. IntegrityConstraintViolationError (class 23): check, foreign-key, not-null and
# unique violations. Connection faults (core.db.UNREACHABLE) are transient and not listed.
PERMANENT: tuple[type[Exception], ...] = (
    asyncpg.DataError,
    asyncpg.exceptions._base.DataError,  # asyncpg's refusal of an argument, before PostgreSQL
    asyncpg.IntegrityConstraintViolationError,
)
PERMANENT_FAULT = "PermanentDataError"  # the ApplicationError type a permanent fault fails with
STUCK_AFTER_ATTEMPTS = 5

P = ParamSpec("P")
R = TypeVar("R")


def classified(run: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Wrap an activity (under @activity.defn, which keeps its name): permanent faults fail it
    for good; the others are retried, and logged once they keep failing."""

    @functools.wraps(run)
    async def classify(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await run(*args, **kwargs)
        except PERMANENT as exc:
            # The message names the kind of fault only: PostgreSQL's own text may quote the data,
            # and a failure's message is stored in the workflow's history.
            sqlstate = getattr(exc, "sqlstate", None) or "client"
            log.error(
                "activity_failed_permanently", error_type=type(exc).__name__, sqlstate=sqlstate
            )
            raise ApplicationError(
                f"PostgreSQL refused the data for good: {type(exc).__name__} ({sqlstate})",
                type=PERMANENT_FAULT,
                non_retryable=True,
            ) from None  # its text (and DETAIL) may quote the row: kept out of the history
        except Exception as exc:
            attempt = activity.info().attempt
            if attempt >= STUCK_AFTER_ATTEMPTS:
                log.warning(
                    "activity_keeps_failing", attempt=attempt, error_type=type(exc).__name__
                )
            raise

    return classify
