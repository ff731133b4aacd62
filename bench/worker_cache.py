"""The service workers' sticky cache, read from the SDK's Prometheus endpoint of each worker
process: how many workflow tasks from the worker's own (sticky) queue found their case cached (a
hit) or had to replay it from its history (a miss), and how many cached cases were evicted to
make room. A task that timed out on the sticky queue and came back through the shared queue is
counted in neither: it carries the case's whole history, which the worker replays."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from bench import server_metrics

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
        name = COUNTERS.get(family.name)
        if name is not None:
            counts[name] += sum(sample.value for sample in family.samples)
    return counts


async def scrape(ports: list[int]) -> Counts:
    """The counters of every worker process, added up."""
    total = dict.fromkeys(COUNTERS.values(), 0.0)
    for port in ports:
        for name, value in parse(await server_metrics.text(port)).items():
            total[name] += value
    return total


def between(before: Counts, after: Counts) -> dict[str, int]:
    return {name: round(after[name] - before[name]) for name in COUNTERS.values()}
