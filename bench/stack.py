"""The benchmark's own stack: a Temporal dev server (the same flags as `make run`), a database of
its own, the service's API and worker as `inquiry api` / `inquiry worker` processes, and the bare
baseline's worker as a third process, so that each one's CPU can be read apart."""

from __future__ import annotations

import asyncio
import compileall
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from temporalio.client import Client

from bench import procs
from core.db import create_pool, init_connection, keep_session
from core.settings import Settings
from core.temporal import connect_temporal
from infra.accounts import add_intake_key, add_user, load_demo_data
from infra.embedded import EmbeddedPostgres, TemporalDevServer, free_port
from repository import benchmarks as probes
from repository.directory import insert_row
from repository.migrations import ensure_database, migrate

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-horse-battery"  # noqa: S105 - accounts of a throwaway database
# The benchmark's own connections; PostgreSQL CPU is counted for every other backend.
APPLICATION = "bench"


def with_database(dsn: str, name: str) -> str:
    """Swap the database name in a postgresql:// URL (host may be given as a query parameter)."""
    head, sep, query = dsn.partition("?")
    return f"{head.rsplit('/', 1)[0]}/{name}{sep}{query}"


@dataclass
class Stack:
    home: Path
    admin_dsn: str
    database: str
    client: Client
    pool: asyncpg.Pool
    temporal: TemporalDevServer
    api_url: str
    task_queue: str
    bare_queue: str
    embedded_pg: EmbeddedPostgres | None = None
    children: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    # The SDK's Prometheus port of each service worker process (bench/worker_cache.py).
    worker_metrics_ports: list[int] = field(default_factory=list)

    @property
    def dsn(self) -> str:
        return with_database(self.admin_dsn, self.database)

    @property
    def var_dir(self) -> Path:
        """The stack's VAR_DIR: the dev server's files, the install key, the bare marks."""
        return self.home / "var"

    def temporal_pids(self) -> list[int]:
        pid = int(json.loads((self.var_dir / "temporal.pid").read_text())["pid"])
        return procs.with_descendants(pid)

    def pids(self, name: str) -> list[int]:
        if name == "temporal":
            return self.temporal_pids()
        # "worker" is every worker process (`--workers`): worker, worker-2, …
        return [c.pid for n, c in self.children.items() if n == name or n.startswith(f"{name}-")]

    async def postgres_pids(self) -> list[int]:
        async with self.pool.acquire() as conn:
            return await probes.backend_pids(
                conn, database=self.database, except_application=APPLICATION
            )

    def log(self, name: str) -> str:
        return (self.home / f"{name}.log").read_text(errors="replace")[-3000:]

    async def token(self, role: str, unit: str | None = None) -> dict[str, str]:
        """A new member of staff of the role, signed in: their Authorization header."""
        username = f"{role}-{uuid.uuid4().hex[:8]}"
        async with self.pool.acquire() as conn:
            await add_user(conn, username=username, role=role, unit_code=unit, password=PASSWORD)
        async with httpx.AsyncClient(base_url=self.api_url) as http:
            answer = await http.post(
                "/api/v1/auth/token", data={"username": username, "password": PASSWORD}
            )
        answer.raise_for_status()
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    async def intake_key(self) -> dict[str, str]:
        async with self.pool.acquire() as conn:
            key = await add_intake_key(conn, name=f"bench-{uuid.uuid4().hex[:8]}", channel="web")
        return {"X-API-Key": key}

    async def category(self, code: str, reply_within_hours: float, **policy: Any) -> str:
        """A category of natural hours (unless `policy` sets its clock and other policy
        columns), routed by no rule (so to the open-affairs office)."""
        async with self.pool.acquire() as conn:
            await insert_row(
                conn,
                "categories",
                {
                    "code": code,
                    "name": code,
                    "clock": "natural_hours",
                    "reply_within": reply_within_hours,
                    "level2_grace": 24,
                    **policy,
                },
                if_missing=True,
            )
        return code


def _spawn(home: Path, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    with (home / f"{name}.log").open("wb") as output:
        return subprocess.Popen(  # noqa: S603 - this Python and our own module
            [sys.executable, *args],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


async def _ready(stack: Stack, within: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=5) as http:
        while True:
            for name, child in stack.children.items():
                if child.poll() is not None:
                    raise RuntimeError(f"{name} exited ({child.returncode}):\n{stack.log(name)}")
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get("/readyz")).status_code == 200:
                    return
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"the API was not ready in {within:.0f} s:\n{stack.log('api')}")
            await asyncio.sleep(0.3)


