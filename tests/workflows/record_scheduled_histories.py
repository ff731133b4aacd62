"""Record histories of the scheduled workflows for tests/workflows/test_replay.py.

Not collected by default (no test_ prefix); run it explicitly on the code whose command sequence
the histories must pin, before a change to workflows/scheduled.py:

    python -m pytest -p no:cacheprovider tests/workflows/record_scheduled_histories.py

The runs go through a client without the payload codec, so the histories hold plain JSON that
the replayer reads with no key: scheduled_digest_held.json (waits for the opening, then queues),
scheduled_digest_skipped.json (a day off), scheduled_summary.json.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from temporalio.client import Client
from temporalio.converter import DataConverter

from domain.digest import DigestRequest, SummaryRequest
from tests.conftest import Service
from tests.workflows.test_scheduled import _next_days
from worker import build_worker
from workflows.scheduled import DigestWorkflow, SummaryWorkflow

HISTORIES = Path(__file__).parent / "histories"


async def test_record(service: Service) -> None:
    config = service.client.config()
    config["data_converter"] = DataConverter.default
    plain = Client(**config)
    task_queue = f"record-{uuid.uuid4().hex[:8]}"
    worker = build_worker(plain, service.pool, task_queue=task_queue)
    running = asyncio.create_task(worker.run())
    working, off = await _next_days(service)
    runs = {
        "scheduled_digest_held": (DigestWorkflow.run, DigestRequest(day=working.isoformat())),
        "scheduled_digest_skipped": (DigestWorkflow.run, DigestRequest(day=off.isoformat())),
        "scheduled_summary": (SummaryWorkflow.run, SummaryRequest(month=f"{working:%Y-%m}")),
    }
    try:
        for name, (run, request) in runs.items():
            handle = await plain.start_workflow(
                run,  # type: ignore[arg-type]
                request,
                id=f"{name}-{uuid.uuid4().hex[:6]}",
                task_queue=task_queue,
            )
            await service.env.fast_forward(handle, None)
            await handle.result()
            history = await handle.fetch_history()
            (HISTORIES / f"{name}.json").write_text(history.to_json(), encoding="utf-8")
    finally:
        await worker.shutdown()
        await running
