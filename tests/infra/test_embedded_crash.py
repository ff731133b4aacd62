"""A crash of `inquiry run` or of one of its parts needs no manual step: the next start comes up,
a dead part comes back by itself, and Ctrl-C or SIGTERM leave nothing running."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import asyncpg
import httpx
import pytest

from infra.processes import alive
from tests.conftest import inquiry_body
from tests.infra.stack import Stack, exited, gone, nothing_left

pytestmark = pytest.mark.timeout(90)


async def _one_temporal(stack: Stack) -> int:
    servers = stack.temporal_servers()
    assert len(servers) == 1, f"Temporal servers on {stack.var / 'temporal.db'}: {servers}"
    return servers[0]


def _postmaster(pg: Path) -> int | None:
    """The pid in postmaster.pid (None while PostgreSQL rewrites it)."""
    try:
        return int((pg / "postmaster.pid").read_text().split()[0])
    except (OSError, IndexError, ValueError):
        return None


async def test_after_kill_9_of_run_the_next_start_comes_up(stack: Stack) -> None:
    first = stack.inquiry("run")
    await stack.ready(first)
    old_server = await _one_temporal(stack)

    first.kill()
    await exited(first, within=10)
    assert await gone(old_server, within=15), "the Temporal server outlived its parent"

    second = stack.inquiry("run")
    await stack.ready(second)
    assert await _one_temporal(stack) != old_server


async def test_a_frozen_orphan_of_temporal_is_replaced_not_joined(stack: Stack) -> None:
    first = stack.inquiry("run")
    await stack.ready(first)
    orphan = await _one_temporal(stack)
    # Stopped, it cannot act on the signal its parent's death sends: an orphan that keeps the
    # port and the SQLite file, as on a system without PR_SET_PDEATHSIG.
    os.kill(orphan, signal.SIGSTOP)
    first.kill()
    await exited(first, within=10)
    assert alive(orphan)

    second = stack.inquiry("run")
    await stack.ready(second)
    assert not alive(orphan)
    assert await _one_temporal(stack) != orphan
    assert "temporal_orphan_stopped" in stack.output(second)


async def test_ctrl_c_leaves_no_process_behind(stack: Stack) -> None:
    run = stack.inquiry("run")
    await stack.ready(run)
    server = await _one_temporal(stack)
    second = stack.inquiry("run")  # same var/ and ports while the first runs: refused
    assert await exited(second, within=30) != 0
    assert f"already run by process {run.pid}" in stack.output(second)
    assert stack.temporal_servers() == [server]
    await stack.ready(run)

    run.send_signal(signal.SIGINT)
    assert await exited(run, within=40) == 0, stack.output(run)[-3000:]
    assert await nothing_left(stack, within=5) == []
    assert "stopped; `make run` again" in stack.output(run)


async def test_ctrl_c_while_starting_leaves_no_process_behind(stack: Stack) -> None:
    run = stack.inquiry("run")
    for _ in range(300):  # the Temporal server is spawned; the stack is not up yet
        if stack.temporal_servers():
            break
        await asyncio.sleep(0.05)
    assert stack.temporal_servers(), stack.output(run)[-3000:]

    run.send_signal(signal.SIGINT)
    assert await exited(run, within=40) != 0
    assert await nothing_left(stack, within=5) == []
    assert "stopped while starting" in stack.output(run)


async def test_a_killed_temporal_comes_back_and_the_worker_keeps_polling(stack: Stack) -> None:
    run = stack.inquiry("run")
    await stack.ready(run)
    key = stack.intake_key(run)
    killed = await _one_temporal(stack)

    os.kill(killed, signal.SIGKILL)
    assert await gone(killed, within=5)
    await stack.ready(run)
    assert await _one_temporal(stack) != killed
    assert "embedded_process_restarted" in stack.output(run)

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{stack.api_port}", timeout=30) as http:
        filed = await http.post(
            "/api/v1/inquiries", json=inquiry_body(), headers={"X-API-Key": key}
        )
    assert filed.status_code == 201, filed.text
    # Routing and dispatch run in the worker: the status moves only if it polls the new server.
    assert stack.database_url is not None
    conn = await asyncpg.connect(stack.database_url)
    try:
        status = None
        for _ in range(150):
            status = await conn.fetchval(
                "SELECT status FROM inquiries WHERE id = $1::uuid", filed.json()["id"]
            )
            if status == "dispatched":
                break
            await asyncio.sleep(0.2)
    finally:
        await conn.close()
    assert status == "dispatched", stack.output(run)[-3000:]


async def test_orphan_postmaster_and_stale_pgserver_handle_do_not_block_the_next_start(
    embedded_stack: Stack,
) -> None:
    stack = embedded_stack
    pg = stack.var / "pg"
    pg.parent.mkdir(parents=True)
    # A process using pgserver is killed (-9) with its PostgreSQL running, as an earlier
    # `inquiry run` left it: the postmaster runs on, and pgserver's handle list keeps the dead pid.
    crash = (
        "import os, signal, sys\n"
        "from pgserver.postgres_server import get_server\n"
        "get_server(sys.argv[1])\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    await asyncio.to_thread(
        subprocess.run, [sys.executable, "-c", crash, str(pg)], check=False, timeout=60
    )
    orphan = _postmaster(pg)
    assert orphan is not None and alive(orphan)
    assert json.loads((pg / ".handle_pids.json").read_text()) != []

    first = stack.inquiry("run")
    await stack.ready(first)
    assert not alive(orphan)
    assert "postgres_orphan_stopped" in stack.output(first)

    # Its own PostgreSQL and Temporal die with it.
    first.kill()
    await exited(first, within=10)
    assert await nothing_left(stack, within=20) == []

    second = stack.inquiry("run")
    await stack.ready(second)
    postmaster = _postmaster(pg)
    assert postmaster is not None
    os.kill(postmaster, signal.SIGKILL)
    assert await gone(postmaster, within=5)
    for _ in range(200):  # the restart writes a new postmaster.pid (backoff 1 s, 2 s, 4 s)
        restarted = _postmaster(pg)
        if restarted not in (None, postmaster) and alive(restarted):
            break
        await asyncio.sleep(0.1)
    assert restarted != postmaster, stack.output(second)[-3000:]
    await stack.ready(second)

    second.send_signal(signal.SIGTERM)
    assert await exited(second, within=40) == 0, stack.output(second)[-3000:]
    assert await nothing_left(stack, within=5) == []
    assert json.loads((pg / ".handle_pids.json").read_text()) == []
