"""The stack under test as separate processes, each killable with kill -9 and restartable:
PostgreSQL (pgserver's binaries on a data folder of the run, unless an outside server is used),
`inquiry temporal`, `inquiry worker` and `inquiry api`, on free ports and a var/ of the run."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
from temporalio.client import Client

from infra.embedded import free_port
from infra.processes import alive, processes_naming

ROOT = Path(__file__).resolve().parents[1]
# Settings the run decides; never inherited from the caller's environment.
OWN_SETTINGS = {"DATABASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TASK_QUEUE", "VAR_DIR",
                "API_HOST", "API_PORT", "TEMPORAL_PORT", "TEMPORAL_UI_PORT", "ENVIRONMENT",
                "JWT_SECRET", "PUBLIC_RATE_PER_MINUTE", "WORKER_METRICS_ADDRESS"}  # fmt: skip
APP_DATABASE = "inquiries"


def inquiry_command() -> list[str]:
    """The `inquiry` console script beside this Python, else the same entry point by module."""
    script = Path(sys.executable).parent / "inquiry"
    return [str(script)] if script.exists() else [sys.executable, "-m", "infra.cli"]


def kill_group(process: subprocess.Popen[bytes] | None) -> None:
    """kill -9 the process and everything in its process group (it leads its own session)."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(10)


