"""How the workflows call their activities: one timeout and one retry policy for all of them,
and the short PostgreSQL writes of a transition as local activities."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import CancelledError, FailureError

from workflows import revision

ACTIVITY_TIMEOUT = timedelta(seconds=30)
# Activities are idempotent, so a transient fault (the database restarting) is retried for as long
# as it lasts; a permanent one raises ApplicationError(non_retryable=True) in the activity.
ACTIVITY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)
)

# Cases started after this patch run their transition's activities (route, plan, record, ladder
# steps) as local activities: in the workflow task that asked for them, with one marker event
# each instead of three events and a round trip through the activity task queue (issue 10).
# Running cases and every committed history keep the activities they recorded: `patched` is
# memoized per run, so a run that replays its first transition without the marker stays on the
# old path to its end.
LOCAL_PATCH = "local-transition-activities"
LOCAL_TIMEOUT = timedelta(seconds=10)
# A few quick tries inside the workflow task; a fault that outlasts them is no longer short, so
# the call becomes an ordinary activity: retried without end, listed as stuck, a permanent fault
# failing it for good, all visible in the history and the UI as before.
LOCAL_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=2), maximum_attempts=3
)

P = TypeVar("P")
R = TypeVar("R")


async def execute(activity: Callable[[Any, P], Awaitable[R]], arg: P) -> R:
    """Run an activity method (by reference) with the shared timeout and retry policy."""
    return await workflow.execute_activity_method(
        activity, arg, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=ACTIVITY_RETRY
    )


async def execute_short(activity: Callable[[Any, P], Awaitable[R]], arg: P) -> R:
    """A short, idempotent activity: local in cases started after LOCAL_PATCH, else as before.

    A local activity may run more than once (its workflow task can fail after it ran), which
    every activity of this service allows. Any fault it cannot get past in LOCAL_RETRY, a
    permanent one included, is handed to the ordinary activity with the same input: that one
    retries a transient fault, fails at its first try on a permanent one, and shows either in
    the history, the UI and GET /api/v1/supervision/stuck.
    """
    if not revision.taken(LOCAL_PATCH):
        return await execute(activity, arg)
    try:
        return await execute_local(activity, arg)
    except FailureError as failed:  # ApplicationError, TimeoutError or ActivityError
        if cancelled(failed):
            raise
        workflow.logger.warning("a local activity failed; run as an activity: %s", failed)
    return await execute(activity, arg)


async def execute_local(activity: Callable[[Any, P], Awaitable[R]], arg: P) -> R:
    """The local tries of `execute_short` alone; a fault they cannot get past is raised."""
    return await workflow.execute_local_activity_method(
        activity, arg, start_to_close_timeout=LOCAL_TIMEOUT, retry_policy=LOCAL_RETRY
    )


def cancelled(failed: FailureError) -> bool:
    """Whether an activity's failure is its cancellation (to be raised on, never retried)."""
    return isinstance(failed, CancelledError) or isinstance(failed.cause, CancelledError)
