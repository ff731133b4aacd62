"""Helpers for case scenarios: file a case, act on it, read its records."""

from __future__ import annotations

import json
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle

from domain.ids import case_workflow_id
from tests.conftest import Service, inquiry_body
from workflows.case import CaseInput


async def file_case(service: Service, category: str, **body: Any) -> tuple[str, str]:
    """File through an intake key and wait for the dispatch; returns (id, tracking code)."""
    key = await service.intake_key("web")
    created = await service.http.post(
        "/api/v1/inquiries", json=inquiry_body(category, **body), headers=key
    )
    assert created.status_code == 201, created.text
    inquiry_id = created.json()["id"]
    await service.wait_for(
        "SELECT 1 FROM inquiries WHERE id = $1::uuid AND status = 'dispatched'", inquiry_id
    )
    return inquiry_id, created.json()["tracking_code"]


async def file_inquiry(
    service: Service, category: str, headers: dict[str, str], content: str
) -> Any:
    """File with the given credentials and wait for the dispatch; returns the API's answer."""
    created = await service.http.post(
        "/api/v1/inquiries", json=inquiry_body(category, content=content), headers=headers
    )
    assert created.status_code == 201, created.text
    inquiry = created.json()
    await service.wait_for(
        "SELECT 1 FROM inquiries WHERE id = $1::uuid AND status = 'dispatched'", inquiry["id"]
    )
    return inquiry


def handle(service: Service, inquiry_id: str) -> WorkflowHandle[Any, Any]:
    return service.client.get_workflow_handle(case_workflow_id(inquiry_id))


async def act(
    service: Service, inquiry_id: str, action: str, headers: dict[str, str], **body: Any
) -> Any:
    return await service.http.post(
        f"/api/v1/inquiries/{inquiry_id}/{action}", json=body, headers=headers
    )


async def row(service: Service, inquiry_id: str) -> Any:
    async with service.pool.acquire() as conn:
        return await conn.fetchrow("SELECT * FROM inquiries WHERE id = $1::uuid", inquiry_id)


async def events(service: Service, inquiry_id: str) -> list[str]:
    async with service.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT kind FROM inquiry_events WHERE inquiry_id = $1::uuid ORDER BY occurred_at, id",
            inquiry_id,
        )
    return [r["kind"] for r in rows]


async def open_tasks(service: Service, inquiry_id: str) -> list[tuple[str, str]]:
    async with service.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT unit_code, kind FROM tasks WHERE inquiry_id = $1::uuid AND status = 'open'"
            " ORDER BY id",
            inquiry_id,
        )
    return [(r["unit_code"], r["kind"]) for r in rows]


async def citizen_messages(service: Service, inquiry_id: str) -> list[tuple[str, str]]:
    async with service.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT kind, body FROM notifications WHERE inquiry_id = $1::uuid"
            " AND audience = 'citizen' ORDER BY id",
            inquiry_id,
        )
    return [(r["kind"], r["body"]) for r in rows]


async def started_with(service: Service, history: list[Any]) -> CaseInput:
    """The start input of a run, from its history's first event."""
    start = history[0].workflow_execution_started_event_attributes
    [given] = await service.client.data_converter.decode(start.input.payloads, [CaseInput])
    assert isinstance(given, CaseInput)
    return given


def core_markers(history: list[Any], name: str, detail: str) -> list[dict[str, Any]]:
    """The SDK core's own markers of that name (`core_patch`, `core_local_activity`), each
    marker's detail as JSON."""
    return [
        json.loads(e.marker_recorded_event_attributes.details[detail].payloads[0].data)
        for e in history
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        and e.marker_recorded_event_attributes.marker_name == name
    ]


def patches_asked(history: list[Any]) -> list[str]:
    """The ids of the patches the run asked `workflow.patched` for (its patch markers)."""
    return [m["id"] for m in core_markers(history, "core_patch", "patch-data")]
