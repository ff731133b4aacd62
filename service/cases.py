"""The staff and citizen actions on a case and its reads, for the routes to call.

Each action is a typed update of the case workflow, called by method reference; the workflow's
validators (domain/case.py) are the authority on whether it is allowed. This module only adds
what the workflow cannot know: whether the case and the named units exist (PostgreSQL), and
which workflow version runs the case.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar
from uuid import UUID

import asyncpg
from temporalio.client import (
    Client,
    WorkflowHandle,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    WorkflowUpdateStage,
)
from temporalio.service import RPCError, RPCStatusCode
from temporalio.workflow import UpdateMethodMultiParam

from domain import case as c
from domain.calendar import OfficeHours
from domain.clock import WorkCalendar, ledger_from_json
from domain.explain import CaseTimes, TargetExplanation, explain, no_clock_reason, stopped_at
from domain.ids import CASE_WORKFLOW_VERSION, case_workflow_id, cohandling_workflow_id
from domain.models import ReplySubmission
from domain.transition import CoHandlingAnswer
from repository import Conn
from repository import calendar as calendar_repo
from repository import cases as case_repo
from repository import inquiries as inquiry_repo
from service.errors import (
    NO_WORKER,
    ServiceError,
    no_such_case,
    no_worker,
    refused,
    workflow_answers,
)
from workflows.case import CaseWorkflow
from workflows.cohandling import CoHandlingWorkflow

# How long a staff action is valid: the API waits that long (and ACCEPT_MARGIN more) for a worker
# to take it, then answers 503 no_worker; the workflow refuses it if it arrives later.
ACTION_WAIT = timedelta(seconds=30)
# Beyond its validity, how long the API still listens for the workflow's acceptance (at most as
# long as the validity itself): a worker that took the action in time reports it at once.
ACCEPT_MARGIN = timedelta(seconds=5)
_Arg = TypeVar("_Arg")
_Sent = TypeVar("_Sent", bound=c.Sent)
_Result = TypeVar("_Result")


class Viewer(Protocol):
    """Who reads a case (api.deps.Staff): unit-bound staff see only their unit's cases."""

    def may_see_unit(self, unit_code: str | None) -> bool: ...


@dataclass(frozen=True)
class CitizenView:
    row: asyncpg.Record  # shown through service.inquiry_views.public, which masks and leaves out
    feedback_sent_at: datetime | None
    question: str | None  # the unit's 补正 question, while the case waits for the answer


@dataclass(frozen=True)
class Timeline:
    id: UUID
    status: str
    events: list[dict[str, Any]]


@dataclass(frozen=True)
class SlaTarget:
    cycle: int  # 重办 starts a new cycle
    active: bool
    explained: TargetExplanation


@dataclass(frozen=True)
class SlaReport:
    id: UUID
    status: str
    as_of: datetime
    targets: list[SlaTarget]
    note: str | None  # why there is no target to show