async def start(
    admin_dsn: str | None, workers: int = 1, temporal: dict[str, str] | None = None
) -> Stack:
    """Everything the benchmark measures, on free ports, in a temporary folder, with `workers`
    worker processes on the service's task queue (as WORKER_REPLICAS runs them in deploy/), and
    the dev server's dynamic config values `temporal` (KEY: JSON) on top of its own."""
    home = Path(tempfile.mkdtemp(prefix="bench-"))
    var = home / "var"  # Stack.var_dir
    server = TemporalDevServer(
        var_dir=var,
        port=free_port(),
        ui_port=free_port(),
        metrics_port=free_port(),
        dynamic_config=temporal,
    )
    await server.start()
    # The same codec as the service's processes (PAYLOAD_KEYS, else the install key of this
    # stack's VAR_DIR), so the driver reads what the worker writes.
    client = await connect_temporal(Settings(temporal_address=server.address, var_dir=var))
    admin_dsn, database, embedded = await new_database(home, admin_dsn, prefix="bench")
    dsn = with_database(admin_dsn, database)
    # The service's own pool setup (jsonb as Python objects, no reset statement per release),
    # named so its CPU can be told apart.
    pool = await asyncpg.create_pool(
        dsn,
        init=init_connection,
        reset=keep_session,
        server_settings={"application_name": APPLICATION},
    )
    await load_demo_data(pool)
    api_port = free_port()
    stack = Stack(
        home=home,
        admin_dsn=admin_dsn,
        database=database,
        client=client,
        pool=pool,
        temporal=server,
        api_url=f"http://127.0.0.1:{api_port}",
        task_queue=f"bench-{uuid.uuid4().hex[:8]}",
        bare_queue=f"bench-bare-{uuid.uuid4().hex[:8]}",
        embedded_pg=embedded,
    )
    # The sandbox imports a workflow's modules anew for every new run; the installed service has
    # their bytecode (pip compiles on install), a checkout under PYTHONDONTWRITEBYTECODE has not
    # and would compile them for every run. Both workers get it, as an install would have it.
    for package in ("workflows", "bench"):
        await asyncio.to_thread(compileall.compile_dir, ROOT / package, quiet=2)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),  # this tree's code, not an installed copy
        "DATABASE_URL": dsn,
        "TEMPORAL_ADDRESS": server.address,
        "TASK_QUEUE": stack.task_queue,
        "API_HOST": "127.0.0.1",
        "API_PORT": str(api_port),
        "VAR_DIR": str(stack.var_dir),
        "ENVIRONMENT": "development",
        "JWT_SECRET": uuid.uuid4().hex * 2,
        "PUBLIC_RATE_PER_MINUTE": str(10**9),  # every rating comes from 127.0.0.1
        "LOG_FORMAT": "json",
    }
    cli = ["-c", "from infra.cli import main; main()"]
    stack.children["api"] = _spawn(home, "api", [*cli, "api"], env)
    for i in range(1, workers + 1):
        name = "worker" if i == 1 else f"worker-{i}"
        # Each its own metrics port: two processes cannot bind one.
        port = free_port()
        stack.worker_metrics_ports.append(port)
        metrics = {"WORKER_METRICS_ADDRESS": f"127.0.0.1:{port}"}
        stack.children[name] = _spawn(home, name, [*cli, "worker"], {**env, **metrics})
    bare = ["-m", "bench.bare", server.address, stack.bare_queue]
    stack.children["bare"] = _spawn(home, "bare", bare, env)
    await _ready(stack)
    return stack


async def stop(stack: Stack) -> None:
    """Stop what the benchmark started and drop its database."""
    for child in stack.children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in stack.children.values():
        try:
            await asyncio.to_thread(child.wait, 20)
        except subprocess.TimeoutExpired:
            child.kill()
    await stack.pool.close()
    await stack.temporal.stop()
    await drop_database(stack.admin_dsn, stack.database, stack.embedded_pg)
    shutil.rmtree(stack.home, ignore_errors=True)


async def new_database(
    home: Path, admin_dsn: str | None, *, prefix: str
) -> tuple[str, str, EmbeddedPostgres | None]:
    """A migrated database of its own, named `prefix_…`, on the server of admin_dsn or, when
    None, on an embedded one in home/pg: (the server's admin DSN, the name, the embedded server
    to stop). drop_database undoes it."""
    embedded = None
    if admin_dsn is None:
        embedded = EmbeddedPostgres(home / "pg")
        admin_dsn = with_database(await embedded.start(), "postgres")
    database = f"{prefix}_{uuid.uuid4().hex[:8]}"
    await ensure_database(admin_dsn, database)
    await migrate(with_database(admin_dsn, database))
    return admin_dsn, database, embedded


async def drop_database(admin_dsn: str, database: str, embedded: EmbeddedPostgres | None) -> None:
    """Drop a database new_database made, and stop its embedded server if it had one."""
    try:
        conn = await asyncpg.connect(admin_dsn)
        try:
            await probes.drop_database(conn, name=database)
        finally:
            await conn.close()
    finally:
        if embedded is not None:
            embedded.stop()


@contextlib.asynccontextmanager
async def scratch_database(
    admin_dsn: str | None,
    *,
    prefix: str,
    on_connect: Callable[[asyncpg.Connection], Awaitable[None]] | None = None,
) -> AsyncIterator[asyncpg.Pool]:
    """A pool on a migrated database of its own with the demo data, for a probe that needs no
    Temporal and no service processes; the database (and its embedded server, when admin_dsn is
    None) and the temporary folder are gone afterwards. on_connect: as core.db.create_pool's."""
    async with contextlib.AsyncExitStack() as cleanup:
        home = Path(tempfile.mkdtemp(prefix=f"{prefix}-"))
        cleanup.callback(shutil.rmtree, home, ignore_errors=True)
        admin_dsn, database, embedded = await new_database(home, admin_dsn, prefix=prefix)
        cleanup.push_async_callback(drop_database, admin_dsn, database, embedded)
        pool = await create_pool(
            with_database(admin_dsn, database), min_size=2, max_size=4, on_connect=on_connect
        )
        cleanup.push_async_callback(pool.close)
        await load_demo_data(pool)
        yield pool
