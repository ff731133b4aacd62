"""Drives the real `inquiry` command as subprocesses on a var/ of the test's own, with free ports,
and finds what it left running through /proc."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from temporalio.client import Client

from infra.embedded import free_port
from infra.processes import alive, cmdline, processes_naming

ROOT = Path(__file__).resolve().parents[2]
INQUIRY = str(Path(sys.executable).parent / "inquiry")
# Variables of infra/settings.py that must come from the test, never from the environment.
SETTINGS = {"DATABASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TASK_QUEUE", "VAR_DIR",
            "API_HOST", "API_PORT", "TEMPORAL_PORT", "TEMPORAL_UI_PORT", "ENVIRONMENT",
            "WORKER_METRICS_ADDRESS", "OTEL_EXPORTER_OTLP_ENDPOINT"}  # fmt: skip


@dataclass
class Stack:
    """One var/ and one set of ports; every `inquiry` process started here is killed at the end."""

    home: Path
    database_url: str | None
    api_port: int = field(default_factory=free_port)
    temporal_port: int = field(default_factory=free_port)
    ui_port: int = field(default_factory=free_port)
    worker_metrics_port: int = field(default_factory=free_port)
    extra_env: dict[str, str] = field(default_factory=dict)  # for the processes started next
    started: list[tuple[subprocess.Popen[bytes], Path]] = field(default_factory=list)

    @property
    def var(self) -> Path:
        return self.home / "var"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k.upper() not in SETTINGS}
        env.update(
            PYTHONPATH=str(ROOT),  # this tree's code, not the editable install's
            VAR_DIR=str(self.var),
            API_PORT=str(self.api_port),
            TEMPORAL_PORT=str(self.temporal_port),
            TEMPORAL_UI_PORT=str(self.ui_port),
            TEMPORAL_ADDRESS=f"127.0.0.1:{self.temporal_port}",
            WORKER_METRICS_ADDRESS=f"127.0.0.1:{self.worker_metrics_port}",
            LOG_FORMAT="json",
        )
        if self.database_url is not None:
            env["DATABASE_URL"] = self.database_url
        env.update(self.extra_env)
        return env

    def inquiry(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        """Start `inquiry <args>` in the background, its output in a file of its own; `env`
        adds or replaces settings."""
        output = self.home / f"inquiry-{len(self.started)}-{args[0]}.log"
        with output.open("wb") as handle:
            process = subprocess.Popen(
                [INQUIRY, *args],
                cwd=self.home,
                env={**self.env(), **(env or {})},
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append((process, output))
        return process

    def output(self, process: subprocess.Popen[bytes]) -> str:
        return next(path for p, path in self.started if p is process).read_text(errors="replace")

    async def ready(self, process: subprocess.Popen[bytes], within: float = 45.0) -> None:
        """Wait until GET /readyz answers 200, failing early (with the log) if the process ends."""
        deadline = asyncio.get_running_loop().time() + within
        last = "no answer"
        async with httpx.AsyncClient(timeout=5) as http:
            while True:
                if process.poll() is not None:
                    raise AssertionError(
                        f"inquiry exited ({process.returncode}) before /readyz answered 200:\n"
                        + self.output(process)[-3000:]
                    )
                try:
                    response = await http.get(f"http://127.0.0.1:{self.api_port}/readyz")
                    if response.status_code == 200:
                        return
                    last = f"{response.status_code} {response.text}"
                except httpx.HTTPError as error:
                    last = repr(error)
                if asyncio.get_running_loop().time() > deadline:
                    raise AssertionError(
                        f"/readyz not 200 within {within:.0f} s (last: {last}):\n"
                        + self.output(process)[-3000:]
                    )
                await asyncio.sleep(0.3)

    async def serve_api(self, temporal_address: str, env: dict[str, str] | None = None) -> None:
        """`inquiry migrate`, then `inquiry api` against that Temporal server, until ready."""
        migrated = self.inquiry("migrate")
        assert await exited(migrated, within=30) == 0, self.output(migrated)
        api_env = {"TEMPORAL_ADDRESS": temporal_address, **(env or {})}
        await self.ready(self.inquiry("api", env=api_env))

    async def temporal_with_demo(self) -> tuple[subprocess.Popen[bytes], str]:
        """`inquiry temporal` alone, serving; then `inquiry migrate` and `inquiry demo-data`.
        The Temporal process and the demo's intake key."""
        temporal = self.inquiry("temporal")
        await connect(f"127.0.0.1:{self.temporal_port}")
        migrated = self.inquiry("migrate")
        assert await exited(migrated, within=30) == 0, self.output(migrated)
        demo = self.inquiry("demo-data")
        assert await exited(demo, within=60) == 0, self.output(demo)
        return temporal, self.intake_key(demo)

    def temporal_servers(self) -> list[int]:
        """Pids of the Temporal servers running on this var/'s database file."""
        db_file = str(self.var / "temporal.db")
        return [pid for pid in processes_naming(db_file) if db_file in cmdline(pid)]

    def left_behind(self) -> list[str]:
        """Command lines of the processes that still name this var/."""
        return [" ".join(cmdline(pid)) for pid in processes_naming(str(self.var))]

    def intake_key(self, process: subprocess.Popen[bytes]) -> str:
        found = re.search(r"intake key \(web-form, channel web\): (\S+)", self.output(process))
        assert found, "the demo intake key was not printed:\n" + self.output(process)[-3000:]
        return found.group(1)

    def cleanup(self) -> None:
        """Kill what the test started and whatever still runs on its var/ (all of it ours)."""
        for process, _ in self.started:
            if process.poll() is None:
                process.kill()
                process.wait(10)
        for pid in processes_naming(str(self.var)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
                os.kill(pid, signal.SIGKILL)


async def connect(address: str, within: float = 40.0) -> Client:
    """A client of the Temporal server at `address`, once it answers."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        try:
            return await Client.connect(address)
        except RuntimeError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.3)


async def until_dispatched(http: httpx.AsyncClient, code: str) -> str | None:
    """Poll the public lookup of a case for up to 30 s while a worker process routes and
    dispatches it; its last status ("dispatched" once it is)."""
    status = None
    for _ in range(150):
        status = (await http.get(f"/api/v1/public/inquiries/{code}")).json().get("status")
        if status == "dispatched":
            break
        await asyncio.sleep(0.2)
    return status


async def exited(process: subprocess.Popen[bytes], within: float) -> int:
    """Wait for the process to end; its return code."""
    deadline = asyncio.get_running_loop().time() + within
    while process.poll() is None:
        assert asyncio.get_running_loop().time() < deadline, f"pid {process.pid} still runs"
        await asyncio.sleep(0.1)
    return process.returncode


async def gone(pid: int, within: float) -> bool:
    deadline = asyncio.get_running_loop().time() + within
    while alive(pid):
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.1)
    return True


async def nothing_left(stack: Stack, within: float = 15.0) -> list[str]:
    """What still names the var/ after `within` seconds (children stop asynchronously)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        left = stack.left_behind()
        if not left or asyncio.get_running_loop().time() > deadline:
            return left
        await asyncio.sleep(0.2)
