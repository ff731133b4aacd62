"""The embedded Temporal server's settings: the search attributes' registry is read from its
database once a minute, not on every start, upsert and visibility write, and ours still work."""

from __future__ import annotations

import uuid
from pathlib import Path

from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.common import SearchAttributePair, TypedSearchAttributes

from bench import server_metrics
from infra.embedded import DEV_SERVER_CONFIG, TemporalDevServer, free_port
from workflows import search_attributes

STARTS = 30


def registry_reads(snapshot: server_metrics.Snapshot) -> float:
    """Reads of the cluster metadata, where the registry is kept, by every service."""
    return sum(
        count
        for (kind, name), (count, _) in snapshot.items()
        if kind == "persistence" and name.endswith("/GetCurrentClusterMetadata")
    )


async def starts_and_reads(server: TemporalDevServer) -> float:
    """Start STARTS runs carrying our search attributes (no worker needed: the start writes its
    visibility record), and return how many registry reads they cost."""
    client = await server.start()
    assert server.metrics_port is not None
    before = await server_metrics.scrape(server.metrics_port)
    attributes = TypedSearchAttributes(
        [SearchAttributePair(search_attributes.RESPONSIBLE_UNIT, "pipe_repair")]
    )
    for _ in range(STARTS):
        await client.start_workflow(
            "NoWorkerHere",
            id=f"sa-{uuid.uuid4()}",
            task_queue=f"nobody-{uuid.uuid4().hex[:8]}",
            search_attributes=attributes,
        )
    after = await server_metrics.scrape(server.metrics_port)
    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace="default")
    )
    assert {key.name for key in search_attributes.ALL} <= set(listed.custom_attributes)
    return registry_reads(after) - registry_reads(before)


async def test_starts_do_not_read_the_search_attribute_registry_each_time(tmp_path: Path) -> None:
    assert DEV_SERVER_CONFIG["system.forceSearchAttributesCacheRefreshOnRead"] == "false"
    ours = TemporalDevServer(
        var_dir=tmp_path / "ours", port=free_port(), ui_port=free_port(), metrics_port=free_port()
    )
    try:
        cached = await starts_and_reads(ours)
    finally:
        await ours.stop()
    # start-dev's own setting, for contrast: the registry read again for every start.
    forced = TemporalDevServer(
        var_dir=tmp_path / "forced",
        port=free_port(),
        ui_port=free_port(),
        metrics_port=free_port(),
        dynamic_config={"system.forceSearchAttributesCacheRefreshOnRead": "true"},
    )
    try:
        uncached = await starts_and_reads(forced)
    finally:
        await forced.stop()
    assert uncached >= STARTS, uncached
    assert cached < 3, cached