@dataclass
class Part:
    """One process of the stack: how to start it and how to tell that it serves."""

    name: str
    spawn: Callable[[], subprocess.Popen[bytes]]
    ready: Callable[[], Awaitable[bool]]
    process: subprocess.Popen[bytes] | None = None
    down: bool = False  # killed on purpose, waiting for its outage to end
    unplanned_exits: int = 0
    counted_pid: int | None = None
    kill_extra: Callable[[], None] = lambda: None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def start(self) -> None:
        self.process = self.spawn()
        self.down = False

    def kill(self) -> None:
        self.down = True
        self.kill_extra()
        kill_group(self.process)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class Stack:
    home: Path
    outside_database: str | None = None  # an admin DSN: PostgreSQL is then not ours to kill
    api_port: int = field(default_factory=free_port)
    temporal_port: int = field(default_factory=free_port)
    ui_port: int = field(default_factory=free_port)
    pg_port: int = field(default_factory=free_port)
    jwt_secret: str = field(default_factory=lambda: os.urandom(24).hex())
    database_url: str = ""
    parts: dict[str, Part] = field(default_factory=dict)
    _outside_name: str | None = None

    @property
    def var(self) -> Path:
        return self.home / "var"

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k.upper() not in OWN_SETTINGS}
        env.update(
            PYTHONPATH=str(ROOT),  # this tree's code
            ENVIRONMENT="development",
            VAR_DIR=str(self.var),
            DATABASE_URL=self.database_url,
            API_PORT=str(self.api_port),
            TEMPORAL_PORT=str(self.temporal_port),
            TEMPORAL_UI_PORT=str(self.ui_port),
            TEMPORAL_ADDRESS=f"127.0.0.1:{self.temporal_port}",
            JWT_SECRET=self.jwt_secret,
            # The run plays many citizens from one address; the per-client limit is not under test.
            PUBLIC_RATE_PER_MINUTE="1000000",
            # Not scraped here; a fixed port would collide with another stack on the machine.
            WORKER_METRICS_ADDRESS="",
            LOG_FORMAT="json",
        )
        return env

    def _inquiry(self, command: str) -> Callable[[], subprocess.Popen[bytes]]:
        def spawn() -> subprocess.Popen[bytes]:
            with (self.home / f"{command}.log").open("ab") as log:
                return subprocess.Popen(  # noqa: S603 - our own command
                    [*inquiry_command(), command],
                    cwd=self.home,
                    env=self.env(),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )

        return spawn

    def _postgres(self) -> subprocess.Popen[bytes]:
        from pgserver._commands import POSTGRES_BIN_PATH

        from infra.embedded import PG_SYSTEM_USER

        data = self.home / "pg"
        with (self.home / "postgres.log").open("ab") as log:
            return subprocess.Popen(  # noqa: S603 - pgserver's binary, our arguments
                [str(POSTGRES_BIN_PATH / "postgres"), "-D", str(data), "-p", str(self.pg_port),
                 "-h", "127.0.0.1", "-k", str(data), "-c", "max_connections=200"],
                stdout=log, stderr=log, user=PG_SYSTEM_USER, start_new_session=True,
            )  # fmt: skip

    def _kill_temporal_server(self) -> None:
        """The dev server runs in a session of its own under `inquiry temporal`: kill it too,
        first, so that it dies as abruptly as its supervisor (by pid, found by our var/)."""
        for pid in processes_naming(str(self.var / "temporal.db")):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    async def prepare(self) -> None:
        """The database (created here), then the part list; nothing started yet."""
        self.home.mkdir(parents=True, exist_ok=True)
        if self.outside_database is None:
            from infra.embedded import _initialize

            await asyncio.to_thread(_initialize, self.home / "pg")
            self.parts["postgres"] = Part("postgres", self._postgres, self._pg_ready)
            admin = f"postgresql://postgres@127.0.0.1:{self.pg_port}/postgres"
            self.database_url = f"postgresql://postgres@127.0.0.1:{self.pg_port}/{APP_DATABASE}"
        self.parts["temporal"] = Part(
            "temporal",
            self._inquiry("temporal"),
            self._temporal_ready,
            kill_extra=self._kill_temporal_server,
        )
        self.parts["worker"] = Part("worker", self._inquiry("worker"), self._worker_ready)
        self.parts["api"] = Part("api", self._inquiry("api"), self._api_ready)
        if self.outside_database is None:
            self.parts["postgres"].start()
            await self.wait_ready("postgres")
            await _create_database(admin, APP_DATABASE)
        else:
            self._outside_name = f"chaos_{os.urandom(4).hex()}"
            await _create_database(self.outside_database, self._outside_name)
            self.database_url = _with_database(self.outside_database, self._outside_name)

    async def _pg_ready(self) -> bool:
        try:
            conn = await asyncpg.connect(
                f"postgresql://postgres@127.0.0.1:{self.pg_port}/postgres", timeout=2
            )
        except (OSError, asyncpg.PostgresError, TimeoutError):
            return False
        await conn.close()
        return True

    async def _temporal_ready(self) -> bool:
        try:
            async with asyncio.timeout(3):
                client = await Client.connect(f"127.0.0.1:{self.temporal_port}")
                return await client.service_client.check_health()
        except Exception:
            return False

    async def _worker_ready(self) -> bool:
        # No endpoint of its own: alive and connected once it has run a few seconds.
        part = self.parts["worker"]
        await asyncio.sleep(3)
        return part.running

    async def _api_ready(self) -> bool:
        try:
            async with httpx.AsyncClient(timeout=3) as http:
                return (await http.get(f"{self.api}/healthz")).status_code == 200
        except httpx.HTTPError:
            return False

    async def wait_ready(self, name: str, within: float = 90.0) -> None:
        part = self.parts[name]
        deadline = time.monotonic() + within
        while not await part.ready():
            if not part.running:
                raise RuntimeError(f"{name} exited ({part.process and part.process.returncode})")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} not ready within {within:.0f} s")
            await asyncio.sleep(0.5)

    def order(self) -> list[str]:
        """Start order: what each part needs comes first."""
        return [n for n in ("postgres", "temporal", "worker", "api") if n in self.parts]

    async def start(self, names: list[str]) -> None:
        for name in self.order():
            if name in names:
                await self.restart(name)

    async def restart(self, name: str, *, planned: bool = True, attempts: int = 5) -> None:
        """Start the part and wait until it serves; a start that fails is tried again (the
        API and the worker exit when Temporal does not answer as they start). An unplanned
        restart gives way to a kill that comes meanwhile."""
        part = self.parts[name]
        async with part.lock:
            for attempt in range(1, attempts + 1):
                if not planned and part.down:
                    return
                kill_group(part.process)
                part.start()
                try:
                    await self.wait_ready(name)
                    return
                except RuntimeError:
                    if attempt == attempts:
                        raise
                    await asyncio.sleep(2)

    async def keep_up(self, log: Callable[[str], None]) -> None:
        """A part that dies without being killed (e.g. the API when Temporal goes away as it
        starts) is counted and started again, as an operator's supervisor would."""
        while True:
            await asyncio.sleep(1)
            for name in self.order():
                part = self.parts[name]
                if part.down or part.lock.locked() or part.process is None:
                    continue
                if not part.running:
                    if part.process.pid != part.counted_pid:  # one death counts once
                        part.counted_pid = part.process.pid
                        part.unplanned_exits += 1
                        log(f"{name} exited by itself ({part.process.returncode}); restarting")
                    with contextlib.suppress(RuntimeError):
                        await self.restart(name, planned=False)

    async def stop(self) -> None:
        for name in reversed(self.order()):
            part = self.parts[name]
            part.down = True
            if part.process is not None and part.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(part.process.pid, signal.SIGTERM)
                deadline = time.monotonic() + 20
                while part.process.poll() is None and time.monotonic() < deadline:  # noqa: ASYNC110
                    await asyncio.sleep(0.2)
                kill_group(part.process)
        self._kill_temporal_server()
        for pid in processes_naming(str(self.home)):
            if alive(pid) and pid != os.getpid():  # our own argv may name it (--workdir)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        if self._outside_name is not None and self.outside_database is not None:
            conn = await asyncpg.connect(self.outside_database)
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{self._outside_name}" WITH (FORCE)')
            finally:
                await conn.close()


async def _create_database(admin_dsn: str, name: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def _with_database(dsn: str, name: str) -> str:
    head, sep, query = dsn.partition("?")
    return f"{head.rsplit('/', 1)[0]}/{name}{sep}{query}"
