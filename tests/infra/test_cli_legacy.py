"""`inquiry legacy status` counts the legacy v1 workflows still running, against the real
Temporal dev server. Delete with the legacy v1 modules (README.md)."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

from temporalio.client import Client

from domain.ids import case_workflow_id, new_tracking_code
from domain.models import Citizen, InquiryInput, ReplySubmission
from tests.conftest import Service
from workflows.legacy_v1 import LegacyInquiryWorkflow

INQUIRY = str(Path(sys.executable).parent / "inquiry")
# The command imports this tree's infra.cli, not the one the console script was installed from.
ROOT = str(Path(__file__).resolve().parents[2])


async def _legacy_status(address: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": ROOT,
        "TEMPORAL_ADDRESS": address,
        "TEMPORAL_NAMESPACE": "default",
        "LOG_FORMAT": "json",
    }
    return await asyncio.to_thread(
        subprocess.run,
        [INQUIRY, "legacy", "status"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def _running(result: subprocess.CompletedProcess[str]) -> int:
    assert result.returncode == 0, result.stderr
    found = re.search(r"legacy v1 workflows running: (\d+)", result.stdout)
    assert found, f"no count in the output: {result.stdout!r}"
    return int(found.group(1))


async def _until_visible(client: Client, workflow_id: str, status: str) -> None:
    """Visibility is eventually consistent: wait until this run is listed with the status."""
    query = f"WorkflowId = '{workflow_id}' AND ExecutionStatus = '{status}'"
    for _ in range(100):
        if (await client.count_workflows(query)).count == 1:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"visibility never listed {workflow_id} as {status}")


async def test_legacy_status_counts_running_legacy_workflows(service: Service) -> None:
    address = service.client.service_client.config.target_host
    before = _running(await _legacy_status(address))

    inquiry_id = str(uuid.uuid4())
    handle = await service.client.start_workflow(
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
    await _until_visible(service.client, handle.id, "Running")
    running = await _legacy_status(address)
    assert _running(running) == before + 1
    assert "keep the legacy v1 modules" in running.stdout

    await service.wait_for(
        "SELECT 1 FROM inquiries WHERE id = $1::uuid AND status = 'dispatched'", inquiry_id
    )
    state = await handle.query(LegacyInquiryWorkflow.state)
    assert state.unit_code is not None
    await handle.execute_update(
        LegacyInquiryWorkflow.submit_reply,
        ReplySubmission(
            reply_id=str(uuid.uuid4()),
            content="已修复",
            replied_by="handler-legacy",
            unit_code=state.unit_code,
        ),
    )
    await handle.result()
    await _until_visible(service.client, handle.id, "Completed")
    after = await _legacy_status(address)
    assert _running(after) == before
    advice = "can be deleted" if before == 0 else "keep the legacy v1 modules"
    assert advice in after.stdout


async def test_legacy_status_without_temporal_gives_no_count() -> None:
    """An unreachable server must not read as "0 running, delete the modules"."""
    result = await _legacy_status("127.0.0.1:1")
    assert result.returncode != 0
    assert "did not answer" in result.stderr
    assert "running:" not in result.stdout
