"""Legacy v1: runs started by the first workflow version (type InquiryWorkflow) still run to
their end."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from domain.ids import case_workflow_id, new_tracking_code
from domain.models import Citizen, InquiryInput
from tests.conftest import Service
from workflows.legacy_v1 import LegacyInquiryWorkflow


async def test_a_first_version_case_is_replied_to_through_the_api(service: Service) -> None:
    inquiry_id = str(uuid.uuid4())
    handler = await service.staff("handler", "pipe_repair")
    await service.client.start_workflow(
        LegacyInquiryWorkflow.run,
        InquiryInput(
            inquiry_id=inquiry_id,
            tracking_code=new_tracking_code(),
            channel="hotline",
            category="outage",
            content="爆管",
            citizen=Citizen(phone="+8613812345678"),
            submitted_by="key:legacy",
            received_at=datetime.now(UTC),
        ),
        id=case_workflow_id(inquiry_id),
        task_queue=service.settings.task_queue,
    )
    await service.wait_for(
        "SELECT 1 FROM inquiries WHERE id = $1::uuid AND status = 'dispatched'", inquiry_id
    )
    replied = await service.http.post(
        f"/api/v1/inquiries/{inquiry_id}/reply", json={"content": "已修复"}, headers=handler
    )
    assert replied.status_code == 200, replied.text
    assert replied.json()["status"] == "closed"  # the first version closes on the reply
    signed = await service.http.post(
        f"/api/v1/inquiries/{inquiry_id}/acknowledge", json={}, headers=handler
    )
    assert signed.status_code == 409 and signed.json()["code"] == "first_version_case"
