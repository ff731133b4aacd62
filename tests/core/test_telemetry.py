"""The worker's Temporal SDK metrics at WORKER_METRICS_ADDRESS, and traces over OTLP/HTTP from
both the API and Temporal (client, workflow and activity spans) when a collector is set."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import asyncpg
import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from core.settings import Settings
from core.telemetry import tracer_provider
from core.temporal import connect_temporal
from infra.accounts import add_intake_key
from infra.embedded import free_port
from tests.conftest import inquiry_body
from worker import build_worker


def _settings(env: WorkflowEnvironment, database_url: str, **fields: Any) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        temporal_address=env.client.service_client.config.target_host,
        task_queue=f"test-{uuid.uuid4().hex[:8]}",
        jwt_secret="test-secret-" + uuid.uuid4().hex,
        **fields,
    )


@asynccontextmanager
async def _stack(
    settings: Settings, client: Client, pool: asyncpg.Pool
) -> AsyncIterator[httpx.AsyncClient]:
    """The app (in process, over ASGI) and a worker, both on the given client."""
    worker = build_worker(client, pool, task_queue=settings.task_queue, settings=settings)
    running = asyncio.create_task(worker.run())
    app = create_app(settings, pool=pool, temporal=client)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                yield http
    finally:
        await worker.shutdown()
        await running


async def _file_and_wait(http: httpx.AsyncClient, pool: asyncpg.Pool) -> str:
    async with pool.acquire() as conn:
        key = await add_intake_key(conn, name=f"form-{uuid.uuid4().hex[:8]}", channel="web")
    filed = await http.post("/api/v1/inquiries", json=inquiry_body(), headers={"X-API-Key": key})
    assert filed.status_code == 201, filed.text
    inquiry_id: str = filed.json()["id"]
    for _ in range(300):
        async with pool.acquire() as conn:
            status = await conn.fetchval(
                "SELECT status FROM inquiries WHERE id = $1::uuid", inquiry_id
            )
        if status == "dispatched":
            return inquiry_id
        await asyncio.sleep(0.1)
    raise AssertionError("the case was never dispatched")


async def test_the_worker_serves_temporal_sdk_metrics(
    pool: asyncpg.Pool, temporal_env: WorkflowEnvironment, database_url: str
) -> None:
    address = f"127.0.0.1:{free_port()}"
    settings = _settings(temporal_env, database_url, worker_metrics_address=address)
    client = await connect_temporal(settings, worker_metrics=True)
    wanted = (
        "temporal_workflow_task_execution_latency",
        # A transition's writes run as local activities (README, Performance).
        "temporal_local_activity_execution_latency",
    )
    names: set[str] = set()
    async with _stack(settings, client, pool) as http:
        await _file_and_wait(http, pool)
        # The dispatched row is written by a local activity inside a workflow task, so that
        # task may still be running when the row is seen: its latency is recorded when it
        # completes. Scrape until both are there, for at most 10 s.
        async with httpx.AsyncClient(timeout=10) as scraper:
            for _ in range(50):
                text = (await scraper.get(f"http://{address}/metrics")).text
                names = {
                    line.split("{")[0]
                    for line in text.splitlines()
                    if line.startswith("temporal_")
                    and f'task_queue="{settings.task_queue}"' in line
                }
                if all(any(n.startswith(w) for n in names) for w in wanted):
                    break
                await asyncio.sleep(0.2)
    for metric in wanted:
        assert any(n.startswith(metric) for n in names), (metric, names)


async def test_an_api_connection_does_not_bind_the_metrics_address(
    temporal_env: WorkflowEnvironment, database_url: str
) -> None:
    address = f"127.0.0.1:{free_port()}"
    settings = _settings(temporal_env, database_url, worker_metrics_address=address)
    await connect_temporal(settings)  # as the API connects
    # Nothing answers at the worker's metrics address: a scraper pointed there is refused.
    async with httpx.AsyncClient(timeout=5) as scraper:
        with pytest.raises(httpx.ConnectError):
            await scraper.get(f"http://{address}/metrics")
        # The same settings on the worker's side do serve the SDK's metrics there.
        await connect_temporal(settings, worker_metrics=True)
        served = await scraper.get(f"http://{address}/metrics")
    assert served.status_code == 200
    assert "temporal_request{" in served.text, served.text[:300]  # its own connect, counted


@dataclass
class _Collector:
    """A real OTLP/HTTP receiver: decodes each protobuf export at /v1/traces."""

    spans: list[tuple[str, str, bytes]] = field(default_factory=list)  # (scope, name, trace id)
    values: list[str] = field(default_factory=list)  # every span attribute's value, as text
    services: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def receive(self, body: bytes) -> None:
        request = ExportTraceServiceRequest.FromString(body)
        with self.lock:
            for resource_spans in request.resource_spans:
                for attribute in resource_spans.resource.attributes:
                    if attribute.key == "service.name":
                        self.services.add(attribute.value.string_value)
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        self.spans.append((scope_spans.scope.name, span.name, span.trace_id))
                        self.values += [str(a.value) for a in span.attributes]


@contextmanager
def otlp_receiver() -> Iterator[tuple[str, _Collector]]:
    collector = _Collector()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.path != "/v1/traces":
                self.send_response(404)
                self.end_headers()
                return
            collector.receive(body)
            answer = ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", collector
    finally:
        server.shutdown()
        server.server_close()


async def test_traces_arrive_from_the_api_and_from_temporal(
    pool: asyncpg.Pool, temporal_env: WorkflowEnvironment, database_url: str
) -> None:
    with otlp_receiver() as (endpoint, collector):
        service_name = f"inquiry-test-{uuid.uuid4().hex[:6]}"
        settings = _settings(
            temporal_env,
            database_url,
            otel_exporter_otlp_endpoint=endpoint,
            otel_service_name=service_name,
        )
        provider = tracer_provider(settings)
        assert provider is not None
        client = await connect_temporal(settings)
        async with _stack(settings, client, pool) as http:
            await _file_and_wait(http, pool)
            # A query string may carry personal data; spans keep the path only.
            looked_up = await http.get("/api/v1/inquiries", params={"phone": "13987654321"})
            assert looked_up.status_code == 401
        await asyncio.to_thread(provider.force_flush)

    with collector.lock:
        spans = list(collector.spans)
    names = {name for _, name, _ in spans}
    assert collector.services == {service_name}
    filed = next(s for s in spans if s[1] == "POST /api/v1/inquiries")
    assert "fastapi" in filed[0]
    # The workflow and its activities run in the trace the HTTP request began.
    in_trace = {name for _, name, trace in spans if trace == filed[2]}
    assert "StartWorkflow:CaseWorkflow" in in_trace, names
    assert "RunWorkflow:CaseWorkflow" in in_trace, names
    assert any(n.startswith("RunActivity:") for n in in_trace), names
    assert "GET /api/v1/inquiries" in names
    assert not [v for v in collector.values if "13987654321" in v]
    assert any("/api/v1/inquiries" in v for v in collector.values)  # the path is kept
