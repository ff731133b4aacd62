"""How the workflows call their activities: one timeout and one retry policy for all of them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy

ACTIVITY_TIMEOUT = timedelta(seconds=30)
# Activities are idempotent, so a transient fault (the database restarting) is retried for as long
# as it lasts; a permanent one raises ApplicationError(non_retryable=True) in the activity.
ACTIVITY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)
)

P = TypeVar("P")
R = TypeVar("R")


async def execute(activity: Callable[[Any, P], Awaitable[R]], arg: P) -> R:
    """Run an activity method (by reference) with the shared timeout and retry policy."""
    return await workflow.execute_activity_method(
        activity, arg, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=ACTIVITY_RETRY
    )
