"""Filing an inquiry: one workflow per inquiry, idempotent per (caller, Idempotency-Key)."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from api.deps import IntakeClient, Staff
from api.errors import ApiError
from api.schemas import InquiryCreate
from api.security import new_tracking_code
from domain.case import CaseStatus
from domain.ids import case_workflow_id
from domain.models import Citizen, InquiryInput
from repository import directory
from workflows.case import CaseInput, CaseWorkflow

MAX_IDEMPOTENCY_KEY = 200


@dataclass(frozen=True)
class Filed:
    inquiry_id: uuid.UUID
    tracking_code: str
    status: str
    created: bool


def _caller_channel(caller: IntakeClient | Staff, body: InquiryCreate) -> tuple[str, str]:
    """(principal, channel): an intake key fixes its channel, an operator names one."""
    if isinstance(caller, IntakeClient):
        if body.answered_on_site:
            raise ApiError(403, "forbidden", "only an operator answers on the spot (现场解答)")
        if body.channel is not None and body.channel.value != caller.channel:
            raise ApiError(
                422, "channel_mismatch", f"this intake key files on channel {caller.channel}"
            )
        return f"key:{caller.name}", caller.channel
    if body.channel is None:
        raise ApiError(422, "channel_required", "operators must name the channel")
    if body.answered_on_site and caller.role != "operator":
        raise ApiError(403, "forbidden", "only operators answer on the spot")
    return f"user:{caller.username}", body.channel.value


def _body_hash(body: InquiryCreate, channel: str) -> str:
    canonical = json.dumps(
        {**body.model_dump(mode="json"), "channel": channel}, sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


async def file_inquiry(
    pool: asyncpg.Pool,
    temporal: Client,
    *,
    task_queue: str,
    caller: IntakeClient | Staff,
    body: InquiryCreate,
    idempotency_key: str | None,
) -> Filed:
    principal, channel = _caller_channel(caller, body)
    inquiry_id, tracking_code = uuid.uuid4(), new_tracking_code()
    created = True
    async with pool.acquire() as conn:
        category = await directory.get_category(conn, code=body.category)
        if category is None or not category["active"]:
            raise ApiError(422, "unknown_category", f"there is no category {body.category!r}")
        if idempotency_key is not None:
            key = idempotency_key.strip()
            if not key or len(key) > MAX_IDEMPOTENCY_KEY:
                raise ApiError(422, "invalid_idempotency_key", "use 1 to 200 characters")
            claimed = await directory.claim_idempotency_key(
                conn,
                principal=principal,
                idempotency_key=key,
                body_hash=_body_hash(body, channel),
                inquiry_id=inquiry_id,
                tracking_code=tracking_code,
            )
            if claimed["body_hash"] != _body_hash(body, channel):
                raise ApiError(
                    409, "idempotency_conflict", "this Idempotency-Key was used with another body"
                )
            created = claimed["inquiry_id"] == inquiry_id
            inquiry_id, tracking_code = claimed["inquiry_id"], claimed["tracking_code"]
    await _start(
        temporal,
        task_queue,
        InquiryInput(
            inquiry_id=str(inquiry_id),
            tracking_code=tracking_code,
            channel=channel,
            category=body.category,
            content=body.content,
            citizen=Citizen(
                name=body.citizen.name, phone=body.citizen.phone, email=body.citizen.email
            ),
            submitted_by=principal,
            received_at=datetime.now(UTC),
            address=body.address,
            district=body.district,
            external_ref=body.external_ref,
            priority=body.priority,
        ),
        body.answered_on_site,
    )
    status = CaseStatus.RECEIVED.value
    if not created:
        async with pool.acquire() as conn:
            status = (
                await conn.fetchval("SELECT status FROM inquiries WHERE id = $1", inquiry_id)
                or status
            )
    return Filed(inquiry_id, tracking_code, status, created)


async def _start(
    temporal: Client, task_queue: str, inquiry: InquiryInput, answered_on_site: str | None
) -> None:
    """Start the inquiry's case workflow, or find it running when a request is repeated."""
    try:
        await temporal.start_workflow(
            CaseWorkflow.run,
            CaseInput(inquiry=inquiry, answered_on_site=answered_on_site),
            id=case_workflow_id(inquiry.inquiry_id),
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
    except WorkflowAlreadyStartedError:
        pass  # closed already: the repeat gets the finished inquiry
