"""`inquiry api` keeps an idle HTTP connection open for API_KEEP_ALIVE_SECONDS (75 s).

uvicorn's own default is 5 s, the same as httpx's pool and well below nginx's upstream pool (60 s):
a client that sends its next request on a connection just as the API closes it sees the
connection dropped (CI's bench once lost a request to `ReadError('')` that way). Checked on one
raw connection, so that a client's silent reconnect cannot hide a close.
"""

from __future__ import annotations

import asyncio

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.infra.stack import Stack

pytestmark = pytest.mark.timeout(90)

UVICORN_DEFAULT_SECONDS = 5.0


async def _api(stack: Stack, temporal_env: WorkflowEnvironment, **env: str) -> None:
    await stack.serve_api(temporal_env.client.service_client.config.target_host, env)


async def _health(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> int:
    """GET /healthz on this connection and its status (IncompleteReadError if it was closed)."""
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next(
        int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:")
    )
    await reader.readexactly(length)
    return int(lines[0].split()[1])


async def _closed_by_server(reader: asyncio.StreamReader, within: float) -> bool:
    try:
        return await asyncio.wait_for(reader.read(1), within) == b""
    except TimeoutError:
        return False


async def test_an_idle_connection_outlives_uvicorns_default(
    stack: Stack, temporal_env: WorkflowEnvironment
) -> None:
    await _api(stack, temporal_env)
    reader, writer = await asyncio.open_connection("127.0.0.1", stack.api_port)
    try:
        assert await _health(reader, writer) == 200
        # Idle past uvicorn's default: the API must not have closed it.
        assert not await _closed_by_server(reader, within=UVICORN_DEFAULT_SECONDS + 1.5)
        assert await _health(reader, writer) == 200
    finally:
        writer.close()


async def test_the_api_closes_an_idle_connection_after_its_keep_alive(
    stack: Stack, temporal_env: WorkflowEnvironment
) -> None:
    await _api(stack, temporal_env, API_KEEP_ALIVE_SECONDS="1")
    reader, writer = await asyncio.open_connection("127.0.0.1", stack.api_port)
    try:
        assert await _health(reader, writer) == 200
        assert await _closed_by_server(reader, within=4.0), "the setting was not applied"
    finally:
        writer.close()
