"""The Temporal worker: wires the workflows to their activities, pool and outbox, and runs the
outbox dispatcher beside them."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import structlog
from temporalio.client import Client
from temporalio.worker import PollerBehaviorSimpleMaximum, Worker

from activities.cases import CaseActivities
from activities.context import LogContextInterceptor
from activities.dispatcher import DeliveryPolicy, OutboxDispatcher
from activities.legacy_v1 import LegacyInquiryActivities
from activities.notify import Outbox
from activities.scheduled import ScheduledActivities
from activities.transports import Transports
from activities.transports.configure import policy_from_settings, transports_from_settings
from core.runner import ContextFreeSandboxRunner, shared_workflow_modules, takes_no_context
from core.settings import Settings, get_settings
from workflows.case import CaseWorkflow
from workflows.cohandling import CoHandlingWorkflow
from workflows.legacy_v1 import LegacyInquiryWorkflow
from workflows.scheduled import DigestWorkflow, SummaryWorkflow

log = structlog.get_logger(__name__)


class CaseWorker(Worker):
    """A Temporal worker whose outbox dispatcher starts and stops with it: the activities only
    queue notices; the dispatcher delivers them."""

    def __init__(
        self,
        client: Client,
        *,
        dispatcher: OutboxDispatcher,
        http: httpx.AsyncClient,
        **options: Any,
    ) -> None:
        super().__init__(client, **options)
        self.dispatcher = dispatcher
        self._http = http

    async def run(self) -> None:
        delivering = asyncio.create_task(self.dispatcher.run())
        try:
            await super().run()
        finally:
            # Attempts in flight end within their timeout; whatever is left stays queued.
            await self.dispatcher.stop()
            delivering.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await delivering
            await self._http.aclose()


# Every workflow type a worker runs; replay tests replay committed histories against the same list.
WORKFLOWS = (
    CaseWorkflow,
    CoHandlingWorkflow,
    LegacyInquiryWorkflow,
    DigestWorkflow,
    SummaryWorkflow,
)


def build_worker(
    client: Client,
    pool: asyncpg.Pool,
    *,
    task_queue: str,
    settings: Settings | None = None,
    transports: Transports | None = None,
    policy: DeliveryPolicy | None = None,
) -> CaseWorker:
    """One worker per process. New inquiries start CaseWorkflow; legacy v1 (LegacyInquiryWorkflow,
    type "InquiryWorkflow") stays registered so runs started by the first version reach their end,
    until `inquiry legacy status` reports none (README.md). The transports come from the
    settings (SMTP_HOST, SMS_GATEWAY_URL); a channel left unset goes to the log."""
    settings = settings or get_settings()
    http = httpx.AsyncClient(timeout=settings.notify_attempt_timeout)
    transports = transports or transports_from_settings(settings, http)
    dispatcher = OutboxDispatcher(pool, transports, policy or policy_from_settings(settings))
    log.info("notification_transports", **transports.describe())
    if not settings.smtp_host and not settings.sms_gateway_url:
        log.warning(
            "notifications_to_log_only",
            hint="citizen SMS and email are written to the log; set SMTP_HOST and"
            " SMS_GATEWAY_URL to deliver them (README: Notifications)",
        )
    outbox = Outbox(public_base_url=settings.public_base_url, wake=dispatcher.wake)
    legacy = LegacyInquiryActivities(pool, outbox)
    cases = CaseActivities(pool, outbox)
    scheduled = ScheduledActivities(pool, wake=dispatcher.wake)
    return CaseWorker(
        client,
        dispatcher=dispatcher,
        http=http,
        task_queue=task_queue,
        workflows=list(WORKFLOWS),
        # The workflows run in the SDK's sandbox either way, their own modules loaded once per
        # process; without a context to ask for, the worker does not enter the sandbox to ask
        # for it per payload (core/runner.py).
        workflow_runner=(
            ContextFreeSandboxRunner()
            if takes_no_context(client.data_converter)
            else shared_workflow_modules()
        ),
        activities=[
            cases.record_case,
            cases.route_case,
            cases.receive_and_route,
            cases.receive_and_dispatch,
            cases.load_policy,
            cases.load_case_policy,
            cases.plan,
            cases.due_time,
            cases.record,
            cases.record_projected,
            cases.fire_steps,
            cases.fire_and_plan,
            cases.record_cohandling,
            legacy.record_inquiry,
            legacy.route,
            legacy.dispatch,
            legacy.escalate,
            legacy.record_reply,
            legacy.send_feedback,
            legacy.close,
            scheduled.plan_digest,
            scheduled.queue_digests,
            scheduled.queue_summaries,
        ],
        interceptors=[LogContextInterceptor()],
        max_cached_workflows=settings.worker_max_cached_workflows,
        max_concurrent_workflow_tasks=settings.worker_max_concurrent_workflow_tasks,
        max_concurrent_activities=settings.worker_max_concurrent_activities,
        max_concurrent_local_activities=settings.worker_max_concurrent_local_activities,
        sticky_queue_schedule_to_start_timeout=timedelta(
            seconds=settings.worker_sticky_schedule_to_start_seconds
        ),
        workflow_task_poller_behavior=PollerBehaviorSimpleMaximum(
            settings.worker_workflow_task_pollers
        ),
        activity_task_poller_behavior=PollerBehaviorSimpleMaximum(
            settings.worker_activity_task_pollers
        ),
    )
