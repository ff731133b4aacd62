"""The domain metrics of GET /metrics, read from PostgreSQL (and Temporal, for stuck cases) at
scrape time: every API replica reports the same numbers, and a restart resets none of them.

prometheus_client collects synchronously, so a scrape first awaits `refresh()`, which reads a
snapshot; `collect()` then only turns that snapshot into metric families. No label carries
personal data: units, statuses, channels, levels and states are codes of the service.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import asyncpg
import structlog
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from temporalio.client import Client

from core.db import UNREACHABLE
from repository import metrics as queries
from service.stuck import stuck_cases

log = structlog.get_logger(__name__)

# PostgreSQL unreachable (core/db.py), or a statement refused: the scrape reports it as down.
SCRAPE_FAILURES: tuple[type[BaseException], ...] = (*UNREACHABLE, asyncpg.PostgresError)
READ_TIMEOUT = 5.0  # a scrape that waits longer for PostgreSQL reports metrics_domain_up 0
STUCK_LIMIT = 10_000  # failed runs counted per scan (Temporal keeps them for its retention)
STUCK_STATES = ("failing", "failed")

# Every family the collector can report (the dashboard test checks its queries against these).
DOMAIN_METRICS = (
    "metrics_domain_up",
    "inquiries_open",
    "inquiries_overdue",
    "escalations_total",
    "notifications_total",
    "intake_total",
    "inquiries_stuck",
)


@dataclass
class _Snapshot:
    up: bool = False
    families: list[GaugeMetricFamily | CounterMetricFamily] = field(default_factory=list)


class DomainMetrics(Collector):
    """Registered in the app's registry; `refresh()` before each scrape."""

    def __init__(
        self, pool: asyncpg.Pool, temporal: Client, *, task_queue: str, stuck_ttl: float
    ) -> None:
        self._pool = pool
        self._temporal = temporal
        self._task_queue = task_queue
        self._stuck_ttl = stuck_ttl
        self._stuck: GaugeMetricFamily | None = None
        self._stuck_read_at = float("-inf")
        self._stuck_scan: asyncio.Task[GaugeMetricFamily | None] | None = None
        self._snapshot = _Snapshot()

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        snapshot = self._snapshot
        yield GaugeMetricFamily(
            "metrics_domain_up",
            "1 when the domain metrics below were read from PostgreSQL at this scrape, else 0",
            value=1 if snapshot.up else 0,
        )
        yield from snapshot.families
        if self._stuck is not None:
            yield self._stuck

    async def refresh(self) -> None:
        """Read the database's counts now, and the stuck cases when the cached scan is old."""
        try:
            async with asyncio.timeout(READ_TIMEOUT):
                families = await self._read_database()
            self._snapshot = _Snapshot(up=True, families=families)
        except SCRAPE_FAILURES as error:
            log.warning("metrics_database_unavailable", error=type(error).__name__)
            self._snapshot = _Snapshot(up=False)
        await self._refresh_stuck()

    async def _read_database(self) -> list[GaugeMetricFamily | CounterMetricFamily]:
        async with self._pool.acquire() as conn:
            open_cases = await queries.open_by_unit_and_status(conn)
            overdue = await queries.overdue_by_unit(conn)
            escalations = await queries.escalations_by_level(conn)
            notifications = await queries.notifications_by_channel_and_state(conn)
            intake = await queries.intake_by_channel(conn)
        inquiries_open = GaugeMetricFamily(
            "inquiries_open",
            "Cases not yet closed, by status and unit (unit empty while not routed)",
            labels=["status", "unit"],
        )
        for row in open_cases:
            inquiries_open.add_metric([row["status"], row["unit_code"]], row["cases"])
        inquiries_overdue = GaugeMetricFamily(
            "inquiries_overdue",
            "Cases waiting for their reply past its deadline (the supervisors' overdue list)",
            labels=["unit"],
        )
        for row in overdue:
            inquiries_overdue.add_metric([row["unit_code"]], row["cases"])
        escalations_total = CounterMetricFamily(
            "escalations", "Escalation ladder steps fired, by level", labels=["level"]
        )
        for row in escalations:
            escalations_total.add_metric([str(row["level"])], row["steps"])
        # A gauge despite its name: a notice moves from queued (or failed) to sent or gave_up.
        notifications_total = GaugeMetricFamily(
            "notifications_total",
            "Notifications by channel and delivery state (queued, sent, failed, gave_up)",
            labels=["channel", "outcome"],
        )
        for row in notifications:
            notifications_total.add_metric([row["channel"], row["status"]], row["notices"])
        intake_total = CounterMetricFamily(
            "intake", "Cases received, by intake channel", labels=["channel"]
        )
        for row in intake:
            intake_total.add_metric([row["channel"]], row["cases"])
        return [
            inquiries_open,
            inquiries_overdue,
            escalations_total,
            notifications_total,
            intake_total,
        ]

    async def _refresh_stuck(self) -> None:
        """The Temporal visibility scan of service/stuck.py, at most once per stuck_ttl seconds;
        one scan at a time however many scrapes arrive; the last count kept while Temporal is
        unreachable."""
        if time.monotonic() - self._stuck_read_at < self._stuck_ttl:
            return
        if self._stuck_scan is None or self._stuck_scan.done():
            self._stuck_scan = asyncio.create_task(self._scan_stuck())
        try:
            async with asyncio.timeout(READ_TIMEOUT):
                scanned = await asyncio.shield(self._stuck_scan)
        except TimeoutError:
            log.warning("metrics_stuck_scan_slow")  # the scan goes on; a later scrape gets it
            return
        if scanned is not None:
            self._stuck, self._stuck_read_at = scanned, time.monotonic()

    async def _scan_stuck(self) -> GaugeMetricFamily | None:
        """The stuck cases counted by state; None (logged) when Temporal does not answer."""
        try:
            found = await stuck_cases(
                self._temporal, task_queue=self._task_queue, limit=STUCK_LIMIT
            )
        except Exception as error:  # RPCError, or the connection itself
            log.warning("metrics_stuck_scan_failed", error=type(error).__name__)
            return None
        counts = Counter(case.state for case in found)
        family = GaugeMetricFamily(
            "inquiries_stuck",
            "Cases that need a person: an activity keeps failing (failing) or the workflow"
            " failed (failed); from a Temporal scan cached for METRICS_STUCK_CACHE_SECONDS",
            labels=["state"],
        )
        for state in STUCK_STATES:
            family.add_metric([state], counts[state])
        return family
