"""Filing an inquiry (受理): one case workflow per inquiry, started before anything is written.

The workflow start is the durable act: Temporal keeps it while PostgreSQL or every worker is away.
Right after it, intake writes the received row with the repository function the workflow's
`record_case` activity uses (ON CONFLICT DO NOTHING), so every read finds the inquiry from the
201 on. If PostgreSQL is down at that moment, the activity writes the row when it returns.

Idempotency lives in Temporal, not in PostgreSQL: the inquiry id derives from the caller and the
Idempotency-Key, the workflow id from the inquiry id, and the workflow's memo keeps the tracking
code, the body's hash and the filing time. A repeat is answered by describing the workflow, which
needs no worker and no PostgreSQL. (The `intake_requests` table of migration 001 is no longer
used.)
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import structlog
from temporalio.api.workflowservice.v1 import StartWorkflowExecutionResponse
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from domain.case import CaseStatus
from domain.ids import CASE_WORKFLOW_VERSION, case_workflow_id, new_tracking_code
from domain.models import Citizen, InquiryInput
from repository import Conn
from repository import inquiries as repo
from service.errors import ServiceError
from service.inquiry_models import InquiryCreate
from service.intake_directory import DatabaseUnavailable, IntakeClient, IntakeDirectory, with_db
from service.principals import Staff
from workflows.case import CaseInput, CaseOutcome, CaseWorkflow
from workflows.revision import CURRENT as CASE_REVISION

log = structlog.get_logger(__name__)

MAX_IDEMPOTENCY_KEY = 200
# Inquiry ids of idempotent requests: uuid5 of the caller and its key in this namespace.
INTAKE_NAMESPACE = uuid.UUID("5b0e1f0e-6c1a-4d5e-9a57-2f6f3b1c9e41")


@dataclass(frozen=True)
class Filed:
    inquiry_id: uuid.UUID
    tracking_code: str
    status: str
    created: bool


@dataclass(frozen=True)
class _Memo:
    """What a repeat of the request is compared with, kept in the workflow's memo."""

    tracking_code: str
    body_hash: str
    received_at: datetime

    def as_memo(self) -> dict[str, str]:
        return {
            "tracking_code": self.tracking_code,
            "body_hash": self.body_hash,
            "received_at": self.received_at.isoformat(),
        }


# Fields added to InquiryCreate after idempotent requests were first hashed: left out of the
# hash while unset, so a repeat of a request filed before they existed still matches.
_LATER_FIELDS = ("lat", "long")


def key_principal(client: IntakeClient) -> str:
    """Who filed an inquiry through an intake key, as `submitted_by` records it."""
    return f"key:{client.name}"


def _caller_channel(caller: IntakeClient | Staff, body: InquiryCreate) -> tuple[str, str]:
    """(principal, channel): an intake key fixes its channel, an operator names one."""
    if isinstance(caller, IntakeClient):
        if body.answered_on_site:
            raise ServiceError(403, "forbidden", "only an operator answers on the spot (现场解答)")
        if body.channel is not None and body.channel.value != caller.channel:
            raise ServiceError(
                422, "channel_mismatch", f"this intake key files on channel {caller.channel}"
            )
        return key_principal(caller), caller.channel
    if body.channel is None:
        raise ServiceError(422, "channel_required", "operators must name the channel")
    if body.answered_on_site and caller.role != "operator":
        raise ServiceError(403, "forbidden", "only operators answer on the spot")
    return f"user:{caller.username}", body.channel.value


