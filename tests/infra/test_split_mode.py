"""`inquiry temporal` runs the embedded dev server alone, so API, worker and Temporal can be
separate processes; it never shares its SQLite file with a second server."""

from __future__ import annotations

import contextlib
import json
import signal

import httpx
import pytest
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest

from tests.conftest import inquiry_body
from tests.core.test_telemetry import otlp_receiver
from tests.infra.stack import Stack, connect, exited, nothing_left, until_dispatched
from workflows.search_attributes import ALL

pytestmark = pytest.mark.timeout(90)


async def test_inquiry_temporal_alone_serves_a_client(stack: Stack) -> None:
    temporal = stack.inquiry("temporal")
    client = await connect(f"127.0.0.1:{stack.temporal_port}")
    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace="default")
    )
    assert {key.name for key in ALL} <= set(listed.custom_attributes)

    second = stack.inquiry("temporal")
    assert await exited(second, within=30) != 0
    assert "already run by process" in stack.output(second)
    assert json.loads((stack.var / "temporal.pid").read_text())["pid"] in stack.temporal_servers()
    assert len(stack.temporal_servers()) == 1

    temporal.send_signal(signal.SIGINT)
    assert await exited(temporal, within=30) == 0, stack.output(temporal)[-3000:]
    assert await nothing_left(stack, within=5) == []


async def test_api_worker_and_temporal_as_separate_processes(stack: Stack) -> None:
    temporal, key = await stack.temporal_with_demo()
    # Both send traces to a real OTLP/HTTP receiver (the spans still batched at exit too).
    traces = contextlib.ExitStack()
    endpoint, collector = traces.enter_context(otlp_receiver())
    stack.extra_env["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint
    worker = stack.inquiry("worker")
    api = stack.inquiry("api")
    await stack.ready(api)

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{stack.api_port}", timeout=30) as http:
        filed = await http.post(
            "/api/v1/inquiries", json=inquiry_body(), headers={"X-API-Key": key}
        )
        assert filed.status_code == 201, filed.text
        # The worker, a process of its own, routes and dispatches it.
        status = await until_dispatched(http, filed.json()["tracking_code"])
        assert status == "dispatched", stack.output(worker)[-3000:]
        # The API serves /metrics; the worker process, its Temporal SDK metrics.
        api_metrics = await http.get("/metrics")
        assert api_metrics.status_code == 200
        assert "inquiries_open{" in api_metrics.text
        assert "temporal_" not in api_metrics.text
        sdk = await http.get(f"http://127.0.0.1:{stack.worker_metrics_port}/metrics")
        assert "temporal_local_activity_execution_latency_bucket{" in sdk.text

    for process in (api, worker, temporal):
        process.send_signal(signal.SIGINT)
        assert await exited(process, within=30) == 0, stack.output(process)[-3000:]
    assert await nothing_left(stack, within=5) == []
    for process in (api, worker):
        # Once started, each froze its start's heap (modules, routes, the SDK: well over 50,000
        # objects) out of the garbage collector's full collections (docs/levers/gc.md).
        frozen = [
            json.loads(line)
            for line in stack.output(process).splitlines()
            if '"startup_heap_frozen"' in line
        ]
        assert len(frozen) == 1 and frozen[0]["objects"] > 50_000, stack.output(process)[-3000:]
    traces.close()
    names = {name for _, name, _ in collector.spans}
    assert "POST /api/v1/inquiries" in names, names  # from the API process
    assert "RunWorkflow:CaseWorkflow" in names, names  # from the worker process
    assert collector.services == {"inquiry-service"}
