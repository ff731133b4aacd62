"""The Temporal worker: wires the workflows to their activities, pool and transport."""

from __future__ import annotations

import asyncpg
from temporalio.client import Client
from temporalio.worker import PollerBehaviorSimpleMaximum, Worker

from activities.cases import CaseActivities
from activities.context import LogContextInterceptor
from activities.legacy_v1 import LegacyInquiryActivities
from activities.notify import LogTransport, Transport
from core.settings import Settings
from workflows.case import CaseWorkflow
from workflows.cohandling import CoHandlingWorkflow
from workflows.legacy_v1 import LegacyInquiryWorkflow


def build_worker(
    client: Client,
    pool: asyncpg.Pool,
    *,
    task_queue: str,
    transport: Transport | None = None,
    settings: Settings | None = None,
) -> Worker:
    """One worker per process. New inquiries start CaseWorkflow; legacy v1 (LegacyInquiryWorkflow,
    type "InquiryWorkflow") stays registered so runs started by the first version reach their end,
    until `inquiry legacy status` reports none (README.md)."""
    transport = transport or LogTransport()
    legacy = LegacyInquiryActivities(pool, transport)
    cases = CaseActivities(pool, transport)
    tuning = settings or Settings.model_construct()  # the defaults, no environment read
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[CaseWorkflow, CoHandlingWorkflow, LegacyInquiryWorkflow],
        activities=[
            cases.record_case,
            cases.route_case,
            cases.load_policy,
            cases.load_case_policy,
            cases.plan,
            cases.due_time,
            cases.record,
            cases.fire_steps,
            cases.record_cohandling,
            legacy.record_inquiry,
            legacy.route,
            legacy.dispatch,
            legacy.escalate,
            legacy.record_reply,
            legacy.send_feedback,
            legacy.close,
        ],
        interceptors=[LogContextInterceptor()],
        max_cached_workflows=tuning.worker_max_cached_workflows,
        max_concurrent_workflow_tasks=tuning.worker_max_concurrent_workflow_tasks,
        max_concurrent_activities=tuning.worker_max_concurrent_activities,
        workflow_task_poller_behavior=PollerBehaviorSimpleMaximum(
            tuning.worker_workflow_task_pollers
        ),
        activity_task_poller_behavior=PollerBehaviorSimpleMaximum(
            tuning.worker_activity_task_pollers
        ),
    )