def _body_hash(body: InquiryCreate, channel: str) -> str:
    fields = body.model_dump(mode="json")
    for name in _LATER_FIELDS:
        if fields[name] is None:
            del fields[name]
    canonical = json.dumps({**fields, "channel": channel}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _inquiry_id(principal: str, idempotency_key: str | None) -> uuid.UUID:
    """Random, or for an idempotent request the same id on every repeat."""
    if idempotency_key is None:
        return uuid.uuid4()
    key = idempotency_key.strip()
    if not key or len(key) > MAX_IDEMPOTENCY_KEY:
        raise ServiceError(422, "invalid_idempotency_key", "use 1 to 200 characters")
    return uuid.uuid5(INTAKE_NAMESPACE, f"{principal}\n{key}")


def _inquiry(
    inquiry_id: uuid.UUID, memo: _Memo, body: InquiryCreate, principal: str, channel: str
) -> InquiryInput:
    return InquiryInput(
        inquiry_id=str(inquiry_id),
        tracking_code=memo.tracking_code,
        channel=channel,
        category=body.category,
        content=body.content,
        citizen=Citizen(name=body.citizen.name, phone=body.citizen.phone, email=body.citizen.email),
        submitted_by=principal,
        received_at=memo.received_at,  # when the citizen filed, never a retry's time
        address=body.address,
        district=body.district,
        external_ref=body.external_ref,
        priority=body.priority,
        lat=body.lat,
        long=body.long,
    )


async def file_inquiry(
    pool: asyncpg.Pool,
    temporal: Client,
    checks: IntakeDirectory,
    *,
    task_queue: str,
    caller: IntakeClient | Staff,
    body: InquiryCreate,
    idempotency_key: str | None,
) -> Filed:
    """Start the inquiry's workflow (or find it, for a repeat), then record it as received."""
    principal, channel = _caller_channel(caller, body)
    inquiry_id = _inquiry_id(principal, idempotency_key)
    if not await checks.category_open(body.category):
        raise ServiceError(422, "unknown_category", f"there is no category {body.category!r}")
    ours = _Memo(new_tracking_code(), _body_hash(body, channel), datetime.now(UTC))
    handle = await _start(
        temporal,
        task_queue,
        _inquiry(inquiry_id, ours, body, principal, channel),
        body.answered_on_site,
        ours,
    )
    memo = ours if idempotency_key is None or _started_now(handle) else await _memo_of(handle)
    if memo.body_hash != ours.body_hash:
        raise ServiceError(
            409, "idempotency_conflict", "this Idempotency-Key was used with another body"
        )
    created = memo.tracking_code == ours.tracking_code
    status = await _record(pool, _inquiry(inquiry_id, memo, body, principal, channel))
    return Filed(inquiry_id, memo.tracking_code, status, created)


async def _start(
    temporal: Client,
    task_queue: str,
    inquiry: InquiryInput,
    answered_on_site: str | None,
    memo: _Memo,
) -> WorkflowHandle[CaseWorkflow, CaseOutcome]:
    """Start the case workflow, or find the one a repeated request started."""
    workflow_id = case_workflow_id(inquiry.inquiry_id)
    try:
        return await temporal.start_workflow(
            CaseWorkflow.run,
            CaseInput(inquiry=inquiry, answered_on_site=answered_on_site, revision=CASE_REVISION),
            id=workflow_id,
            task_queue=task_queue,
            memo=memo.as_memo(),
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
    except WorkflowAlreadyStartedError:
        # Closed already: the repeat gets the finished inquiry.
        return temporal.get_workflow_handle_for(CaseWorkflow.run, workflow_id)


def _started_now(handle: WorkflowHandle[CaseWorkflow, CaseOutcome]) -> bool:
    """True when this call started the workflow (so its memo is ours), as Temporal's answer to the
    start says; the SDK keeps that answer on the handle without a public name for it. Without it
    (another SDK version, or a handle found after WorkflowAlreadyStartedError) the caller asks
    Temporal by describing the workflow, as every repeat does."""
    response = getattr(handle, "_start_workflow_response", None)
    return isinstance(response, StartWorkflowExecutionResponse) and response.started


async def _memo_of(handle: WorkflowHandle[CaseWorkflow, CaseOutcome]) -> _Memo:
    """The memo of the workflow as first started (Temporal answers this without a worker)."""
    memo = await (await handle.describe()).memo()
    try:
        return _Memo(
            tracking_code=str(memo["tracking_code"]),
            body_hash=str(memo["body_hash"]),
            received_at=datetime.fromisoformat(str(memo["received_at"])),
        )
    except KeyError:
        # Not started by this intake (an id taken otherwise): never the same request.
        return _Memo("", "", datetime.now(UTC))


async def _record(pool: asyncpg.Pool, inquiry: InquiryInput) -> str:
    """Write the received row (a no-op when it is there); the inquiry's status to answer with."""

    async def write(conn: Conn) -> str:
        status = await repo.record_received(
            conn,
            inquiry=inquiry,
            workflow_id=case_workflow_id(inquiry.inquiry_id),
            version=CASE_WORKFLOW_VERSION,
        )
        return status or CaseStatus.RECEIVED.value

    try:
        return await with_db(pool, write)
    except DatabaseUnavailable as exc:
        # The workflow's record_case activity retries until PostgreSQL is back.
        log.warning("inquiry_recorded_later", inquiry_id=inquiry.inquiry_id, reason=str(exc))
        return CaseStatus.RECEIVED.value
