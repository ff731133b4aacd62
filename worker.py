"""The Temporal worker: wires the inquiry workflow to its activities, pool and transport."""

from __future__ import annotations

import asyncpg
from temporalio.client import Client
from temporalio.worker import Worker

from activities.context import LogContextInterceptor
from activities.inquiries import InquiryActivities
from activities.notify import LogTransport, Transport
from workflows.inquiry import InquiryWorkflow


def build_worker(
    client: Client, pool: asyncpg.Pool, *, task_queue: str, transport: Transport | None = None
) -> Worker:
    """One worker per process; activities share the pool."""
    activities = InquiryActivities(pool, transport or LogTransport())
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[InquiryWorkflow],
        interceptors=[LogContextInterceptor()],
        activities=[
            activities.record_inquiry,
            activities.route,
            activities.dispatch,
            activities.escalate,
            activities.record_reply,
            activities.send_feedback,
            activities.close,
        ],
    )
