"""The Temporal dev server's own metrics, read from its Prometheus endpoint: how many persistence
calls (every one through the server's single SQLite connection) a phase cost, by service and
operation, and how long they took, waiting for that connection included."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from infra.embedded import TemporalDevServer

# Histograms whose _count and _sum are read, by the name the report gives them.
HISTOGRAMS = {
    "persistence_latency": "persistence",
    "visibility_persistence_latency": "visibility",
}

Snapshot = dict[tuple[str, str], tuple[float, float]]  # (kind, "service/operation") -> count, s


def parse(text: str) -> Snapshot:
    """Each histogram's count and sum of seconds per service and operation."""
    found: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for family in text_string_to_metric_families(text):
        kind = HISTOGRAMS.get(family.name)
        if kind is None:
            continue
        for sample in family.samples:
            slot = {"_count": 0, "_sum": 1}.get(sample.name.removeprefix(family.name))
            if slot is None:
                continue
            labels = sample.labels
            key = f"{labels.get('service_name', '?')}/{labels.get('operation', '?')}"
            found[(kind, key)][slot] += sample.value
    return {key: (count, seconds) for key, (count, seconds) in found.items()}


async def text(port: int) -> str:
    """What a local Prometheus endpoint serves (the server's, or a worker's SDK runtime)."""
    async with httpx.AsyncClient(timeout=10) as http:
        answer = await http.get(f"http://127.0.0.1:{port}/metrics")
        answer.raise_for_status()
    return answer.text


async def scrape(port: int) -> Snapshot:
    return parse(await text(port))


async def of_server(server: TemporalDevServer) -> Snapshot | None:
    """The server's snapshot; None when it was started without a metrics port."""
    return None if server.metrics_port is None else await scrape(server.metrics_port)


def calls_between(before: Snapshot | None, after: Snapshot | None) -> float:
    """Database calls (persistence and visibility) between two snapshots; 0 without them."""
    if before is None or after is None:
        return 0.0
    return _calls(after) - _calls(before)


def _calls(snapshot: Snapshot) -> float:
    return sum(count for count, _ in snapshot.values())


def spent(before: Snapshot, after: Snapshot, per: int, top: int = 12) -> dict[str, Any]:
    """The calls and seconds between two snapshots, per `per` (cases), with the operations that
    made most calls."""
    calls: dict[str, float] = {}
    seconds: dict[str, float] = {}
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for key, (count, secs) in after.items():
        old_count, old_secs = before.get(key, (0.0, 0.0))
        if count - old_count <= 0:
            continue
        kind, name = key
        calls[f"{kind}:{name}"] = (count - old_count) / per
        seconds[f"{kind}:{name}"] = (secs - old_secs) / per
        totals[kind][0] += count - old_count
        totals[kind][1] += secs - old_secs
    busiest = sorted(calls, key=calls.__getitem__, reverse=True)[:top]
    return {
        "per": per,
        "calls_per_case": {kind: calls_ / per for kind, (calls_, _) in totals.items()},
        "ms_per_call": {
            kind: 1000 * secs / calls_ if calls_ else 0.0 for kind, (calls_, secs) in totals.items()
        },
        "operations": {
            name: {"calls": round(calls[name], 3), "ms": round(1000 * seconds[name], 3)}
            for name in busiest
        },
    }
