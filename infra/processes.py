"""Child processes of the embedded stack: they die with their parent, are restarted when they die
alone, and a crash's leftovers are found by pid file and /proc, never by name."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import fcntl
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import structlog

log = structlog.get_logger(__name__)

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
FIRST_RESTART_DELAY = 1.0
MAX_RESTART_DELAY = 30.0
# A child that ran this long before dying was healthy: its next restart starts the backoff over.
STABLE_AFTER = 60.0


def die_with_parent(sig: signal.Signals) -> Callable[[], None] | None:
    """A preexec_fn asking Linux to send `sig` to the child when this process dies, even by
    kill -9; None where the OS has no such thing (the next start then replaces the orphan).

    Linux sends it when the *thread* that forked exits, so spawn only from the main thread
    (the event loop), never from asyncio.to_thread.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        if os.getppid() != parent:  # the parent died between fork and prctl
            os.kill(os.getpid(), sig)

    return preexec


def cmdline(pid: int) -> list[str]:
    """The process's argv from /proc, or [] when it is gone (or a zombie)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def alive(pid: int) -> bool:
    """True while the process runs; a zombie waiting to be reaped counts as dead."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def processes_naming(text: str) -> list[int]:
    """Pids of the processes whose command line contains `text` (a file or folder of ours)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and any(text in arg for arg in cmdline(int(entry.name))):
            found.append(int(entry.name))
    return found


async def terminate(pid: int, *, sig: signal.Signals, grace: float) -> None:
    """Stop a process that is not our child: `sig`, then SIGKILL after `grace` seconds.

    SIGCONT follows `sig` so a stopped (frozen) process gets to act on it.
    """
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
        os.kill(pid, signal.SIGCONT)
    deadline = time.monotonic() + grace
    while alive(pid):
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + grace
        await asyncio.sleep(0.1)


class AlreadyRunning(SystemExit):
    """Another live process holds the lock of this part of var/."""


@contextlib.contextmanager
def owner_lock(path: Path, what: str) -> Iterator[None]:
    """Hold an exclusive lock on `path` while this process runs `what`.

    The kernel drops the lock when the holder dies, however it dies, so whoever holds it knows
    that any process still running on the same files is an orphan of a crash.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle: IO[str] = path.open("a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            raise AlreadyRunning(
                f"{what} is already run by process {holder}; stop it first"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()


class Supervised:
    """A child process restarted with backoff (1 s, 2 s, 4 s … 30 s) whenever it dies, until
    stop(); each exit and restart is logged."""

    def __init__(
        self,
        name: str,
        spawn: Callable[[], subprocess.Popen[bytes]],
        *,
        stop_signal: signal.Signals,
        stop_timeout: float = 20.0,
    ) -> None:
        self.name = name
        self._spawn = spawn
        self._stop_signal = stop_signal
        self._stop_timeout = stop_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self._watcher: asyncio.Task[None] | None = None
        self.restarts = 0

    def start(self) -> subprocess.Popen[bytes]:
        self.process = self._spawn()
        return self.process

    def watch(self) -> None:
        """From now on a death of the process is answered by a restart."""
        self._watcher = asyncio.create_task(self._watch(), name=f"supervise-{self.name}")

    async def _watch(self) -> None:
        delay = FIRST_RESTART_DELAY
        while True:
            started = time.monotonic()
            assert self.process is not None
            while self.process.poll() is None:  # noqa: ASYNC110 - a child's exit is no Event
                await asyncio.sleep(0.2)
            if time.monotonic() - started > STABLE_AFTER:
                delay = FIRST_RESTART_DELAY
            log.warning(
                "embedded_process_exited",
                process=self.name,
                pid=self.process.pid,
                returncode=self.process.returncode,
                restart_in=delay,
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_RESTART_DELAY)
            try:
                self.process = self._spawn()
            except Exception:
                log.exception("embedded_process_restart_failed", process=self.name)
                continue
            self.restarts += 1
            log.warning("embedded_process_restarted", process=self.name, pid=self.process.pid)

    async def stop(self) -> None:
        """No more restarts; the process gets its stop signal, then SIGKILL after the timeout."""
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(self._stop_signal)
        deadline = time.monotonic() + self._stop_timeout
        while process.poll() is None:
            if time.monotonic() > deadline:
                log.warning("embedded_process_killed", process=self.name, pid=process.pid)
                process.kill()
                deadline = time.monotonic() + self._stop_timeout
            await asyncio.sleep(0.1)
