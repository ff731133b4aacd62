"""The Temporal Schedules of the scheduled work, created or brought up to date when a worker
starts: `digest-daily` (DigestWorkflow at DIGEST_TIME, Asia/Shanghai) and `summary-monthly`
(SummaryWorkflow on the 1st at DIGEST_TIME). An update replaces spec, action and policy and
keeps the state, so a schedule paused in the Temporal UI stays paused across restarts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import structlog
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from core.settings import Settings
from domain.calendar import CHINA_TZ
from domain.digest import DigestRequest, SummaryRequest
from domain.ids import (
    DIGEST_SCHEDULE_ID,
    DIGEST_WORKFLOW_ID,
    SUMMARY_SCHEDULE_ID,
    SUMMARY_WORKFLOW_ID,
)
from workflows.scheduled import DigestWorkflow, SummaryWorkflow

log = structlog.get_logger(__name__)

# A run missed while Temporal was down is still started within these windows (the digest then
# waits for office hours or is skipped after closing; a summary is good all day).
DIGEST_CATCHUP = timedelta(hours=9)
SUMMARY_CATCHUP = timedelta(days=1)
# A digest started after closing waits for the next working opening: over a weekend and the
# longest holidays (春节 and its weekends) that is under two weeks.
RUN_TIMEOUT = timedelta(days=14)


@dataclass(frozen=True)
class Ensured:
    schedule_id: str
    created: bool  # False: it existed and was updated


def schedules(settings: Settings) -> dict[str, Schedule]:
    """Both schedules as the settings want them, by id."""
    hour, minute = (int(part) for part in settings.digest_time.split(":"))
    at = {"hour": [ScheduleRange(hour)], "minute": [ScheduleRange(minute)]}
    zone = CHINA_TZ.key
    return {
        DIGEST_SCHEDULE_ID: Schedule(
            action=ScheduleActionStartWorkflow(
                DigestWorkflow.run,
                DigestRequest(),
                id=DIGEST_WORKFLOW_ID,
                task_queue=settings.task_queue,
                execution_timeout=RUN_TIMEOUT,
            ),
            spec=ScheduleSpec(
                calendars=[ScheduleCalendarSpec(**at, comment="每日待办 daily digest")],
                time_zone_name=zone,
            ),
            # A run still held (started after closing) never stops the next morning's: both may
            # run, and the outbox key of the day lets only one digest through.
            policy=SchedulePolicy(
                overlap=ScheduleOverlapPolicy.ALLOW_ALL, catchup_window=DIGEST_CATCHUP
            ),
        ),
        SUMMARY_SCHEDULE_ID: Schedule(
            action=ScheduleActionStartWorkflow(
                SummaryWorkflow.run,
                SummaryRequest(),
                id=SUMMARY_WORKFLOW_ID,
                task_queue=settings.task_queue,
                execution_timeout=RUN_TIMEOUT,
            ),
            spec=ScheduleSpec(
                calendars=[
                    ScheduleCalendarSpec(
                        **at, day_of_month=[ScheduleRange(1)], comment="月度通报 monthly summary"
                    )
                ],
                time_zone_name=zone,
            ),
            policy=SchedulePolicy(
                overlap=ScheduleOverlapPolicy.SKIP, catchup_window=SUMMARY_CATCHUP
            ),
        ),
    }


async def ensure_schedules(client: Client, settings: Settings) -> list[Ensured]:
    """Create each schedule, or update the one that exists to the settings; nothing when
    SCHEDULES_ENABLED is false (schedules made before are left as they are)."""
    if not settings.schedules_enabled:
        log.info("schedules_disabled", hint="SCHEDULES_ENABLED=false; nothing created")
        return []
    done = []
    for schedule_id, wanted in schedules(settings).items():
        try:
            await client.create_schedule(schedule_id, wanted)
            done.append(Ensured(schedule_id, created=True))
        except ScheduleAlreadyRunningError:

            def keep_state(
                current: ScheduleUpdateInput, wanted: Schedule = wanted
            ) -> ScheduleUpdate:
                existing = current.description.schedule
                existing.spec, existing.action, existing.policy = (
                    wanted.spec,
                    wanted.action,
                    wanted.policy,
                )
                return ScheduleUpdate(schedule=existing)

            await client.get_schedule_handle(schedule_id).update(keep_state)
            done.append(Ensured(schedule_id, created=False))
        log.info("schedule_ensured", schedule=schedule_id, created=done[-1].created)
    return done
