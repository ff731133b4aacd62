"""CPU time and memory of processes, read from /proc (Linux), with no dependency."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of the process so far; 0 once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)": state is field 3
    return (int(fields[11]) + int(fields[12])) / _TICK


def rss_bytes(pid: int) -> int:
    """Resident memory of the process; 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def with_descendants(pid: int) -> list[int]:
    """The process and every process below it (the temporal CLI may fork its server)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo += [int(child) for child in task.read_text().split()]
            except OSError:
                continue
    return found


def total_cpu(pids: Iterable[int]) -> float:
    return sum(cpu_seconds(pid) for pid in pids)


def cpu_of(pids: Iterable[int]) -> dict[int, float]:
    """CPU seconds so far of each process."""
    return {pid: cpu_seconds(pid) for pid in pids}


def cpu_spent(before: Mapping[int, float], after: Mapping[int, float]) -> float:
    """CPU seconds the processes of `after` spent since `before` (one that appeared counts from
    0)."""
    return sum(max(0.0, cpu - before.get(pid, 0.0)) for pid, cpu in after.items())