class CaseService:
    """Built per request from the app's Temporal client and asyncpg pool."""

    def __init__(
        self,
        temporal: Client,
        pool: asyncpg.Pool,
        *,
        reply_wait: timedelta = ACTION_WAIT,
        action_wait: timedelta = ACTION_WAIT,
    ) -> None:
        self._temporal, self._pool = temporal, pool
        self._reply_wait, self._action_wait = reply_wait, action_wait

    # ---- staff actions: one update each ----

    async def acknowledge(self, inquiry_id: UUID, action: c.Acknowledge) -> c.CaseState:
        """签收."""
        return await self._act(inquiry_id, CaseWorkflow.acknowledge, action)

    async def return_case(self, inquiry_id: UUID, action: c.ReturnCase) -> c.CaseState:
        """退单."""
        return await self._act(inquiry_id, CaseWorkflow.return_case, action)

    async def decide_return(self, inquiry_id: UUID, action: c.ReturnDecision) -> c.CaseState:
        """改派 (accept) or refuse a return."""
        if action.accept and action.new_unit:
            await self._unit_exists(action.new_unit)
        return await self._act(inquiry_id, CaseWorkflow.decide_return, action)

    async def transfer(self, inquiry_id: UUID, action: c.Transfer) -> c.CaseState:
        """转办."""
        await self._unit_exists(action.new_unit)
        return await self._act(inquiry_id, CaseWorkflow.transfer, action)

    async def request_extension(self, inquiry_id: UUID, action: c.ExtensionRequest) -> c.CaseState:
        """延期, asked by the unit."""
        return await self._act(inquiry_id, CaseWorkflow.request_extension, action)

    async def decide_extension(self, inquiry_id: UUID, action: c.ExtensionDecision) -> c.CaseState:
        """延期, decided by a supervisor."""
        return await self._act(inquiry_id, CaseWorkflow.decide_extension, action)

    async def request_info(self, inquiry_id: UUID, action: c.InfoRequest) -> c.CaseState:
        """补正: the reply clock pauses."""
        return await self._act(inquiry_id, CaseWorkflow.request_info, action)

    async def supplement(self, inquiry_id: UUID, action: c.Supplement) -> c.CaseState:
        """The citizen's 补正 answer, taken by an operator."""
        return await self._act(inquiry_id, CaseWorkflow.supplement, action)

    async def review(self, inquiry_id: UUID, action: c.ReviewDecision) -> c.CaseState:
        """审核 of the draft reply."""
        return await self._act(inquiry_id, CaseWorkflow.review_reply, action)

    async def rate(self, inquiry_id: UUID, action: c.Rating) -> c.CaseState:
        """回访 rating, taken by an operator."""
        return await self._act(inquiry_id, CaseWorkflow.rate, action)

    async def decide_reopen(self, inquiry_id: UUID, action: c.ReopenDecision) -> c.CaseState:
        """重办 or close, after a second 不满意."""
        return await self._act(inquiry_id, CaseWorkflow.decide_reopen, action)

    async def assign_cohandlers(
        self, inquiry_id: UUID, action: c.CoHandlerAssignment
    ) -> c.CaseState:
        """主办/协办."""
        for unit in action.units:
            await self._unit_exists(unit)
        return await self._act(inquiry_id, CaseWorkflow.assign_cohandlers, action)

    async def cohandler_input(self, inquiry_id: UUID, unit: str, answer: CoHandlingAnswer) -> str:
        """A co-handling unit's answer to its own child workflow."""
        await self._running_case(inquiry_id)
        handle = self._temporal.get_workflow_handle(cohandling_workflow_id(str(inquiry_id), unit))
        return await self._send(handle, CoHandlingWorkflow.submit_input, self._stamped(answer))

    async def merge(self, inquiry_id: UUID, action: c.MergeRequest) -> c.CaseState:
        """并单: the case follows the main case.

        Two workflows change, so the order matters: the follower's own rule is asked first
        (the workflow's state, judged by the same check its merge_into validator runs), then
        the main case records its follower (its validator refuses a main case that is not
        open), and only then does the follower merge (its validator decides for good). A
        refused merge therefore leaves no follower recorded on the main case.
        """
        main = UUID(action.main_inquiry_id)
        await self._running_case(main)
        await self._running_case(inquiry_id)
        follower = self._case(inquiry_id)
        with workflow_answers():
            state = await follower.query(CaseWorkflow.state, rpc_timeout=self._action_wait)
        try:
            c.check_merge(state, action, str(inquiry_id))
        except c.Refusal as refusal:
            raise refused(refusal.code, refusal.message) from None
        attach = c.AttachMerged(action.actor, str(inquiry_id))
        await self._send(self._case(main), CaseWorkflow.attach_merged, self._stamped(attach))
        return await self._send(follower, CaseWorkflow.merge_into, self._stamped(action))

    async def reply(self, inquiry_id: UUID, actor: c.Actor, content: str) -> c.CaseState | None:
        """答复: the state after the reply, or None when no worker answered in time and the
        reply was queued as a signal (stored at once; the workflow checks it when a worker
        runs, and the reply clock stops at `submitted_at`, when the handler sent it). The
        update is valid only as long as the API waits for it, so a late delivery of it is
        refused and only the signal counts. Cases of the first version answer the same update
        and signal; their state reads as a CaseState through the fields both share (status,
        on_time, replied_at)."""
        await self._workflow_version(inquiry_id)
        sent = datetime.now(UTC)
        reply = ReplySubmission(
            reply_id=str(uuid.uuid4()),
            content=content,
            replied_by=actor.username,
            unit_code=actor.unit_code or "",
            submitted_at=sent,
            valid_until=sent + self._reply_wait,
        )
        handle = self._case(inquiry_id)
        try:
            return await self._send(handle, CaseWorkflow.submit_reply, reply, self._reply_wait)
        except ServiceError as exc:
            if exc.code != NO_WORKER:
                raise
        with workflow_answers():
            await handle.signal(CaseWorkflow.reply_queued, reply)
        return None

    # ---- the citizen, by tracking code ----

    async def citizen_supplement(self, tracking_code: str, action: c.Supplement) -> c.CaseState:
        """补正: the citizen's answer; the reply clock runs again."""
        return await self._update(
            await self._citizens_case(tracking_code), CaseWorkflow.supplement, action
        )

    async def citizen_rating(self, tracking_code: str, action: c.Rating) -> c.CaseState:
        """回访: the citizen's rating."""
        return await self._update(
            await self._citizens_case(tracking_code), CaseWorkflow.rate, action
        )

    # ---- reads ----

    async def citizen_view(self, tracking_code: str) -> CitizenView:
        """The case a citizen looks up by tracking code, and when the answer was sent."""
        async with self._pool.acquire() as conn:
            row = await inquiry_repo.get_by_tracking_code(conn, code=tracking_code.strip().upper())
            if row is None:
                raise ServiceError(404, "not_found", "no inquiry has this tracking code")
            notices = await inquiry_repo.list_notifications(
                conn, inquiry_id=row["id"], audience="citizen"
            )
            question = None
            if row["status"] == c.CaseStatus.PAUSED:
                question = await inquiry_repo.last_event_reason(
                    conn, inquiry_id=row["id"], kind="info_requested"
                )
        sent = [n["sent_at"] for n in notices if n["sent_at"] and n["kind"] == "feedback"]
        return CitizenView(row, feedback_sent_at=sent[0] if sent else None, question=question)

    async def timeline(self, inquiry_id: UUID, viewer: Viewer) -> Timeline:
        """Every transition, append-only."""
        async with self._pool.acquire() as conn:
            row = await self._visible_row(conn, inquiry_id, viewer)
            events = await inquiry_repo.list_events(conn, inquiry_id=inquiry_id) if row else []
        status = row["status"] if row else c.CaseStatus.RECEIVED.value
        return Timeline(id=inquiry_id, status=status, events=[dict(e) for e in events])

    async def sla(self, inquiry_id: UUID, viewer: Viewer) -> SlaReport:
        """Each target's clock explained by the domain, as of now or when its step was done."""
        now = datetime.now(UTC)
        async with self._pool.acquire() as conn:
            row = await self._visible_row(conn, inquiry_id, viewer)
            if row is None:
                status = c.CaseStatus.RECEIVED.value
                return SlaReport(inquiry_id, status, now, [], no_clock_reason(status))
            clocks = await case_repo.clocks(conn, inquiry_id=inquiry_id)
            category = await case_repo.policy_row(conn, category=row["category"])
            extra = await calendar_repo.overrides(conn)
        office = (
            OfficeHours(category["office_start"], category["office_end"])
            if category
            else OfficeHours()
        )
        calendar = WorkCalendar(extra=extra, office=office)
        times = CaseTimes(
            status=row["status"],
            acknowledged_at=row["acknowledged_at"],
            replied_at=row["replied_at"],
            closed_at=row["closed_at"],
            updated_at=row["updated_at"],
        )
        targets = [
            SlaTarget(
                cycle=clock["cycle"],
                active=clock["active"],
                explained=explain(
                    ledger_from_json(clock["ledger"]),
                    calendar,
                    stopped_at(clock["target"], clock["active"], times),
                    now,
                ),
            )
            for clock in clocks
        ]
        return SlaReport(
            id=inquiry_id,
            status=row["status"],
            as_of=now,
            targets=targets,
            note=None if targets else no_clock_reason(row["status"]),
        )

    # ---- lookups ----

    def _case(self, inquiry_id: UUID) -> WorkflowHandle[Any, Any]:
        return self._temporal.get_workflow_handle(case_workflow_id(str(inquiry_id)))

    async def _act(
        self,
        inquiry_id: UUID,
        update: UpdateMethodMultiParam[[CaseWorkflow, _Sent], c.CaseState],
        action: _Sent,
    ) -> c.CaseState:
        await self._running_case(inquiry_id)
        return await self._update(inquiry_id, update, action)

    async def _update(
        self,
        inquiry_id: UUID,
        update: UpdateMethodMultiParam[[CaseWorkflow, _Sent], c.CaseState],
        action: _Sent,
    ) -> c.CaseState:
        """The action, stamped, to a case already known to run the case workflow."""
        return await self._send(self._case(inquiry_id), update, self._stamped(action))

    def _stamped(self, action: _Sent) -> _Sent:
        """The action with when it is sent and until when the case may take it."""
        sent = datetime.now(UTC)
        return dataclasses.replace(action, sent_at=sent, valid_until=sent + self._action_wait)

    async def _send(
        self,
        handle: WorkflowHandle[Any, Any],
        update: UpdateMethodMultiParam[[Any, _Arg], _Result],
        arg: _Arg,
        valid_for: timedelta | None = None,
    ) -> _Result:
        """A typed update the case takes while it is valid, or never.

        First wait until the workflow accepted it (its validator ran; from then on the change is
        in its history and will be applied): if no worker took it while it was valid, the answer
        is 503 no_worker, and the validator refuses it if it is delivered later. Then wait for
        the result. Both waits are bounded here, not only per RPC: the client repeats an update
        call the server answered with "admitted" (no worker), which is how an action once hung
        for minutes. Refusals, a finished case and no worker become ServiceError.
        """
        valid_for = valid_for or self._action_wait
        wait = (valid_for + min(ACCEPT_MARGIN, valid_for)).total_seconds()
        with workflow_answers():
            try:
                async with asyncio.timeout(wait):
                    taken = await handle.start_update(
                        update, arg, wait_for_stage=WorkflowUpdateStage.ACCEPTED
                    )
            except TimeoutError:
                raise no_worker() from None
            try:
                async with asyncio.timeout(wait):
                    return await taken.result()
            except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
                raise ServiceError(
                    202,
                    "action_accepted",
                    "the case took the action; it is recorded as soon as it can be",
                ) from None

    async def _workflow_version(self, inquiry_id: UUID) -> int:
        """The version of the case's workflow; 404 when there is no such case."""
        async with self._pool.acquire() as conn:
            version = await inquiry_repo.workflow_version(conn, inquiry_id=inquiry_id)
        if version is None:
            raise no_such_case()
        return version

    async def _running_case(self, inquiry_id: UUID) -> None:
        """The case exists and runs the case workflow (the first version takes replies only)."""
        if await self._workflow_version(inquiry_id) < CASE_WORKFLOW_VERSION:
            raise ServiceError(
                409, "first_version_case", "this case runs the first version: reply only"
            )

    async def _citizens_case(self, tracking_code: str) -> UUID:
        """The case a tracking code names, if it runs the case workflow."""
        async with self._pool.acquire() as conn:
            case = await inquiry_repo.case_of_tracking_code(
                conn, code=tracking_code.strip().upper()
            )
        if case is None:
            raise ServiceError(404, "not_found", "no inquiry has this tracking code")
        inquiry_id, version = case
        if version < CASE_WORKFLOW_VERSION:
            raise ServiceError(409, "wrong_state", "this inquiry takes no answers here")
        return inquiry_id

    async def _visible_row(
        self, conn: Conn, inquiry_id: UUID, viewer: Viewer
    ) -> asyncpg.Record | None:
        """The case's row if the viewer may see it; None if it was filed and is being recorded.

        From intake's answer on, the workflow exists (Temporal answers without a worker) while
        the row may not yet: such a case is not routed, so unit-bound staff do not see it.
        """
        row = await inquiry_repo.get_inquiry(conn, inquiry_id=inquiry_id)
        if row is None:
            if viewer.may_see_unit(None) and await self._filed(inquiry_id):
                return None
            raise no_such_case()
        if not viewer.may_see_unit(row["unit_code"]):
            raise ServiceError(403, "forbidden", "this inquiry belongs to another unit")
        return row

    async def _filed(self, inquiry_id: UUID) -> bool:
        try:
            await self._case(inquiry_id).describe()
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                return False
            raise
        return True

    async def _unit_exists(self, code: str) -> None:
        async with self._pool.acquire() as conn:
            if not await case_repo.unit_is_active(conn, code=code):
                raise ServiceError(422, "unknown_unit", f"there is no active unit {code!r}")
