"""The Temporal worker: wires the workflows to their activities, pool and transport."""

from __future__ import annotations

import asyncpg
from temporalio.client import Client
from temporalio.worker import Worker

from activities.cases import CaseActivities
from activities.context import LogContextInterceptor
from activities.inquiries import InquiryActivities
from activities.notify import LogTransport, Transport
from workflows.case import CaseWorkflow
from workflows.cohandling import CoHandlingWorkflow
from workflows.inquiry import InquiryWorkflow


def build_worker(
    client: Client, pool: asyncpg.Pool, *, task_queue: str, transport: Transport | None = None
) -> Worker:
    """One worker per process. InquiryWorkflow stays registered so cases started by the first
    version run to their end; new inquiries start CaseWorkflow."""
    transport = transport or LogTransport()
    inquiries = InquiryActivities(pool, transport)
    cases = CaseActivities(pool, transport)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[InquiryWorkflow, CaseWorkflow, CoHandlingWorkflow],
        activities=[
            inquiries.record_inquiry,
            inquiries.route,
            inquiries.dispatch,
            inquiries.escalate,
            inquiries.record_reply,
            inquiries.send_feedback,
            inquiries.close,
            cases.record_case,
            cases.route_case,
            cases.load_policy,
            cases.load_case_policy,
            cases.plan,
            cases.due_time,
            cases.record,
            cases.fire_steps,
            cases.record_cohandling,
        ],
        interceptors=[LogContextInterceptor()],
    )
