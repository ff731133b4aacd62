"""What the run left behind, counted in PostgreSQL against what the API accepted."""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import asyncpg

from chaos.lifecycle import Outcome


@dataclass
class Report:
    lifecycles: int
    accepted: int  # the API answered 201/200 with an inquiry id
    closed: int  # of those, closed (办结) in PostgreSQL at the end
    lost: int  # accepted but not closed: missing from PostgreSQL or stuck open
    missing: int  # accepted but no row at all
    duplicated_inquiries: int  # extra rows for one filing (one Idempotency-Key)
    duplicated_notices: int  # extra notifications: same case, kind, audience, recipient, body
    duplicated_events: int  # extra inquiry_events: same case and kind (one step each here)
    undelivered_notices: int  # notices of accepted cases still queued or failing at the end
    kills: list[dict[str, Any]] = field(default_factory=list)
    unplanned_exits: dict[str, int] = field(default_factory=dict)
    answers: dict[str, int] = field(default_factory=dict)
    lifecycle_seconds: dict[str, float] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    open_cases: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        duplicated = self.duplicated_inquiries + self.duplicated_notices + self.duplicated_events
        return (
            self.lost > 0
            or duplicated > 0
            or self.undelivered_notices > 0
            or self.accepted < self.lifecycles
        )

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "failed": self.failed}

    def table(self) -> str:
        rows = [
            ("lifecycles", self.lifecycles),
            ("accepted", self.accepted),
            ("closed", self.closed),
            ("lost", self.lost),
            ("duplicated inquiries", self.duplicated_inquiries),
            ("duplicated notices", self.duplicated_notices),
            ("duplicated events", self.duplicated_events),
            ("undelivered notices", self.undelivered_notices),
            ("kills", len(self.kills)),
            ("unplanned exits", sum(self.unplanned_exits.values())),
        ]
        width = max(len(name) for name, _ in rows)
        lines = [f"| {'':<{width}} | value |", f"|{'-' * (width + 2)}|-------|"]
        lines += [f"| {name:<{width}} | {value:>5} |" for name, value in rows]
        return "\n".join(lines)


UNDELIVERED = (
    "SELECT count(*) FROM notifications WHERE inquiry_id = ANY($1::uuid[])"
    " AND status IN ('queued', 'failed')"
)


async def until_delivered(dsn: str, outcomes: list[Outcome], within: float) -> float:
    """Give the outbox up to `within` seconds to deliver the accepted cases' notices (a
    dispatcher killed mid-send leaves its lease to run out first); the seconds it took."""
    ids = [o.inquiry_id for o in outcomes if o.inquiry_id is not None]
    began = time.monotonic()
    conn = await asyncpg.connect(dsn)
    try:
        while time.monotonic() - began < within:
            if not await conn.fetchval(UNDELIVERED, ids):
                break
            await asyncio.sleep(1)
    finally:
        await conn.close()
    return time.monotonic() - began


async def count(dsn: str, outcomes: list[Outcome], run: str) -> Report:
    accepted = [o for o in outcomes if o.inquiry_id is not None]
    ids = [o.inquiry_id for o in accepted]
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT id::text, external_ref, status FROM inquiries WHERE external_ref LIKE $1",
            f"chaos-{run}-%",
        )
        notices = await conn.fetchval(
            "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM notifications"
            " WHERE inquiry_id = ANY($1::uuid[])"
            " GROUP BY inquiry_id, kind, audience, recipient, body HAVING count(*) > 1) d",
            ids,
        )
        undelivered = await conn.fetchval(UNDELIVERED, ids)
        events = await conn.fetchval(
            "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM inquiry_events"
            " WHERE inquiry_id = ANY($1::uuid[]) GROUP BY inquiry_id, kind HAVING count(*) > 1) d",
            ids,
        )
    finally:
        await conn.close()
    status = {r["id"]: r["status"] for r in rows}
    per_ref: dict[str, int] = {}
    for r in rows:
        per_ref[r["external_ref"]] = per_ref.get(r["external_ref"], 0) + 1
    closed = [o for o in accepted if status.get(o.inquiry_id or "") == "closed"]
    durations = [o.seconds for o in closed]
    return Report(
        lifecycles=len(outcomes),
        accepted=len(accepted),
        closed=len(closed),
        lost=len(accepted) - len(closed),
        missing=sum(1 for o in accepted if o.inquiry_id not in status),
        duplicated_inquiries=sum(n - 1 for n in per_ref.values()),
        duplicated_notices=int(notices),
        duplicated_events=int(events),
        undelivered_notices=int(undelivered),
        lifecycle_seconds={
            "median": round(statistics.median(durations), 1) if durations else 0.0,
            "max": round(max(durations), 1) if durations else 0.0,
        },
        open_cases=[
            {
                "external_ref": o.external_ref,
                "inquiry_id": o.inquiry_id,
                "status": status.get(o.inquiry_id or "", "missing"),
                "steps": o.steps[-8:],
            }
            for o in outcomes
            if o not in closed
        ],
    )
