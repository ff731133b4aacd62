"""The service workers' sticky cache, read from the SDK's Prometheus endpoint of each worker
process: how many workflow tasks from the worker's own (sticky) queue found their case cached (a
hit) or had to replay it from its history (a miss), and how many cached cases were evicted to
make room. A task that timed out on the sticky queue and came back through the shared queue is
counted in neither: it carries the case's whole history, which the worker replays."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

# The SDK's counters, by the name the report gives them.
COUNTERS = {
    "temporal_sticky_cache_hit": "hits",
    "temporal_sticky_cache_miss": "misses",
    "temporal_sticky_cache_total_forced_eviction": "evictions",
}

Counts = dict[str, float]


def parse(text: str) -> Counts:
    """Each counter summed over its labels (task queue, workflow type)."""
    counts = dict.fromkeys(COUNTERS.values(), 0.0)
    for family in text_string_to_metric_families(text):
        # The parser names a counter without its `_total`; the SDK's have none to drop.
        name = COUNTERS.get(family.name) or COUNTERS.get(family.name.removesuffix("_total"))
        if name is None:
            continue
        counts[name] += sum(s.value for s in family.samples if not s.name.endswith("_created"))
    return counts


async def scrape(ports: list[int]) -> Counts:
    """The counters of every worker process, added up."""
    total = dict.fromkeys(COUNTERS.values(), 0.0)
    async with httpx.AsyncClient(timeout=10) as http:
        for port in ports:
            answer = await http.get(f"http://127.0.0.1:{port}/metrics")
            answer.raise_for_status()
            for name, value in parse(answer.text).items():
                total[name] += value
    return total


def between(before: Counts, after: Counts) -> dict[str, int]:
    return {name: round(after[name] - before[name]) for name in COUNTERS.values()}
